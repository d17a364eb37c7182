import EtiquetteDiagnostics

// `test "name" { steps and expectations }` (grammar "Tests").

let agentActionForms =
  "takes over, transfers to ai, keeps human and leaves, adds label \"X\", "
  + "removes label \"X\", replies \"…\" or notes \"…\""
let expectationForms =
  "labels [...], label \"X\", no label \"X\", route ai|human|unchanged, mode ai|human, "
  + "notify \"member\" or \"member\" can|cannot view|reply|manage"

extension RuleFileParser {
  mutating func parseTest() throws(SyntaxFailure) -> TestDecl {
    let start = position
    advance()  // test
    let name = try parseName(of: "a test name", after: "test")
    let owner = "test \(Token.quoted(name.value))"
    let entries = try parseBlock(.test, owner: owner) { p throws(SyntaxFailure) in
      try p.parseTestEntry(owner: owner)
    }
    return TestDecl(name: name, entries: entries, span: span(from: start))
  }

  mutating func parseTestEntry(owner: String) throws(SyntaxFailure) -> TestEntry {
    let start = position
    let step: TestStep.Kind
    switch current.kind == .identifier ? current.text : "" {
    case "expect":
      return .expectation(try parseExpectation())
    case "contact":
      advance()
      guard current.kind == .leftBrace else {
        throw fail(
          SyntaxCatalogue.expected(
            "an object such as { tier: \"vip\" }", after: "contact", found: found,
            example: "contact { tier: \"vip\" }", at: expectedSpan))
      }
      step = .contact(try parseObject())
    case "at":
      advance()
      step = .at(
        try parseString(
          "an instant in quotes", after: "at", example: "at \"2026-11-24T10:00:00+01:00\""))
    case "customer":
      advance()
      let verb = try expectKeyword(
        ["says", "sends"], after: "customer", code: SyntaxCatalogue.Code.unexpectedToken,
        help: "write `customer says \"…\"` or `customer sends image \"caption\"`")
      if verb.text == "says" {
        step = .customerSays(
          try parseString(
            "a message in quotes", after: "says", example: "customer says \"bonjour\""))
      } else {
        let type = try parseIdentifier(
          "a message type", after: "sends", example: "customer sends image \"caption\"")
        var caption: StringLiteral?
        if current.kind == .string && !current.isFirstOnLine {
          let token = advance()
          caption = StringLiteral(token.stringValue ?? "", span: token.span)
        }
        step = .customerSends(type: type, caption: caption)
      }
    case "event":
      advance()
      let name = try parseName(of: "an event name", after: "event")
      var fields: ObjectLiteral?
      if current.kind == .leftBrace && !current.isFirstOnLine { fields = try parseObject() }
      step = .event(name: name, fields: fields)
    case "agent":
      advance()
      let member = try parseName(of: "a member", after: "agent")
      step = .agent(member: member, action: try parseAgentAction())
    default:
      throw unknownClause(in: .test, owner: owner)
    }
    return .step(TestStep(step, span: span(from: start)))
  }

  mutating func parseAgentAction() throws(SyntaxFailure) -> AgentAction {
    let help = "an agent action is one of: \(agentActionForms)"
    func next(_ p: inout RuleFileParser, _ word: String, after context: String)
      throws(SyntaxFailure)
    {
      _ = try p.expectKeyword(
        [word], after: context, code: SyntaxCatalogue.Code.unknownAgentAction, help: help)
    }
    let verbs = ["takes", "transfers", "keeps", "adds", "removes", "replies", "notes"]
    guard let word = foundWord, verbs.contains(word) else {
      throw fail(
        SyntaxCatalogue.unknownAgentAction(
          found: found, word: foundWord, verbs: verbs,
          at: foundWord != nil ? current.span : expectedSpan))
    }
    advance()
    switch word {
    case "takes":
      try next(&self, "over", after: "takes")
      return .takesOver
    case "transfers":
      try next(&self, "to", after: "transfers")
      try next(&self, "ai", after: "transfers to")
      return .transfersToAI
    case "keeps":
      try next(&self, "human", after: "keeps")
      try next(&self, "and", after: "keeps human")
      try next(&self, "leaves", after: "keeps human and")
      return .keepsHumanAndLeaves
    case "adds", "removes":
      try next(&self, "label", after: word)
      let label = try parseName(of: "a label name", after: "\(word) label")
      return word == "adds" ? .addsLabel(label) : .removesLabel(label)
    case "replies":
      return .replies(
        try parseString("a reply in quotes", after: "replies", example: "replies \"bonjour\""))
    default:
      return .notes(
        try parseString("a note in quotes", after: "notes", example: "notes \"rappeler\""))
    }
  }

