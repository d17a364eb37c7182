import EtiquetteDiagnostics
import EtiquetteSyntax

/// The file's comments, each handed out exactly once as the printer reaches its place.
///
/// INVARIANT: a comment is returned by at most one `take…` call, and `takeAll()` at the end of
/// the file returns whatever is left, so no comment is ever lost or printed twice.
struct CommentQueue {
  private let comments: [Comment]
  private var consumed: [Bool]
  /// Every comment before this index is consumed, so scans start here (keeps printing a file
  /// with thousands of comments linear).
  private var firstPending = 0
  private let bytes: [UInt8]

  init(_ comments: [Comment], source: SourceFile) {
    self.comments = comments.sorted { $0.span.start < $1.span.start }
    self.consumed = Array(repeating: false, count: comments.count)
    self.bytes = source.bytes
  }

  /// Index of the first pending-or-later comment starting at or after `offset`.
  private func firstIndex(atOrAfter offset: Int) -> Int {
    var low = firstPending
    var high = comments.count
    while low < high {
      let mid = (low + high) / 2
      if comments[mid].span.start < offset { low = mid + 1 } else { high = mid }
    }
    return low
  }

  /// Whether a comment not yet printed starts inside `range`.
  func hasComment(in range: Range<Int>) -> Bool {
    var index = firstIndex(atOrAfter: range.lowerBound)
    while index < comments.count, comments[index].span.start < range.upperBound {
      if !consumed[index] { return true }
      index += 1
    }
    return false
  }

  /// The comments not yet printed that start inside `range`, in source order.
  mutating func take(in range: Range<Int>) -> [Comment] {
    var taken: [Comment] = []
    var index = firstIndex(atOrAfter: range.lowerBound)
    while index < comments.count, comments[index].span.start < range.upperBound {
      if !consumed[index] {
        consumed[index] = true
        taken.append(comments[index])
      }
      index += 1
    }
    advancePending()
    return taken
  }

  /// Every comment not yet printed that starts before `offset` (earlier leftovers included, so
  /// an oddly placed comment moves down rather than disappearing).
  mutating func take(before offset: Int) -> [Comment] {
    take(in: 0..<max(0, offset))
  }

  /// Like `take(in:)` but skipping comments inside any of `excluded` (the brackets of lists that
  /// place their own comments).
  mutating func take(in range: Range<Int>, excluding excluded: [Range<Int>]) -> [Comment] {
    var taken: [Comment] = []
    var index = firstIndex(atOrAfter: range.lowerBound)
    while index < comments.count, comments[index].span.start < range.upperBound {
      let start = comments[index].span.start
      if !consumed[index], !excluded.contains(where: { $0.contains(start) }) {
        consumed[index] = true
        taken.append(comments[index])
      }
      index += 1
    }
    advancePending()
    return taken
  }

  /// The comment that ends the source line on which `offset` lies, if it starts before `limit`:
  /// it stays at the end of the corresponding output line.
  mutating func takeTrailing(after offset: Int, before limit: Int) -> Comment? {
    var index = firstIndex(atOrAfter: offset)
    while index < comments.count, consumed[index] { index += 1 }
    guard index < comments.count else { return nil }
    let comment = comments[index]
    guard !comment.isOnOwnLine, comment.span.start < limit else { return nil }
    let lower = min(max(offset, 0), bytes.count)
    let upper = min(max(comment.span.start, lower), bytes.count)
    guard !bytes[lower..<upper].contains(UInt8(ascii: "\n")) else { return nil }
    consumed[index] = true
    advancePending()
    return comment
  }

  private mutating func advancePending() {
    while firstPending < comments.count, consumed[firstPending] { firstPending += 1 }
  }

  /// Whatever was not printed yet, for the end of the file.
  mutating func takeAll() -> [Comment] { take(in: 0..<Int.max) }
}
