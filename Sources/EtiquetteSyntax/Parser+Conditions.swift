import EtiquetteDiagnostics

// Conditions: `not` binds tightest, then `and`, then `or`; `and`/`or` associate to the left.

let conditionKeywords = ["message", "contact", "event", "label", "mode", "during", "not"]

extension RuleFileParser {
  mutating func parseCondition(after context: String) throws(SyntaxFailure) -> Condition {
    var operands = 0
    return try parseOr(after: context, operands: &operands)
  }

  /// `and_condition { "or" and_condition }`, built iteratively so long chains cost no stack.
  mutating func parseOr(after context: String, operands: inout Int) throws(SyntaxFailure)
    -> Condition
  {
    var left = try parseAnd(after: context, operands: &operands)
    while isKeyword("or") {
      advance()
      let right = try parseAnd(after: "or", operands: &operands)
      left = .or(
        left, right, span: IgnoredInEquality(wrappedValue: left.span.merged(with: right.span)))
    }
    return left
  }

  mutating func parseAnd(after context: String, operands: inout Int) throws(SyntaxFailure)
    -> Condition
  {
    var left = try parseUnary(after: context, operands: &operands)
    while isKeyword("and") {
      advance()
      let right = try parseUnary(after: "and", operands: &operands)
      left = .and(
        left, right, span: IgnoredInEquality(wrappedValue: left.span.merged(with: right.span)))
    }
    return left
  }

  /// Enters one level of `(`, `not` or `[`; fails with E023 beyond the limit, before recursing.
  mutating func enterNesting() throws(SyntaxFailure) {
    depth += 1
    if depth > Parser.maximumNestingDepth {
      depth -= 1
      throw fail(
        SyntaxCatalogue.nestingTooDeep(limit: Parser.maximumNestingDepth, at: current.span))
    }
  }

  mutating func parseUnary(after context: String, operands: inout Int) throws(SyntaxFailure)
    -> Condition
  {
    if isKeyword("not") {
      try enterNesting()
      defer { depth -= 1 }
      let start = position
      let not = advance()
      if isKeyword("not") {
        report(SyntaxCatalogue.doubleNegation(at: not.span.merged(with: current.span)))
      }
      let inner = try parseUnary(after: "not", operands: &operands)
      return .not(inner, span: IgnoredInEquality(wrappedValue: span(from: start)))
    }
    if current.kind == .leftParen {
      try enterNesting()
      defer { depth -= 1 }
      let start = position
      let open = advance()
      var innerOperands = 0
      let inner = try parseOr(after: "\"(\"", operands: &innerOperands)
      operands += innerOperands
      guard current.kind == .rightParen else {
        throw fail(
          SyntaxCatalogue.unclosedParenthesis(found: found, opening: open.span, at: expectedSpan))
      }
      advance()
      return .parenthesized(inner, span: IgnoredInEquality(wrappedValue: span(from: start)))
    }
    operands += 1
    if operands > Parser.maximumConditionOperands {
      throw fail(
        SyntaxCatalogue.conditionTooLong(limit: Parser.maximumConditionOperands, at: current.span))
    }
    return .atom(try parseAtom(after: context))
  }

  mutating func parseAtom(after context: String) throws(SyntaxFailure) -> Atom {
    let start = position
    let token = current
    let onNewLine = token.isFirstOnLine && position > 0
    let word = token.kind == .identifier ? token.text : ""
    if onNewLine && !conditionKeywords.contains(word) || atEnd {
      throw fail(SyntaxCatalogue.missingCondition(after: context, found: found, at: expectedSpan))
    }
    switch word {
    case "message":
      advance()
      return Atom(try parseMessageAtom(), span: span(from: start))
    case "contact":
      advance()
      let path = try parseFieldPath(subject: .contact, token: token)
      return Atom(try parseComparison(path), span: span(from: start))
    case "event":
      advance()
      if current.kind == .dot {
        let path = try parseFieldPath(subject: .event, token: token)
        return Atom(try parseComparison(path), span: span(from: start))
      }
      let name = try parseName(of: "an event name", after: "event")
      return Atom(.event(name), span: span(from: start))
    case "label":
      advance()
      return Atom(
        .label(try parseName(of: "a label name", after: "label")), span: span(from: start))
    case "mode":
      advance()
      _ = try expectKeyword(
        ["is"], after: "mode", code: SyntaxCatalogue.Code.unexpectedToken,
        help: "write `mode is ai` or `mode is human`")
      return Atom(.modeIs(try parseMode(after: "mode is")), span: span(from: start))
    case "during":
      advance()
      return Atom(
        .during(try parseName(of: "an hours name", after: "during")), span: span(from: start))
    default:
      switch token.kind {
      case .endOfFile, .rightBrace, .arrow, .rightParen, .comma:
        throw fail(SyntaxCatalogue.missingCondition(after: context, found: found, at: expectedSpan))
      default:
        throw fail(SyntaxCatalogue.unknownCondition(token, at: token.span))
      }
    }
  }

