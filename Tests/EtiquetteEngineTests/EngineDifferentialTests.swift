import EtiquetteChecker
import EtiquetteEngine
import EtiquetteSyntax
import EtiquetteTestSupport
import Foundation
import Testing

/// The engine's indexed steps (issue 20: only the triggers that may hold are evaluated) against
/// reference steps that evaluate every trigger with the reference evaluator: the same
/// conversations and decisions, step by step, on random rule sets where most labels never
/// match, with negations (`not message contains` holds when nothing matches), labels that
/// depend on labels, modes, hours, events, message types and contact fields.
@Suite struct EngineDifferentialTests {
  /// Phrases customers write; the messages are made of them.
  static let common = [
    "bonjour", "commande", "rendez-vous", "annuler", "facture", "remboursement", "prix",
    "j'ai réservé", "écran noir", "livraison",
  ]
  static let members = ["ana@exemple.fr", "bob@exemple.fr"]

  /// A rule set of `labelCount` labels and a few routing rules, as rule-file source.
  static func ruleSource(labelCount: Int, _ random: inout SplitMix64) -> String {
    // Label `i` may name only labels of a lower rank, so that there is no cycle but the
    // evaluation order differs from the declaration order.
    var rank = Array(0..<labelCount)
    rank.shuffle(using: &random)
    func condition(for label: Int?, depth: Int) -> String {
      if depth < 2 && random.chance(35) {
        let left = condition(for: label, depth: depth + 1)
        let right = condition(for: label, depth: depth + 1)
        let joined = "(\(left) \(random.chance(50) ? "and" : "or") \(right))"
        return random.chance(20) ? "not " + joined : joined
      }
      let atom = self.atom(for: label, rank: rank, &random)
      return random.chance(25) ? "not " + atom : atom
    }
    var source = """
      contact {
        tier: "standard" | "vip"
        score: number
      }
      event "booking" {
        who: string
        seats: number
      }
      event "cancel" {
        who: string
      }
      hours "bureau" {
        zone "Europe/Paris"
        mon-fri 09:00-18:00
      }
      team "Tous" {
        members ["\(members[0])", "\(members[1])"]
        can manage all
      }

      """
    for label in 0..<labelCount {
      source += "label \"L\(label)\" {\n"
      for _ in 0..<(1 + random.below(2)) {
        source += "  when \(condition(for: label, depth: 0))\n"
      }
      if random.chance(40) { source += "  remove when \(condition(for: label, depth: 0))\n" }
      source += "}\n"
    }
    source += "routing {\n  default \(random.chance(50) ? "ai" : "human")\n"
    for _ in 0..<4 {
      source +=
        "  when \(condition(for: nil, depth: 0)) -> \(random.chance(50) ? "human" : "ai")\n"
    }
    return source + "}\n"
  }

  /// Most labels look for phrases that never occur (`rare`), as in a large real rule set.
  static func atom(for label: Int?, rank: [Int], _ random: inout SplitMix64) -> String {
    let lower =
      label.map { l in rank.indices.filter { rank[$0] < rank[l] } } ?? rank.indices.map { $0 }
    switch random.below(20) {
    case 0..<5: return "message contains \"rare\(random.below(1_000))\""
    case 5..<9: return "message contains \"\(random.pick(common))\""
    case 9:
      return "message contains any [\"\(random.pick(common))\", \"rare\(random.below(99))\"]"
    case 10: return "message matches /\\bCMD-\\d{3}\\b/"
    case 11, 12:
      guard !lower.isEmpty else { return "message contains \"\(random.pick(common))\"" }
      return "label \"L\(random.pick(lower))\""
    case 13: return "mode is \(random.chance(50) ? "ai" : "human")"
    case 14: return "during \"bureau\""
    case 15: return "event \"\(random.chance(50) ? "booking" : "cancel")\""
    case 16:
      return random.chance(50) ? "message.type is image" : "message.type in [image, video]"
    case 17:
      return random.chance(50) ? "message.caption == \"photo\"" : "message.text starts with \"bon\""
    case 18: return random.chance(50) ? "contact.tier == \"vip\"" : "contact.score > 3"
    default: return random.chance(50) ? "event.who == \"ana\"" : "event.seats >= 2"
    }
  }

