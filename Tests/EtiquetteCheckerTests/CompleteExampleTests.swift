import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteSyntax
import Testing

/// The issue's example and the split `rules/` folder check clean, even under `--strict`, and
/// produce the rule set the engine expects.
@Suite struct CompleteExampleTests {
  static func complete() -> (CheckerHarness, CheckResult) {
    let harness = CheckerHarness.loading(paths: ["grammar/examples/complete.etq"])
    return (harness, harness.check(strict: true))
  }

  @Test func completeExampleHasNoDiagnosticsUnderStrict() throws {
    let (harness, result) = Self.complete()
    #expect(harness.parseDiagnostics.isEmpty)
    #expect(result.diagnostics.isEmpty, "\(harness.render(result))")
    #expect(result.ruleSet != nil)
  }

  @Test func rulesFolderHasNoDiagnosticsUnderStrict() throws {
    let paths = CheckerHarness.rulesFolderFiles
    #expect(!paths.isEmpty)
    let harness = CheckerHarness.loading(paths: paths)
    let result = harness.check(strict: true)
    #expect(harness.parseDiagnostics.isEmpty)
    #expect(result.diagnostics.isEmpty, "\(harness.render(result))")
    // Split into files, it means the same as the single example.
    #expect(result.ruleSet == Self.complete().1.ruleSet)
  }