  mutating func parseMessageAtom() throws(SyntaxFailure) -> Atom.Kind {
    if current.kind == .dot {
      let path = try parseFieldPath(subject: .message, token: previous)
      return try parseComparison(path)
    }
    let keyword = try expectKeyword(
      ["contains", "matches"], after: "message", code: SyntaxCatalogue.Code.unknownCondition,
      help: "write `message contains \"…\"`, `message contains any [\"…\"]`, "
        + "`message matches /…/` or `message.FIELD == VALUE`")
    if keyword.text == "matches" {
      guard current.kind == .regex, !current.isFirstOnLine,
        case .regex(let pattern, let flags, let patternSpan, let flagsSpan) = current.value
      else {
        throw fail(
          SyntaxCatalogue.expectedRegex(
            found: found, isString: current.kind == .string, at: expectedSpan))
      }
      let token = advance()
      return .messageMatches(
        RegexLiteral(
          pattern: pattern, flags: flags, span: token.span, patternSpan: patternSpan,
          flagsSpan: flagsSpan))
    }
    var quantifier = PhraseQuantifier.one
    if let found = parseQuantifier() { quantifier = found }
    var modes: PhraseModes = []
    var lastMode = ""
    while !(current.isFirstOnLine && position > 0),
      let (word, mode) = PhraseModes.keywords.first(where: { isKeyword($0.0) })
    {
      let token = advance()
      if modes.contains(mode) {
        report(SyntaxCatalogue.repeatedPhraseMode(word, at: token.span))
      }
      modes.insert(mode)
      lastMode = word
      let quantifierSpan = current.span
      if quantifier == .one, !current.isFirstOnLine, let misplaced = parseQuantifier() {
        // `contains forms any [...]`: reported, then read as meant.
        report(
          SyntaxCatalogue.misplacedQuantifier(
            misplaced, afterMode: lastMode, at: quantifierSpan))
        quantifier = misplaced
      }
    }
    let context = (["contains", quantifier == .one ? "" : quantifier.rawValue] + modes.keywords)
      .filter { !$0.isEmpty }.joined(separator: " ")
    if quantifier != .one {
      let listStart = position
      let phrases = try parseStringList(
        after: context, example: "message \(context) [\"a\", \"b\"]")
      if phrases.isEmpty {
        report(SyntaxCatalogue.emptyPhraseList(quantifier: quantifier, at: span(from: listStart)))
      }
      return .messageContains(quantifier, phrases, modes: modes)
    }
    let phrase = try parseString(
      "a phrase in quotes or `any [...]`", after: context,
      example: "message \(context) \"bonjour\"")
    return .messageContains(.one, [phrase], modes: modes)
  }

  /// `any` or `all` after `contains`, consumed; nil when neither is there.
  private mutating func parseQuantifier() -> PhraseQuantifier? {
    for quantifier in [PhraseQuantifier.any, .all] where isKeyword(quantifier.rawValue) {
      advance()
      return quantifier
    }
    return nil
  }

  /// `.FIELD` after `message`, `contact` or `event` (already consumed as `token`).
  mutating func parseFieldPath(subject: FieldPath.Subject, token: Token) throws(SyntaxFailure)
    -> FieldPath
  {
    try expect(.dot, after: subject.rawValue, example: "\(subject.rawValue).tier == \"vip\"")
    let field = try parseIdentifier(
      "a field name", after: "\"\(subject.rawValue).\"", example: "\(subject.rawValue).tier")
    return FieldPath(
      subject: Located(subject, span: token.span), field: field,
      span: token.span.merged(with: field.span))
  }

