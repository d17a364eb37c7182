import EtiquetteDiagnostics
import EtiquetteSyntax

/// Semantic tokens for highlighting, from the real lexer: keywords, strings, regexes, numbers,
/// comments, and names coloured by what they name (labels, teams, hours, events, attributes).
enum SemanticTokenFeature {
  /// The legend announced in `initialize`; a token's type is its index here.
  static let tokenTypes = [
    "keyword", "string", "regexp", "number", "comment", "enumMember", "class", "variable", "event",
    "property", "function",
  ]

  static func tokens(_ analysis: RuleSetAnalysis, _ file: SourceFile) -> SemanticTokens {
    let lexed = Lexer.tokenize(file)
    var names: [Int: SymbolCategory] = [:]
    for occurrence in analysis.index.occurrences(in: file.id) {
      names[occurrence.span.start] = occurrence.category
    }
    var spans: [(span: SourceSpan, type: String)] = lexed.comments.map { ($0.span, "comment") }
    for token in lexed.tokens {
      let tokenType: String? =
        switch token.kind {
        case .string: names[token.span.start].map(tokenType(for:)) ?? "string"
        case .regex: "regexp"
        case .number, .time: "number"
        case .identifier:
          names[token.span.start].map(tokenType(for:))
            ?? (Keywords.meaning[token.text] != nil ? "keyword" : nil)
        default: nil
        }
      if let tokenType { spans.append((token.span, tokenType)) }
    }
    spans.sort { $0.span.start < $1.span.start }

    var data: [Int] = []
    var previous = Position(line: 0, character: 0)
    for (span, type) in spans {
      let start = file.position(ofOffset: span.start)
      let end = file.position(ofOffset: span.end)
      // A token may not span lines in the protocol; none does in this language but an
      // unterminated literal, which is left uncoloured.
      guard start.line == end.line, end.character > start.character,
        let index = tokenTypes.firstIndex(of: type)
      else { continue }
      let deltaLine = start.line - previous.line
      let deltaStart = deltaLine == 0 ? start.character - previous.character : start.character
      data += [deltaLine, deltaStart, end.character - start.character, index, 0]
      previous = start
    }
    return SemanticTokens(data: data)
  }

  static func tokenType(for category: SymbolCategory) -> String {
    switch category {
    case .label: "enumMember"
    case .team: "class"
    case .hours: "variable"
    case .event: "event"
    case .member: "string"
    case .contactAttribute, .eventField: "property"
    case .test: "function"
    }
  }
}
