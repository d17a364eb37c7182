import EtiquetteDiagnostics
import EtiquetteSyntax

// How each node of the tree is spelled: the translation from AST to layout pieces. Everything
// about line breaking and comments lives in LayoutPrinter; this file only says which words,
// strings and groups make up each clause.

extension LayoutPrinter {
  typealias Spelling = CanonicalSpelling

  func blockLayout(_ item: Item) -> BlockLayout {
    switch item {
    case .contact(let decl):
      return block(
        "contact", span: decl.span, openSearch: decl.span.start,
        clauses: decl.attributes.map(attributeClause))
    case .event(let decl):
      return block(
        "event " + Spelling.quoted(decl.name), span: decl.span, openSearch: decl.name.span.end,
        clauses: decl.fields.map(attributeClause))
    case .hours(let decl):
      return block(
        "hours " + Spelling.quoted(decl.name), span: decl.span, openSearch: decl.name.span.end,
        clauses: decl.entries.map(hoursClause))
    case .label(let decl):
      return block(
        "label " + Spelling.quoted(decl.name), span: decl.span, openSearch: decl.name.span.end,
        clauses: decl.clauses.map(labelClause))
    case .team(let decl):
      return block(
        "team " + Spelling.quoted(decl.name), span: decl.span, openSearch: decl.name.span.end,
        clauses: decl.clauses.map(teamClause))
    case .routing(let decl):
      return block(
        "routing", span: decl.span, openSearch: decl.span.start,
        clauses: decl.entries.map(routingClause))
    case .test(let decl):
      return block(
        "test " + Spelling.quoted(decl.name), span: decl.span, openSearch: decl.name.span.end,
        clauses: decl.entries.map(testClause))
    case .synonyms(let decl):
      return block(
        "synonyms", span: decl.span, openSearch: decl.span.start,
        clauses: decl.pairs.map { pair in
          ClauseLayout(
            Spelling.quoted(pair.written) + " = " + Spelling.quoted(pair.meaning),
            span: pair.span)
        })
    case .language(let decl):
      return BlockLayout(
        header: "language " + decl.language.value.rawValue, span: decl.span, openBrace: nil,
        clauses: [], hasBraces: false)
    }
  }

  private func block(
    _ header: String, span: SourceSpan, openSearch: Int, clauses: [ClauseLayout]
  ) -> BlockLayout {
    let open = scanner.find(UInt8(ascii: "{"), from: openSearch, skippingWords: true)
    return BlockLayout(header: header, span: span, openBrace: open, clauses: clauses)
  }

  // MARK: - Declarations

  private func attributeClause(_ attribute: AttributeDecl) -> ClauseLayout {
    let type =
      switch attribute.type {
      case .named(let name): name.name
      case .oneOf(let values): values.map(Spelling.quoted).joined(separator: " | ")
      }
    return ClauseLayout(attribute.name.name + ": " + type, span: attribute.span)
  }

  private func hoursClause(_ entry: HoursEntry) -> ClauseLayout {
    switch entry {
    case .zone(let zone, let span):
      return ClauseLayout("zone " + Spelling.quoted(zone), span: span.wrappedValue)
    case .schedule(let schedule):
      let days = schedule.days.map { day in
        day.first.name + (day.last.map { "-" + $0.name } ?? "")
      }
      let times = schedule.times.map { Spelling.time($0.start) + "-" + Spelling.time($0.end) }
      return ClauseLayout(
        days.joined(separator: ", ") + " " + times.joined(separator: ", "), span: schedule.span)
    }
  }

  private func labelClause(_ clause: LabelClause) -> ClauseLayout {
    switch clause.kind {
    case .color(let color):
      return ClauseLayout("color " + Spelling.quoted(color), span: clause.span)
    case .description(let text):
      return ClauseLayout("description " + Spelling.quoted(text), span: clause.span)
    case .when(let condition):
      return ClauseLayout([.text("when ")] + conditionPieces(condition), span: clause.span)
    case .removeWhen(let condition):
      return ClauseLayout([.text("remove when ")] + conditionPieces(condition), span: clause.span)
    case .was(let name):
      return ClauseLayout("was " + Spelling.quoted(name), span: clause.span)
    }
  }

  private func teamClause(_ clause: TeamClause) -> ClauseLayout {
    switch clause.kind {
    case .members(let members):
      return ClauseLayout(
        [.text("members "), stringList(members, after: clause.span.start)], span: clause.span)
    case .grant(let level, let scope):
      let prefix = "can " + level.value.rawValue + " "
      switch scope {
      case .all:
        return ClauseLayout(prefix + "all", span: clause.span)
      case .allExcept(let labels):
        return ClauseLayout(
          [.text(prefix + "all except labels "), stringList(labels, after: level.span.end)],
          span: clause.span)
      case .labels(let labels):
        return ClauseLayout(
          [.text(prefix + "labels "), stringList(labels, after: level.span.end)],
          span: clause.span)
      }
    }
  }

