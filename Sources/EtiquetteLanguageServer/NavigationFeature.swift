import EtiquetteDiagnostics

/// Go to definition and find references: labels, teams, members, hours, events, contact
/// attributes and event fields, across every file of the rule set.
enum NavigationFeature {
  static func definition(_ analysis: RuleSetAnalysis, _ file: SourceFile, _ offset: Int)
    -> [Location]?
  {
    guard let symbol = analysis.index.occurrence(at: offset, in: file.id) else { return nil }
    let declarations = analysis.index.declarations(of: symbol.category, named: symbol.name)
    // A member is "declared" in every team that lists it; the first listing is its definition.
    let shown = symbol.category == .member ? Array(declarations.prefix(1)) : declarations
    return shown.compactMap { location(of: $0.span, in: analysis) }
  }

  static func references(
    _ analysis: RuleSetAnalysis, _ file: SourceFile, _ offset: Int, includeDeclaration: Bool
  ) -> [Location]? {
    guard let symbol = analysis.index.occurrence(at: offset, in: file.id) else { return nil }
    return analysis.index.occurrences(of: symbol)
      .filter { includeDeclaration || !$0.isDeclaration }
      .compactMap { location(of: $0.span, in: analysis) }
  }

  static func location(of span: SourceSpan, in analysis: RuleSetAnalysis) -> Location? {
    guard let file = analysis.sources[span.file] else { return nil }
    return Location(uri: analysis.uri(of: file.id), range: file.range(of: span))
  }
}
