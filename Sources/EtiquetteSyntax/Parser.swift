import EtiquetteDiagnostics

/// The tree of one file and every lexical and syntax diagnostic found in it, sorted by position.
public struct ParseResult: Sendable {
  public var ruleFile: RuleFile
  public var diagnostics: [Diagnostic]

  public init(ruleFile: RuleFile, diagnostics: [Diagnostic]) {
    self.ruleFile = ruleFile
    self.diagnostics = diagnostics
  }
}

/// The hand-written recursive-descent parser for `grammar/etiquette.ebnf`.
///
/// It recovers from errors (one run reports every syntax error in a file) and keeps every item it
/// could parse, even partially, so tools can still show an outline of a broken file.
public enum Parser {
  /// Parentheses, `not` and nested lists deeper than this are rejected (E023) rather than risking
  /// the stack.
  public static let maximumNestingDepth = 128
  /// `and`/`or` chains longer than this are rejected (E024): the tree would be too deep to walk.
  public static let maximumConditionOperands = 1024

  public static func parse(_ file: SourceFile) -> ParseResult {
    if let offset = BinaryContent.firstNonTextByte(in: file.bytes) {
      // One diagnostic for the whole file: lexing random bytes reports one error per few bytes
      // (a megabyte gave hundreds of thousands), which helps nobody.
      let span = SourceSpan(file: file.id, start: offset, end: offset + 1)
      return ParseResult(
        ruleFile: RuleFile(file: file.id, items: [], comments: []),
        diagnostics: [SyntaxCatalogue.binaryFile(at: span)])
    }
    let lexed = Lexer.tokenize(file)
    var parser = RuleFileParser(file: file, tokens: lexed.tokens, lexical: lexed.diagnostics)
    let items = parser.parseRuleFile()
    let diagnostics = (lexed.diagnostics + parser.diagnostics).sortedByPosition()
    return ParseResult(
      ruleFile: RuleFile(file: file.id, items: items, comments: lexed.comments),
      diagnostics: diagnostics)
  }

  /// Convenience for tests and tools: parses `text` as a file with the given path and id 0.
  public static func parse(text: String, path: String = "input.etq") -> ParseResult {
    parse(SourceFile(id: SourceFileID(0), path: path, text: text))
  }
}

/// Thrown inside the parser once a syntax error has been reported; caught by the enclosing block,
/// which resynchronises. It never leaves the module.
struct SyntaxFailure: Error {}

/// The kinds of `{ … }` block, which decide what may start a clause after an error.
enum BlockKind {
  case contact, event, hours, label, team, routing, test, synonyms

  /// Keywords that start a clause; nil when any identifier may (attribute names, day names).
  var clauseKeywords: [String]? {
    switch self {
    case .contact, .event, .hours, .synonyms: nil
    case .label: ["color", "description", "when", "remove", "was"]
    case .team: ["members", "can"]
    case .routing: ["default", "when"]
    case .test: ["contact", "at", "customer", "event", "agent", "expect"]
    }
  }
}

let topLevelKeywords = [
  "contact", "event", "hours", "label", "team", "routing", "test", "synonyms", "language",
]

struct RuleFileParser {
  let file: SourceFile
  let tokens: [Token]
  var position = 0
  var diagnostics: [Diagnostic] = []
  /// Current depth of parentheses, `not` and nested lists.
  var depth = 0
  /// Indices of tokens at or right beside a lexical error: a parse error there would only repeat
  /// the lexer's report, so it is silenced (the parser still recovers).
  let lexicallyBroken: Set<Int>
  /// What the last clause ended with, for the "unexpected … after …" message.
  var clauseEnding = ClauseEnding.clause

  enum ClauseEnding {
    case clause, condition, routeTarget
  }