  mutating func parseComparison(_ path: FieldPath) throws(SyntaxFailure) -> Atom.Kind {
    let token = current
    let op: ComparisonOperator?
    switch token.kind {
    case .equalEqual: op = .equal
    case .notEqual: op = .notEqual
    case .less: op = .less
    case .lessEqual: op = .lessOrEqual
    case .greater: op = .greater
    case .greaterEqual: op = .greaterOrEqual
    case .identifier where !token.isFirstOnLine:
      switch token.text {
      case "is": op = .is
      case "in": op = .in
      case "starts": op = .startsWith
      default: op = nil
      }
    default: op = nil
    }
    guard let op else {
      throw fail(
        SyntaxCatalogue.expectedComparison(
          found: found, word: foundWord, field: path.description,
          at: foundWord != nil ? token.span : expectedSpan))
    }
    advance()
    switch op {
    case .startsWith:
      let with = try expectKeyword(
        ["with"], after: "starts", code: SyntaxCatalogue.Code.invalidComparison,
        help: "write `\(path) starts with \"…\"`")
      let prefix = try parseString(
        "a prefix in quotes", after: "starts with", example: "\(path) starts with \"A\"")
      return .comparison(
        path, Located(op, span: token.span.merged(with: with.span)), .string(prefix))
    case .in:
      guard current.kind == .leftBracket else {
        throw fail(
          SyntaxCatalogue.expectedList(
            after: "in", found: found, example: "\(path) in [image, video]", at: expectedSpan))
      }
      return .comparison(path, Located(op, span: token.span), try parseValue(after: "in"))
    default:
      return .comparison(
        path, Located(op, span: token.span), try parseValue(after: "\"\(op.rawValue)\""))
    }
  }

  /// `STRING | NUMBER | true | false | IDENTIFIER | [ values ]`.
  mutating func parseValue(after context: String) throws(SyntaxFailure) -> Value {
    let token = current
    if token.isFirstOnLine && position > 0 || atEnd {
      throw fail(SyntaxCatalogue.expectedValue(found: found, after: context, at: expectedSpan))
    }
    switch token.kind {
    case .string:
      advance()
      return .string(StringLiteral(token.stringValue ?? "", span: token.span))
    case .number:
      advance()
      var number = 0.0
      if case .number(let n) = token.value { number = n }
      return .number(NumberLiteral(value: number, text: token.text, span: token.span))
    case .identifier:
      advance()
      if token.text == "true" || token.text == "false" {
        return .bool(Located(token.text == "true", span: token.span))
      }
      return .identifier(Identifier(token.text, span: token.span))
    case .leftBracket:
      return try parseValueList()
    default:
      throw fail(SyntaxCatalogue.expectedValue(found: found, after: context, at: token.span))
    }
  }

  /// `[ value, ... ]`, nesting counted against the depth limit.
  mutating func parseValueList() throws(SyntaxFailure) -> Value {
    try enterNesting()
    defer { depth -= 1 }
    let start = position
    let open = advance()
    var values: [Value] = []
    var reportedComma = false
    while true {
      if current.kind == .rightBracket {
        advance()
        return .list(values, span: IgnoredInEquality(wrappedValue: span(from: start)))
      }
      // A word on a new line after an item without a comma is the next clause: `]` is missing.
      let startsNextClause =
        current.isFirstOnLine && current.kind == .identifier && previous.kind != .comma
        && previous.kind != .leftBracket
      if startsNextClause || atEnd || current.kind == .rightBrace {
        let kept = try finishUnclosedList(open: open, items: values)
        return .list(kept, span: IgnoredInEquality(wrappedValue: span(from: start)))
      }
      switch current.kind {
      case .string, .number, .identifier, .leftBracket:
        // Lists may span lines, so a value on a new line is still a value here.
        let token = current
        if token.kind == .leftBracket {
          values.append(try parseValueList())
        } else {
          values.append(try parseValueOnAnyLine())
        }
      default:
        let kept = try finishUnclosedList(open: open, items: values)
        return .list(kept, span: IgnoredInEquality(wrappedValue: span(from: start)))
      }
      if current.kind == .comma {
        advance()
      } else if current.kind != .rightBracket && !reportedComma
        && [.string, .number, .identifier, .leftBracket].contains(current.kind)
        && !(current.isFirstOnLine && current.kind == .identifier)
      {
        report(SyntaxCatalogue.missingComma(at: pointAfterPrevious))
        reportedComma = true
      }
    }
  }

  /// A scalar value inside a list, where line breaks are insignificant.
  mutating func parseValueOnAnyLine() throws(SyntaxFailure) -> Value {
    let token = advance()
    switch token.kind {
    case .string:
      return .string(StringLiteral(token.stringValue ?? "", span: token.span))
    case .number:
      var number = 0.0
      if case .number(let n) = token.value { number = n }
      return .number(NumberLiteral(value: number, text: token.text, span: token.span))
    default:
      if token.text == "true" || token.text == "false" {
        return .bool(Located(token.text == "true", span: token.span))
      }
      return .identifier(Identifier(token.text, span: token.span))
    }
  }
}
