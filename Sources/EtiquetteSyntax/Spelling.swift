/// Did-you-mean suggestions for misspelt keywords.
public enum Spelling {
  /// Optimal-string-alignment distance: insertions, deletions, substitutions and transpositions
  /// of adjacent characters each cost 1 (so `lables` is one edit from `labels`).
  public static func distance(_ a: String, _ b: String) -> Int {
    let x = Array(a.lowercased())
    let y = Array(b.lowercased())
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var previous2 = [Int](repeating: 0, count: y.count + 1)
    var previous = Array(0...y.count)
    var row = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
      row[0] = i
      for j in 1...y.count {
        let cost = x[i - 1] == y[j - 1] ? 0 : 1
        row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
        if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
          row[j] = min(row[j], previous2[j - 2] + 1)
        }
      }
      (previous2, previous, row) = (previous, row, previous2)
    }
    return previous[y.count]
  }

  /// The closest candidate within a small distance (1 for short words, 2 otherwise), or nil.
  public static func suggestion(for word: String, among candidates: [String]) -> String? {
    // Very long words are never typos of a keyword; skip them to keep this cheap.
    guard word.count <= 40 else { return nil }
    let limit = word.count <= 3 ? 1 : 2
    var best: (word: String, distance: Int)?
    for candidate in candidates where candidate != word {
      let d = distance(word, candidate)
      if d <= limit, d < (best?.distance ?? Int.max) { best = (candidate, d) }
    }
    return best?.word
  }
}
