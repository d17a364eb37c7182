/// A line diff of two texts in hunks with context, as `diff -u` shows it: what the console's
/// history shows between two versions of a rule file.
struct TextDifference: Sendable, Equatable {
  struct Line: Sendable, Equatable {
    enum Kind: String, Sendable { case same = " ", removed = "-", added = "+" }
    var kind: Kind
    var text: String
    /// 1-based line numbers in the old and the new text (nil on the side it is not in).
    var old: Int?
    var new: Int?
  }

  struct Hunk: Sendable, Equatable {
    var lines: [Line]
    /// `@@ -3,7 +3,8 @@`.
    var header: String {
      func range(_ numbers: [Int]) -> String {
        guard let first = numbers.first else { return "0,0" }
        return "\(first),\(numbers.count)"
      }
      return "@@ -\(range(lines.compactMap(\.old))) +\(range(lines.compactMap(\.new))) @@"
    }
  }

  var hunks: [Hunk]
  var added: Int
  var removed: Int

  init(old: String, new: String, context: Int = 3) {
    let before = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let after = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    // Swift's diff (Myers) of the two line arrays: which old lines go, which new lines come.
    let difference = after.difference(from: before)
    var removedLines = Set<Int>()
    var addedLines = Set<Int>()
    for change in difference {
      switch change {
      case .remove(let offset, _, _): removedLines.insert(offset)
      case .insert(let offset, _, _): addedLines.insert(offset)
      }
    }
    var lines: [Line] = []
    var i = 0
    var j = 0
    while i < before.count || j < after.count {
      if i < before.count, removedLines.contains(i) {
        lines.append(Line(kind: .removed, text: before[i], old: i + 1, new: nil))
        i += 1
      } else if j < after.count, addedLines.contains(j) {
        lines.append(Line(kind: .added, text: after[j], old: nil, new: j + 1))
        j += 1
      } else {
        lines.append(
          Line(kind: .same, text: i < before.count ? before[i] : "", old: i + 1, new: j + 1))
        i += 1
        j += 1
      }
    }
    // Hunks: each change with `context` unchanged lines around it, overlapping ones merged.
    var hunks: [Hunk] = []
    var index = 0
    while index < lines.count {
      guard lines[index].kind != .same else {
        index += 1
        continue
      }
      var end = index
      var last = index
      while end < lines.count {
        if lines[end].kind != .same { last = end }
        if end - last > 2 * context { break }
        end += 1
      }
      let from = max(0, index - context)
      let to = min(lines.count, last + context + 1)
      hunks.append(Hunk(lines: Array(lines[from..<to])))
      index = to
    }
    self.hunks = hunks
    added = addedLines.count
    removed = removedLines.count
  }

  var isEmpty: Bool { hunks.isEmpty }
}