  init(file: SourceFile, tokens: [Token], lexical: [Diagnostic]) {
    self.file = file
    self.tokens = tokens
    var broken = Set<Int>()
    // Only errors silence the parser: a warning (a byte order mark) leaves the token sound.
    let lexical = lexical.filter { $0.severity == .error }
    if !lexical.isEmpty {
      let starts = lexical.map(\.span.start).sorted()
      let ends = lexical.map(\.span.end).sorted()
      // Both arrays and tokens are in source order: one merge pass each keeps this linear.
      var s = 0
      var e = 0
      for (i, token) in tokens.enumerated() {
        while s < starts.count, starts[s] < token.span.start { s += 1 }
        if s < starts.count, starts[s] <= token.span.end { broken.insert(i) }
        while e < ends.count, ends[e] < token.span.start { e += 1 }
        if e < ends.count, ends[e] == token.span.start { broken.insert(i) }
      }
    }
    self.lexicallyBroken = broken
  }

  // MARK: Token access

  var current: Token { tokens[position] }

  func peek(_ offset: Int) -> Token { tokens[min(position + offset, tokens.count - 1)] }

  var atEnd: Bool { current.kind == .endOfFile }

  /// The last consumed token (the first token when nothing was consumed yet).
  var previous: Token { tokens[max(position - 1, 0)] }

  @discardableResult
  mutating func advance() -> Token {
    let token = tokens[position]
    if position < tokens.count - 1 { position += 1 }
    return token
  }

  /// The span from the token at `start` to the last consumed token.
  func span(from start: Int) -> SourceSpan {
    let first = tokens[min(start, tokens.count - 1)].span
    let lastIndex = max(position - 1, start)
    let last = tokens[min(lastIndex, tokens.count - 1)].span
    return SourceSpan(file: file.id, start: first.start, end: max(first.end, last.end))
  }

  /// Where something was expected: the current token, or, when it is on a later line (or the end
  /// of file), the point just after the previous token, where the missing thing belongs.
  var expectedSpan: SourceSpan {
    if (current.isFirstOnLine || atEnd) && position > 0 {
      let end = previous.span.end
      return SourceSpan(file: file.id, start: end, end: end)
    }
    return current.span
  }

  /// The empty span just after the last consumed token.
  var pointAfterPrevious: SourceSpan {
    SourceSpan(file: file.id, start: previous.span.end, end: previous.span.end)
  }

  /// How the current token is named in "found …": a token on a later line reads "end of line".
  var found: String {
    if atEnd { return "end of file" }
    if current.isFirstOnLine && position > 0 { return "end of line" }
    return current.friendlyDescription
  }

  /// Records an error and returns the failure to throw, unless the lexer already reported a
  /// problem on this token.
  mutating func fail(_ diagnostic: Diagnostic) -> SyntaxFailure {
    report(diagnostic)
    return SyntaxFailure()
  }

  mutating func report(_ diagnostic: Diagnostic) {
    if lexicallyBroken.contains(position) { return }
    // Something missing after a broken token (an unterminated string) is the same problem.
    if position > 0, lexicallyBroken.contains(position - 1),
      diagnostic.span.start == previous.span.end
    {
      return
    }
    diagnostics.append(diagnostic)
  }

  func isKeyword(_ word: String) -> Bool { current.isKeyword(word) }

  // MARK: Rule file and recovery

  mutating func parseRuleFile() -> [Item] {
    var items: [Item] = []
    while !atEnd {
      if current.kind == .rightBrace {
        report(SyntaxCatalogue.unmatchedClosingBrace(at: current.span))
        advance()
        continue
      }
      let start = position
      do {
        items.append(try parseItem())
      } catch {
        synchronizeTopLevel(from: start)
      }
    }
    return items
  }

  mutating func parseItem() throws(SyntaxFailure) -> Item {
    let token = current
    guard token.kind == .identifier else {
      throw fail(SyntaxCatalogue.unknownItem(token, at: token.span))
    }
    switch token.text {
    case "contact": return .contact(try parseContact())
    case "event": return .event(try parseEvent())
    case "hours": return .hours(try parseHours())
    case "label": return .label(try parseLabel())
    case "team": return .team(try parseTeam())
    case "routing": return .routing(try parseRouting())
    case "test": return .test(try parseTest())
    case "synonyms": return .synonyms(try parseSynonyms())
    case "language": return .language(try parseLanguage())
    default: throw fail(SyntaxCatalogue.unknownItem(token, at: token.span))
    }
  }

