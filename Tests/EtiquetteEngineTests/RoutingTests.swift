import EtiquetteChecker
import EtiquetteEngine
import EtiquetteSyntax
import Foundation
import Testing

/// Routing is edge-triggered: a repeated request fires again, a level condition does not undo
/// an agent's transfer; the first firing rule in file order decides.
@Suite struct RoutingTests {
  static let rules = """
    contact {
      tier: "standard" | "vip"
    }
    label "VIP" {
      when contact.tier == "vip"
    }
    team "Superviseurs" {
      members ["m@x.fr"]
      can manage all
    }
    team "Service" {
      members ["b@x.fr", "c@x.fr"]
      can reply all
    }
    routing {
      default ai
      when label "VIP" -> human team "Superviseurs" priority urgent
      when message contains "humain" -> human
      when message contains "robot" -> ai priority low
    }
    """

  /// What `expect route` reads: nil mode for `unchanged`.
  struct Route: Sendable, Equatable, CustomStringConvertible {
    var mode: Mode?
    var team: String?
    var priority: Priority?
    static let unchanged = Route(mode: nil)
    var description: String {
      guard let mode else { return "unchanged" }
      return [mode.rawValue, team, priority?.rawValue].compactMap { $0 }.joined(separator: " ")
    }
  }

  struct Case: Sendable, CustomStringConvertible {
    var name: String
    var contact: [String: FieldValue] = [:]
    var steps: [ScriptStep]
    /// The routing outcome of every step, in order.
    var routes: [Route]
    var mode: Mode
    var description: String { name }
  }

  static let vip: [String: FieldValue] = ["tier": .string("vip")]
  static let cases: [Case] = [
    Case(
      name: "first step without a rule takes the default", steps: [.says("bonjour"), .says("re")],
      routes: [Route(mode: .ai), .unchanged], mode: .ai),
    Case(
      name: "a repeated request fires again after a transfer to AI",
      steps: [
        .says("un humain svp"), .agent("b@x.fr", .takeOver), .agent("b@x.fr", .transferToAI),
        .says("merci"), .says("humain encore"),
      ],
      routes: [Route(mode: .human), .unchanged, .unchanged, .unchanged, Route(mode: .human)],
      mode: .human),
    Case(
      name: "a level condition does not undo a transfer to AI", contact: vip,
      steps: [
        .says("bonjour"), .agent("m@x.fr", .takeOver), .agent("m@x.fr", .transferToAI),
        .says("merci"), .says("au revoir"),
      ],
      routes: [
        Route(mode: .human, team: "Superviseurs", priority: .urgent), .unchanged, .unchanged,
        .unchanged, .unchanged,
      ],
      mode: .ai),
    Case(
      name: "the first firing rule in file order decides", contact: vip,
      steps: [.says("un humain")],
      routes: [Route(mode: .human, team: "Superviseurs", priority: .urgent)], mode: .human),
    Case(
      name: "a rule to ai does not take a conversation from its assignee",
      steps: [.says("humain"), .agent("b@x.fr", .takeOver), .says("robot")],
      routes: [Route(mode: .human), .unchanged, .unchanged], mode: .human),
    Case(
      name: "a rule to ai applies while nobody holds the conversation",
      steps: [.says("humain"), .says("robot")],
      routes: [Route(mode: .human), Route(mode: .ai, priority: .low)], mode: .ai),
    Case(
      name: "a level condition turning true later fires then",
      steps: [.says("bonjour"), .contact(vip), .says("re")],
      routes: [Route(mode: .ai), Route(mode: .human, team: "Superviseurs", priority: .urgent)],
      mode: .human),
  ]

  @Test(arguments: cases)
  func edgeTriggeredRouting(_ c: Case) throws {
    let rules = try CompiledRules.compile(Self.rules)
    var script = Script(rules, contact: c.contact)
    script.run(c.steps)
    let routes = script.decisions.map { decision -> Route in
      switch decision.routing {
      case .unchanged, .held: return .unchanged
      case .defaultMode(let mode): return Route(mode: mode)
      case .rule(_, let target):
        return Route(
          mode: target.mode, team: target.team.map { rules.ruleSet[$0].name },
          priority: target.priority)
      }
    }
    #expect(routes == c.routes)
    #expect(script.conversation.mode == c.mode)
  }

  @Test func heldRuleNamesTheAgent() throws {
    var script = Script(try CompiledRules.compile(Self.rules))
    script.run([.says("humain"), .agent("b@x.fr", .takeOver), .says("robot")])
    #expect(
      script.last?.routing == .held(2, script.rules.ruleSet.routing.rules[2].target, by: "b@x.fr"))
    #expect(script.conversation.assignee == "b@x.fr")
  }

  @Test func routingToHumanSetsTeamAndPriority() throws {
    var script = Script(try CompiledRules.compile(Self.rules), contact: Self.vip)
    script.run([.says("bonjour")])
    #expect(script.conversation.team == script.rules.team("Superviseurs"))
    #expect(script.conversation.priority == .urgent)
    #expect(script.last?.priority == .urgent)
  }
}
