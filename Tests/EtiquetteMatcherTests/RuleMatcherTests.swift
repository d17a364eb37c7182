import EtiquetteChecker
import EtiquetteText
import Testing

@testable import EtiquetteMatcher

/// Evaluation of triggers on the issue's example and on small rule sets.
@Suite struct RuleMatcherTests {
  static func label(_ ruleSet: RuleSet, _ name: String) throws -> LabelID {
    try #require(ruleSet.label(named: name)).id
  }

  @Test func completeExampleReservation() throws {
    let ruleSet = try #require(MatcherHarness.completeExample)
    let matcher = RuleMatcher(ruleSet)
    let planned = try Self.label(ruleSet, "Personnes Qui Ont Planifié")
    for message in ["J'ai réservé le rendez-vous", "j’ai reserve le creneau de mardi"] {
      let scan = matcher.scan(message)
      let result = matcher.evaluate(.add(planned, 0), scan: scan) { _ in false }
      #expect(result.holds, "\(message)")
      #expect(result.evidence.map(\.trigger) == ["J'ai réservé"])
      #expect(result.evidence.first?.range.lowerBound == 0)
      #expect(result.errors.isEmpty)
      // The `remove when` does not fire.
      #expect(!matcher.evaluate(.remove(planned, 0), scan: scan) { _ in false }.holds)
    }
    let evidence = matcher.evaluate(
      .add(planned, 0), scan: matcher.scan("j’ai reserve le creneau de mardi")
    ) { _ in false }.evidence
    #expect(evidence.first?.matchedText == "j’ai reserve")
  }

  @Test func completeExampleOrderNumberAndNegation() throws {
    let ruleSet = try #require(MatcherHarness.completeExample)
    let matcher = RuleMatcher(ruleSet)
    let orders = try Self.label(ruleSet, "Demandes de Commande")
    let sales = try Self.label(ruleSet, "Demandes de Vente")
    let scan = matcher.scan("Bonjour, ma commande CMD-123456 n'est pas arrivée, quel prix ?")
    let byPhrase = matcher.evaluate(.add(orders, 0), scan: scan) { _ in false }
    #expect(byPhrase.holds)
    #expect(byPhrase.evidence.map(\.matchedText) == ["ma commande"])
    let byPattern = matcher.evaluate(.add(orders, 1), scan: scan) { _ in false }
    #expect(byPattern.holds)
    #expect(byPattern.evidence.map(\.matchedText) == ["CMD-123456"])
    #expect(byPattern.evidence.map(\.trigger) == [#"/\b(?:CMD|ORD)-\d{6}\b/"#])
    // `… and not label "Demandes de Commande"`: the fact decides.
    var asked: [ConditionAtom] = []
    let withOrder = matcher.evaluate(.add(sales, 0), scan: scan) { atom in
      asked.append(atom)
      return true
    }
    #expect(!withOrder.holds)
    #expect(withOrder.evidence.isEmpty)
    #expect(asked.count == 1)
    let withoutOrder = matcher.evaluate(.add(sales, 0), scan: scan) { _ in false }
    #expect(withoutOrder.holds)
    #expect(withoutOrder.evidence.map(\.matchedText) == ["prix"])
  }

  @Test func completeExampleRoutingAndNonTextTriggers() throws {
    let ruleSet = try #require(MatcherHarness.completeExample)
    let matcher = RuleMatcher(ruleSet)
    let scan = matcher.scan("je veux parler à un humain")
    let human = matcher.evaluate(.route(1), scan: scan) { _ in false }
    #expect(human.holds)
    #expect(human.evidence.map(\.matchedText) == ["parler à un humain"])
    // `when not during "bureau"` holds without text: it is evaluated on an empty scan.
    let closed = matcher.evaluate(.route(3), scan: .empty) { _ in false }
    #expect(closed.holds)
    #expect(closed.evidence.isEmpty)
    // `when label "VIP"`: facts only.
    #expect(matcher.evaluate(.route(0), scan: .empty) { _ in true }.holds)
    #expect(!matcher.evaluate(.route(0), scan: .empty) { _ in false }.holds)
    // `message.type is image and message contains "écran"`.
    let support = try Self.label(ruleSet, "Support Technique")
    let screen = matcher.scan("voici l'ÉCRAN")
    #expect(matcher.evaluate(.add(support, 1), scan: screen) { _ in true }.holds)
    #expect(!matcher.evaluate(.add(support, 1), scan: screen) { _ in false }.holds)
    #expect(!matcher.evaluate(.add(support, 1), scan: .empty) { _ in true }.holds)
  }

