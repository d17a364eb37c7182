import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteSyntax
import Foundation

/// Completion in context, read from the tokens before the cursor: names after `label`, `team`,
/// `during` and `event`, message types after `message.type is`, contact attributes after
/// `contact.` and their values after `==`, event fields after `event.`, and otherwise the
/// keywords allowed in the enclosing block.
enum CompletionFeature {
  static func complete(_ analysis: RuleSetAnalysis, _ file: SourceFile, _ offset: Int)
    -> CompletionList
  {
    let tokens = Lexer.tokenize(file).tokens.filter { $0.kind != .endOfFile }
    // The token being typed, if the cursor is inside or at the end of one.
    let current = tokens.last { $0.span.start < offset && offset <= $0.span.end }
    let isTyping = current.map { $0.kind == .identifier || $0.kind == .string } ?? false
    let previous = tokens.filter {
      $0.span.end <= (isTyping ? current?.span.start ?? offset : offset)
    }
    let replaced =
      isTyping ? current.map { SourceSpan(file: file.id, start: $0.span.start, end: offset) } : nil
    let typed = replaced.map { file.text(of: $0) } ?? ""
    let range = file.range(of: replaced ?? SourceSpan(file: file.id, start: offset, end: offset))
    let block = enclosingBlock(analysis.ruleFile(file.id), offset: offset)

    var context = Context(typed: typed, range: range)
    let words = previous.suffix(4).map {
      $0.kind == .identifier ? $0.text : ($0.kind.spelling ?? "")
    }
    let last = words.last ?? ""
    let lastToken = previous.last

    if words.suffix(4) == ["message", ".", "type", "is"] || inMessageTypeList(previous) {
      context.add(MessageType.allCases.map(\.rawValue), kind: .enumMember, quoted: false)
    } else if words.suffix(2) == ["contact", "."] {
      context.add(analysis.index.declaredNames(.contactAttribute), kind: .field, quoted: false)
    } else if words.suffix(2) == ["event", "."] {
      context.add(analysis.index.declaredNames(.eventField), kind: .field, quoted: false)
    } else if words.count >= 4, words[words.count - 4] == "contact", words[words.count - 3] == ".",
      last == "==" || last == "!="
    {
      context.add(enumValues(of: words[words.count - 2], analysis), kind: .value, quoted: true)
    } else if last == "label" || last == "labels" || inLabelList(previous) {
      if !(block == nil && lastToken?.isFirstOnLine == true) {
        context.add(analysis.index.declaredNames(.label), kind: .enumMember, quoted: true)
      }
    } else if last == "team", !(block == nil && lastToken?.isFirstOnLine == true) {
      context.add(analysis.index.declaredNames(.team), kind: .class, quoted: true)
    } else if last == "during" {
      context.add(analysis.index.declaredNames(.hours), kind: .variable, quoted: true)
    } else if last == "event", block != nil {
      context.add(analysis.index.declaredNames(.event), kind: .event, quoted: true)
    } else if last == "agent" || last == "notify" {
      context.add(analysis.index.declaredNames(.member), kind: .value, quoted: true)
    } else if last == "->" || last == "default" || words.suffix(2) == ["mode", "is"]
      || words.suffix(2) == ["expect", "mode"]
    {
      context.add(["ai", "human"], kind: .keyword, quoted: false)
    } else if words.suffix(2) == ["expect", "route"] {
      context.add(["ai", "human", "unchanged"], kind: .keyword, quoted: false)
    } else if last == "priority" {
      context.add(Priority.allCases.map(\.rawValue), kind: .keyword, quoted: false)
    } else if last == "can" || last == "cannot" {
      context.add(AccessLevel.allCases.map(\.rawValue), kind: .keyword, quoted: false)
    } else if let next = Self.nextWords(words, afterString: lastToken?.kind == .string) {
      context.add(next, kind: .keyword, quoted: false)
    } else if ["when", "and", "or", "not", "("].contains(last) {
      context.add(Keywords.conditionStart, kind: .keyword, quoted: false)
    } else if current?.kind != .string {
      let keywords: [String] =
        switch block {
        case nil: Keywords.topLevel
        case .label: Keywords.label + Keywords.conditionContinuation
        case .team: Keywords.team
        case .routing: Keywords.routing + Keywords.conditionContinuation
        case .test: Keywords.test
        case .hours: Keywords.hours
        case .contact, .event, .synonyms: []
        }
      context.add(keywords, kind: .keyword, quoted: false)
    }
    return CompletionList(isIncomplete: context.namesOffered, items: context.items)
  }

