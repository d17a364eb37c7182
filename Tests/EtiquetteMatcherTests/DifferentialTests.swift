import EtiquetteChecker
import EtiquetteTestSupport
import Foundation
import Testing

@testable import EtiquetteMatcher

/// The compiled matcher against the reference evaluator: same phrase hits, same labels, same
/// evidence and spans, on the examples and on thousands of generated messages.
@Suite struct DifferentialTests {

  static let decorations = [
    "", "", "", " ", ".", ",", "!", "?", "👍", "🙏🏽", "«", "»", "(", ")", "\"", "x", "é", "1",
    "\u{301}", "—", "-", "_", "\u{200B}", "'", "’", "\u{A0}", ":",
  ]
  static let fodder = [
    "CMD-123456", "ord-654321", "CMD-12345", "claire.dupont@exemple.fr", "12/11/2026",
    "49,90 €", "06 12 34 56 78", "REFUND", "refunded", "top-up", "Top Up", "card declined",
    "carte refusée", "FR76 3000 6000 0112 3456 7890 189", "$25", "exchange rates", "urgent",
    "PIN", "colis", "Bonjour", "hello", "bug", "plante", "ne marche pas", "test",
  ]

  /// A phrase as a customer might type it: any case, accents dropped, typographic quotes,
  /// odd spaces.
  static func mangle(_ phrase: String, _ random: inout SplitMix64) -> String {
    var text = phrase
    switch random.below(5) {
    case 0: text = text.uppercased()
    case 1: text = text.capitalized
    case 2:
      text = text.map { random.chance(50) ? $0.uppercased() : String($0) }.joined()
    default: break
    }
    if random.chance(30) { text = text.folding(options: .diacriticInsensitive, locale: nil) }
    if random.chance(40) {
      text = text.replacingOccurrences(of: "'", with: random.pick(["’", "ʼ", "`", "‘"]))
    }
    if random.chance(20) {
      text = text.replacingOccurrences(
        of: " ", with: random.pick(["\u{A0}", "\u{202F}", "  ", "\n", "\t"]))
    }
    if random.chance(10) { text = text.replacingOccurrences(of: "-", with: "–") }
    // How customers write (issue 19): elisions without their apostrophe, words joined or cut
    // by hyphens, underscores and slashes.
    if random.chance(15) { text = text.replacingOccurrences(of: "'", with: "") }
    if random.chance(10) {
      text = text.replacingOccurrences(of: "-", with: random.pick([" ", "_", "/"]))
    }
    if random.chance(10) { text = text.replacingOccurrences(of: " ", with: "-") }
    // Other forms of the words (`forms`) and abbreviations (`synonyms`).
    if random.chance(20) {
      text = text.replacingOccurrences(of: "er", with: random.pick(["ez", "é", "ation", "ons"]))
    }
    if random.chance(10) { text = text.replacingOccurrences(of: "rendez-vous", with: "RDV") }
    if random.chance(10) { text = text.replacingOccurrences(of: "commande", with: "cmd") }
    // Typos (`typos`): a letter dropped, doubled, replaced or swapped with the next.
    if random.chance(25), text.count > 3 {
      var letters = Array(text)
      let at = random.below(letters.count - 1)
      switch random.below(4) {
      case 0: letters.remove(at: at)
      case 1: letters.insert(letters[at], at: at)
      case 2: letters[at] = random.pick(["e", "a", "z", "s"])
      default: letters.swapAt(at, at + 1)
      }
      text = String(letters)
    }
    return text
  }

  static func messages(phrases: [String], count: Int, seed: UInt64) -> [String] {
    var random = SplitMix64(seed: seed)
    let bases = MatcherHarness.lines("utterances-en.txt") + MatcherHarness.lines("messages-fr.txt")
    var out: [String] = []
    for _ in 0..<count {
      var words = random.pick(bases).split(separator: " ").map(String.init)
      for _ in 0..<random.below(4) {
        let inserted =
          random.chance(75) ? mangle(random.pick(phrases), &random) : random.pick(fodder)
        let piece = random.pick(decorations) + inserted + random.pick(decorations)
        let position = random.below(words.count + 1)
        if random.chance(15), position > 0 {
          words[position - 1] += piece  // glued to the word before
        } else {
          words.insert(piece, at: position)
        }
      }
      var message = words.joined(separator: random.chance(10) ? "  " : " ")
      if random.chance(5) { message = message.uppercased() }
      if random.chance(5) { message = " " + message + "\n" }
      out.append(message)
    }
    return out
  }

