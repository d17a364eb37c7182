import EtiquetteChecker
import EtiquetteEngine
import Foundation
import Testing

/// Labels: edge-triggered `when` / `remove when`, remove wins, dependency order, provenance,
/// manual changes that stick.
@Suite struct LabelSemanticsTests {
  // "Vente" is declared before the labels it depends on: only the checker's dependency order
  // lets it see them as updated for the step.
  static let rules = """
    contact {
      tier: "standard" | "vip"
    }
    label "Vente" {
      when label "Prix" and not label "Commande"
    }
    label "Prix" {
      when message contains "prix"
      remove when message contains "merci"
    }
    label "Commande" {
      when message contains "commande"
    }
    label "VIP" {
      when contact.tier == "vip"
    }
    team "Service" {
      members ["a@x.fr"]
      can reply all
    }
    team "Lecture" {
      members ["v@x.fr"]
      can view all
    }
    routing {
      default ai
    }
    """

  struct Case: Sendable, CustomStringConvertible {
    var name: String
    var contact: [String: FieldValue] = [:]
    var steps: [ScriptStep]
    var labels: [String]
    var description: String { name }
  }

  static let removeWins: [Case] = [
    Case(name: "add fires", steps: [.says("quel prix ?")], labels: ["Vente", "Prix"]),
    Case(name: "add and remove in one step", steps: [.says("le prix, merci")], labels: []),
    Case(
      name: "remove wins over a repeated add", steps: [.says("prix"), .says("prix merci")],
      labels: ["Vente"]),
    Case(name: "remove alone", steps: [.says("prix"), .says("merci")], labels: ["Vente"]),
    Case(
      name: "saying the phrase again fires again",
      steps: [.says("prix"), .says("merci"), .says("et le prix ?")], labels: ["Vente", "Prix"]),
    Case(
      name: "a remove with the label absent changes nothing",
      steps: [.says("merci"), .says("bonjour")], labels: []),
  ]

  @Test(arguments: removeWins)
  func removeWinsOverAdd(_ c: Case) throws {
    var script = Script(try CompiledRules.compile(Self.rules), contact: c.contact)
    script.run(c.steps)
    #expect(script.labels == c.labels)
  }

  static let dependencies: [Case] = [
    Case(name: "dependency added this step", steps: [.says("prix")], labels: ["Vente", "Prix"]),
    Case(
      name: "negated dependency added in the same step",
      steps: [.says("prix de la commande")], labels: ["Prix", "Commande"]),
    Case(
      name: "negated dependency already there",
      steps: [.says("ma commande"), .says("le prix")], labels: ["Prix", "Commande"]),
    Case(
      name: "a label stays after its condition stops holding",
      steps: [.says("prix"), .says("ma commande")], labels: ["Vente", "Prix", "Commande"]),
  ]

  @Test(arguments: dependencies)
  func labelDependenciesSeeThisStep(_ c: Case) throws {
    var script = Script(try CompiledRules.compile(Self.rules), contact: c.contact)
    script.run(c.steps)
    #expect(script.labels == c.labels)
  }

  static let vip: [String: FieldValue] = ["tier": .string("vip")]
  static let manualRemoval: [Case] = [
    Case(
      name: "level trigger applies once", contact: vip, steps: [.says("bonjour"), .says("re")],
      labels: ["VIP"]),
    Case(
      name: "removal sticks at the next message", contact: vip,
      steps: [.says("bonjour"), .agent("a@x.fr", .removeLabel(LabelID(3))), .says("re")],
      labels: []),
    Case(
      name: "removal sticks across events and ticks", contact: vip,
      steps: [
        .says("bonjour"), .agent("a@x.fr", .removeLabel(LabelID(3))), .tick,
        .event("x", [:]), .says("encore"),
      ], labels: []),
    Case(
      name: "the condition turning false then true fires again", contact: vip,
      steps: [
        .says("bonjour"), .agent("a@x.fr", .removeLabel(LabelID(3))),
        .contact(["tier": .string("standard")]), .says("a"), .contact(["tier": .string("vip")]),
        .says("b"),
      ], labels: ["VIP"]),
    Case(
      name: "a viewer cannot remove a label", contact: vip,
      steps: [.says("bonjour"), .agent("v@x.fr", .removeLabel(LabelID(3))), .says("re")],
      labels: ["VIP"]),
    Case(
      name: "an agent's label stays", steps: [.agent("a@x.fr", .addLabel(LabelID(2))), .says("x")],
      labels: ["Commande"]),
  ]

  @Test(arguments: manualRemoval)
  func manualRemovalSticksAgainstALevelTrigger(_ c: Case) throws {
    let rules = try CompiledRules.compile(Self.rules)
    // The table refers to labels by declaration index; make sure the indices are the ones meant.
    #expect(rules.label("VIP") == LabelID(3))
    #expect(rules.label("Commande") == LabelID(2))
    var script = Script(rules, contact: c.contact)
    script.run(c.steps)
    #expect(script.labels == c.labels)
  }

  @Test func provenanceRecordsClauseMatchAndOriginalSpan() throws {
    let rules = try CompiledRules.compile(Self.rules)
    var script = Script(rules)
    let text = "Quel est le PRIX ?"
    script.run([.says(text)])
    let decision = try #require(script.last)
    let change = try #require(decision.added.first { $0.label == rules.label("Prix") })
    guard case .trigger(let trigger, let clause, let evidence, let event) = change.reason.source
    else {
      Issue.record("expected a trigger provenance, got \(change.reason.source)")
      return
    }
    #expect(trigger == .add(rules.label("Prix"), 0))
    #expect(rules.sources.describe(clause) == "rules.etq:8:3")
    #expect(event == nil)
    let match = try #require(evidence.first)
    #expect(match.matchedText == "PRIX")
    let bytes = Array(text.utf8)
    #expect(String(decoding: bytes[match.range], as: UTF8.self) == "PRIX")
    #expect(rules.sources.describe(match.atomSpan) == "rules.etq:8:25")
    #expect(change.reason.step == 1)
    #expect(change.reason.at == Engine.defaultInstant)
  }

  @Test func applyIsDeterministic() throws {
    let rules = try CompiledRules.compile(Self.rules)
    let steps: [ScriptStep] = [.says("prix"), .agent("a@x.fr", .takeOver), .says("commande")]
    var first = Script(rules)
    var second = Script(rules)
    first.run(steps)
    second.run(steps)
    #expect(first.conversation == second.conversation)
    #expect(first.decisions == second.decisions)
  }
}
