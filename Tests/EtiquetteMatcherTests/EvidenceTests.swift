import EtiquetteChecker
import EtiquetteDiagnostics
import Testing

@testable import EtiquetteMatcher

/// Evidence is recorded as a place in the scan and built when read: what is read must be what
/// an evidence built in full says, and equality and hashing must not see the difference.
@Suite struct EvidenceTests {
  static let rules = """
    label "Prix" {
      when message contains any ["prix", "tarif", "combien"]
    }
    team "T" {
      members ["a@exemple.fr"]
      can reply all
    }
    routing {
      default ai
    }
    """

  @Test func recordedEvidenceReadsAsBuiltEvidence() throws {
    let ruleSet = try #require(MatcherHarness.ruleSet(Self.rules))
    let matcher = RuleMatcher(ruleSet)
    let prix = try #require(ruleSet.label(named: "Prix")).id
    let text = "Quel TARIF, quel Prix ? Le prix 👍"
    let scan = matcher.scan(text)
    let lazy = matcher.evaluate(.add(prix, 0), scan: scan) { _ in false }
    #expect(lazy.holds)
    // Operand order, the first occurrence of each phrase, cut from the original text.
    #expect(lazy.evidence.map(\.matchedText) == ["Prix", "TARIF"])
    #expect(lazy.evidence.map(\.trigger) == ["prix", "tarif"])
    let bytes = Array(text.utf8)
    for item in lazy.evidence {
      #expect(String(decoding: bytes[item.range], as: UTF8.self) == item.matchedText)
    }
    // The same evidence built in full is equal, hashes alike, and describes alike.
    let built = ConditionEvaluation(
      holds: true,
      evidence: lazy.evidence.map {
        MatchEvidence(
          atomSpan: $0.atomSpan, trigger: $0.trigger, range: $0.range,
          matchedText: $0.matchedText)
      })
    #expect(built == lazy)
    #expect(built.hashValue == lazy.hashValue)
    #expect(Set(built.evidence) == Set(lazy.evidence))
    #expect(built.evidence.map(\.description) == lazy.evidence.map(\.description))
    // Evidence stays readable after the scan is gone.
    let kept = matcher.evaluateCandidates(scan: matcher.scan(text)) { _ in false }
    #expect(kept.first?.evaluation.evidence.map(\.matchedText) == ["Prix", "TARIF"])
  }

  @Test func settingEvidenceOrErrorsReplacesTheRecord() throws {
    let ruleSet = try #require(MatcherHarness.ruleSet(Self.rules))
    let matcher = RuleMatcher(ruleSet)
    let prix = try #require(ruleSet.label(named: "Prix")).id
    var evaluation = matcher.evaluate(.add(prix, 0), scan: matcher.scan("combien ?")) { _ in
      false
    }
    #expect(evaluation.errors.isEmpty)
    let span = SourceSpan(file: SourceFileID(0), start: 0, end: 1)
    evaluation.errors = [MatchError(atomSpan: span, message: "limit")]
    #expect(evaluation.evidence.map(\.matchedText) == ["combien"])
    #expect(evaluation.errors.map(\.message) == ["limit"])
    evaluation.evidence[0].matchedText = "autre"
    #expect(evaluation.evidence.map(\.matchedText) == ["autre"])
    #expect(evaluation.evidence[0].range == 0..<7)
    #expect(evaluation.errors.count == 1)
  }

  @Test func evidenceWithEqualTextIsEqualWhateverItsSource() {
    let span = SourceSpan(file: SourceFileID(0), start: 3, end: 9)
    let message = "un café noir"
    let cut = MatchEvidence(atomSpan: span, trigger: "café", range: 3..<8, in: message)
    let whole = MatchEvidence(atomSpan: span, trigger: "café", range: 3..<8, matchedText: "café")
    // Canonically equivalent text (e + combining acute) is equal, as for `String`.
    let decomposed = MatchEvidence(
      atomSpan: span, trigger: "café", range: 3..<8, matchedText: "cafe\u{301}")
    let other = MatchEvidence(atomSpan: span, trigger: "café", range: 3..<8, matchedText: "cafe")
    #expect(cut.matchedText == "café")
    #expect(cut == whole && cut.hashValue == whole.hashValue)
    #expect(cut == decomposed && cut.hashValue == decomposed.hashValue)
    #expect(cut != other)
  }
}
