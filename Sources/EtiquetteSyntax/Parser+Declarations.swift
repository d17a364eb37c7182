import EtiquetteDiagnostics

// Declarations: contact, event, hours, label, team, routing (grammar "Declarations", "Labels",
// "Access", "Routing").

extension RuleFileParser {
  // MARK: contact / event

  mutating func parseContact() throws(SyntaxFailure) -> ContactDecl {
    let start = position
    advance()  // contact
    let attributes = try parseBlock(.contact, owner: "contact") { p throws(SyntaxFailure) in
      try p.parseAttribute(in: "contact")
    }
    return ContactDecl(attributes: attributes, span: span(from: start))
  }

  mutating func parseEvent() throws(SyntaxFailure) -> EventDecl {
    let start = position
    advance()  // event
    let name = try parseName(of: "an event name", after: "event")
    let owner = "event \(Token.quoted(name.value))"
    let fields = try parseBlock(.event, owner: owner) { p throws(SyntaxFailure) in
      try p.parseAttribute(in: owner)
    }
    return EventDecl(name: name, fields: fields, span: span(from: start))
  }

  /// `name: type [,]`.
  mutating func parseAttribute(in owner: String) throws(SyntaxFailure) -> AttributeDecl {
    let start = position
    guard current.kind == .identifier else {
      throw fail(SyntaxCatalogue.expectedAttribute(current, owner: owner, at: current.span))
    }
    let nameToken = advance()
    let name = Identifier(nameToken.text, span: nameToken.span)
    try expect(
      .colon, after: "attribute \(Token.quoted(name.name))",
      example: "\(name.name): string")
    let type: TypeExpr
    switch current.kind {
    case .identifier where !current.isFirstOnLine:
      let token = advance()
      type = .named(Identifier(token.text, span: token.span))
    case .string where !current.isFirstOnLine:
      var values: [StringLiteral] = []
      repeat {
        if !values.isEmpty { advance() }  // |
        let value = try parseString(
          "a value in quotes", after: "\"|\"", example: "\(name.name): \"a\" | \"b\"")
        values.append(value)
      } while current.kind == .pipe
      type = .oneOf(values)
    default:
      throw fail(SyntaxCatalogue.expectedType(found: found, attribute: name.name, at: expectedSpan))
    }
    if current.kind == .comma { advance() }
    return AttributeDecl(name: name, type: type, span: span(from: start))
  }

  // MARK: hours

  mutating func parseHours() throws(SyntaxFailure) -> HoursDecl {
    let start = position
    advance()  // hours
    let name = try parseName(of: "an hours name", after: "hours")
    let owner = "hours \(Token.quoted(name.value))"
    let entries = try parseBlock(.hours, owner: owner) { p throws(SyntaxFailure) in
      try p.parseHoursEntry(owner: owner)
    }
    return HoursDecl(name: name, entries: entries, span: span(from: start))
  }

  mutating func parseHoursEntry(owner: String) throws(SyntaxFailure) -> HoursEntry {
    let start = position
    if isKeyword("zone") {
      advance()
      let zone = try parseString(
        "a time zone in quotes", after: "zone", example: "zone \"Europe/Paris\"")
      return .zone(zone, span: IgnoredInEquality(wrappedValue: span(from: start)))
    }
    guard current.kind == .identifier else {
      throw fail(SyntaxCatalogue.expectedHoursEntry(current, owner: owner, at: current.span))
    }
    var days = [try parseDayRange()]
    while current.kind == .comma {
      advance()
      days.append(try parseDayRange())
    }
    var times = [try parseTimeRange(after: "the days")]
    while current.kind == .comma {
      advance()
      times.append(try parseTimeRange(after: "\",\""))
    }
    return .schedule(HoursSchedule(days: days, times: times, span: span(from: start)))
  }

  mutating func parseDayRange() throws(SyntaxFailure) -> DayRange {
    let start = position
    // The first day starts the clause, so it is first on its line: no line check here.
    guard current.kind == .identifier else {
      throw fail(
        SyntaxCatalogue.expected(
          "a day", after: "\",\"", found: found, example: "mon-fri, sat 09:00-12:00",
          at: expectedSpan))
    }
    let firstToken = advance()
    let first = Identifier(firstToken.text, span: firstToken.span)
    var last: Identifier?
    if current.kind == .minus {
      advance()
      last = try parseIdentifier(
        "a day", after: "\"\(first.name)-\"", example: "\(first.name)-fri 09:00-18:00")
    }
    return DayRange(first: first, last: last, span: span(from: start))
  }

