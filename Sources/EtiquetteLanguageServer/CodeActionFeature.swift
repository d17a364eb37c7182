import EtiquetteDiagnostics
import EtiquetteSyntax

/// Quick fixes from the checker's own diagnostics: its "did you mean" suggestions, "split into
/// two phrases" for a phrase holding a comma (W011), and "add a grant for this label" for a label
/// no team can see (W014).
enum CodeActionFeature {
  static func actions(_ analysis: RuleSetAnalysis, _ file: SourceFile, range: Range) -> [CodeAction]
  {
    let start = file.offset(of: range.start)
    let end = max(start, file.offset(of: range.end))
    var actions: [CodeAction] = []
    for diagnostic in analysis.diagnostics where diagnostic.span.file == file.id {
      // The diagnostic touches the requested range (a cursor counts when it stands on it).
      guard diagnostic.span.start <= end, start <= diagnostic.span.end else { continue }
      if let suggestion = didYouMean(diagnostic) {
        let written = file.text(of: diagnostic.span)
        let replacement =
          written.hasPrefix("\"")
          ? "\"\(RenameFeature.escaped(suggestion))\"" : suggestion
        actions.append(
          CodeAction(
            title: "Change to \(written.hasPrefix("\"") ? replacement : "`\(suggestion)`")",
            isPreferred: true,
            edit: edit(analysis, file, diagnostic.span, replacement)))
      }
      if diagnostic.code == "W011", let fix = splitPhrase(diagnostic, analysis, file) {
        actions.append(fix)
      }
      if diagnostic.code == "W014", let fix = addGrant(diagnostic, analysis, file) {
        actions.append(fix)
      }
    }
    return actions
  }

  /// The name in `did you mean "X"?` or ``did you mean `x`?``.
  static func didYouMean(_ diagnostic: Diagnostic) -> String? {
    guard let help = diagnostic.help, let marker = help.range(of: "did you mean ") else {
      return nil
    }
    let rest = help[marker.upperBound...]
    guard let open = rest.first, open == "\"" || open == "`" else { return nil }
    let closing = open == "\"" ? "\"?" : "`?"
    guard let close = rest.dropFirst().range(of: closing) else { return nil }
    return String(rest[rest.index(after: rest.startIndex)..<close.lowerBound])
  }

  /// W011's help ends with the list to write instead: `any ["a", "b"]`.
  static func splitPhrase(_ diagnostic: Diagnostic, _ analysis: RuleSetAnalysis, _ file: SourceFile)
    -> CodeAction?
  {
    guard let help = diagnostic.help, let open = help.range(of: "`any ["),
      let close = help.range(of: "]`", range: open.upperBound..<help.endIndex)
    else { return nil }
    let parts = String(help[open.upperBound..<close.lowerBound])
    let inList =
      RuleLiterals(analysis).phrases.first { $0.literal.span == diagnostic.span }?
      .inList ?? false
    return CodeAction(
      title: "Split into two phrases", isPreferred: false,
      edit: edit(analysis, file, diagnostic.span, inList ? parts : "any [\(parts)]"))
  }

  /// A `can view labels ["X"]` line at the end of the first team.
  static func addGrant(_ diagnostic: Diagnostic, _ analysis: RuleSetAnalysis, _ file: SourceFile)
    -> CodeAction?
  {
    let name = file.text(of: diagnostic.span)
    for parsed in analysis.parsed {
      for case .team(let team) in parsed.ruleFile.items {
        guard let teamFile = analysis.sources[team.span.file], team.span.end > team.span.start
        else { continue }
        // Before the closing brace, at the start of its line.
        let brace = team.span.end - 1
        let lineStart = teamFile.lineStarts[teamFile.line(ofOffset: brace) - 1]
        let insertion = SourceSpan(file: teamFile.id, start: lineStart, end: lineStart)
        let text = "  can view labels [\(name)]\n"
        return CodeAction(
          title: "Add a grant for this label to team \"\(team.name.value)\"", isPreferred: false,
          edit: edit(analysis, teamFile, insertion, text))
      }
    }
    return nil
  }

  static func edit(
    _ analysis: RuleSetAnalysis, _ file: SourceFile, _ span: SourceSpan, _ text: String
  ) -> WorkspaceEdit {
    WorkspaceEdit(changes: [
      analysis.uri(of: file.id): [TextEdit(range: file.range(of: span), newText: text)]
    ])
  }
}
