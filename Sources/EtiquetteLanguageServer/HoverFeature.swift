import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteSyntax
import EtiquetteText

/// Hover: what a name, phrase, regex or keyword means in this rule set, in Markdown.
enum HoverFeature {
  static func hover(_ analysis: RuleSetAnalysis, _ file: SourceFile, _ offset: Int) -> Hover? {
    if let symbol = analysis.index.occurrence(at: offset, in: file.id) {
      guard let text = describe(symbol, analysis) else { return nil }
      return Hover(contents: MarkupContent(value: text), range: file.range(of: symbol.span))
    }
    let literals = RuleLiterals(analysis)
    if let phrase = literals.phrases.first(where: { $0.literal.span.contains(offset, in: file.id) })
    {
      return Hover(
        contents: MarkupContent(value: describe(phrase, literals)),
        range: file.range(of: phrase.literal.span))
    }
    if let regex = literals.regexes.first(where: { $0.literal.span.contains(offset, in: file.id) })
    {
      return Hover(
        contents: MarkupContent(value: describe(regex.literal, analysis)),
        range: file.range(of: regex.literal.span))
    }
    let tokens = Lexer.tokenize(file).tokens
    if let token = tokens.first(where: {
      $0.kind == .identifier && $0.span.contains(offset, in: file.id)
    }),
      let meaning = Keywords.meaning[token.text]
    {
      return Hover(
        contents: MarkupContent(value: "`\(token.text)`: \(meaning)"),
        range: file.range(of: token.span))
    }
    return nil
  }

  // MARK: Names

  static func describe(_ symbol: SymbolOccurrence, _ analysis: RuleSetAnalysis) -> String? {
    let items = analysis.parsed.flatMap(\.ruleFile.items)
    switch symbol.category {
    case .label: return describeLabel(symbol.name, items: items, analysis)
    case .team: return describeTeam(symbol.name, items: items, analysis)
    case .member: return describeMember(symbol.name, analysis)
    case .hours:
      for case .hours(let decl) in items where decl.name.value == symbol.name {
        let lines = decl.entries.map { "- `\(text(of: $0.span, analysis))`" }
        return "**hours \"\(symbol.name)\"**\n\n" + lines.joined(separator: "\n")
      }
    case .event:
      for case .event(let decl) in items where decl.name.value == symbol.name {
        let fields = decl.fields.map { "- `\(text(of: $0.span, analysis))`" }
        return "**event \"\(symbol.name)\"**\n\n"
          + (fields.isEmpty ? "no fields" : fields.joined(separator: "\n"))
      }
    case .contactAttribute:
      for case .contact(let decl) in items {
        for attribute in decl.attributes where attribute.name.name == symbol.name {
          return "**contact.\(symbol.name)**: `\(text(of: attribute.type.span, analysis))`"
        }
      }
    case .eventField:
      for case .event(let decl) in items {
        for field in decl.fields where field.name.name == symbol.name {
          return
            "**event.\(symbol.name)** in \"\(decl.name.value)\": `\(text(of: field.type.span, analysis))`"
        }
      }
    case .test:
      return "**test \"\(symbol.name)\"**: run it with the code lens or `etiquette test`"
    }
    return "\(symbol.category.noun) \"\(symbol.name)\" is not declared"
  }

  static func describeLabel(_ name: String, items: [Item], _ analysis: RuleSetAnalysis) -> String {
    var lines = ["**label \"\(name)\"**"]
    guard
      let decl = items.compactMap({ item -> LabelDecl? in
        if case .label(let d) = item, d.name.value == name { return d }
        return nil
      }).first
    else {
      return "label \"\(name)\" is not declared"
    }
    var triggers: [String] = []
    for clause in decl.clauses {
      switch clause.kind {
      case .color(let color): lines.append("colour `\(color.value)`")
      case .description(let description): lines.append(description.value)
      case .when, .removeWhen: triggers.append("- `\(text(of: clause.span, analysis))`")
      case .was(let former): lines.append("formerly \"\(former.value)\"")
      }
    }
    if !triggers.isEmpty { lines.append("Triggers:\n" + triggers.joined(separator: "\n")) }
    var access: [String] = []
    for case .team(let team) in items {
      var best: AccessLevel?
      for clause in team.clauses {
        guard case .grant(let level, let scope) = clause.kind else { continue }
        let covers =
          switch scope {
          case .all: true
          case .allExcept(let excluded): !excluded.contains { $0.value == name }
          case .labels(let included): included.contains { $0.value == name }
          }
        if covers, best.map({ level.value > $0 }) ?? true { best = level.value }
      }
      if let best { access.append("\"\(team.name.value)\" can \(best.rawValue)") }
    }
    lines.append(
      access.isEmpty
        ? "No team can see conversations with this label."
        : "Teams: " + access.joined(separator: ", "))
    var routing: [String] = []
    for case .routing(let decl) in items {
      for entry in decl.entries {
        guard case .rule(let condition, _) = entry.kind, mentions(condition, label: name) else {
          continue
        }
        routing.append("- `\(text(of: entry.span, analysis))`")
      }
    }
    if !routing.isEmpty { lines.append("Routing rules:\n" + routing.joined(separator: "\n")) }
    return lines.joined(separator: "\n\n")
  }

