import EtiquetteDiagnostics
import EtiquetteSyntax
import Foundation
import Testing

/// Concrete facts about grammar/examples/complete.etq, the issue's example.
@Suite struct CompleteExampleTests {
  let result: ParseResult
  let file: SourceFile

  init() throws {
    let path = repositoryRoot + "/grammar/examples/complete.etq"
    let bytes = try #require(FileManager.default.contents(atPath: path))
    file = SourceFile(id: SourceFileID(0), path: path, bytes: Array(bytes))
    result = Parser.parse(file)
  }

  var labels: [LabelDecl] {
    result.ruleFile.items.compactMap { if case .label(let l) = $0 { l } else { nil } }
  }
  var teams: [TeamDecl] {
    result.ruleFile.items.compactMap { if case .team(let t) = $0 { t } else { nil } }
  }
  var tests: [TestDecl] {
    result.ruleFile.items.compactMap { if case .test(let t) = $0 { t } else { nil } }
  }

  func s(_ value: String) -> StringLiteral { StringLiteral(value, span: .unknown) }

  @Test func parsesWithoutDiagnostics() {
    #expect(result.diagnostics.isEmpty)
  }

  @Test func itemCountsAndOrder() {
    let kinds = result.ruleFile.items.map(\.keyword)
    #expect(kinds.count == 22)
    #expect(kinds.prefix(3) == ["contact", "event", "hours"])
    #expect(kinds.filter { $0 == "label" }.count == 5)
    #expect(kinds.filter { $0 == "team" }.count == 5)
    #expect(kinds.filter { $0 == "routing" }.count == 1)
    #expect(kinds.filter { $0 == "test" }.count == 7)
  }

