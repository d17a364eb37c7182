import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteEngine
import Foundation
import Testing

/// `test` blocks run against the engine, with located failures and coverage.
@Suite struct RuleTestRunnerTests {
  @Test func exampleRulesPass() throws {
    let rules = try CompiledRules.exampleRules()
    let report = RuleTestRunner(engine: rules.engine, sources: rules.sources).runAll()
    #expect(report.results.count == 7)
    for result in report.results {
      #expect(result.passed, "\(result.name): \(result.failures.map(\.message))")
      #expect(result.expectations > 0)
    }
  }

  static let failing = """
    label "Prix" {
      when message contains any ["prix", "tarif"]
    }
    label "Commande" {
      when message matches /CMD-\\d+/
    }
    team "Service" {
      members ["b@x.fr"]
      can reply all except labels ["Prix"]
    }
    routing {
      default ai
      when message contains "humain" -> human team "Service"
    }
    test "fails" {
      customer says "le prix de CMD-42"
      expect labels ["Commande"]
      expect route human team "Service"
      expect "b@x.fr" can view
      expect notify "b@x.fr"
      expect mode human
      expect no label "Prix"
    }
    test "passes" {
      customer says "humain"
      expect labels []
      expect route human team "Service"
      expect notify "b@x.fr"
    }
    """

  struct Case: Sendable, CustomStringConvertible {
    var line: Int
    var message: String
    var description: String { "line \(line)" }
  }

  /// One entry per `expect` of the failing test, with the exact message.
  static let failures: [Case] = [
    Case(
      line: 17,
      message: "expected labels [Commande], got [Prix, Commande] — Prix added by "
        + "rules.etq:2:30 matching 'prix'"),
    Case(
      line: 18,
      message: "expected route human team \"Service\", got route ai — no routing rule fired at "
        + "the first step: the `default` mode"),
    Case(
      line: 19,
      message: "expected \"b@x.fr\" can view, got cannot view — no grant covers labels "
        + "[Prix, Commande] (grants at rules.etq:9:3)"),
    Case(line: 20, message: "expected notify \"b@x.fr\", got nobody notified — mode ai"),
    Case(line: 21, message: "expected mode human, got mode ai"),
    Case(
      line: 22,
      message: "expected no label \"Prix\", got [Prix, Commande] — Prix added by rules.etq:2:30 "
        + "matching 'prix'"),
  ]

  @Test func failuresAreLocatedAndExplained() throws {
    let rules = try CompiledRules.compile(Self.failing)
    let report = RuleTestRunner(engine: rules.engine, sources: rules.sources).runAll()
    #expect(report.passed == 1)
    #expect(report.failed == 1)
    let failed = try #require(report.results.first)
    #expect(failed.name == "fails")
    #expect(failed.expectations == 6)
    let actual = failed.failures.map {
      Case(
        line: rules.sources[$0.span.file]?.line(ofOffset: $0.span.start) ?? 0, message: $0.message)
    }
    #expect(actual.map(\.line) == Self.failures.map(\.line))
    for (got, want) in zip(actual, Self.failures) {
      #expect(got.message == want.message)
    }
  }

  @Test func removalsAndAgentsAreExplained() throws {
    let rules = try CompiledRules.compile(
      """
      label "RDV" {
        when message contains "réservé"
        remove when message contains "annulé"
      }
      team "T" {
        members ["a@x.fr"]
        can reply all
      }
      routing {
        default ai
      }
      test "t" {
        customer says "j'ai réservé"
        customer says "j'ai ANNULÉ"
        expect label "RDV"
        agent "a@x.fr" adds label "RDV"
        expect labels []
      }
      """)
    let report = RuleTestRunner(engine: rules.engine, sources: rules.sources).runAll()
    let messages = report.results.first?.failures.map(\.message) ?? []
    #expect(
      messages == [
        "expected label \"RDV\", got [] — RDV removed by rules.etq:3:32 matching 'ANNULÉ'",
        "expected labels [], got [RDV] — RDV added by agent \"a@x.fr\" at step 3",
      ])
  }

  @Test func coverageListsWhatNoTestExercised() throws {
    let rules = try CompiledRules.compile(Self.failing)
    let report = RuleTestRunner(engine: rules.engine, sources: rules.sources).runAll()
    let unexercised = report.coverage.unexercised.map {
      "\($0.kind.rawValue) \(rules.sources.describe($0.span)) \($0.text)"
    }
    #expect(unexercised == ["phrase rules.etq:2:38 \"tarif\""])
    #expect(report.coverage.totals[.trigger] == 2)
    #expect(report.coverage.totals[.phrase] == 3)
    #expect(report.coverage.totals[.pattern] == 1)
    #expect(report.coverage.totals[.routing] == 1)
    #expect(report.coverage.totals[.grant] == 1)
  }
}