  mutating func parseTimeRange(after context: String) throws(SyntaxFailure) -> TimeRange {
    let start = position
    let from = try parseTime(after: context)
    try expect(.minus, after: "\(from.text)", example: "\(from.text)-18:00")
    let to = try parseTime(after: "\"-\"")
    return TimeRange(
      start: TimeOfDay(hour: from.hour, minute: from.minute, span: from.span),
      end: TimeOfDay(hour: to.hour, minute: to.minute, span: to.span), span: span(from: start))
  }

  mutating func parseTime(after context: String) throws(SyntaxFailure)
    -> (hour: Int, minute: Int, text: String, span: SourceSpan)
  {
    guard current.kind == .time, !current.isFirstOnLine,
      case .time(let hour, let minute) = current.value
    else {
      throw fail(SyntaxCatalogue.expectedTime(found: found, after: context, at: expectedSpan))
    }
    let token = advance()
    return (hour, minute, token.text, token.span)
  }

  // MARK: label

  mutating func parseLabel() throws(SyntaxFailure) -> LabelDecl {
    let start = position
    advance()  // label
    let name = try parseName(of: "a label name", after: "label")
    let owner = "label \(Token.quoted(name.value))"
    let clauses = try parseBlock(.label, owner: owner) { p throws(SyntaxFailure) in
      try p.parseLabelClause(owner: owner)
    }
    return LabelDecl(name: name, clauses: clauses, span: span(from: start))
  }

  mutating func parseLabelClause(owner: String) throws(SyntaxFailure) -> LabelClause {
    let start = position
    let kind: LabelClause.Kind
    switch current.kind == .identifier ? current.text : "" {
    case "color":
      advance()
      kind = .color(
        try parseString("a colour in quotes", after: "color", example: "color \"#2e7d32\""))
    case "description":
      advance()
      kind = .description(
        try parseString(
          "a description in quotes", after: "description", example: "description \"…\""))
    case "when":
      advance()
      kind = .when(try parseCondition(after: "when"))
      clauseEnding = .condition
    case "was":
      advance()
      kind = .was(
        try parseString(
          "the label's former name in quotes", after: "was", example: "was \"Support Technique\""))
    case "remove":
      let remove = advance()
      guard isKeyword("when"), !current.isFirstOnLine else {
        throw fail(SyntaxCatalogue.removeWithoutWhen(found: found, remove: remove.span))
      }
      advance()
      kind = .removeWhen(try parseCondition(after: "remove when"))
      clauseEnding = .condition
    default:
      throw unknownClause(in: .label, owner: owner)
    }
    return LabelClause(kind, span: span(from: start))
  }

  // MARK: team

  mutating func parseTeam() throws(SyntaxFailure) -> TeamDecl {
    let start = position
    advance()  // team
    let name = try parseName(of: "a team name", after: "team")
    let owner = "team \(Token.quoted(name.value))"
    let clauses = try parseBlock(.team, owner: owner) { p throws(SyntaxFailure) in
      try p.parseTeamClause(owner: owner)
    }
    return TeamDecl(name: name, clauses: clauses, span: span(from: start))
  }

  mutating func parseTeamClause(owner: String) throws(SyntaxFailure) -> TeamClause {
    let start = position
    let kind: TeamClause.Kind
    switch current.kind == .identifier ? current.text : "" {
    case "members":
      advance()
      kind = .members(
        try parseStringList(after: "members", example: "members [\"alice@exemple.fr\"]"))
    case "can":
      advance()
      let level = try parseAccessLevel(after: "can")
      kind = .grant(level: level, scope: try parseGrantScope(level: level.value))
    default:
      throw unknownClause(in: .team, owner: owner)
    }
    return TeamClause(kind, span: span(from: start))
  }

