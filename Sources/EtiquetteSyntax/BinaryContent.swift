/// Tells a binary file (an image, an archive, UTF-16 text) from a rule file that has a few bad
/// bytes, such as a file saved as Latin-1, which deserves its E001 errors at each bad byte.
enum BinaryContent {
  /// Bytes looked at: enough to judge, and a bounded cost on a huge file.
  static let sample = 65_536

  /// The offset of the first byte that is not text, when the file is binary: it has a NUL byte,
  /// or more than a quarter of its sample are control characters other than tab, line feed,
  /// form feed and carriage return, or bytes not part of a valid UTF-8 sequence (random bytes
  /// are about half). A French rule file in Latin-1 stays far below: only its accented letters
  /// are invalid, and a short file with a bad byte every few words keeps its E001 errors.
  static func firstNonTextByte(in bytes: [UInt8]) -> Int? {
    let end = min(bytes.count, sample)
    var suspicious = 0
    var first: Int?
    var hasNul = false
    var index = 0
    while index < end {
      let byte = bytes[index]
      if byte < 0x80 {
        let isText = byte >= 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0C || byte == 0x0D
        if !isText {
          suspicious += 1
          first = first ?? index
          if byte == 0 { hasNul = true }
        }
        index += 1
      } else if let (_, length) = decodeScalar(bytes, at: index) {
        index += length
      } else {
        suspicious += 1
        first = first ?? index
        index += 1
      }
    }
    guard hasNul || suspicious * 4 > end else { return nil }
    return first
  }
}
