/// A forgiving UTF-8 decoder over raw bytes that reports how many bytes each scalar used.
///
/// Invalid input decodes to U+FFFD, one replacement per *maximal subpart* of an ill-formed
/// sequence (the Unicode / WHATWG practice, and what Swift's `String(decoding:as:)` does), so
/// byte offsets stay exact and a stray byte never swallows the valid text that follows it.
enum UTF8Decoding {
  /// The replacement character that stands for every ill-formed byte sequence.
  static let replacement: UInt32 = 0xFFFD

  /// Decodes the scalar starting at `index`, returning its value and its length in bytes (≥ 1).
  ///
  /// - Precondition: `index < bytes.count`.
  @inline(__always)
  static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (
    value: UInt32, length: Int
  ) {
    let count = bytes.count
    let lead = bytes[index]
    if lead < 0x80 { return (UInt32(lead), 1) }
    // Ranges for the second byte follow Table 3-7 of the Unicode standard: they exclude
    // overlong forms, surrogates (ED A0..BF) and values above U+10FFFF.
    let needed: Int
    var value: UInt32
    var secondLow: UInt8 = 0x80
    var secondHigh: UInt8 = 0xBF
    switch lead {
    case 0xC2...0xDF:
      needed = 1
      value = UInt32(lead & 0x1F)
    case 0xE0...0xEF:
      needed = 2
      value = UInt32(lead & 0x0F)
      if lead == 0xE0 { secondLow = 0xA0 }
      if lead == 0xED { secondHigh = 0x9F }
    case 0xF0...0xF4:
      needed = 3
      value = UInt32(lead & 0x07)
      if lead == 0xF0 { secondLow = 0x90 }
      if lead == 0xF4 { secondHigh = 0x8F }
    default:
      return (replacement, 1)
    }
    var position = index + 1
    var consumed = 0
    while consumed < needed {
      guard position < count else { return (replacement, position - index) }
      let byte = bytes[position]
      let low: UInt8 = consumed == 0 ? secondLow : 0x80
      let high: UInt8 = consumed == 0 ? secondHigh : 0xBF
      guard byte >= low && byte <= high else { return (replacement, position - index) }
      value = (value << 6) | UInt32(byte & 0x3F)
      position += 1
      consumed += 1
    }
    return (value, position - index)
  }

  /// Appends the UTF-8 encoding of `value` (a valid scalar value) to `bytes`.
  @inline(__always)
  static func encode(_ value: UInt32, into bytes: inout [UInt8]) {
    switch value {
    case 0..<0x80:
      bytes.append(UInt8(value))
    case 0x80..<0x800:
      bytes.append(UInt8(0xC0 | (value >> 6)))
      bytes.append(UInt8(0x80 | (value & 0x3F)))
    case 0x800..<0x10000:
      bytes.append(UInt8(0xE0 | (value >> 12)))
      bytes.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
      bytes.append(UInt8(0x80 | (value & 0x3F)))
    default:
      bytes.append(UInt8(0xF0 | (value >> 18)))
      bytes.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
      bytes.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
      bytes.append(UInt8(0x80 | (value & 0x3F)))
    }
  }
}
