import EtiquetteChecker
import EtiquetteEngine
import Foundation
import Testing

/// The atoms the engine answers itself: fields of the message, the contact and the event, mode
/// and events — and message atoms being false on steps that are not messages.
@Suite struct ConditionFactsTests {
  static let rules = """
    contact {
      tier: "standard" | "vip" | "gold"
      score: number
      pro: bool
    }
    event "paiement" {
      montant: number
      devise: string
    }
    label "Image" {
      when message.type is image
    }
    label "Légende" {
      when message.caption starts with "facture"
    }
    label "Fichier" {
      when message contains "devis"
    }
    label "Premium" {
      when contact.tier in ["vip", "gold"]
    }
    label "Score" {
      when contact.score >= 4 and contact.pro == true
    }
    label "Gros paiement" {
      when event "paiement" and event.montant > 100 and event.devise == "EUR"
    }
    label "Pas de texte" {
      when not message contains "bonjour"
    }
    label "Humain" {
      when mode is human
    }
    team "T" {
      members ["a@x.fr"]
      can reply all
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

  static let cases: [Case] = [
    Case(name: "text message", steps: [.says("bonjour")], labels: []),
    Case(
      name: "image with a caption", steps: [.sends(.image, caption: "facture de mars")],
      labels: ["Image", "Légende", "Pas de texte"]),
    Case(
      name: "document scanned by caption", steps: [.sends(.document, caption: "le devis")],
      labels: ["Fichier", "Pas de texte"]),
    Case(
      name: "contact in a list", contact: ["tier": .string("gold")], steps: [.says("bonjour")],
      labels: ["Premium"]),
    Case(
      name: "contact number and bool", contact: ["score": .number(4), "pro": .bool(true)],
      steps: [.says("bonjour")], labels: ["Score"]),
    Case(
      name: "contact number too small", contact: ["score": .number(3.5), "pro": .bool(true)],
      steps: [.says("bonjour")], labels: []),
    Case(
      name: "event fields",
      steps: [.event("paiement", ["montant": .number(150), "devise": .string("EUR")])],
      labels: ["Gros paiement", "Pas de texte"]),
    Case(
      name: "event fields: a field missing", steps: [.event("paiement", ["montant": .number(150)])],
      labels: ["Pas de texte"]),
    Case(
      name: "mode is human after a take over",
      steps: [.says("bonjour"), .agent("a@x.fr", .takeOver)], labels: ["Pas de texte", "Humain"]),
  ]

  @Test(arguments: cases)
  func atoms(_ c: Case) throws {
    var script = Script(try CompiledRules.compile(Self.rules), contact: c.contact)
    script.run(c.steps)
    #expect(Set(script.labels) == Set(c.labels))
  }

  @Test func completeExampleTestsPass() throws {
    let root = RepositoryRoot.path
    let text = try String(contentsOfFile: root + "/grammar/examples/complete.etq", encoding: .utf8)
    let rules = try CompiledRules.compile(text, path: "complete.etq")
    let report = RuleTestRunner(engine: rules.engine, sources: rules.sources).runAll()
    #expect(report.results.count == 7)
    #expect(report.failed == 0, "\(report.results.flatMap(\.failures).map(\.message))")
  }
}