  static func step(
    _ random: inout SplitMix64, at time: Date, labelCount: Int, conversation: Conversation
  ) -> Step {
    let kind: Step.Kind
    switch random.below(12) {
    case 0..<5:
      var words = (0..<random.below(4)).map { _ in random.pick(common) }
      if random.chance(20) { words.append("CMD-\(100 + random.below(900))") }
      if random.chance(10) { words.append("rare\(random.below(1_000))") }
      kind = .message(CustomerMessage(type: .text, text: words.joined(separator: " ")))
    case 5:
      kind = .message(
        CustomerMessage(
          type: random.pick([.image, .video, .audio]),
          caption: random.chance(50) ? random.pick(["photo", "bonjour écran noir"]) : nil))
    case 6:
      kind = .event(
        IntegrationEvent(
          name: random.pick(["booking", "cancel", "other"]),
          fields: [
            "who": .string(random.pick(["ana", "bob"])), "seats": .number(Double(random.below(4))),
          ]))
    case 7: kind = .tick
    case 8:
      let action: Step.AgentAction = random.pick([.takeOver, .transferToAI, .keepHumanAndLeave])
      kind = .agent(member: random.pick(members), action: action)
    case 9, 10:
      let label = LabelID(random.below(labelCount))
      kind = .agent(
        member: random.pick(members),
        action: random.chance(60) ? .addLabel(label) : .removeLabel(label))
    default:
      kind = .aiReply(text: "ok", version: random.chance(70) ? conversation.version : 0)
    }
    let contact: ContactUpdate? =
      random.chance(10)
      ? ContactUpdate(attributes: [
        "tier": .string(random.pick(["standard", "vip"])),
        "score": .number(Double(random.below(6))),
      ]) : nil
    return Step(kind, at: time, contact: contact)
  }

  /// Runs `steps` steps of one conversation through both engines; returns the number of
  /// triggers that fired, so the caller can check the rules did something.
  static func compare(seed: UInt64, labelCount: Int, steps: Int) throws -> Int {
    var random = SplitMix64(seed: seed)
    let source = ruleSource(labelCount: labelCount, &random)
    let compiled = try CompiledRules.compile(source)
    let indexed = compiled.engine
    let reference = Engine(ruleSet: compiled.ruleSet, reference: true)
    var conversation = indexed.newConversation(id: "c", contact: Contact(id: "u"))
    var time = Engine.defaultInstant
    var fired = 0
    for number in 0..<steps {
      // Hours open and close: jumps of 0 to 14 hours.
      time += Double(random.below(15)) * 3_600 + Double(random.below(60)) * 60
      let step = step(&random, at: time, labelCount: labelCount, conversation: conversation)
      let (actual, actualDecision) = indexed.apply(step, to: conversation)
      let (expected, expectedDecision) = reference.apply(step, to: conversation)
      guard actual == expected, actualDecision == expectedDecision else {
        Issue.record(
          """
          seed \(seed), step \(number) \(step.kind):
            indexed   \(actualDecision)
            reference \(expectedDecision)
          """)
        return fired
      }
      fired += actualDecision.fired.count
      conversation = actual
    }
    return fired
  }

  @Test(arguments: 1...12)
  func randomRuleSets(seed: UInt64) throws {
    #expect(try Self.compare(seed: seed, labelCount: 30, steps: 150) > 10)
  }

  /// Many labels, nearly all of which never match: the index must not skip the few that do.
  @Test func manyLabelsMostOfWhichNeverMatch() throws {
    #expect(try Self.compare(seed: 99, labelCount: 300, steps: 60) > 10)
  }

  /// A conversation whose stored state comes from another rule set (a reload): held triggers
  /// and labels the index knows nothing about do not change what a step decides.
  @Test func stateFromAnotherRuleSet() throws {
    var random = SplitMix64(seed: 7)
    let first = try CompiledRules.compile(Self.ruleSource(labelCount: 20, &random))
    let second = try CompiledRules.compile(Self.ruleSource(labelCount: 20, &random))
    let reference = Engine(ruleSet: second.ruleSet, reference: true)
    var conversation = first.engine.newConversation(id: "c", contact: Contact(id: "u"))
    var time = Engine.defaultInstant
    for _ in 0..<40 {
      time += 1_800
      let step = Self.step(&random, at: time, labelCount: 20, conversation: conversation)
      conversation = first.engine.apply(step, to: conversation).0
    }
    for _ in 0..<40 {
      time += 1_800
      let step = Self.step(&random, at: time, labelCount: 20, conversation: conversation)
      let (actual, actualDecision) = second.engine.apply(step, to: conversation)
      let (expected, expectedDecision) = reference.apply(step, to: conversation)
      guard actual == expected, actualDecision == expectedDecision else {
        Issue.record(
          "after a reload, \(step.kind):\n  indexed   \(actualDecision)\n  reference \(expectedDecision)"
        )
        return
      }
      conversation = actual
    }
  }

  /// A negated text atom holds when nothing matches: a label that only says what the message
  /// does not contain is applied on a message that none of 1,000 labels' phrases concerns.
  @Test func negatedPhraseAmongLabelsThatNeverMatch() throws {
    let labels = (0..<1_000).map {
      "label \"L\($0)\" {\n  when message contains \"rare\($0)\"\n}\n"
    }
    let rules = try CompiledRules.compile(
      labels.joined()
        + """
        label "Sans commande" {
          when not message contains any ["commande", "rare1"]
          remove when message contains "commande"
        }
        routing {
          default ai
        }
        """)
    var script = Script(rules)
    script.run([.says("bonjour"), .says("merci"), .says("ma commande"), .says("rare7")])
    #expect(
      script.decisions.map { rules.names(Set($0.added.map(\.label))) } == [
        ["Sans commande"], [], [], ["L7", "Sans commande"],
      ])
    #expect(script.decisions[2].removed.map(\.label) == [rules.label("Sans commande")])
  }
}
