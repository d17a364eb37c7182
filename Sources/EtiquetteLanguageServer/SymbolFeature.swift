import EtiquetteDiagnostics
import EtiquetteSyntax
import Foundation

/// The outline of a file (labels, teams, hours, events, contact, routing, tests) and the search
/// over every declaration of the workspace.
enum SymbolFeature {
  static func documentSymbols(_ analysis: RuleSetAnalysis, _ file: SourceFile) -> [DocumentSymbol] {
    guard let ruleFile = analysis.ruleFile(file.id) else { return [] }
    return ruleFile.items.map { item in
      let (name, kind, selection) = describe(item)
      var children: [DocumentSymbol]?
      switch item {
      case .contact(let decl):
        children = decl.attributes.map { attribute in
          DocumentSymbol(
            name: attribute.name.name, detail: nil, kind: SymbolKind.field.rawValue,
            range: file.range(of: attribute.span),
            selectionRange: file.range(of: attribute.name.span),
            children: nil)
        }
      case .event(let decl):
        children = decl.fields.map { field in
          DocumentSymbol(
            name: field.name.name, detail: nil, kind: SymbolKind.field.rawValue,
            range: file.range(of: field.span), selectionRange: file.range(of: field.name.span),
            children: nil)
        }
      case .synonyms(let decl):
        children = decl.pairs.map { pair in
          DocumentSymbol(
            name: pair.written.value, detail: pair.meaning.value,
            kind: SymbolKind.constant.rawValue, range: file.range(of: pair.span),
            selectionRange: file.range(of: pair.written.span), children: nil)
        }
      case .hours, .label, .team, .routing, .test, .language: break
      }
      return DocumentSymbol(
        name: name, detail: item.keyword, kind: kind.rawValue, range: file.range(of: item.span),
        selectionRange: file.range(of: selection), children: children)
    }
  }

  /// Declarations whose name contains the query, ignoring case and accents.
  static func workspaceSymbols(_ analysis: RuleSetAnalysis, query: String) -> [SymbolInformation] {
    let wanted = CompletionFeature.fold(query)
    var symbols: [SymbolInformation] = []
    for parsed in analysis.parsed {
      guard let file = analysis.sources[parsed.ruleFile.file] else { continue }
      for item in parsed.ruleFile.items {
        let (name, kind, selection) = describe(item)
        guard wanted.isEmpty || CompletionFeature.fold(name).contains(wanted) else { continue }
        symbols.append(
          SymbolInformation(
            name: name, kind: kind.rawValue,
            location: Location(uri: analysis.uri(of: file.id), range: file.range(of: selection)),
            containerName: item.keyword))
      }
    }
    return symbols
  }

  static func describe(_ item: Item) -> (String, SymbolKind, SourceSpan) {
    switch item {
    case .contact(let d): ("contact", .object, d.span)
    case .event(let d): (d.name.value, .event, d.name.span)
    case .hours(let d): (d.name.value, .constant, d.name.span)
    case .label(let d): (d.name.value, .enumMember, d.name.span)
    case .team(let d): (d.name.value, .class, d.name.span)
    case .routing(let d): ("routing", .namespace, d.span)
    case .test(let d): (d.name.value, .function, d.name.span)
    case .synonyms(let d): ("synonyms", .namespace, d.span)
    case .language(let d): (d.language.value.rawValue, .constant, d.language.span)
    }
  }
}