  /// Net `{` minus `}` among the tokens from `start` to the current position.
  func braceDepth(from start: Int) -> Int {
    var depth = 0
    for token in tokens[min(start, position)..<position] {
      if token.kind == .leftBrace { depth += 1 }
      if token.kind == .rightBrace { depth = max(0, depth - 1) }
    }
    return depth
  }

  /// After an error at top level, skips to the next top-level keyword at the start of a line at
  /// brace depth 0.
  mutating func synchronizeTopLevel(from start: Int) {
    var depth = braceDepth(from: start)
    var first = position == start
    while !atEnd {
      let token = current
      if !first, depth == 0, token.isFirstOnLine, token.kind == .identifier,
        topLevelKeywords.contains(token.text) || [.string, .leftBrace].contains(peek(1).kind)
      {
        // A keyword, or a word followed by a name or a brace: (the start of) a declaration.
        return
      }
      first = false
      if token.kind == .leftBrace { depth += 1 }
      if token.kind == .rightBrace { depth = max(0, depth - 1) }
      advance()
    }
  }

  /// After an error inside a block, skips to the next token that starts a clause of that block on
  /// a new line, or to the `}` closing the block (not consumed).
  mutating func synchronize(in kind: BlockKind, from start: Int) {
    var depth = braceDepth(from: start)
    var first = position == start
    while !atEnd {
      let token = current
      if token.kind == .rightBrace {
        if depth == 0 { return }
        depth -= 1
        advance()
        first = false
        continue
      }
      if !first, depth == 0, token.isFirstOnLine,
        startsClause(of: kind) || startsTopLevelItem(inside: kind)
      {
        return
      }
      first = false
      if token.kind == .leftBrace { depth += 1 }
      advance()
    }
  }

  /// True for a clause keyword of the block, or a word so close to one that it is surely a
  /// misspelt clause (reported rather than silently skipped).
  func startsClause(of kind: BlockKind) -> Bool {
    if kind == .synonyms { return current.kind == .string }
    guard current.kind == .identifier else { return false }
    guard let keywords = kind.clauseKeywords else { return true }
    return keywords.contains(current.text)
      || Spelling.suggestion(for: current.text, among: keywords) != nil
  }

  /// True when the current token, first on its line, looks like the start of a new top-level
  /// declaration (`label "X" {`): the block being parsed is then missing its `}`.
  func startsTopLevelItem(inside kind: BlockKind?) -> Bool {
    let token = current
    guard token.isFirstOnLine, token.kind == .identifier else { return false }
    let next = peek(1)
    let afterName = peek(2)
    let isName = next.kind == .string || next.kind == .identifier
    switch token.text {
    case "contact":
      return kind != .test && kind != nil && next.kind == .leftBrace
    case "routing", "synonyms":
      return next.kind == .leftBrace
    case "language":
      // Not `language string` in a `contact` block (an attribute missing its colon).
      return kind != .contact && kind != .event && next.kind == .identifier
        && !next.isFirstOnLine && RuleLanguage(rawValue: next.text) != nil
    case "event":
      return kind != .test && isName && afterName.kind == .leftBrace
    case "hours", "label", "team", "test":
      return isName && afterName.kind == .leftBrace
    default:
      return false
    }
  }

  // MARK: Blocks