  @Test func candidateTriggersAreTheOnesThatCanHold() throws {
    let ruleSet = try #require(MatcherHarness.completeExample)
    let matcher = RuleMatcher(ruleSet)
    let scan = matcher.scan("le colis est arrivé")
    let candidates = matcher.candidateTriggers(for: scan)
    let orders = try Self.label(ruleSet, "Demandes de Commande")
    let vip = try Self.label(ruleSet, "VIP")
    #expect(candidates.contains(.add(orders, 0)))
    #expect(!candidates.contains(.add(orders, 1)))
    #expect(candidates.contains(.add(vip, 0)))  // no text atom: may hold
    #expect(candidates.contains(.route(3)))
    #expect(!candidates.contains(.route(1)))
    // Every trigger outside the candidates is false, whatever the facts.
    for trigger in matcher.allTriggers where !candidates.contains(trigger) {
      #expect(!matcher.evaluate(trigger, scan: scan) { _ in true }.holds, "\(trigger)")
    }
    #expect(matcher.allTriggers.count == 13)
  }

  @Test func quantifiersAndEvidence() throws {
    let ruleSet = try #require(
      MatcherHarness.ruleSet(
        """
        label "A" {
          when message contains all ["carte", "bloquée"]
          when message contains any ["carte", "code", "bloquée"] or message contains "pin"
          when not message contains "carte"
        }
        routing {
          default ai
        }
        """))
    let matcher = RuleMatcher(ruleSet)
    let id = ruleSet.labels[0].id
    let both = matcher.scan("Ma carte est BLOQUEE, le code aussi, carte !")
    let all = matcher.evaluate(.add(id, 0), scan: both) { _ in false }
    #expect(all.holds)
    #expect(all.evidence.map(\.matchedText) == ["carte", "BLOQUEE"])
    let any = matcher.evaluate(.add(id, 1), scan: both) { _ in false }
    #expect(any.evidence.map(\.matchedText) == ["carte", "code", "BLOQUEE"])
    #expect(!matcher.evaluate(.add(id, 2), scan: both) { _ in false }.holds)
    let one = matcher.scan("ma carte")
    #expect(!matcher.evaluate(.add(id, 0), scan: one) { _ in false }.holds)
    #expect(matcher.evaluate(.add(id, 0), scan: one) { _ in false }.evidence.isEmpty)
    #expect(matcher.evaluate(.add(id, 2), scan: .empty) { _ in false }.holds)
    // Unknown triggers are false rather than a trap.
    #expect(!matcher.evaluate(.add(id, 9), scan: one) { _ in true }.holds)
    #expect(!matcher.evaluate(.route(0), scan: one) { _ in true }.holds)
  }

  @Test func scanFromAnotherMatcherIsRedone() throws {
    let first = RuleMatcher(try #require(MatcherHarness.phraseRuleSet(["alpha", "beta"])))
    let second = RuleMatcher(try #require(MatcherHarness.phraseRuleSet(["beta"])))
    let scan = first.scan("alpha beta")
    let label = second.ruleSet.labels[0].id
    let result = second.evaluate(.add(label, 0), scan: scan) { _ in false }
    #expect(result.holds)
    #expect(result.evidence.map(\.matchedText) == ["beta"])
  }

  @Test func largeRuleSetsCompileAndFindEveryPhrase() throws {
    // 3,000 distinct phrases sharing prefixes and suffixes.
    let words = ["carte", "compte", "virement", "code", "frais", "pin", "retrait", "solde"]
    var phrases: [String] = []
    for a in words { for b in words { for c in 0..<47 { phrases.append("\(a) \(b) \(c)") } } }
    let matcher = RuleMatcher(try #require(MatcherHarness.phraseRuleSet(phrases)))
    #expect(matcher.statistics.phraseCount == phrases.count)
    let message = phrases.shuffled().prefix(200).joined(separator: ", ")
    let scan = matcher.scan(message)
    let analysed = ReferenceMatcher.analyse(message)
    for phrase in phrases {
      let reference = ReferenceMatcher.occurrencesOfAnySpelling(of: phrase, in: analysed)
      #expect(scan.phraseHits(phrase) == reference, "\(phrase)")
    }
    #expect(scan.allPhraseHits.count == 200)
  }
}
