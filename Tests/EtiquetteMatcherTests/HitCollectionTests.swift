import EtiquetteChecker
import Testing

@testable import EtiquetteMatcher

/// A scan collects its phrase hits in stack scratch and spills beyond it; the labelling
/// result (`CandidateEvaluations`) turns recorded hits into evaluations only when read. Both
/// must give what the reference evaluator gives, on either side of the scratch's size.
@Suite struct HitCollectionTests {
  /// 40 phrases in one label and 40 in another, all in one message: 80 hits and 81 trigger
  /// hits, far past the scratch (24), in an order the walks do not produce sorted.
  static let rules = """
    label "Un" {
      when message contains any [\(phrases("un", 40))]
    }
    label "Deux" {
      when message contains any [\(phrases("deux", 40))]
      remove when message contains "deux7"
    }
    team "T" {
      members ["a@exemple.fr"]
      can reply all
    }
    routing {
      default ai
    }
    """

  static func phrases(_ stem: String, _ count: Int) -> String {
    (0..<count).map { "\"\(stem)\($0)\"" }.joined(separator: ", ")
  }

  @Test(arguments: [1, 23, 24, 25, 80])
  func hitsOnEitherSideOfTheScratchAgreeWithTheReference(count: Int) throws {
    let ruleSet = try #require(MatcherHarness.ruleSet(Self.rules))
    let matcher = RuleMatcher(ruleSet)
    // Alternating labels, numbers descending: the hits are found out of phrase order.
    let words = (0..<count).map { index in
      index.isMultiple(of: 2) ? "deux\(39 - index / 2 % 40)" : "un\(39 - index / 2 % 40)"
    }
    let message = "Bonjour, " + words.joined(separator: " ; ") + " — merci"
    let scan = matcher.scan(message)
    #expect(scan.allPhraseHitCount == count)
    #expect(DifferentialTests.compare(ruleSet, messages: [message, message.uppercased()]) > 0)
  }

  @Test func evaluationsAreValuesMadeWhenRead() throws {
    let ruleSet = try #require(MatcherHarness.ruleSet(Self.rules))
    let matcher = RuleMatcher(ruleSet)
    var results = matcher.evaluateCandidates(scan: matcher.scan("un3 et deux7, puis un12")) {
      _ in false
    }
    let labels = results.map { "\($0.trigger)" }
    #expect(results.count == 3)  // Un, Deux, and Deux's `remove when`
    #expect(labels.count == Set(labels).count)
    let first = results.map(\.evaluation)
    let second = results.map(\.evaluation)
    #expect(first == second)
    #expect(first.allSatisfy { $0.holds })
    #expect(first[0].evidence.map(\.matchedText) == ["un3", "un12"])
    // Evaluations outlive the collection and the scan.
    results = matcher.evaluateCandidates(scan: matcher.scan("rien")) { _ in false }
    #expect(results.isEmpty)
    #expect(first[1].evidence.map(\.matchedText) == ["deux7"])
    #expect(first[2].evidence.map(\.range) == [7..<12])
  }
}