  static func describeTeam(_ name: String, items: [Item], _ analysis: RuleSetAnalysis) -> String {
    var lines = ["**team \"\(name)\"**"]
    for case .team(let decl) in items where decl.name.value == name {
      for clause in decl.clauses {
        lines.append("- `\(text(of: clause.span, analysis))`")
      }
    }
    if let ruleSet = analysis.ruleSet, let team = ruleSet.team(named: name) {
      let sentences = AccessExplanation.sentences(for: ruleSet).split(separator: "\n")
      let members = sentences.filter { line in team.members.contains { line.hasPrefix($0 + " ") } }
      if !members.isEmpty { lines.append(members.joined(separator: "\n\n")) }
    }
    return lines.joined(separator: "\n")
  }

  static func describeMember(_ email: String, _ analysis: RuleSetAnalysis) -> String {
    guard let ruleSet = analysis.ruleSet else {
      return "**\(email)**: rights are shown once the rule set checks without errors"
    }
    let sentence = AccessExplanation.sentences(for: ruleSet).split(separator: "\n")
      .first { $0.hasPrefix(email + " ") }
    return "**\(email)**\n\n" + (sentence.map(String.init) ?? "no team lists this member")
  }

  static func mentions(_ condition: Condition, label: String) -> Bool {
    switch condition {
    case .and(let a, let b, _), .or(let a, let b, _):
      mentions(a, label: label) || mentions(b, label: label)
    case .not(let c, _), .parenthesized(let c, _): mentions(c, label: label)
    case .atom(let atom):
      if case .label(let name) = atom.kind { name.value == label } else { false }
    }
  }

  // MARK: Literals

  static func describe(_ phrase: RuleLiterals.Phrase, _ literals: RuleLiterals) -> String {
    let normalised = Normalizer.normalize(phrase.literal.value).string
    var text = "**phrase** matches `\(normalised)` (case, accents, quotes and spacing ignored)"
    let others = Set(
      literals.phrases.filter {
        $0.label != phrase.label && Normalizer.normalize($0.literal.value).string == normalised
      }.map(\.label)
    ).sorted()
    if !others.isEmpty {
      text += "\n\nAlso in: " + others.map { "\"\($0)\"" }.joined(separator: ", ")
    }
    return text
  }

  static func describe(_ regex: RegexLiteral, _ analysis: RuleSetAnalysis) -> String {
    let flagNames: [Character: String] = [
      "i": "case-insensitive", "m": "multi-line", "s": "dot matches newlines",
      "x": "extended (white space ignored)", "u": "Unicode",
    ]
    let flags = regex.flags.map { flagNames[$0] ?? "unknown flag `\($0)`" }
    var text =
      "**pattern** `/\(regex.pattern)/`\n\nflags: "
      + (flags.isEmpty ? "none" : flags.joined(separator: ", "))
    for diagnostic in analysis.diagnostics
    where diagnostic.severity == .warning && diagnostic.span.overlaps(regex.span) {
      text += "\n\n⚠ \(diagnostic.code): \(diagnostic.message)"
    }
    return text
  }

  static func text(of span: SourceSpan, _ analysis: RuleSetAnalysis) -> String {
    analysis.sources[span.file]?.text(of: span).replacingOccurrences(of: "`", with: "'") ?? ""
  }
}

/// The phrases and patterns of every label, with the label that holds them.
struct RuleLiterals {
  struct Phrase {
    var label: String
    var literal: StringLiteral
    /// Written in a list (`contains any [...]`), not alone (`contains "…"`).
    var inList: Bool
  }
  struct Pattern {
    var label: String?
    var literal: RegexLiteral
  }
  var phrases: [Phrase] = []
  var regexes: [Pattern] = []

  init(_ analysis: RuleSetAnalysis) {
    for item in analysis.parsed.flatMap(\.ruleFile.items) {
      switch item {
      case .label(let decl):
        for clause in decl.clauses {
          switch clause.kind {
          case .when(let c), .removeWhen(let c): collect(c, owner: decl.name.value)
          case .color, .description, .was: break
          }
        }
      case .routing(let decl):
        for entry in decl.entries {
          if case .rule(let condition, _) = entry.kind { collect(condition, owner: nil) }
        }
      case .contact, .event, .hours, .team, .test, .synonyms, .language: break
      }
    }
  }

  private mutating func collect(_ condition: Condition, owner: String?) {
    switch condition {
    case .and(let a, let b, _), .or(let a, let b, _):
      collect(a, owner: owner)
      collect(b, owner: owner)
    case .not(let c, _), .parenthesized(let c, _): collect(c, owner: owner)
    case .atom(let atom):
      switch atom.kind {
      case .messageContains(let quantifier, let list, _):
        for phrase in list {
          phrases.append(
            Phrase(label: owner ?? "routing", literal: phrase, inList: quantifier != .one))
        }
      case .messageMatches(let regex): regexes.append(Pattern(label: owner, literal: regex))
      case .comparison, .event, .label, .modeIs, .during: break
      }
    }
  }
}

extension SourceSpan {
  /// Whether a byte offset is inside the span or just after it (where a cursor stands).
  func contains(_ offset: Int, in file: SourceFileID) -> Bool {
    self.file == file && start <= offset && offset <= end
  }

  func overlaps(_ other: SourceSpan) -> Bool {
    file == other.file && start < other.end && other.start < end
  }
}