  /// Parses `{ clause* }`. Clause errors are recovered here; a missing `}` is reported and the
  /// clauses read so far are kept.
  mutating func parseBlock<Clause>(
    _ kind: BlockKind, owner: String,
    clause parseClause: (inout RuleFileParser) throws(SyntaxFailure) -> Clause
  ) throws(SyntaxFailure) -> [Clause] {
    guard current.kind == .leftBrace else {
      throw fail(
        SyntaxCatalogue.expectedOpeningBrace(owner: owner, found: found, at: expectedSpan))
    }
    let open = advance()
    var clauses: [Clause] = []
    while true {
      let token = current
      if token.kind == .rightBrace {
        advance()
        return clauses
      }
      if token.kind == .endOfFile || startsTopLevelItem(inside: kind) {
        report(
          SyntaxCatalogue.unclosedBlock(
            owner: owner, opening: open.span, beforeNextItem: !atEnd, at: expectedSpan))
        return clauses
      }
      let start = position
      do {
        clauseEnding = .clause
        clauses.append(try parseClause(&self))
        // Clauses end at the end of the line; attributes may also end with a comma.
        if !current.isFirstOnLine, current.kind != .rightBrace, !atEnd, previous.kind != .comma {
          throw fail(
            SyntaxCatalogue.unexpectedAfterClause(
              current, ending: clauseEnding, at: current.span))
        }
      } catch {
        synchronize(in: kind, from: start)
      }
    }
  }

  /// Reports an unknown clause keyword (with a did-you-mean) or a token that cannot start one.
  mutating func unknownClause(in kind: BlockKind, owner: String) -> SyntaxFailure {
    fail(
      SyntaxCatalogue.unknownClause(
        current, owner: owner, valid: kind.clauseKeywords ?? [], at: current.span))
  }

  // MARK: Literals

  /// A name in quotes (`label "X"`). An unquoted identifier is reported and accepted, so the
  /// rest of the item parses without a second error.
  mutating func parseName(of what: String, after keyword: String) throws(SyntaxFailure)
    -> StringLiteral
  {
    let token = current
    if token.kind == .string {
      advance()
      return StringLiteral(token.stringValue ?? "", span: token.span)
    }
    if token.kind == .identifier && !token.isFirstOnLine {
      report(
        SyntaxCatalogue.expectedName(
          of: what, keyword: keyword, found: found, identifier: token.text, at: token.span))
      advance()
      return StringLiteral(token.text, span: token.span)
    }
    throw fail(
      SyntaxCatalogue.expectedName(
        of: what, keyword: keyword, found: found, identifier: nil, at: expectedSpan))
  }

  /// A string literal where an unquoted word is not a likely slip (`customer says "…"`).
  mutating func parseString(_ what: String, after context: String, example: String)
    throws(SyntaxFailure) -> StringLiteral
  {
    let token = current
    guard token.kind == .string, !(token.isFirstOnLine && position > 0) else {
      throw fail(
        SyntaxCatalogue.expected(
          what, after: context, found: found, example: example, at: expectedSpan))
    }
    advance()
    return StringLiteral(token.stringValue ?? "", span: token.span)
  }

  mutating func parseIdentifier(_ what: String, after context: String, example: String)
    throws(SyntaxFailure) -> Identifier
  {
    let token = current
    guard token.kind == .identifier, !(token.isFirstOnLine && position > 0) else {
      throw fail(
        SyntaxCatalogue.expected(
          what, after: context, found: found, example: example, at: expectedSpan))
    }
    advance()
    return Identifier(token.text, span: token.span)
  }

  /// Consumes punctuation of `kind` or reports what was expected.
  @discardableResult
  mutating func expect(
    _ kind: Token.Kind, after context: String, example: String
  ) throws(SyntaxFailure) -> Token {
    guard current.kind == kind else {
      throw fail(
        SyntaxCatalogue.expected(
          "\"\(kind.spelling ?? "")\"", after: context, found: found, example: example,
          at: expectedSpan))
    }
    return advance()
  }

  /// Consumes one of a fixed set of keywords (`over` after `takes`), with a did-you-mean.
  mutating func expectKeyword(
    _ words: [String], after context: String, code: DiagnosticCode, help: String
  ) throws(SyntaxFailure) -> Token {
    if current.kind == .identifier, words.contains(current.text),
      !(current.isFirstOnLine && position > 0)
    {
      return advance()
    }
    throw fail(
      SyntaxCatalogue.expectedKeyword(
        words, after: context, found: found, foundWord: foundWord, code: code, help: help,
        at: expectedSpan))
  }

