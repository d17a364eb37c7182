import EtiquetteChecker
import EtiquetteEngine
import Testing

/// Held triggers are named by their clause, not its position: reordering the clauses of a label
/// (or the routing rules) and reloading keeps each clause's state on that clause.
@Suite struct TriggerStateReloadTests {
  static let rules = """
    label "Rappel" {
      when message contains "zorglub"
      when message contains "quibble"
      remove when message contains "fini"
    }
    team "Service" {
      members ["a@x.fr"]
      can reply all
    }
    routing {
      default ai
      when message contains "zorglub" -> human
      when message contains "quibble" -> human
    }
    """

  /// The same rules, each label clause and routing rule in another order and re-indented.
  static let reordered = """
    label "Rappel" {
      remove when message contains "fini"
      when message contains   "quibble"
      when message contains "zorglub"
    }
    team "Service" {
      members ["a@x.fr"]
      can reply all
    }
    routing {
      default ai
      when message contains "quibble" -> human
      when message contains "zorglub" -> human
    }
    """

  /// What a decision did, by names (ids and locations differ between the two rule sets).
  static func summary(_ decision: Decision?, _ rules: CompiledRules) -> String {
    guard let decision else { return "none" }
    let added = decision.added.map { rules.ruleSet[$0.label].name }
    let removed = decision.removed.map { rules.ruleSet[$0.label].name }
    let routing =
      switch decision.routing {
      case .unchanged: "unchanged"
      case .defaultMode(let mode): "default \(mode)"
      case .rule(_, let target): "rule -> \(target.mode)"
      case .held(_, let target, let member): "held \(target.mode) by \(member)"
      }
    return "added \(added) removed \(removed) routing \(routing) fired \(decision.fired.count)"
  }

  /// "quibble" adds the label and routes; "quibble fini" removes it while "quibble" still
  /// holds; then the rules are reloaded (`next`) and "quibble" comes again: it held at the last
  /// step, so it fires nothing. Returns the last decision's summary.
  static func lastDecision(
    reloadingTo next: CompiledRules, carry: (Conversation, Engine, Engine) -> Conversation
  ) throws -> String {
    let first = try CompiledRules.compile(rules)
    var script = Script(first)
    script.run([.says("quibble"), .says("quibble fini")])
    #expect(script.labels.isEmpty)
    var reloaded = Script(next)
    reloaded.conversation = carry(script.conversation, first.engine, next.engine)
    reloaded.time = script.time
    return summary(reloaded.run([.says("quibble")]), next)
  }

  @Test func reorderedClausesDecideTheNextMessageAsBefore() throws {
    let carry = { (c: Conversation, from: Engine, to: Engine) in to.carrying(c, from: from) }
    let unchanged = try Self.lastDecision(
      reloadingTo: try CompiledRules.compile(Self.rules), carry: carry)
    let reordered = try Self.lastDecision(
      reloadingTo: try CompiledRules.compile(Self.reordered), carry: carry)
    #expect(unchanged == "added [] removed [] routing unchanged fired 0")
    #expect(reordered == unchanged)
    // Keeping the positions, as before stable names, hands "quibble"'s state to "zorglub":
    // "quibble" fires again, re-adding the label and routing again. The test above would catch it.
    let positional = try Self.lastDecision(
      reloadingTo: try CompiledRules.compile(Self.reordered), carry: { c, _, _ in c })
    #expect(positional != unchanged)
  }

  @Test func namesAreTheClausesCanonicalText() throws {
    let rules = try CompiledRules.compile(Self.reordered)
    let label = rules.label("Rappel")
    let names = rules.engine.triggerNames
    #expect(names.name(of: .add(label, 0)) == "when|Rappel|when message contains \"quibble\"")
    #expect(
      names.name(of: .remove(label, 0))
        == "remove when|Rappel|remove when message contains \"fini\"")
    #expect(names.name(of: .route(1)) == "routing|when message contains \"zorglub\" -> human")
    #expect(names.trigger(named: "when|Rappel|when message contains \"zorglub\"") == .add(label, 1))
    #expect(names.trigger(named: "when|Rappel|when message contains \"absent\"") == nil)
  }

  @Test func identicalClausesAreToldApartByOccurrence() throws {
    let rules = try CompiledRules.compile(
      """
      label "Double" {
        when message contains "x"
        when message contains "x"
      }
      routing {
        default ai
      }
      """)
    let label = rules.label("Double")
    let names = rules.engine.triggerNames
    #expect(names.name(of: .add(label, 0)) == "when|Double|when message contains \"x\"")
    #expect(names.name(of: .add(label, 1)) == "when|Double|when message contains \"x\" #2")
    #expect(names.trigger(named: "when|Double|when message contains \"x\" #2") == .add(label, 1))
  }
}
