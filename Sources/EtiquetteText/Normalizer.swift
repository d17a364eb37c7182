/// Text in the normalised form phrases are matched in, with a map back to the original bytes.
///
/// Normalised text is always valid UTF-8, has no leading or trailing space and no run of two
/// spaces. `originalOffsets[i]` is the byte offset, in the original text, of the character that
/// produced normalised byte `i`; a collapsed run of white space maps to its first character.
public struct NormalizedText: Sendable, Equatable {
  /// The normalised text as UTF-8.
  public let bytes: [UInt8]
  /// One entry per normalised byte plus a final entry equal to the original length; never
  /// decreasing, every entry within `0...originalLength`.
  public let originalOffsets: [Int]

  /// Builds normalised text from its parts; `originalOffsets.count` must be `bytes.count + 1`.
  /// Internal: only `Normalizer` guarantees the invariants (valid UTF-8, monotonic offsets) that
  /// searching without a UTF-8 check relies on.
  init(bytes: [UInt8], originalOffsets: [Int]) {
    precondition(originalOffsets.count == bytes.count + 1, "one offset per byte plus the end")
    self.bytes = bytes
    self.originalOffsets = originalOffsets
  }

  /// The normalised text as a Swift string.
  public var string: String { String(decoding: bytes, as: UTF8.self) }

  /// The byte length of the original text.
  public var originalLength: Int { originalOffsets[originalOffsets.count - 1] }

  /// The span of the original text that produced the normalised bytes in `normalised`.
  ///
  /// The span starts at the character that produced the first byte and ends where the character
  /// that produced the last byte ends — which includes marks dropped after it (so "e" found in a
  /// decomposed "é" reports the whole "é") and the whole of a character that expanded, even when
  /// the range covers only part of its expansion ("s" inside the "ss" of "ß" reports "ß"). An
  /// empty range maps to an empty span at its position. Out-of-bounds ranges are clamped.
  public func originalRange(of normalised: Range<Int>) -> Range<Int> {
    let lower = min(max(normalised.lowerBound, 0), bytes.count)
    let upper = min(max(normalised.upperBound, lower), bytes.count)
    let start = originalOffsets[lower]
    guard upper > lower else { return start..<start }
    let lastSource = originalOffsets[upper - 1]
    var next = upper
    while next < bytes.count && originalOffsets[next] == lastSource { next += 1 }
    return start..<max(originalOffsets[next], start)
  }
}

/// Turns text into the form phrases are matched in: case-folded, accent-free, with typographic
/// punctuation and white space unified.
///
/// What normalisation does (see `ScalarFolding` for the per-character rules and their reasons):
/// - full Unicode case folding (ß → ss; dotless ı and dotted İ both → i, *not* Turkish-locale);
/// - accents stripped: compatibility decomposition, then accent marks dropped (é → e,
///   "e" + U+0301 → e, Hebrew points, Arabic harakat), plus æ → ae, œ → oe, ø → o, ł → l, đ → d,
///   ħ → h, ŧ → t; marks that make a different letter in other scripts (Japanese voicing marks,
///   Indic vowel signs) are kept, decomposed;
/// - compatibility forms folded (ﬁ → fi, full-width Ａ１ → a1, ² → 2, … → ...);
/// - apostrophes and single quotes (’ ‘ ‚ ‛ ʼ ʻ ′ ` ´ ‹ ›) → `'`, double quotes (“ ” „ « » ″) → `"`;
/// - every run of white space, control characters and word joiners — hyphen `-`, every dash
///   (‐ ‑ ‒ – — ― − ﹘ －), underscore `_`, slash `/` — (tab, newline, NBSP U+00A0, narrow NBSP
///   U+202F, ideographic space …) → one space, and leading / trailing ones trimmed — a phrase
///   is normalised the same way, so it still matches inside any normalised message, and
///   "rendez-vous", "rendez vous" and "rendez_vous" are one spelling;
/// - invisible format characters (soft hyphen, zero-width space / joiners, variation selectors,
///   BOM) dropped, so "ré\u{AD}servé" matches "reserve";
/// - emoji and other symbols kept as they are: they are not letters, so they separate words;
/// - invalid UTF-8 becomes U+FFFD, one per maximal ill-formed subpart, which is likewise a
///   symbol and so separates words.
public enum Normalizer {
  /// Normalises a string.
  public static func normalize(_ text: String) -> NormalizedText {
    var text = text
    return text.withUTF8 { normalize(buffer: $0) }
  }

