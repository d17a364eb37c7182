import EtiquetteText

/// Word-boundary and span decisions for phrase hits, made on the original text.
///
/// A phrase found at normalised bytes `s..<e` is a match when:
/// 1. it covers whole original characters: byte `s` is the first byte its character produced
///    and byte `e - 1` the last (so "s" never matches half of the "ss" that "ß" became);
/// 2. the original characters just before and just after the span are not word characters
///    (`Normalizer.isWordCharacter`: letters, digits, combining marks in any script), where
///    characters that vanish in normalisation (a soft hyphen, a zero-width space or joiner, an
///    accent already counted with its letter) are looked through: "bug" is not found in
///    "de\u{AD}bug", which reads "debug".
/// The span starts at the character that produced byte `s` and ends after the character that
/// produced byte `e - 1` plus any characters that produced nothing right after it (a combining
/// accent, a zero-width joiner) — but never trailing white space or word joiners (`-` `_` `/`).
enum WordBoundary {
  /// The original span of the normalised bytes `start..<end`, or nil when the hit is not at
  /// word boundaries of the original text.
  ///
  /// The start side is the caller's: `start` must be the first byte of an original character
  /// whose previous character (vanished ones looked through) is not a word character — the
  /// matcher walks only from such starts, so checking them again here for every phrase end
  /// would repeat work done once per word.
  @inline(__always)
  static func originalSpan(
    start: Int, end: Int, offsets: UnsafeBufferPointer<Int>,
    original: UnsafeBufferPointer<UInt8>
  ) -> Range<Int>? {
    let lastSource = offsets[end - 1]
    let limit = offsets[end]
    var upper: Int
    if limit &- lastSource == 1 && original[lastSource] < 0x80 {
      // The commonest case: the last byte is an ASCII character of its own, and the next byte
      // comes from the very next character (or the text ends): nothing to extend over.
      upper = limit
    } else {
      // 1. Whole characters: the last byte is the last its character produced.
      if end < offsets.count - 1 && limit == lastSource { return nil }
      upper = lastSource + scalarLength(at: lastSource, in: original)
      while upper < limit {
        // ASCII answered from a mask: over stemmed text (`forms`) this loop crosses the rest
        // of every inflected word a hit ends in, letter by letter, and asking Unicode's
        // properties of each letter cost a tenth of a `forms` scan.
        let lead = original[upper]
        if lead < 0x80 {
          if isASCIISeparator(lead) { break }
          upper += 1
          continue
        }
        let (scalar, length) = decode(at: upper, in: original)
        if Normalizer.isSeparator(scalar) { break }
        upper += length
      }
    }
    // 2. The boundary after: the character that follows the span.
    if upper < original.count {
      let after = original[upper]
      if after < 0x80 {
        if isASCIIWord(after) { return nil }
      } else if Normalizer.isWordCharacter(decode(at: upper, in: original).0) {
        return nil
      }
    }
    return offsets[start]..<upper
  }

  /// Whether the original character starting at `offset` is a word character.
  @inline(__always)
  static func isWordCharacter(at offset: Int, in original: UnsafeBufferPointer<UInt8>) -> Bool {
    let lead = original[offset]
    if lead < 0x80 { return isASCIIWord(lead) }
    return Normalizer.isWordCharacter(decode(at: offset, in: original).0)
  }

  /// Whether an ASCII byte (< 0x80) is a letter or digit: one bit of a 128-bit set, with no
  /// branch (the obvious `digit || letter` compiles to two, which the processor mispredicts
  /// at every word boundary).
  @inline(__always)
  static func isASCIIWord(_ byte: UInt8) -> Bool {
    // Bits 0x30–0x39 of the low half; 0x41–0x5A and 0x61–0x7A of the high half.
    let half: UInt64 = byte < 64 ? 0x03FF_0000_0000_0000 : 0x07FF_FFFE_07FF_FFFE
    return (half &>> UInt64(byte & 63)) & 1 != 0
  }

  /// Whether an ASCII byte (< 0x80) is `Normalizer.isSeparator`: the controls 0x00–0x1F and
  /// 0x7F, the space, and the joiners `-`, `/` and `_` (a test checks every ASCII byte against
  /// `Normalizer.isSeparator`).
  @inline(__always)
  static func isASCIISeparator(_ byte: UInt8) -> Bool {
    // Bits 0x00–0x20, 0x2D and 0x2F of the low half; 0x5F and 0x7F of the high half.
    let half: UInt64 = byte < 64 ? 0x0000_A001_FFFF_FFFF : 0x8000_0000_8000_0000
    return (half &>> UInt64(byte & 63)) & 1 != 0
  }

  /// Length of the UTF-8 sequence starting at `offset` (valid UTF-8 assumed).
  @inline(__always)
  static func scalarLength(at offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
    let lead = bytes[offset]
    if lead < 0x80 { return 1 }
    if lead < 0xE0 { return 2 }
    if lead < 0xF0 { return 3 }
    return 4
  }

  /// The scalar starting at `offset` and its length (valid UTF-8 assumed; anything else decodes
  /// to U+FFFD, a non-word character).
  static func decode(at offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (
    Unicode.Scalar, Int
  ) {
    let length = min(scalarLength(at: offset, in: bytes), bytes.count - offset)
    var value: UInt32
    switch length {
    case 1: value = UInt32(bytes[offset])
    case 2: value = UInt32(bytes[offset] & 0x1F)
    case 3: value = UInt32(bytes[offset] & 0x0F)
    default: value = UInt32(bytes[offset] & 0x07)
    }
    if length > 1 {
      for index in offset + 1..<offset + length {
        value = (value << 6) | UInt32(bytes[index] & 0x3F)
      }
    }
    return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
  }

  /// The scalar that ends at `offset` (> 0).
  static func scalar(before offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar {
    var start = offset - 1
    while start > 0 && offset - start < 4 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
    return decode(at: start, in: bytes).0
  }
}
