import EtiquetteDiagnostics
import EtiquetteFormat

/// Whole-document formatting with the project's formatter (`etiquette fmt`). A file with syntax
/// errors is left alone: the formatter needs a tree that parsed.
enum FormattingFeature {
  static func format(_ analysis: RuleSetAnalysis, _ file: SourceFile) -> [TextEdit] {
    let parsed = analysis.parsed[file.id.rawValue]
    guard !parsed.diagnostics.hasErrors else { return [] }
    let text = Formatter.format(parsed.ruleFile, source: file)
    guard Array(text.utf8) != file.bytes else { return [] }
    let whole = Range(
      start: Position(line: 0, character: 0), end: file.position(ofOffset: file.bytes.count))
    return [TextEdit(range: whole, newText: text)]
  }
}