  /// Normalises a string into scratch memory — on the stack for messages of ordinary length,
  /// so nothing is allocated — and calls `body` with the normalised bytes and, for each byte
  /// plus a final entry equal to the original length, its original offset (the same values as
  /// `normalize(text).bytes` and `.originalOffsets`). For callers that only read the result,
  /// once per message: the matcher and the benchmark's baselines.
  ///
  /// Not generic on purpose: a generic version, called from another module, looks up type
  /// metadata at run time on every call, which costs more than the allocations it saves.
  public static func withNormalized(
    _ text: String,
    _ body: (_ bytes: UnsafeBufferPointer<UInt8>, _ originalOffsets: UnsafeBufferPointer<Int>)
      -> Void
  ) {
    var text = text
    text.withUTF8 { buffer in
      // Ordinary text grows by at most a quarter (ligatures, ß); the rare text that grows more
      // overflows the scratch and takes the allocating path.
      let capacity = buffer.count + buffer.count / 4 + 16
      withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { bytes in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: capacity + 1) { offsets in
          var output = ScratchOutput(bytes: bytes, offsets: offsets)
          normalize(buffer: buffer, into: &output)
          guard !output.overflowed else {
            let normalized = normalize(buffer: buffer)
            normalized.bytes.withUnsafeBufferPointer { bytes in
              normalized.originalOffsets.withUnsafeBufferPointer { body(bytes, $0) }
            }
            return
          }
          offsets[output.count] = buffer.count
          body(
            UnsafeBufferPointer(rebasing: bytes[..<output.count]),
            UnsafeBufferPointer(rebasing: offsets[...output.count]))
        }
      }
    }
  }

  /// Normalises UTF-8 bytes, which may be invalid.
  public static func normalize(utf8 bytes: some Collection<UInt8>) -> NormalizedText {
    if let result = bytes.withContiguousStorageIfAvailable({ normalize(buffer: $0) }) {
      return result
    }
    return Array(bytes).withUnsafeBufferPointer { normalize(buffer: $0) }
  }

  /// Whether `scalar` becomes a separator (a space) in normalised text: white space, control
  /// characters and the word joiners (hyphen, dashes, underscore, slash).
  public static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
    let properties = scalar.properties
    return properties.isWhitespace || properties.generalCategory == .control
      || ScalarFolding.joiners.contains(scalar.value)
  }

  /// Whether `scalar` belongs to a word: a letter or a digit in any script, or a combining mark
  /// (which belongs to the letter before it). Underscore and other punctuation do not.
  public static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
    let value = scalar.value
    if value < 0x80 { return asciiWordTable[Int(value)] }
    let properties = scalar.properties
    if properties.isAlphabetic { return true }
    switch properties.generalCategory {
    case .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark,
      .enclosingMark:
      return true
    default:
      return false
    }
  }

  private static let asciiWordTable: [Bool] = (0..<128).map { value in
    switch UInt8(value) {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"):
      return true
    default:
      return false
    }
  }

  // MARK: - The normalising loop

  /// Where the normalising loop writes: output bytes, each with its original offset.
  private protocol NormalizedSink {
    mutating func write(_ byte: UInt8, from offset: Int)
    var isEmpty: Bool { get }
  }

  /// Output into growing arrays, for `NormalizedText`.
  private struct ArrayOutput: NormalizedSink {
    var bytes: [UInt8] = []
    var offsets: [Int] = []

    init(capacity: Int) {
      bytes.reserveCapacity(capacity)
      offsets.reserveCapacity(capacity + 1)
    }

    var isEmpty: Bool { bytes.isEmpty }

    @inline(__always)
    mutating func write(_ byte: UInt8, from offset: Int) {
      bytes.append(byte)
      offsets.append(offset)
    }
  }

  /// Output into fixed scratch buffers; past their end it only records that it overflowed.
  private struct ScratchOutput: NormalizedSink {
    let bytes: UnsafeMutableBufferPointer<UInt8>
    /// One more entry than `bytes`, for the final offset.
    let offsets: UnsafeMutableBufferPointer<Int>
    var count = 0
    var overflowed = false

    init(bytes: UnsafeMutableBufferPointer<UInt8>, offsets: UnsafeMutableBufferPointer<Int>) {
      self.bytes = bytes
      self.offsets = offsets
    }

    var isEmpty: Bool { count == 0 }

    @inline(__always)
    mutating func write(_ byte: UInt8, from offset: Int) {
      guard count < bytes.count else {
        overflowed = true
        return
      }
      bytes[count] = byte
      offsets[count] = offset
      count &+= 1
    }
  }

  /// Normalises raw bytes: one pass, table lookups for common scripts, the cached slow path
  /// for the rest.
  static func normalize(buffer: UnsafeBufferPointer<UInt8>) -> NormalizedText {
    let count = buffer.count
    var output = ArrayOutput(capacity: count + count / 4 + 8)
    normalize(buffer: buffer, into: &output)
    output.offsets.append(count)
    return NormalizedText(bytes: output.bytes, originalOffsets: output.offsets)
  }

  @inline(__always)
  private static func normalize<Sink: NormalizedSink>(
    buffer: UnsafeBufferPointer<UInt8>, into sink: inout Sink
  ) {
    let count = buffer.count
    /// Original offset of the first separator of the run waiting to be written, or -1.
    var pendingSpace = -1
    /// Collapses separators: every run of spaces becomes one space (mapped to the run's first
    /// character); leading and trailing runs vanish.
    @inline(__always)
    func append(_ byte: UInt8, from offset: Int) {
      if byte == 0x20 {
        if pendingSpace < 0 { pendingSpace = offset }
        return
      }
      if pendingSpace >= 0 {
        // Leading separators are dropped: nothing has been written yet.
        if !sink.isEmpty { sink.write(0x20, from: pendingSpace) }
        pendingSpace = -1
      }
      sink.write(byte, from: offset)
    }
    let ascii = ScalarFolding.asciiPointer
    let table = ScalarFolding.tablePointer
    var index = 0
    while index < count {
      let byte = buffer[index]
      if byte < 0x80 {
        append(ascii[Int(byte)], from: index)
        index += 1
        continue
      }
      let (value, scalarLength) = UTF8Decoding.decode(buffer, at: index)
      let word = ScalarFolding.packedFolding(of: value, table: table)
      switch word {
      case ScalarFolding.identityEntry:
        for offset in index..<index + scalarLength { append(buffer[offset], from: index) }
      case ScalarFolding.longEntry:
        for folded in ScalarFolding.slowBytes(for: value) { append(folded, from: index) }
      default:
        var rest = word >> 8
        for _ in 0..<Int(word & 0xFF) {
          append(UInt8(truncatingIfNeeded: rest), from: index)
          rest >>= 8
        }
      }
      index += scalarLength
    }
  }
}
