import EtiquetteDiagnostics
import EtiquetteSyntax
import Testing

private let unknown = IgnoredInEquality(wrappedValue: SourceSpan.unknown)
private func s(_ value: String) -> StringLiteral { StringLiteral(value, span: .unknown) }
private func id(_ name: String) -> Identifier { Identifier(name, span: .unknown) }
private func atom(_ kind: Atom.Kind) -> Condition { .atom(Atom(kind, span: .unknown)) }
private func label(_ name: String) -> Condition { atom(.label(s(name))) }

/// Parses `source`, requiring no diagnostics, and returns its single item.
private func onlyItem(_ source: String) throws -> Item {
  let (result, sources) = parse(source)
  #expect(result.diagnostics.isEmpty, "\(rendered(result, sources))")
  try #require(result.ruleFile.items.count == 1)
  return result.ruleFile.items[0]
}

private func condition(_ text: String) throws -> Condition {
  guard case .label(let decl) = try onlyItem("label \"L\" {\n  when \(text)\n}"),
    case .when(let c) = decl.clauses.first?.kind
  else { throw ParseFailure() }
  return c
}

private func testEntries(_ body: String) throws -> [TestEntry] {
  guard case .test(let t) = try onlyItem("test \"t\" {\n\(body)\n}") else { throw ParseFailure() }
  return t.entries
}

private struct ParseFailure: Error {}

@Suite struct ParserTests {
  // MARK: Declarations

  @Test func contactAndEventAttributes() throws {
    guard
      case .contact(let c) = try onlyItem(
        "contact { tier: \"a\" | \"b\" | \"c\", age: number\n vip: bool }")
    else { throw ParseFailure() }
    #expect(c.attributes.map(\.name.name) == ["tier", "age", "vip"])
    #expect(c.attributes[0].type == .oneOf([s("a"), s("b"), s("c")]))
    #expect(c.attributes[1].type == .named(id("number")))
    guard case .event(let e) = try onlyItem("event \"paid\" {\n  amount: number\n}")
    else { throw ParseFailure() }
    #expect(e.name.value == "paid")
    #expect(e.fields.map(\.name.name) == ["amount"])
  }

  @Test func keywordsAreContextual() throws {
    guard case .contact(let c) = try onlyItem("contact {\n  type: string\n  label: string\n}")
    else { throw ParseFailure() }
    #expect(c.attributes.map(\.name.name) == ["type", "label"])
  }

