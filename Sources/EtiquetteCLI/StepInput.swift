import Foundation

/// The lines of a steps file (`--input`) or of standard input, shared by `run` and `diff`.
enum StepInput {
  /// Lines without their terminator; a missing or unreadable file is a usage error.
  static func lines(from path: String?) throws(UsageError) -> AnyIterator<String> {
    guard let path else { return AnyIterator { readLine(strippingNewline: true) } }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw UsageError(description: "cannot read \(path)")
    }
    var all = String(decoding: data, as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: false
    ).map(String.init)
    if all.last == "" { all.removeLast() }
    return AnyIterator(all.makeIterator())
  }
}
