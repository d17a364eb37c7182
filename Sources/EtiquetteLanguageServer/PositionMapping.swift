import EtiquetteDiagnostics

// Spans are UTF-8 byte ranges; LSP positions are zero-based lines and UTF-16 code units. These
// conversions clamp instead of failing: a position past the end of a line or of the file maps to
// that end, so a stale request from the editor still gets an answer.

extension SourceFile {
  /// The LSP position of a byte offset.
  func position(ofOffset offset: Int) -> Position {
    let clamped = min(max(offset, 0), bytes.count)
    let line = line(ofOffset: clamped)
    let start = lineStarts[line - 1]
    return Position(line: line - 1, character: Self.utf16Length(bytes[start..<clamped]))
  }

  func range(of span: SourceSpan) -> Range {
    Range(start: position(ofOffset: span.start), end: position(ofOffset: span.end))
  }

  /// The byte offset of an LSP position, clamped to the line's end and to the file's end.
  func offset(of position: Position) -> Int {
    guard position.line >= 0 else { return 0 }
    guard position.line < lineStarts.count else { return bytes.count }
    let lineBytes = byteRange(ofLine: position.line + 1)
    var offset = lineBytes.lowerBound
    var units = 0
    while offset < lineBytes.upperBound, units < position.character {
      let (length, width) = Self.scalar(at: offset, in: bytes, end: lineBytes.upperBound)
      if units + width > position.character { break }
      units += width
      offset += length
    }
    return offset
  }

  /// UTF-16 length of UTF-8 bytes; an invalid byte counts as one U+FFFD.
  static func utf16Length(_ slice: ArraySlice<UInt8>) -> Int {
    var units = 0
    var index = slice.startIndex
    while index < slice.endIndex {
      let (length, width) = scalar(at: index, in: slice, end: slice.endIndex)
      units += width
      index += length
    }
    return units
  }

  /// The byte length and UTF-16 width of the scalar starting at `index`.
  static func scalar<C: RandomAccessCollection<UInt8>>(at index: C.Index, in bytes: C, end: C.Index)
    -> (length: Int, width: Int) where C.Index == Int
  {
    let lead = bytes[index]
    let length: Int =
      switch lead {
      case 0..<0x80: 1
      case 0xC2..<0xE0: 2
      case 0xE0..<0xF0: 3
      case 0xF0..<0xF5: 4
      default: 1
      }
    guard length > 1, index + length <= end else { return (1, 1) }
    for continuation in (index + 1)..<(index + length) where bytes[continuation] & 0xC0 != 0x80 {
      return (1, 1)
    }
    return (length, length == 4 ? 2 : 1)
  }
}
