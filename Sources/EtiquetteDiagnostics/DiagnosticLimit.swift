/// How many diagnostics one file shows: a bounded report whatever the input.
///
/// A generated or corrupted file can yield one diagnostic per token (5,000 copies of a phrase,
/// 20,000 unknown labels): printing each with its source line made `etiquette check` take
/// minutes and print gigabytes. Past the first `perFile` of a file, one note says how many were
/// left out; the first ones are the ones to fix, and fixing them usually removes the rest.
public enum DiagnosticLimit {
  public static let perFile = 100
  public static let omittedCode: DiagnosticCode = "N001"

  public static let explanation = CodeExplanation(
    omittedCode, title: "more diagnostics not shown",
    explanation: """
      A file reports at most \(perFile) diagnostics; this note closes the file's list and says \
      how many more errors and warnings were found but not shown. Errors are shown before \
      warnings, so a file with errors never shows only warnings, and the counts in the summary \
      line include the ones left out. Fix the diagnostics shown and check again: a long list \
      usually comes from one mistake repeated (a generated file, a pasted list, a file that is \
      not a rule file), and fixing it removes the rest.
      """,
    example: "label \"Doublons\" { when message contains any [\"merci\", \"merci\", … × 500] }")

  /// At most `limit` diagnostics of each file, errors kept before warnings and notes, each
  /// file's in position order, followed by a note when some were left out. `diagnostics` must
  /// be sorted by position (`sortedByPosition`); the result is too, but for the notes, each
  /// of which ends its file's list.
  public static func capped(_ diagnostics: [Diagnostic], perFile limit: Int = perFile)
    -> [Diagnostic]
  {
    var byFile: [SourceFileID: [Diagnostic]] = [:]
    var files: [SourceFileID] = []
    for diagnostic in diagnostics {
      if byFile[diagnostic.span.file] == nil { files.append(diagnostic.span.file) }
      byFile[diagnostic.span.file, default: []].append(diagnostic)
    }
    guard files.contains(where: { (byFile[$0]?.count ?? 0) > limit }) else { return diagnostics }
    var out: [Diagnostic] = []
    for file in files {
      let all = byFile[file] ?? []
      guard all.count > limit else {
        out += all
        continue
      }
      // Errors first: `check` must not look clean because warnings filled the list.
      let errors = all.indices.filter { all[$0].severity == .error }
      let others = all.indices.filter { all[$0].severity != .error }
      let kept = Set(errors.prefix(limit) + others.prefix(max(0, limit - errors.count)))
      let omitted = all.indices.filter { !kept.contains($0) }.map { all[$0] }
      out += all.indices.filter(kept.contains).map { all[$0] }
      out.append(note(omitting: omitted))
    }
    return out
  }

  /// "4999 more warnings not shown", "2 more errors and 1 more warning not shown": at the first
  /// diagnostic left out.
  static func note(omitting omitted: [Diagnostic]) -> Diagnostic {
    let errors = omitted.count { $0.severity == .error }
    let others = omitted.count - errors
    func more(_ count: Int, _ word: String) -> String {
      "\(count) more \(word)\(count == 1 ? "" : "s")"
    }
    var parts: [String] = []
    if errors > 0 { parts.append(more(errors, "error")) }
    if others > 0 { parts.append(more(others, "warning")) }
    let first = omitted.first?.span ?? .unknown
    return Diagnostic(
      omittedCode, severity: .note, "\(parts.joined(separator: " and ")) not shown",
      at: SourceSpan(file: first.file, start: first.start, end: first.start),
      label: "the first one left out is here",
      help: "fix the diagnostics shown and check again (at most \(perFile) are shown per file)")
  }
}