  @Test func hoursEntries() throws {
    guard
      case .hours(let h) = try onlyItem(
        "hours \"h\" {\n  zone \"Europe/Paris\"\n  mon-wed, fri 09:00-12:00, 14:00-18:30\n  sun 9:00-9:30\n}"
      )
    else { throw ParseFailure() }
    #expect(h.entries.count == 3)
    #expect(h.entries[0] == .zone(s("Europe/Paris"), span: unknown))
    guard case .schedule(let schedule) = h.entries[1] else { throw ParseFailure() }
    #expect(
      schedule.days == [
        DayRange(first: id("mon"), last: id("wed"), span: .unknown),
        DayRange(first: id("fri"), last: nil, span: .unknown),
      ])
    #expect(schedule.times.map(\.start.minutes) == [540, 840])
    #expect(schedule.times.map(\.end.minutes) == [720, 1110])
  }

  @Test func labelClauses() throws {
    guard
      case .label(let l) = try onlyItem(
        "label \"L\" {\n  color \"#fff\"\n  description \"d\"\n  when label \"A\"\n  remove when label \"B\"\n}"
      )
    else { throw ParseFailure() }
    #expect(
      l.clauses.map(\.kind) == [
        .color(s("#fff")), .description(s("d")), .when(label("A")), .removeWhen(label("B")),
      ])
  }

  @Test(arguments: [
    ("can view all", AccessLevel.view, GrantScope.all),
    ("can reply labels [\"A\", \"B\",]", .reply, .labels([s("A"), s("B")])),
    ("can manage all except labels [\"A\"]", .manage, .allExcept([s("A")])),
    ("can view labels []", .view, .labels([])),
  ])
  func teamGrants(source: String, level: AccessLevel, scope: GrantScope) throws {
    guard case .team(let t) = try onlyItem("team \"T\" {\n  members [\"a@x.fr\"]\n  \(source)\n}")
    else { throw ParseFailure() }
    #expect(t.clauses[0].kind == .members([s("a@x.fr")]))
    #expect(t.clauses[1].kind == .grant(level: Located(level, span: .unknown), scope: scope))
  }

  @Test(
    arguments: [
      ("-> ai", Mode.ai, nil, nil),
      ("-> human team \"S\"", .human, "S", nil),
      ("-> human priority low", .human, nil, Priority.low),
      ("-> human team \"S\" priority normal", .human, "S", .normal),
    ] as [(String, Mode, String?, Priority?)])
  func routeTargets(source: String, mode: Mode, team: String?, priority: Priority?) throws {
    guard
      case .routing(let r) = try onlyItem(
        "routing {\n  default human\n  when label \"A\" \(source)\n}")
    else { throw ParseFailure() }
    #expect(r.entries[0].kind == .defaultMode(Located(.human, span: .unknown)))
    guard case .rule(let c, let target) = r.entries[1].kind else { throw ParseFailure() }
    #expect(c == label("A"))
    #expect(target.mode.value == mode)
    #expect(target.team?.value == team)
    #expect(target.priority?.value == priority)
  }

  // MARK: Conditions

  @Test(arguments: [
    ("message contains \"x\"", Atom.Kind.messageContains(.one, [s("x")])),
    ("message contains all [\"a\", \"b\"]", .messageContains(.all, [s("a"), s("b")])),
    // Phrase modes (issue 19), in either order.
    ("message contains forms \"a\"", .messageContains(.one, [s("a")], modes: .forms)),
    (
      "message contains any forms typos [\"a\"]",
      .messageContains(.any, [s("a")], modes: [.forms, .typos])
    ),
    (
      "message contains all typos forms [\"a\"]",
      .messageContains(.all, [s("a")], modes: [.forms, .typos])
    ),
    ("event \"paid\"", .event(s("paid"))),
    ("mode is human", .modeIs(Located(.human, span: .unknown))),
    ("during \"bureau\"", .during(s("bureau"))),
    (
      "message.type is image",
      .comparison(
        FieldPath(subject: Located(.message, span: .unknown), field: id("type"), span: .unknown),
        Located(.is, span: .unknown), .identifier(id("image")))
    ),
    (
      "message.type in [image, video]",
      .comparison(
        FieldPath(subject: Located(.message, span: .unknown), field: id("type"), span: .unknown),
        Located(.in, span: .unknown),
        .list([.identifier(id("image")), .identifier(id("video"))], span: unknown))
    ),
    (
      "contact.name starts with \"A\"",
      .comparison(
        FieldPath(subject: Located(.contact, span: .unknown), field: id("name"), span: .unknown),
        Located(.startsWith, span: .unknown), .string(s("A")))
    ),
    (
      "event.amount >= 100.5",
      .comparison(
        FieldPath(subject: Located(.event, span: .unknown), field: id("amount"), span: .unknown),
        Located(.greaterOrEqual, span: .unknown),
        .number(NumberLiteral(value: 100.5, text: "100.5", span: .unknown)))
    ),
    (
      "contact.vip != true",
      .comparison(
        FieldPath(subject: Located(.contact, span: .unknown), field: id("vip"), span: .unknown),
        Located(.notEqual, span: .unknown), .bool(Located(true, span: .unknown)))
    ),
  ])
  func atoms(source: String, expected: Atom.Kind) throws {
    #expect(try condition(source) == atom(expected))
  }

  @Test(arguments: ["==", "!=", "<", "<=", ">", ">="])
  func comparisonOperators(op: String) throws {
    guard case .atom(let a) = try condition("event.n \(op) 3"),
      case .comparison(_, let parsed, _) = a.kind
    else { throw ParseFailure() }
    #expect(parsed.value.rawValue == op)
  }

  @Test func precedenceNotThenAndThenOr() throws {
    let parsed = try condition("label \"A\" or not label \"B\" and label \"C\"")
    #expect(
      parsed
        == .or(
          label("A"), .and(.not(label("B"), span: unknown), label("C"), span: unknown),
          span: unknown))
  }

  @Test func andOrAreLeftAssociative() throws {
    let parsed = try condition("label \"A\" and label \"B\" and label \"C\"")
    #expect(parsed == .and(.and(label("A"), label("B"), span: unknown), label("C"), span: unknown))
    let ors = try condition("label \"A\" or label \"B\" or label \"C\"")
    #expect(ors == .or(.or(label("A"), label("B"), span: unknown), label("C"), span: unknown))
  }

  @Test func parenthesesAreKept() throws {
    let parsed = try condition("not (label \"A\" or label \"B\")")
    #expect(
      parsed
        == .not(
          .parenthesized(.or(label("A"), label("B"), span: unknown), span: unknown), span: unknown))
  }

  @Test func conditionsMaySpanLines() throws {
    let parsed = try condition("label \"A\" and\n    label \"B\"")
    #expect(parsed == .and(label("A"), label("B"), span: unknown))
    let list = try condition("message contains any [\n    \"a\",\n    \"b\",\n  ]")
    #expect(list == atom(.messageContains(.any, [s("a"), s("b")])))
  }

  @Test func conditionSpans() throws {
    let source = "label \"L\" {\n  when not (label \"A\") and mode is ai\n}"
    let (result, sources) = parse(source)
    let file = try #require(sources.files.first)
    guard case .label(let l) = result.ruleFile.items.first, case .when(let c) = l.clauses[0].kind,
      case .and(let left, let right, _) = c
    else { throw ParseFailure() }
    #expect(file.text(of: c.span) == "not (label \"A\") and mode is ai")
    #expect(file.text(of: left.span) == "not (label \"A\")")
    #expect(file.text(of: right.span) == "mode is ai")
    #expect(file.text(of: l.clauses[0].span) == "when not (label \"A\") and mode is ai")
    #expect(file.text(of: l.span) == source)
  }

  // MARK: Tests

  @Test func testSteps() throws {
    let entries = try testEntries(
      """
        contact { tier: "vip", "order-id": 12, ok: true, tags: [a, "b"] }
        at "2026-11-24T10:00:00+01:00"
        customer says "bonjour"
        customer sends image "capture"
        customer sends sticker
        event "paid"
        event "paid" { amount: 10 }
      """)
    let steps = entries.compactMap { if case .step(let s) = $0 { s.kind } else { nil } }
    #expect(steps.count == 7)
    guard case .contact(let object) = steps[0] else { throw ParseFailure() }
    #expect(object.fields.map(\.key.name) == ["tier", "order-id", "ok", "tags"])
    #expect(object.fields[1].value == .number(NumberLiteral(value: 12, text: "12", span: .unknown)))
    #expect(
      object.fields[3].value == .list([.identifier(id("a")), .string(s("b"))], span: unknown))
    #expect(steps[1] == .at(s("2026-11-24T10:00:00+01:00")))
    #expect(steps[2] == .customerSays(s("bonjour")))
    #expect(steps[3] == .customerSends(type: id("image"), caption: s("capture")))
    #expect(steps[4] == .customerSends(type: id("sticker"), caption: nil))
    #expect(steps[5] == .event(name: s("paid"), fields: nil))
    guard case .event(_, let fields) = steps[6] else { throw ParseFailure() }
    #expect(fields?.fields.count == 1)
  }

  @Test(arguments: [
    ("takes over", AgentAction.takesOver),
    ("transfers to ai", .transfersToAI),
    ("keeps human and leaves", .keepsHumanAndLeaves),
    ("adds label \"X\"", .addsLabel(s("X"))),
    ("removes label \"X\"", .removesLabel(s("X"))),
    ("replies \"ok\"", .replies(s("ok"))),
    ("notes \"n\"", .notes(s("n"))),
  ])
  func agentActions(source: String, action: AgentAction) throws {
    let entries = try testEntries("  agent \"m@x.fr\" \(source)")
    #expect(
      entries.first == .step(TestStep(.agent(member: s("m@x.fr"), action: action), span: .unknown)))
  }

  @Test(arguments: [
    ("labels [\"A\"]", EtiquetteSyntax.Expectation.Kind.labels([s("A")])),
    ("label \"A\"", .label(s("A"))),
    ("no label \"A\"", .noLabel(s("A"))),
    ("mode ai", .mode(Located(.ai, span: .unknown))),
    ("notify \"m\"", .notify(s("m"))),
    (
      "\"m\" can manage",
      .access(member: s("m"), allowed: true, level: Located(.manage, span: .unknown))
    ),
    (
      "\"m\" cannot reply",
      .access(member: s("m"), allowed: false, level: Located(.reply, span: .unknown))
    ),
    (
      "route unchanged",
      .route(
        RouteExpectation(
          outcome: Located(.unchanged, span: .unknown), team: nil, priority: nil, span: .unknown))
    ),
    (
      "route human team \"S\" priority high",
      .route(
        RouteExpectation(
          outcome: Located(.mode(.human), span: .unknown), team: s("S"),
          priority: Located(.high, span: .unknown), span: .unknown))
    ),
  ])
  func expectations(source: String, expected: EtiquetteSyntax.Expectation.Kind) throws {
    let entries = try testEntries("  expect \(source)")
    #expect(entries.first == .expectation(EtiquetteSyntax.Expectation(expected, span: .unknown)))
  }

  @Test func emptyFileAndCommentsOnly() {
    let (empty, _) = parse("")
    #expect(empty.ruleFile.items.isEmpty && empty.diagnostics.isEmpty)
    let (comments, _) = parse("# a\n\n   # b\n")
    #expect(comments.ruleFile.items.isEmpty && comments.diagnostics.isEmpty)
    #expect(comments.ruleFile.comments.count == 2)
  }

  @Test func emptyBlocks() throws {
    let (result, _) = parse("contact {}\nlabel \"A\" {}\nrouting {\n}\ntest \"t\" {}")
    #expect(result.diagnostics.isEmpty)
    #expect(result.ruleFile.items.count == 4)
  }

  @Test func astEqualityIgnoresLayoutAndComments() {
    let (a, _) = parse("label \"A\" { when label \"B\" }")
    let (b, _) = parse("# note\nlabel   \"A\"   {\n\n  when   label \"B\"  # why\n}\n")
    #expect(a.ruleFile == b.ruleFile)
    let (c, _) = parse("label \"A\" { when label \"C\" }")
    #expect(a.ruleFile != c.ruleFile)
  }
}