  private func routingClause(_ entry: RoutingEntry) -> ClauseLayout {
    switch entry.kind {
    case .defaultMode(let mode):
      return ClauseLayout("default " + mode.value.rawValue, span: entry.span)
    case .rule(let condition, let target):
      var text = " -> " + target.mode.value.rawValue
      if let team = target.team { text += " team " + Spelling.quoted(team) }
      if let priority = target.priority { text += " priority " + priority.value.rawValue }
      return ClauseLayout(
        [.text("when ")] + conditionPieces(condition) + [.text(text)], span: entry.span)
    }
  }

  // MARK: - Conditions

  /// The condition on one line, parentheses exactly where the tree has them. Iterative, so a
  /// chain of thousands of `and`s (a left-deep tree) cannot exhaust the stack.
  private func conditionPieces(_ condition: Condition) -> [LayoutPiece] {
    enum Work {
      case condition(Condition)
      case text(String)
    }
    var pieces: [LayoutPiece] = []
    var stack: [Work] = [.condition(condition)]
    while let work = stack.popLast() {
      switch work {
      case .text(let text):
        pieces.append(.text(text))
      case .condition(.and(let left, let right, _)):
        stack += [.condition(right), .text(" and "), .condition(left)]
      case .condition(.or(let left, let right, _)):
        stack += [.condition(right), .text(" or "), .condition(left)]
      case .condition(.not(let inner, _)):
        pieces.append(.text("not "))
        stack.append(.condition(inner))
      case .condition(.parenthesized(let inner, _)):
        pieces.append(.text("("))
        stack += [.text(")"), .condition(inner)]
      case .condition(.atom(let atom)):
        pieces += atomPieces(atom)
      }
    }
    return pieces
  }

  private func atomPieces(_ atom: Atom) -> [LayoutPiece] {
    switch atom.kind {
    case .messageContains(let quantifier, let phrases, let modes):
      // The order is fixed: `any` / `all`, then `forms`, then `typos`.
      let words = modes.keywords.map { $0 + " " }.joined()
      switch quantifier {
      case .one:
        // INVARIANT: the parser gives `.one` exactly one phrase.
        return [
          .text("message contains " + words + Spelling.quoted(phrases.first?.value ?? ""))
        ]
      case .any:
        return [
          .text("message contains any " + words), stringList(phrases, after: atom.span.start),
        ]
      case .all:
        return [
          .text("message contains all " + words), stringList(phrases, after: atom.span.start),
        ]
      }
    case .messageMatches(let regex):
      return [.text("message matches /" + regex.pattern + "/" + regex.flags)]
    case .comparison(let path, let op, let value):
      return [.text(path.description + " " + op.value.rawValue + " ")] + valuePieces(value)
    case .event(let name):
      return [.text("event " + Spelling.quoted(name))]
    case .label(let name):
      return [.text("label " + Spelling.quoted(name))]
    case .modeIs(let mode):
      return [.text("mode is " + mode.value.rawValue)]
    case .during(let hours):
      return [.text("during " + Spelling.quoted(hours))]
    }
  }

  // MARK: - Values and lists

  private func valuePieces(_ value: Value) -> [LayoutPiece] {
    switch value {
    case .string(let string): [.text(Spelling.quoted(string))]
    case .number(let number): [.text(Spelling.number(number))]
    case .bool(let bool): [.text(bool.value ? "true" : "false")]
    case .identifier(let identifier): [.text(identifier.name)]
    case .list(let values, let span): [.group(valueList(values, span: span.wrappedValue))]
    }
  }

  private func valueList(_ values: [Value], span: SourceSpan) -> BracketGroup {
    let elements = values.map { BracketGroup.Element(pieces: valuePieces($0), span: $0.span) }
    return BracketGroup(
      style: .list, elements: elements,
      brackets: brackets(
        open: UInt8(ascii: "["), close: UInt8(ascii: "]"), span: span,
        lastElementEnd: values.last?.span.end))
  }