  mutating func parseExpectation() throws(SyntaxFailure) -> Expectation {
    let start = position
    advance()  // expect
    let kind: Expectation.Kind
    if current.kind == .string && !current.isFirstOnLine {
      let member = advance()
      let verb = try expectKeyword(
        ["can", "cannot"], after: "the member", code: SyntaxCatalogue.Code.unknownExpectation,
        help: "write `expect \"\(member.stringValue ?? "")\" can reply` or `… cannot view`")
      let level = try parseAccessLevel(after: verb.text)
      return Expectation(
        .access(
          member: StringLiteral(member.stringValue ?? "", span: member.span),
          allowed: verb.text == "can", level: level),
        span: span(from: start))
    }
    let words = ["labels", "label", "no", "route", "mode", "notify"]
    guard let word = foundWord, words.contains(word) else {
      throw fail(
        SyntaxCatalogue.unknownExpectation(
          found: found, word: foundWord, valid: words,
          at: foundWord != nil ? current.span : expectedSpan))
    }
    advance()
    switch word {
    case "labels":
      kind = .labels(
        try parseStringList(after: "expect labels", example: "expect labels [\"VIP\"]"))
    case "label":
      kind = .label(try parseName(of: "a label name", after: "expect label"))
    case "no":
      _ = try expectKeyword(
        ["label"], after: "expect no", code: SyntaxCatalogue.Code.unknownExpectation,
        help: "write `expect no label \"X\"`")
      kind = .noLabel(try parseName(of: "a label name", after: "expect no label"))
    case "route":
      kind = .route(try parseRouteExpectation())
    case "mode":
      kind = .mode(try parseMode(after: "expect mode"))
    default:
      kind = .notify(
        try parseString(
          "a member in quotes", after: "notify", example: "expect notify \"alice@exemple.fr\""))
    }
    return Expectation(kind, span: span(from: start))
  }

  mutating func parseRouteExpectation() throws(SyntaxFailure) -> RouteExpectation {
    let start = position
    let outcome: Located<RouteExpectation.Outcome>
    if isKeyword("unchanged") && !current.isFirstOnLine {
      outcome = Located(.unchanged, span: advance().span)
    } else {
      let mode = try parseVocabulary(Mode.self, after: "expect route") { found, word, span in
        SyntaxCatalogue.invalidMode(
          found: found, word: word, after: "expect route", allowsUnchanged: true, at: span)
      }
      outcome = Located(.mode(mode.value), span: mode.span)
    }
    var team: StringLiteral?
    var priority: Located<Priority>?
    if isKeyword("team") && !current.isFirstOnLine {
      advance()
      team = try parseName(of: "a team name", after: "team")
    }
    if isKeyword("priority") && !current.isFirstOnLine {
      advance()
      priority = try parsePriority()
    }
    return RouteExpectation(
      outcome: outcome, team: team, priority: priority, span: span(from: start))
  }

  /// `{ key: value, ... }`; keys are identifiers or strings.
  mutating func parseObject() throws(SyntaxFailure) -> ObjectLiteral {
    let start = position
    let open = advance()  // {
    var fields: [ObjectLiteral.Field] = []
    while current.kind != .rightBrace {
      let fieldStart = position
      let key: Identifier
      switch current.kind {
      case .identifier, .string:
        let token = advance()
        key = Identifier(token.stringValue ?? token.text, span: token.span)
      default:
        throw fail(
          SyntaxCatalogue.expectedObjectField(found: found, opening: open.span, at: expectedSpan))
      }
      try expect(.colon, after: "field \(Token.quoted(key.name))", example: "\(key.name): \"…\"")
      let value = try parseValue(after: "\"\(key.name):\"")
      fields.append(ObjectLiteral.Field(key: key, value: value, span: span(from: fieldStart)))
      if current.kind == .comma {
        advance()
      } else if current.kind != .rightBrace {
        throw fail(
          SyntaxCatalogue.expectedObjectSeparator(
            found: found, opening: open.span, at: expectedSpan))
      }
    }
    advance()  // }
    return ObjectLiteral(fields: fields, span: span(from: start))
  }
}