  mutating func parseGrantScope(level: AccessLevel) throws(SyntaxFailure) -> GrantScope {
    let context = "can \(level.rawValue)"
    if isKeyword("all") && !current.isFirstOnLine {
      advance()
      guard isKeyword("except") && !current.isFirstOnLine else { return .all }
      advance()
      _ = try expectKeyword(
        ["labels"], after: "\(context) all except", code: SyntaxCatalogue.Code.invalidGrantScope,
        help: "write `\(context) all except labels [\"Label\"]`")
      return .allExcept(
        try parseStringList(
          after: "except labels", example: "\(context) all except labels [\"Label\"]"))
    }
    if isKeyword("labels") && !current.isFirstOnLine {
      advance()
      return .labels(
        try parseStringList(after: "labels", example: "\(context) labels [\"Label\"]"))
    }
    throw fail(
      SyntaxCatalogue.invalidGrantScope(
        found: found, word: foundWord, context: context,
        at: foundWord != nil ? current.span : expectedSpan))
  }

  // MARK: routing

  mutating func parseRouting() throws(SyntaxFailure) -> RoutingDecl {
    let start = position
    advance()  // routing
    if current.kind == .string {
      // `routing "main" {`: routing has no name; say so and carry on.
      report(SyntaxCatalogue.routingHasNoName(at: current.span))
      advance()
    }
    let entries = try parseBlock(.routing, owner: "routing") { p throws(SyntaxFailure) in
      try p.parseRoutingEntry()
    }
    return RoutingDecl(entries: entries, span: span(from: start))
  }

  mutating func parseRoutingEntry() throws(SyntaxFailure) -> RoutingEntry {
    let start = position
    switch current.kind == .identifier ? current.text : "" {
    case "default":
      advance()
      let mode = try parseMode(after: "default")
      return RoutingEntry(.defaultMode(mode), span: span(from: start))
    case "when":
      advance()
      let condition = try parseCondition(after: "when")
      if current.kind == .arrow {
        advance()
      } else if let word = foundWord, Mode(rawValue: word) != nil {
        // `when label "VIP" human`: only the arrow is missing; keep the rule.
        report(SyntaxCatalogue.missingArrow(found: found, at: current.span))
      } else {
        throw fail(SyntaxCatalogue.missingArrow(found: found, at: expectedSpan))
      }
      let target = try parseRouteTarget()
      clauseEnding = .routeTarget
      return RoutingEntry(
        .rule(condition: condition, target: target), span: span(from: start))
    default:
      throw unknownClause(in: .routing, owner: "routing")
    }
  }

  mutating func parseRouteTarget() throws(SyntaxFailure) -> RouteTarget {
    let start = position
    let mode = try parseMode(after: "\"->\"")
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
    return RouteTarget(mode: mode, team: team, priority: priority, span: span(from: start))
  }
}

// Matching: synonyms and the rule set's language (issue 19).

extension RuleFileParser {
  /// `synonyms { "rdv" = "rendez-vous" ... }`, one pair per line.
  mutating func parseSynonyms() throws(SyntaxFailure) -> SynonymsDecl {
    let start = position
    advance()  // synonyms
    let pairs = try parseBlock(.synonyms, owner: "synonyms") { p throws(SyntaxFailure) in
      try p.parseSynonymPair()
    }
    return SynonymsDecl(pairs: pairs, span: span(from: start))
  }

  mutating func parseSynonymPair() throws(SyntaxFailure) -> SynonymPair {
    let start = position
    guard current.kind == .string else {
      throw fail(
        SyntaxCatalogue.expected(
          "a word in quotes", after: "synonyms {", found: found,
          example: "\"rdv\" = \"rendez-vous\"", at: current.span))
    }
    // The clause's first token, so first on its line: `parseString` would refuse it.
    let writtenToken = advance()
    let written = StringLiteral(writtenToken.stringValue ?? "", span: writtenToken.span)
    let shown = Token.quoted(written.value)
    try expect(.equal, after: shown, example: "\(shown) = \"…\"")
    let meaning = try parseString(
      "its meaning in quotes", after: "\(shown) =", example: "\(shown) = \"…\"")
    return SynonymPair(written: written, meaning: meaning, span: span(from: start))
  }

  /// `language fr`.
  mutating func parseLanguage() throws(SyntaxFailure) -> LanguageDecl {
    let start = position
    advance()  // language
    let name = try parseIdentifier("a language", after: "language", example: "language fr")
    guard let language = RuleLanguage(rawValue: name.name) else {
      throw fail(SyntaxCatalogue.unknownLanguage(name.name, at: name.span))
    }
    return LanguageDecl(
      language: Located(language, span: name.span), span: span(from: start))
  }
}
