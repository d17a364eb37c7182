/// How many spelling mistakes a word of a `typos` phrase tolerates (issue 19), and the edit
/// distance they are counted in. Shared by the matcher and the checker's warnings.
public enum TypoBudget {
  /// 0 under 5 letters or with a digit (numbers, codes), 1 from 5 to 8 letters, 2 from 9.
  /// (Inlinable: unspecialised, this generic call was half of compiling a `typos` rule set.)
  @inlinable
  public static func edits(for word: some Collection<UInt8>) -> Int {
    if word.contains(where: { $0 &- 0x30 < 10 }) { return 0 }
    switch word.count {
    case ..<5: return 0
    case 5...8: return 1
    default: return 2
    }
  }

  /// The optimal-string-alignment distance: insertions, deletions, substitutions and
  /// transpositions of neighbours each count one.
  public static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var before = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var row = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      row[0] = i
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
        if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
          row[j] = min(row[j], before[j - 2] + 1)
        }
      }
      (before, previous, row) = (previous, row, before)
    }
    return previous[b.count]
  }
}