  /// What the completion found, filtered by what is typed.
  struct Context {
    let typed: String
    let range: Range
    var items: [CompletionItem] = []
    var namesOffered = false

    /// Adds candidates that match what is typed, ignoring case and accents (`supp` offers
    /// "Support Technique"); names are quoted and replace the whole string being typed.
    mutating func add(_ names: [String], kind: CompletionItemKind, quoted: Bool) {
      let prefix = CompletionFeature.fold(typed.hasPrefix("\"") ? String(typed.dropFirst()) : typed)
      for name in names where CompletionFeature.fold(name).hasPrefix(prefix) {
        let text = quoted ? "\"\(escaped(name))\"" : name
        items.append(
          CompletionItem(
            label: name, kind: kind.rawValue, detail: nil,
            // The client filters on what is typed; the server already matched accents away.
            filterText: typed.isEmpty ? nil : typed,
            textEdit: TextEdit(range: range, newText: text)))
      }
      if quoted { namesOffered = true }
    }

    private func escaped(_ name: String) -> String {
      name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
  }

  static func fold(_ text: String) -> String {
    text.folding(
      options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
  }

  static func enumValues(of attribute: String, _ analysis: RuleSetAnalysis) -> [String] {
    for file in analysis.parsed {
      for case .contact(let decl) in file.ruleFile.items {
        for declared in decl.attributes where declared.name.name == attribute {
          if case .oneOf(let values) = declared.type { return values.map(\.value) }
        }
      }
    }
    return []
  }

  /// The words that may follow the last ones typed, inside a clause; nil when none is known.
  static func nextWords(_ words: [String], afterString: Bool) -> [String]? {
    let last = words.last ?? ""
    if afterString {
      // `agent "m@x.fr" …`: the agent's actions.
      guard words.dropLast().last == "agent" else { return nil }
      return [
        "takes over", "transfers to ai", "keeps human and leaves", "adds label", "removes label",
        "replies", "notes",
      ]
    }
    if words.suffix(3) == ["message", ".", "type"] { return ["is", "in"] }
    switch last {
    case "message": return ["contains", "contains any", "contains all", "matches", ".type is"]
    case "contains": return ["any", "all", "forms", "typos"]
    case "any", "all": return ["forms", "typos"]
    case "forms": return ["typos"]
    case "language": return RuleLanguage.allCases.map(\.rawValue)
    case "mode": return ["is"]
    case "customer": return ["says", "sends"]
    case "remove": return ["when"]
    case "expect": return ["labels", "label", "no label", "route", "mode", "notify"]
    case "except": return ["labels"]
    default: return nil
    }
  }

  /// Inside `[ … ]` after `labels`, `except labels` or `expect labels`.
  static func inLabelList(_ previous: [Token]) -> Bool {
    guard let open = previous.lastIndex(where: { $0.kind == .leftBracket }),
      !previous[open...].contains(where: { $0.kind == .rightBracket }), open > 0
    else { return false }
    return previous[open - 1].isKeyword("labels")
  }

  /// Inside `message.type in [ … ]`.
  static func inMessageTypeList(_ previous: [Token]) -> Bool {
    guard let open = previous.lastIndex(where: { $0.kind == .leftBracket }),
      !previous[open...].contains(where: { $0.kind == .rightBracket }), open > 0
    else { return false }
    return previous[open - 1].isKeyword("in")
  }

  /// The kind of top-level block around the cursor; nil at the top level.
  enum Block { case contact, event, hours, label, team, routing, test, synonyms }

  static func enclosingBlock(_ file: RuleFile?, offset: Int) -> Block? {
    guard let file else { return nil }
    for item in file.items where item.span.start < offset && offset < item.span.end {
      switch item {
      case .contact: return .contact
      case .event: return .event
      case .hours: return .hours
      case .label: return .label
      case .team: return .team
      case .routing: return .routing
      case .test: return .test
      case .synonyms: return .synonyms
      case .language: return nil
      }
    }
    return nil
  }
}