  /// A `[...]` of strings whose `[` is the first bracket after `offset` (only keywords lie
  /// between: `members [`, `contains any [`, `labels [`).
  private func stringList(_ strings: [StringLiteral], after offset: Int) -> LayoutPiece {
    let elements = strings.map { string in
      BracketGroup.Element(pieces: [.text(Spelling.quoted(string))], span: string.span)
    }
    var range = 0..<0
    if let open = scanner.find(UInt8(ascii: "["), from: offset, skippingWords: true),
      let close = scanner.find(
        UInt8(ascii: "]"), from: strings.last?.span.end ?? (open + 1), skippingCommas: true),
      open < close
    {
      range = open..<(close + 1)
    }
    return .group(BracketGroup(style: .list, elements: elements, brackets: range))
  }

  /// The bracket range of a node whose span should run from its opening to its closing bracket;
  /// found by scanning when the span does not start and end on them.
  private func brackets(
    open: UInt8, close: UInt8, span: SourceSpan, lastElementEnd: Int?
  ) -> Range<Int> {
    let bytes = source.bytes
    if span.start >= 0, span.end <= bytes.count, span.length >= 2, bytes[span.start] == open,
      bytes[span.end - 1] == close
    {
      return span.start..<span.end
    }
    guard let openOffset = scanner.find(open, from: span.start),
      let closeOffset = scanner.find(
        close, from: lastElementEnd ?? (openOffset + 1), skippingCommas: true),
      openOffset < closeOffset
    else { return 0..<0 }
    return openOffset..<(closeOffset + 1)
  }

  // MARK: - Tests

  private func testClause(_ entry: TestEntry) -> ClauseLayout {
    switch entry {
    case .step(let step):
      return ClauseLayout(stepPieces(step), span: step.span)
    case .expectation(let expectation):
      return ClauseLayout(expectationPieces(expectation), span: expectation.span)
    }
  }

  private func stepPieces(_ step: TestStep) -> [LayoutPiece] {
    switch step.kind {
    case .contact(let object):
      return [.text("contact "), .group(objectGroup(object))]
    case .at(let instant):
      return [.text("at " + Spelling.quoted(instant))]
    case .customerSays(let text):
      return [.text("customer says " + Spelling.quoted(text))]
    case .customerSends(let type, let caption):
      return [
        .text("customer sends " + type.name + (caption.map { " " + Spelling.quoted($0) } ?? ""))
      ]
    case .event(let name, let fields):
      let head = "event " + Spelling.quoted(name)
      guard let fields else { return [.text(head)] }
      return [.text(head + " "), .group(objectGroup(fields))]
    case .agent(let member, let action):
      return [.text("agent " + Spelling.quoted(member) + " " + agentAction(action))]
    }
  }

  private func agentAction(_ action: AgentAction) -> String {
    switch action {
    case .takesOver: "takes over"
    case .transfersToAI: "transfers to ai"
    case .keepsHumanAndLeaves: "keeps human and leaves"
    case .addsLabel(let label): "adds label " + Spelling.quoted(label)
    case .removesLabel(let label): "removes label " + Spelling.quoted(label)
    case .replies(let text): "replies " + Spelling.quoted(text)
    case .notes(let text): "notes " + Spelling.quoted(text)
    }
  }

  private func objectGroup(_ object: ObjectLiteral) -> BracketGroup {
    let elements = object.fields.map { field in
      BracketGroup.Element(
        pieces: [.text(Spelling.key(field.key) + ": ")] + valuePieces(field.value), span: field.span
      )
    }
    return BracketGroup(
      style: .object, elements: elements,
      brackets: brackets(
        open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), span: object.span,
        lastElementEnd: object.fields.last?.span.end))
  }

  private func expectationPieces(_ expectation: Expectation) -> [LayoutPiece] {
    switch expectation.kind {
    case .labels(let labels):
      return [.text("expect labels "), stringList(labels, after: expectation.span.start)]
    case .label(let label):
      return [.text("expect label " + Spelling.quoted(label))]
    case .noLabel(let label):
      return [.text("expect no label " + Spelling.quoted(label))]
    case .route(let route):
      var text = "expect route "
      switch route.outcome.value {
      case .mode(let mode): text += mode.rawValue
      case .unchanged: text += "unchanged"
      }
      if let team = route.team { text += " team " + Spelling.quoted(team) }
      if let priority = route.priority { text += " priority " + priority.value.rawValue }
      return [.text(text)]
    case .mode(let mode):
      return [.text("expect mode " + mode.value.rawValue)]
    case .notify(let member):
      return [.text("expect notify " + Spelling.quoted(member))]
    case .access(let member, let allowed, let level):
      return [
        .text(
          "expect " + Spelling.quoted(member) + (allowed ? " can " : " cannot ")
            + level.value.rawValue)
      ]
    }
  }
}