  static func allPhrases(_ ruleSet: RuleSet) -> [Phrase] {
    ReferenceMatcher.triggers(of: ruleSet).flatMap { trigger in
      trigger.1.atoms.flatMap { atom -> [Phrase] in
        if case .contains(_, let phrases) = atom.kind { return phrases }
        return []
      }
    }
  }

  /// Compares everything both evaluators say about `messages`; returns the number of
  /// triggers that held, so the caller can check the test exercised something.
  static func compare(
    _ ruleSet: RuleSet, messages: [String], interleavedWalks: Bool? = nil
  ) -> Int {
    let matcher = RuleMatcher(ruleSet, interleavedWalks: interleavedWalks)
    let reference = ReferenceMatcher(ruleSet)
    let distinctPhrases = Array(Set(allPhrases(ruleSet))).sorted {
      ($0.normalized, $0.modes.rawValue) < ($1.normalized, $1.modes.rawValue)
    }
    var held = 0
    var mismatches = 0
    for message in messages {
      let scan = matcher.scan(message)
      let analysed = ReferenceMatcher.analyse(message)
      let stemmed = ReferenceMatcher.stemmed(analysed, stemmer: reference.stemmer)
      for phrase in distinctPhrases {
        let expected = reference.occurrences(of: phrase, in: analysed, stemmed: { stemmed })
        let actual = scan.phraseHits(phrase)
        if actual != expected {
          mismatches += 1
          let modes = phrase.modes.keywords.joined(separator: " ")
          let shown = "phrase \"\(phrase.normalized)\" [\(modes)] in \(message.debugDescription)"
          Issue.record("\(shown): \(actual) vs \(expected)")
        }
      }
      var firing: [String] = []
      for (trigger, expected) in reference.evaluateAll(text: message, facts: MatcherHarness.facts) {
        let actual = matcher.evaluate(trigger, scan: scan, facts: MatcherHarness.facts)
        if actual.holds || !actual.errors.isEmpty { firing.append("\(trigger) \(actual)") }
        if actual.holds { held += 1 }
        if actual != expected {
          mismatches += 1
          Issue.record(
            "\(trigger) on \(message.debugDescription):\n  compiled \(actual)\n  reference \(expected)"
          )
        }
      }
      // The one-call labelling gives the same triggers and evaluations.
      let together = matcher.evaluateCandidates(scan: scan, facts: MatcherHarness.facts)
        .map { "\($0.trigger) \($0.evaluation)" }
      if together != firing {
        mismatches += 1
        Issue.record("evaluateCandidates on \(message.debugDescription): \(together) vs \(firing)")
      }
      if mismatches > 20 { break }
    }
    return held
  }

  @Test func completeExampleAndItsTestMessages() throws {
    let ruleSet = try #require(MatcherHarness.completeExample)
    let says = ruleSet.tests.isEmpty ? [] : ["J'ai réservé le rendez-vous"]
    let messages =
      says + [
        "j’ai reserve le creneau de mardi", "Bonjour, ma commande CMD-123456 n'est pas arrivée",
        "merci !", "je veux parler à un humain", "vous êtes là ?", "ça plante, écran noir",
        "J'AI ANNULÉ le rendez-vous", "devis et prix pour ORD-000001",
      ]
    let generated = Self.messages(
      phrases: Self.allPhrases(ruleSet).map(\.text), count: 500, seed: 1)
    #expect(Self.compare(ruleSet, messages: messages + generated) > 100)
  }

  /// With the trie walked one start at a time (how a small rule set is) and two at a time
  /// (how a large one is).
  @Test(arguments: [false, true])
  func generatedMessagesOnTheDifferentialRuleSet(interleavedWalks: Bool) throws {
    let ruleSet = try #require(
      MatcherHarness.ruleSet(file: MatcherHarness.fixtures + "/differential.etq"))
    let phrases = Self.allPhrases(ruleSet).map(\.text)
    #expect(phrases.count > 200)
    let messages =
      MatcherHarness.lines("messages-fr.txt")
      + Self.messages(phrases: phrases, count: 2_500, seed: 42)
    #expect(
      Self.compare(ruleSet, messages: messages, interleavedWalks: interleavedWalks) > 1_000)
  }
}
