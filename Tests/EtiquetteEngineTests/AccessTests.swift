import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteSyntax
import EtiquetteTestSupport
import Foundation
import Testing

/// Deny by default, union over teams, `reply` ⇒ `view`, `all except` with unlabelled and
/// multi-label conversations, and `visibleFilter` agreeing with `can`.
@Suite struct AccessTests {
  static let rules = """
    label "A" {
      when message contains "aaa"
    }
    label "B" {
      when message contains "bbb"
    }
    label "C" {
      when message contains "ccc"
    }
    team "Sauf" {
      members ["e@x.fr"]
      can reply all except labels ["A", "B"]
    }
    team "Certains" {
      members ["o@x.fr", "e@x.fr"]
      can view labels ["A", "C"]
    }
    team "Chefs" {
      members ["m@x.fr"]
      can manage all
    }
    routing {
      default ai
    }
    """

  struct Case: Sendable, CustomStringConvertible {
    var labels: [String]
    var member: String
    var level: AccessLevel
    var allowed: Bool
    /// The deciding team when allowed.
    var team: String?
    var description: String { "\(member) \(level) \(labels) → \(allowed)" }
  }

  static let cases: [Case] = [
    Case(labels: [], member: "e@x.fr", level: .view, allowed: true, team: "Sauf"),
    Case(labels: [], member: "e@x.fr", level: .reply, allowed: true, team: "Sauf"),
    Case(labels: ["C"], member: "e@x.fr", level: .reply, allowed: true, team: "Sauf"),
    Case(labels: ["A"], member: "e@x.fr", level: .reply, allowed: false),
    Case(labels: ["A", "C"], member: "e@x.fr", level: .reply, allowed: false),
    // Union over teams: "Certains" lets e view what "Sauf" excludes, if it has A or C.
    Case(labels: ["A", "C"], member: "e@x.fr", level: .view, allowed: true, team: "Certains"),
    Case(labels: ["B"], member: "e@x.fr", level: .view, allowed: false),
    Case(labels: ["A", "B"], member: "e@x.fr", level: .view, allowed: true, team: "Certains"),
    Case(labels: ["B", "C"], member: "e@x.fr", level: .reply, allowed: false),
    Case(labels: [], member: "o@x.fr", level: .view, allowed: false),
    Case(labels: ["A", "B"], member: "o@x.fr", level: .view, allowed: true, team: "Certains"),
    Case(labels: ["C"], member: "o@x.fr", level: .reply, allowed: false),
    Case(labels: ["A"], member: "m@x.fr", level: .manage, allowed: true, team: "Chefs"),
    Case(labels: [], member: "m@x.fr", level: .view, allowed: true, team: "Chefs"),
    Case(labels: [], member: "e@x.fr", level: .manage, allowed: false),
    Case(labels: [], member: "nobody@x.fr", level: .view, allowed: false),
  ]