  @Test func labelsHaveDeclarationOrderIDsAndDependencyOrder() throws {
    let ruleSet = try #require(Self.complete().1.ruleSet)
    #expect(
      ruleSet.labels.map(\.name) == [
        "Personnes Qui Ont Planifié", "Demandes de Commande", "Support Technique",
        "Demandes de Vente", "VIP",
      ])
    #expect(ruleSet.labels.enumerated().allSatisfy { $0.element.id == LabelID($0.offset) })
    let vente = try #require(ruleSet.label(named: "Demandes de Vente"))
    let commande = try #require(ruleSet.label(named: "Demandes de Commande"))
    #expect(vente.dependencies == [commande.id])
    let order = ruleSet.labelEvaluationOrder
    #expect(Set(order) == Set(ruleSet.labels.map(\.id)))
    #expect(order.count == ruleSet.labels.count)
    let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
    for label in ruleSet.labels {
      for dependency in label.dependencies {
        #expect((position[dependency] ?? .max) < (position[label.id] ?? .min))
      }
    }
  }

  @Test func triggersAreResolved() throws {
    let ruleSet = try #require(Self.complete().1.ruleSet)
    let planned = try #require(ruleSet.label(named: "Personnes Qui Ont Planifié"))
    #expect(planned.color == "#2e7d32")
    #expect(planned.addTriggers.count == 2)
    #expect(planned.removeTriggers.count == 1)
    guard case .atom(let first) = planned.addTriggers[0].condition,
      case .contains(.any, let phrases) = first.kind
    else {
      Issue.record("expected a phrase atom")
      return
    }
    #expect(phrases.count == 6)
    #expect(phrases[0].text == "J'ai réservé")
    #expect(!phrases[0].normalized.isEmpty)
    let event = try #require(ruleSet.event(named: "calendly.booking.confirmed"))
    #expect(
      planned.addTriggers[1].condition == .atom(ConditionAtom(.event(event.id), span: .unknown)))

    let support = try #require(ruleSet.label(named: "Support Technique"))
    guard case .atom(let regexAtom) = support.addTriggers[0].condition,
      case .matches(let pattern) = regexAtom.kind
    else {
      Issue.record("expected a regex atom")
      return
    }
    #expect(pattern.flags == [.i])
    #expect(pattern.source == #"\b(?:bug|erreur|crash|plante|ne marche pas)\b"#)
    guard case .and(.atom(let typeAtom), _) = support.addTriggers[1].condition else {
      Issue.record("expected `message.type is image and …`")
      return
    }
    #expect(typeAtom.kind == .comparison(.message(.type), .is, .messageType(.image)))

    let vip = try #require(ruleSet.label(named: "VIP"))
    #expect(
      vip.addTriggers[0].condition
        == .atom(
          ConditionAtom(
            .comparison(
              .contact(name: "tier", type: .oneOf(["standard", "vip"])), .equal, .string("vip")),
            span: .unknown)))
  }

  @Test func teamsGrantsAndMembers() throws {
    let ruleSet = try #require(Self.complete().1.ruleSet)
    let planned = try #require(ruleSet.label(named: "Personnes Qui Ont Planifié")).id
    let support = try #require(ruleSet.label(named: "Support Technique")).id
    let client = try #require(ruleSet.team(named: "Service Client"))
    #expect(client.members == ["bruno@exemple.fr", "chloe@exemple.fr"])
    #expect(client.grants.map(\.level) == [.reply])
    #expect(client.grants.first?.scope == .allExcept([planned, support].sorted()))
    #expect(ruleSet.team(named: "Superviseurs")?.grants.first?.scope == .all)
    #expect(ruleSet.team(named: "Superviseurs")?.grants.first?.level == .manage)
    #expect(
      ruleSet.members.map(\.email) == [
        "alice@exemple.fr", "audit@exemple.fr", "bruno@exemple.fr", "chloe@exemple.fr",
        "dev@exemple.fr", "manon@exemple.fr",
      ])
    #expect(
      ruleSet.member("dev@exemple.fr")?.teams == [try #require(ruleSet.team(named: "Support")).id])
  }

  @Test func hoursRoutingAndTests() throws {
    let ruleSet = try #require(Self.complete().1.ruleSet)
    let bureau = try #require(ruleSet.hours(named: "bureau"))
    #expect(bureau.zone == "Europe/Paris")
    #expect(bureau.weekly[.monday] == [MinuteRange(start: 540, end: 1080)])
    #expect(bureau.weekly[.saturday] == [MinuteRange(start: 600, end: 780)])
    #expect(bureau.weekly[.sunday] == nil)
    #expect(bureau.isOpen(on: .friday, atMinute: 17 * 60 + 59))
    #expect(!bureau.isOpen(on: .friday, atMinute: 18 * 60))

    #expect(ruleSet.routing.defaultMode == .ai)
    #expect(ruleSet.routing.rules.count == 4)
    let superviseurs = try #require(ruleSet.team(named: "Superviseurs")).id
    #expect(
      ruleSet.routing.rules[0].target
        == RoutingTarget(mode: .human, team: superviseurs, priority: .urgent, span: .unknown))
    #expect(
      ruleSet.routing.rules[3].condition
        == .not(.atom(ConditionAtom(.during(bureau.id), span: .unknown))))

    #expect(ruleSet.tests.count == 7)
    let vipTest = ruleSet.tests[3]
    #expect(vipTest.name == "VIP vers superviseurs, puis transfert à l'IA")
    guard case .step(let contact) = vipTest.entries[0], case .contact(let fields) = contact.kind
    else {
      Issue.record("expected a contact step")
      return
    }
    #expect(fields == ["tier": .string("vip")])
    guard case .step(let at) = vipTest.entries[1], case .at(let date, _) = at.kind else {
      Issue.record("expected an at step")
      return
    }
    #expect(date.timeIntervalSince1970 == 1_795_510_800)
  }

  @Test func accessExplanationSentences() throws {
    let ruleSet = try #require(Self.complete().1.ruleSet)
    let text = AccessExplanation.sentences(for: ruleSet)
    let lines = text.split(separator: "\n").map(String.init)
    #expect(lines.count == 6)
    #expect(
      lines[0]
        == "alice@exemple.fr (team \"Rendez-vous\") can view and reply to conversations labelled "
        + "\"Personnes Qui Ont Planifié\" and cannot manage any conversation.")
    #expect(
      lines[1]
        == "audit@exemple.fr (team \"Qualité\") can view every conversation and cannot reply "
        + "to or manage any conversation.")
    #expect(
      lines[2]
        == "bruno@exemple.fr (team \"Service Client\") can view and reply to every conversation "
        + "except those labelled \"Personnes Qui Ont Planifié\" or \"Support Technique\" and "
        + "cannot manage any conversation.")
    #expect(
      lines[5]
        == "manon@exemple.fr (team \"Superviseurs\") can view, reply to and manage every "
        + "conversation.")
  }
}