  /// The current identifier's text when it is on the same line (for did-you-mean), else nil.
  var foundWord: String? {
    guard current.kind == .identifier, !(current.isFirstOnLine && position > 0) else {
      return nil
    }
    return current.text
  }

  /// Parses a word from a fixed vocabulary (`ai`, `human`) into its enum.
  mutating func parseVocabulary<Value: RawRepresentable & CaseIterable & Sendable & Hashable>(
    _ type: Value.Type, after context: String,
    report makeDiagnostic: (_ found: String, _ word: String?, _ span: SourceSpan) -> Diagnostic
  ) throws(SyntaxFailure) -> Located<Value> where Value.RawValue == String {
    if let word = foundWord, let value = Value(rawValue: word) {
      let token = advance()
      return Located(value, span: token.span)
    }
    let span = foundWord != nil ? current.span : expectedSpan
    throw fail(makeDiagnostic(found, foundWord, span))
  }

  mutating func parseMode(after context: String) throws(SyntaxFailure) -> Located<Mode> {
    try parseVocabulary(Mode.self, after: context) { found, word, span in
      SyntaxCatalogue.invalidMode(found: found, word: word, after: context, at: span)
    }
  }

  mutating func parsePriority() throws(SyntaxFailure) -> Located<Priority> {
    try parseVocabulary(Priority.self, after: "priority") { found, word, span in
      SyntaxCatalogue.invalidPriority(found: found, word: word, at: span)
    }
  }

  mutating func parseAccessLevel(after context: String) throws(SyntaxFailure)
    -> Located<AccessLevel>
  {
    try parseVocabulary(AccessLevel.self, after: context) { found, word, span in
      SyntaxCatalogue.invalidAccessLevel(found: found, word: word, after: context, at: span)
    }
  }

  // MARK: Lists

  /// `[ "a", "b" ]`. A missing comma between strings or a missing `]` before the next line is
  /// reported once and the list kept; a lone string where a list belongs is accepted as a list
  /// of one after an error.
  mutating func parseStringList(after context: String, example: String) throws(SyntaxFailure)
    -> [StringLiteral]
  {
    if current.kind == .string, !(current.isFirstOnLine && position > 0) {
      report(
        SyntaxCatalogue.expectedList(
          after: context, found: found, example: example, at: current.span))
      let token = advance()
      return [StringLiteral(token.stringValue ?? "", span: token.span)]
    }
    guard current.kind == .leftBracket else {
      throw fail(
        SyntaxCatalogue.expectedList(
          after: context, found: found, example: example, at: expectedSpan))
    }
    let open = advance()
    var items: [StringLiteral] = []
    var reportedComma = false
    while true {
      switch current.kind {
      case .rightBracket:
        advance()
        return items
      case .string:
        let token = advance()
        items.append(StringLiteral(token.stringValue ?? "", span: token.span))
      case .identifier where !current.isFirstOnLine:
        // `[alice]`: report the missing quotes once and keep the word.
        report(
          SyntaxCatalogue.expectedStringInList(found: found, word: current.text, at: current.span))
        let token = advance()
        items.append(StringLiteral(token.text, span: token.span))
      default:
        return try finishUnclosedList(open: open, items: items)
      }
      // After an item: a comma, the closing bracket, or (reported once) a missing comma.
      if current.kind == .comma {
        advance()
      } else if current.kind == .string && !reportedComma {
        report(SyntaxCatalogue.missingComma(at: pointAfterPrevious))
        reportedComma = true
      } else if current.kind != .rightBracket && current.kind != .string {
        return try finishUnclosedList(open: open, items: items)
      }
    }
  }

  /// A list whose `]` is missing: keep it when the next line starts a new clause, else fail.
  mutating func finishUnclosedList<Element>(open: Token, items: [Element]) throws(SyntaxFailure)
    -> [Element]
  {
    let diagnostic = SyntaxCatalogue.unclosedList(
      found: found, opening: open.span, at: expectedSpan)
    if current.isFirstOnLine || current.kind == .rightBrace || atEnd {
      report(diagnostic)
      return items
    }
    throw fail(diagnostic)
  }
}
