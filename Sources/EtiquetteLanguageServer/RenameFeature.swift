import EtiquetteDiagnostics

/// Rename of a label, team, hours or event in every file of the rule set: its declaration and
/// every `label "X"`-style reference. A new name already taken by another of the same kind is
/// refused, since the two would merge silently.
enum RenameFeature {
  static let renamable: Set<SymbolCategory> = [.label, .team, .hours, .event]

  static func prepare(_ analysis: RuleSetAnalysis, _ file: SourceFile, _ offset: Int)
    throws(ResponseError) -> PrepareRenameResult?
  {
    let symbol = try renamableSymbol(analysis, file, offset)
    return PrepareRenameResult(range: file.range(of: symbol.span), placeholder: symbol.name)
  }

  static func rename(
    _ analysis: RuleSetAnalysis, _ file: SourceFile, _ offset: Int, to newName: String
  ) throws(ResponseError) -> WorkspaceEdit? {
    let symbol = try renamableSymbol(analysis, file, offset)
    // Editors hand over what was typed in the prompt; quotes around it are not part of the name.
    var name = newName
    if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
      name = String(name.dropFirst().dropLast())
    }
    guard !name.isEmpty, !name.contains("\n") else {
      throw ResponseError(.invalidParams, "a \(symbol.category.noun) name cannot be empty")
    }
    if name != symbol.name, !analysis.index.declarations(of: symbol.category, named: name).isEmpty {
      throw ResponseError(
        .requestFailed, "a \(symbol.category.noun) named \"\(name)\" already exists")
    }
    let literal = "\"" + escaped(name) + "\""
    var changes: [String: [TextEdit]] = [:]
    for occurrence in analysis.index.occurrences(of: symbol) {
      guard let owner = analysis.sources[occurrence.span.file] else { continue }
      changes[analysis.uri(of: owner.id), default: []].append(
        TextEdit(range: owner.range(of: occurrence.span), newText: literal))
    }
    return WorkspaceEdit(changes: changes)
  }

  private static func renamableSymbol(
    _ analysis: RuleSetAnalysis, _ file: SourceFile, _ offset: Int
  )
    throws(ResponseError) -> SymbolOccurrence
  {
    guard let symbol = analysis.index.occurrence(at: offset, in: file.id),
      renamable.contains(symbol.category)
    else {
      throw ResponseError(.requestFailed, "only labels, teams, hours and events can be renamed")
    }
    return symbol
  }

  /// The string escapes of the language, so any name round-trips.
  static func escaped(_ name: String) -> String {
    var out = ""
    for character in name {
      switch character {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      default: out.append(character)
      }
    }
    return out
  }
}
