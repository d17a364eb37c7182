import EtiquetteDiagnostics
import EtiquetteSyntax

/// What a name in a rule file names.
public enum SymbolCategory: String, Sendable, Hashable, CaseIterable {
  case label, team, member, hours, event, contactAttribute, eventField, test

  /// The word used in messages ("label", "contact attribute").
  var noun: String {
    switch self {
    case .contactAttribute: "contact attribute"
    case .eventField: "event field"
    default: rawValue
    }
  }

  /// Names written as strings (quotes included in their spans) rather than bare identifiers.
  var isQuoted: Bool {
    switch self {
    case .contactAttribute, .eventField: false
    default: true
    }
  }
}

/// One place where a name is written: its declaration or a reference to it.
public struct SymbolOccurrence: Sendable, Hashable {
  public var category: SymbolCategory
  public var name: String
  /// The literal as written (quotes included for string names).
  public var span: SourceSpan
  public var isDeclaration: Bool
}

/// Every declaration of and reference to a name in a rule set, built from the parsed files (so it
/// works on files the checker rejected, too).
public struct SymbolIndex: Sendable {
  public private(set) var occurrences: [SymbolOccurrence] = []
  private var byFile: [SourceFileID: [Int]] = [:]

  public init(files: [RuleFile]) {
    for file in files {
      for item in file.items { add(item) }
    }
    for (index, occurrence) in occurrences.enumerated() {
      byFile[occurrence.span.file, default: []].append(index)
    }
  }

  /// The occurrence under a byte offset (its end included, so a cursor just after a name counts).
  public func occurrence(at offset: Int, in file: SourceFileID) -> SymbolOccurrence? {
    let candidates = (byFile[file] ?? []).map { occurrences[$0] }
    return candidates.filter { $0.span.start <= offset && offset <= $0.span.end }
      .min { $0.span.length < $1.span.length }
  }

  public func occurrences(in file: SourceFileID) -> [SymbolOccurrence] {
    (byFile[file] ?? []).map { occurrences[$0] }
  }

  /// Every occurrence of the same name and category.
  public func occurrences(of symbol: SymbolOccurrence) -> [SymbolOccurrence] {
    occurrences.filter { $0.category == symbol.category && $0.name == symbol.name }
  }

  /// The declarations of a name: the first one first.
  public func declarations(of category: SymbolCategory, named name: String) -> [SymbolOccurrence] {
    occurrences.filter { $0.isDeclaration && $0.category == category && $0.name == name }
  }

  /// Declared names of one category, each once, in declaration order.
  public func declaredNames(_ category: SymbolCategory) -> [String] {
    var seen = Set<String>()
    return occurrences.filter { $0.isDeclaration && $0.category == category }
      .map(\.name).filter { seen.insert($0).inserted }
  }

  // MARK: Building

  private mutating func note(
    _ category: SymbolCategory, _ name: String, _ span: SourceSpan, declaration: Bool = false
  ) {
    occurrences.append(
      SymbolOccurrence(category: category, name: name, span: span, isDeclaration: declaration))
  }

  private mutating func note(
    _ category: SymbolCategory, _ literal: StringLiteral, declaration: Bool = false
  ) {
    note(category, literal.value, literal.span, declaration: declaration)
  }

  private mutating func add(_ item: Item) {
    switch item {
    case .contact(let decl):
      for attribute in decl.attributes {
        note(.contactAttribute, attribute.name.name, attribute.name.span, declaration: true)
      }
    case .event(let decl):
      note(.event, decl.name, declaration: true)
      for field in decl.fields {
        note(.eventField, field.name.name, field.name.span, declaration: true)
      }
    case .hours(let decl):
      note(.hours, decl.name, declaration: true)
    case .label(let decl):
      note(.label, decl.name, declaration: true)
      for clause in decl.clauses {
        switch clause.kind {
        case .when(let condition), .removeWhen(let condition): add(condition)
        case .color, .description, .was: break
        }
      }
    case .team(let decl):
      note(.team, decl.name, declaration: true)
      for clause in decl.clauses {
        switch clause.kind {
        case .members(let members):
          for member in members { note(.member, member, declaration: true) }
        case .grant(_, let scope):
          switch scope {
          case .all: break
          case .allExcept(let labels), .labels(let labels):
            for label in labels { note(.label, label) }
          }
        }
      }
    case .routing(let decl):
      for entry in decl.entries {
        if case .rule(let condition, let target) = entry.kind {
          add(condition)
          if let team = target.team { note(.team, team) }
        }
      }
    case .test(let decl):
      note(.test, decl.name, declaration: true)
      for entry in decl.entries { add(entry) }
    case .synonyms, .language: break
    }
  }

  private mutating func add(_ condition: Condition) {
    switch condition {
    case .and(let a, let b, _), .or(let a, let b, _):
      add(a)
      add(b)
    case .not(let c, _), .parenthesized(let c, _):
      add(c)
    case .atom(let atom):
      switch atom.kind {
      case .label(let name): note(.label, name)
      case .event(let name): note(.event, name)
      case .during(let name): note(.hours, name)
      case .comparison(let path, _, _):
        switch path.subject.value {
        case .contact: note(.contactAttribute, path.field.name, path.field.span)
        case .event: note(.eventField, path.field.name, path.field.span)
        case .message: break
        }
      case .messageContains, .messageMatches, .modeIs: break
      }
    }
  }

  private mutating func add(_ entry: TestEntry) {
    switch entry {
    case .step(let step):
      switch step.kind {
      case .contact(let object):
        for field in object.fields { note(.contactAttribute, field.key.name, field.key.span) }
      case .event(let name, let fields):
        note(.event, name)
        for field in fields?.fields ?? [] {
          note(.eventField, field.key.name, field.key.span)
        }
      case .agent(let member, let action):
        note(.member, member)
        switch action {
        case .addsLabel(let label), .removesLabel(let label): note(.label, label)
        case .takesOver, .transfersToAI, .keepsHumanAndLeaves, .replies, .notes: break
        }
      case .at, .customerSays, .customerSends: break
      }
    case .expectation(let expectation):
      switch expectation.kind {
      case .labels(let labels):
        for label in labels { note(.label, label) }
      case .label(let label), .noLabel(let label): note(.label, label)
      case .route(let route):
        if let team = route.team { note(.team, team) }
      case .notify(let member): note(.member, member)
      case .access(let member, _, _): note(.member, member)
      case .mode: break
      }
    }
  }
}