  @Test func labelNames() {
    #expect(
      labels.map(\.name.value) == [
        "Personnes Qui Ont Planifié", "Demandes de Commande", "Support Technique",
        "Demandes de Vente", "VIP",
      ])
  }

  @Test func contactAttributes() throws {
    guard case .contact(let contact) = try #require(result.ruleFile.items.first) else {
      Issue.record("first item is not contact")
      return
    }
    #expect(contact.attributes.map(\.name.name) == ["tier", "language"])
    #expect(contact.attributes[0].type == .oneOf([s("standard"), s("vip")]))
    #expect(contact.attributes[1].type == .named(Identifier("string", span: .unknown)))
  }

  @Test func hours() throws {
    guard case .hours(let hours) = result.ruleFile.items[2] else {
      Issue.record("third item is not hours")
      return
    }
    #expect(hours.name.value == "bureau")
    #expect(hours.entries.count == 3)
    guard case .schedule(let weekdays) = hours.entries[1] else {
      Issue.record("no schedule")
      return
    }
    #expect(weekdays.days.map(\.first.name) == ["mon"])
    #expect(weekdays.days.first?.last?.name == "fri")
    #expect(weekdays.times.map(\.start.minutes) == [9 * 60])
    #expect(weekdays.times.map(\.end.minutes) == [18 * 60])
  }

  @Test func salesTriggerIsContainsAnyAndNotLabel() throws {
    let sales = try #require(labels.first { $0.name.value == "Demandes de Vente" })
    #expect(sales.clauses.count == 1)
    guard case .when(let condition) = sales.clauses[0].kind else {
      Issue.record("not a when clause")
      return
    }
    let unknown = IgnoredInEquality(wrappedValue: SourceSpan.unknown)
    let expected = Condition.and(
      .atom(Atom(.messageContains(.any, [s("devis"), s("tarif"), s("prix")]), span: .unknown)),
      .not(.atom(Atom(.label(s("Demandes de Commande")), span: .unknown)), span: unknown),
      span: unknown)
    #expect(condition == expected)
    // The span covers the whole condition, from `message` to the closing quote.
    #expect(file.text(of: condition.span).hasPrefix("message contains any"))
    #expect(file.text(of: condition.span).hasSuffix("not label \"Demandes de Commande\""))
  }

  @Test func regexLiterals() throws {
    let orders = try #require(labels.first { $0.name.value == "Demandes de Commande" })
    guard case .when(.atom(let atom)) = orders.clauses[1].kind,
      case .messageMatches(let regex) = atom.kind
    else {
      Issue.record("no regex")
      return
    }
    #expect(regex.pattern == #"\b(?:CMD|ORD)-\d{6}\b"#)
    #expect(regex.flags == "")
    #expect(file.text(of: regex.patternSpan) == regex.pattern)
    let support = try #require(labels.first { $0.name.value == "Support Technique" })
    guard case .when(.atom(let atom2)) = support.clauses[0].kind,
      case .messageMatches(let regex2) = atom2.kind
    else {
      Issue.record("no regex")
      return
    }
    #expect(regex2.flags == "i")
    #expect(file.text(of: regex2.flagsSpan) == "i")
  }

  @Test func plannedLabelHasRemoveWhen() throws {
    let planned = try #require(labels.first)
    #expect(planned.clauses.count == 4)
    #expect(planned.clauses[0].kind == .color(s("#2e7d32")))
    guard case .removeWhen(.atom(let atom)) = planned.clauses[3].kind else {
      Issue.record("no remove when")
      return
    }
    #expect(
      atom.kind
        == .messageContains(
          .any, [s("j'ai annulé"), s("annuler le rendez-vous")], modes: .forms))
  }

  @Test func teamGrants() {
    #expect(
      teams.map(\.name.value) == [
        "Rendez-vous", "Service Client", "Support", "Superviseurs", "Qualité",
      ])
    let serviceClient = teams[1]
    #expect(
      serviceClient.clauses[0].kind == .members([s("bruno@exemple.fr"), s("chloe@exemple.fr")]))
    #expect(
      serviceClient.clauses[1].kind
        == .grant(
          level: Located(.reply, span: .unknown),
          scope: .allExcept([s("Support Technique"), s("Personnes Qui Ont Planifié")])))
    #expect(
      teams[3].clauses[1].kind == .grant(level: Located(.manage, span: .unknown), scope: .all))
  }

  @Test func routingEntries() throws {
    let routing = try #require(
      result.ruleFile.items.compactMap { if case .routing(let r) = $0 { r } else { nil } }.first)
    #expect(routing.entries.count == 5)
    #expect(routing.entries[0].kind == .defaultMode(Located(.ai, span: .unknown)))
    guard case .rule(let condition, let target) = routing.entries[1].kind else {
      Issue.record("no rule")
      return
    }
    #expect(condition == .atom(Atom(.label(s("VIP")), span: .unknown)))
    #expect(target.mode.value == .human)
    #expect(target.team?.value == "Superviseurs")
    #expect(target.priority?.value == .urgent)
    guard case .rule(let last, let lastTarget) = routing.entries[4].kind else {
      Issue.record("no rule")
      return
    }
    let unknown = IgnoredInEquality(wrappedValue: SourceSpan.unknown)
    #expect(last == .not(.atom(Atom(.during(s("bureau")), span: .unknown)), span: unknown))
    #expect(lastTarget.mode.value == .ai && lastTarget.team == nil && lastTarget.priority == nil)
  }

  @Test func testSteps() throws {
    #expect(tests.count == 7)
    let smartQuote = tests[1]
    guard case .step(let says) = smartQuote.entries[0] else {
      Issue.record("no step")
      return
    }
    #expect(says.kind == .customerSays(s("j’ai reserve le creneau de mardi")))

    let keeps = tests[4]
    #expect(keeps.name.value == "garder le mode humain et partir")
    let steps = keeps.entries.compactMap { if case .step(let st) = $0 { st.kind } else { nil } }
    #expect(steps.contains(.agent(member: s("bruno@exemple.fr"), action: .keepsHumanAndLeaves)))
    #expect(steps.contains(.agent(member: s("bruno@exemple.fr"), action: .takesOver)))
    let expectations = keeps.entries.compactMap {
      if case .expectation(let e) = $0 { e.kind } else { nil }
    }
    #expect(expectations.contains(.notify(s("bruno@exemple.fr"))))
    #expect(expectations.contains(.mode(Located(.human, span: .unknown))))
  }

  @Test func calendlyEventStepCarriesItsFields() throws {
    guard case .step(let step) = tests[2].entries[0],
      case .event(let name, let fields) = step.kind
    else {
      Issue.record("no event step")
      return
    }
    #expect(name.value == "calendly.booking.confirmed")
    #expect(fields?.fields.map(\.key.name) == ["invitee", "start"])
    #expect(fields?.fields.first?.value == .string(s("Léa")))
  }

  @Test func accessExpectationsAndRoute() {
    let expectations = tests[0].entries.compactMap {
      if case .expectation(let e) = $0 { e.kind } else { nil }
    }
    #expect(expectations.count == 6)
    #expect(
      expectations[3]
        == .access(
          member: s("bruno@exemple.fr"), allowed: false, level: Located(.view, span: .unknown)))
    let vip = tests[3].entries.compactMap {
      if case .expectation(let e) = $0, case .route(let r) = e.kind { r } else { nil }
    }
    #expect(vip.first?.outcome.value == .mode(.human))
    #expect(vip.first?.team?.value == "Superviseurs")
    #expect(vip.first?.priority?.value == .urgent)
  }

  @Test func commentIsKept() {
    #expect(result.ruleFile.comments.map(\.text) == ["# Étiquettes appliquées automatiquement"])
    #expect(result.ruleFile.comments.first?.isOnOwnLine == true)
  }

  @Test func everyItemSpanRunsFromKeywordToClosingBrace() {
    for item in result.ruleFile.items {
      let text = file.text(of: item.span)
      #expect(text.hasSuffix("}"), "\(text.prefix(30))")
      #expect(
        ["contact", "event", "hours", "label", "team", "routing", "test", "synonyms"].contains {
          text.hasPrefix($0)
        })
    }
  }
}
