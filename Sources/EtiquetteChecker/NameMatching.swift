import Foundation

/// Finds the closest known name for a "did you mean" help line. Names are compared folded
/// (lowercase, accents removed), so "Suport technique" finds "Support Technique".
enum NameMatching {
  /// Lowercase without diacritics, for comparison only.
  static func fold(_ s: String) -> String {
    s.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
  }

  /// The candidate closest to `name`, if close enough: equal once folded, or within an edit
  /// distance of about a third of the name's length. Ties keep the first candidate.
  static func closest(to name: String, among candidates: [String]) -> String? {
    closest(to: name, amongFolded: candidates.map { ($0, Array(fold($0))) })
  }

  static func closest(to name: String, amongFolded candidates: [(String, [Character])])
    -> String?
  {
    var unlimited = Int.max
    return closest(to: name, amongFolded: candidates, budget: &unlimited)
  }

  /// The same search, spending one unit of `budget` per edit distance computed and stopping
  /// (with the closest name found so far) when it runs out.
  static func closest(
    to name: String, amongFolded candidates: [(String, [Character])], budget: inout Int
  ) -> String? {
    let target = Array(fold(name))
    // Short names tolerate one edit; longer ones a third of their length, at most four.
    let limit = min(4, max(1, target.count / 3))
    var best: (name: String, distance: Int)?
    for (candidate, folded) in candidates where candidate != name {
      if abs(folded.count - target.count) > limit { continue }
      guard budget > 0 else { break }
      budget -= 1
      let d = distance(target, folded, limit: limit)
      if d <= limit, d < (best?.distance ?? Int.max) { best = (candidate, d) }
    }
    return best?.name
  }

  /// Edit distance counting a swap of two neighbours as one edit ("vpi" → "vip"), giving up
  /// (returning `limit + 1`) once every cell of a row exceeds the limit.
  static func distance(_ a: [Character], _ b: [Character], limit: Int) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var beforePrevious = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      var rowMin = current[0]
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          value = min(value, beforePrevious[j - 2] + 1)
        }
        current[j] = value
        rowMin = min(rowMin, value)
      }
      if rowMin > limit { return limit + 1 }
      (beforePrevious, previous, current) = (previous, current, beforePrevious)
    }
    return previous[b.count]
  }
}