  @Test(arguments: cases)
  func allExceptAndLabels(_ c: Case) throws {
    let rules = try CompiledRules.compile(Self.rules)
    let labels = Set(c.labels.map(rules.label))
    let answer = rules.engine.can(c.member, c.level, labels: labels)
    #expect(answer.allowed == c.allowed)
    #expect(answer.grant.map { rules.ruleSet[$0.team].name } == c.team)
    #expect((answer.denial == nil) == c.allowed)
    #expect(
      rules.engine.visibleFilter(c.member).matches(labels)
        == rules.engine.can(
          c.member, .view, labels: labels
        ).allowed)
  }

  @Test func denialsNameTheMissingGrant() throws {
    let rules = try CompiledRules.compile(Self.rules)
    #expect(rules.engine.can("nobody@x.fr", .view, labels: []).denial == .unknownMember)
    #expect(rules.engine.can("o@x.fr", .reply, labels: []).denial == .noGrant(.reply))
    let answer = rules.engine.can("o@x.fr", .view, labels: [rules.label("B")])
    guard case .notCovered(let grants) = answer.denial else {
      Issue.record("expected notCovered, got \(String(describing: answer.denial))")
      return
    }
    #expect(grants.map { rules.ruleSet[$0.team].name } == ["Certains"])
    #expect(rules.sources.describe(grants[0].grant.span) == "rules.etq:16:3")
  }

  @Test func conversationAccessFollowsItsLabels() throws {
    var script = Script(try CompiledRules.compile(Self.rules))
    script.run([.says("aaa ccc")])
    #expect(script.labels == ["A", "C"])
    #expect(!script.rules.engine.can("e@x.fr", .reply, script.conversation).allowed)
    #expect(script.rules.engine.can("o@x.fr", .view, script.conversation).allowed)
  }

  // MARK: - Property

  static func randomRuleSet(_ g: inout SplitMix64) -> (RuleSet, [String]) {
    let labelCount = g.int(0..<6)
    let labels = (0..<labelCount).map {
      LabelDefinition(
        id: LabelID($0), name: "L\($0)", color: nil, description: nil, addTriggers: [],
        removeTriggers: [], dependencies: [], nameSpan: .unknown, span: .unknown)
    }
    let people = (0..<g.int(1..<6)).map { "p\($0)@x.fr" }
    var teams: [TeamDefinition] = []
    for t in 0..<g.int(0..<5) {
      let members = people.filter { _ in g.next() % 2 == 0 }
      var grants: [AccessGrant] = []
      for _ in 0..<g.int(0..<4) {
        let level = AccessLevel.allCases[g.int(0..<3)]
        let scope: AccessScope =
          switch g.int(0..<3) {
          case 0: .all
          case 1: .allExcept(g.subset(of: labelCount))
          default: .labels(g.subset(of: labelCount))
          }
        grants.append(AccessGrant(level: level, scope: scope, span: .unknown))
      }
      teams.append(
        TeamDefinition(
          id: TeamID(t), name: "T\(t)", members: members, grants: grants, nameSpan: .unknown,
          span: .unknown))
    }
    let members = people.compactMap { person -> MemberDefinition? in
      let ids = teams.filter { $0.members.contains(person) }.map(\.id)
      return ids.isEmpty ? nil : MemberDefinition(email: person, teams: ids, span: .unknown)
    }
    let ruleSet = RuleSet(
      contactAttributes: [], events: [], hours: [], labels: labels,
      labelEvaluationOrder: labels.map(\.id), teams: teams, members: members,
      routing: RoutingPolicy(defaultMode: .ai, rules: [], defaultSpan: .unknown), tests: [])
    // Ask about people outside every team too: they must see nothing.
    return (ruleSet, people + ["stranger@x.fr"])
  }

  @Test func visibleFilterAgreesWithCanAndReplyImpliesView() {
    var g = SplitMix64(seed: 20_261_125)
    var checked = 0
    for _ in 0..<300 {
      let (ruleSet, people) = Self.randomRuleSet(&g)
      let engine = Engine(ruleSet: ruleSet)
      for person in people {
        let filter = engine.visibleFilter(person)
        for _ in 0..<8 {
          let labels = Set(g.subset(of: ruleSet.labels.count))
          let view = engine.can(person, .view, labels: labels)
          let reply = engine.can(person, .reply, labels: labels)
          let manage = engine.can(person, .manage, labels: labels)
          #expect(view.allowed == filter.matches(labels), "\(person) \(labels) \(ruleSet.teams)")
          #expect(!reply.allowed || view.allowed)
          #expect(!manage.allowed || reply.allowed)
          #expect(view.allowed == (view.grant != nil))
          checked += 1
        }
      }
    }
    #expect(checked > 1000)
  }
}

extension SplitMix64 {
  /// About a third of the labels `0..<count`.
  mutating func subset(of count: Int) -> [LabelID] {
    (0..<count).filter { _ in next() % 3 == 0 }.map(LabelID.init)
  }
}
