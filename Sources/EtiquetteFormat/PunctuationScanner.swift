/// Finds brackets in the source that the AST has no span for (a block's `{`, a string list's
/// `[` and `]`), so the comments between them can be placed inside.
///
/// It only ever scans stretches that the grammar fills with keywords, commas, white space and
/// comments, so it never needs to understand strings or regexes; it gives up (returns nil) on
/// any other byte rather than guess.
struct PunctuationScanner {
  let bytes: [UInt8]

  /// Offset of the first `target` at or after `offset`, skipping white space, comments, and
  /// ASCII words (`skippingWords`, for keywords such as `any` or `labels`) or commas
  /// (`skippingCommas`, for the separators before a closing bracket).
  func find(
    _ target: UInt8, from offset: Int, skippingWords: Bool = false, skippingCommas: Bool = false
  ) -> Int? {
    var index = max(offset, 0)
    while index < bytes.count {
      let byte = bytes[index]
      switch byte {
      case target:
        return index
      case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
        index += 1
      case UInt8(ascii: "#"):
        while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
      case UInt8(ascii: ","):
        guard skippingCommas else { return nil }
        index += 1
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "_"):
        guard skippingWords else { return nil }
        index += 1
      default:
        return nil
      }
    }
    return nil
  }
}
