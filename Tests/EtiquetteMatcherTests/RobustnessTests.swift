import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteText
import Testing

@testable import EtiquetteMatcher

/// Hostile patterns, huge messages and concurrent use: bounded, never a hang or a crash.
@Suite struct RobustnessTests {
  static let hostileRules = """
    label "Hostile" {
      when message matches /(a+)+$/
      when message matches /(x+x+)+[yz]/ or message contains "zut"
    }
    label "Phrases" {
      when message contains any ["ma commande", "colis", "bug"]
    }
    routing {
      default ai
    }
    """

  @Test func hostileRegexOnHundredKilobytesReturnsAnError() throws {
    let ruleSet = try #require(MatcherHarness.ruleSet(Self.hostileRules))
    let matcher = RuleMatcher(ruleSet)
    let message = String(repeating: "a", count: 100_000) + "!"
    let scan = matcher.scan(message)
    let hostile = ruleSet.labels[0].id
    let result = matcher.evaluate(.add(hostile, 0), scan: scan) { _ in false }
    #expect(!result.holds)
    // Either PCRE2 proves there is no match, or it stops at a limit and says so.
    switch scan.patternOutcome(ruleSet.labels[0].addTriggers[0].condition.atomPattern!) {
    case .noMatch: #expect(result.errors.isEmpty)
    case .limitExceeded:
      #expect(result.errors.count == 1)
      #expect(result.errors.first?.message.contains("/(a+)+$/") == true)
    case .match, .failed: Issue.record("unexpected outcome")
    }
  }

  @Test func limitHitsAreReportedPerTrigger() throws {
    let ruleSet = try #require(MatcherHarness.ruleSet(Self.hostileRules))
    let matcher = RuleMatcher(ruleSet)
    let tight = MatchLimits(matchLimit: 1_000, depthLimit: 1_000, heapLimitKiB: 1_024)
    let scan = matcher.scan(String(repeating: "x", count: 5_000) + " zut", limits: tight)
    let hostile = ruleSet.labels[0].id
    let result = matcher.evaluate(.add(hostile, 1), scan: scan) { _ in false }
    // The limit error is reported, and the phrase still makes the trigger hold.
    #expect(result.holds)
    #expect(result.evidence.map(\.matchedText) == ["zut"])
    #expect(result.errors.count == 1)
    #expect(result.errors.first?.atomSpan == ruleSet.labels[0].addTriggers[1].condition.atomSpan)
    // The other trigger does not mention the pattern: no error there.
    #expect(matcher.evaluate(.add(hostile, 0), scan: scan) { _ in false }.errors.isEmpty)
  }

  @Test func tenMegabyteMessageCompletes() throws {
    let ruleSet = try #require(MatcherHarness.ruleSet(Self.hostileRules))
    let matcher = RuleMatcher(ruleSet)
    let chunk = "Bonjour, où est ma commande ? Le colis n'arrive pas, debug 👍 "
    let repeats = 10_000_000 / chunk.utf8.count + 1
    let message = String(repeating: chunk, count: repeats)
    #expect(message.utf8.count >= 10_000_000)
    let scan = matcher.scan(message)
    #expect(scan.phraseHits("ma commande").count == repeats)
    #expect(scan.phraseHits("colis").count == repeats)
    #expect(scan.phraseHits("bug").isEmpty)
    let phrases = ruleSet.labels[1].id
    #expect(matcher.evaluate(.add(phrases, 0), scan: scan) { _ in false }.holds)
  }

  /// Each thread keeps its own PCRE2 scratch: limits set for one search must not leak into
  /// the next search on that thread, nor into searches running on other threads at once.
  @Test func limitsApplyPerSearchOnEveryThread() async throws {
    let hostile = try CompiledRegex(pattern: "(x+x+)+[yz]")
    let benign = try CompiledRegex(pattern: "x{4000}")
    let subject = String(repeating: "x", count: 5_000)
    let tight = MatchLimits(matchLimit: 1_000, depthLimit: 1_000, heapLimitKiB: 1_024)
    let rounds = await withTaskGroup(of: Bool.self) { group in
      for _ in 0..<6 {
        group.addTask {
          var ok = true
          for _ in 0..<20 {
            if case .limitExceeded = hostile.firstMatch(in: subject, limits: tight) {
            } else {
              ok = false
            }
            // The default limits again: the tight ones must not have stuck to the scratch.
            ok = ok && benign.firstMatch(in: subject) == .match(0..<4_000)
          }
          return ok
        }
      }
      var all: [Bool] = []
      for await result in group { all.append(result) }
      return all
    }
    #expect(rounds == Array(repeating: true, count: 6))
  }

  @Test func oneMatcherSharedByManyTasksGivesIdenticalResults() async throws {
    let ruleSet = try #require(
      MatcherHarness.ruleSet(file: MatcherHarness.fixtures + "/differential.etq"))
    let matcher = RuleMatcher(ruleSet)
    let messages = Array(
      (MatcherHarness.lines("utterances-en.txt") + MatcherHarness.lines("messages-fr.txt"))
        .prefix(300))
    func labelling(_ message: String) -> [String] {
      let scan = matcher.scan(message)
      return matcher.candidateTriggers(for: scan).compactMap { trigger in
        let result = matcher.evaluate(trigger, scan: scan, facts: MatcherHarness.facts)
        return result.holds ? "\(trigger) \(result.evidence)" : nil
      }
    }
    let expected = messages.map(labelling)
    #expect(expected.contains { !$0.isEmpty })
    let results = await withTaskGroup(of: [[String]].self) { group in
      for _ in 0..<8 {
        group.addTask { messages.map(labelling) }
      }
      var all: [[[String]]] = []
      for await result in group { all.append(result) }
      return all
    }
    #expect(results.count == 8)
    for result in results { #expect(result == expected) }
  }

  @Test func oddInputNeverCrashes() throws {
    let ruleSet = try #require(MatcherHarness.ruleSet(Self.hostileRules))
    let matcher = RuleMatcher(ruleSet)
    let inputs = [
      "", " ", "\u{0}", "\u{FFFD}\u{FFFD}", "ß", "\u{301}bug", "bug\u{301}", "🇫🇷", "\r\n",
      String(decoding: [0xFF, 0x62, 0x75, 0x67, 0xC3], as: UTF8.self),
      String(repeating: "\u{301}", count: 1000),
    ]
    for input in inputs {
      let scan = matcher.scan(input)
      for trigger in matcher.allTriggers {
        _ = matcher.evaluate(trigger, scan: scan) { _ in true }
      }
    }
    #expect(
      matcher.scan(String(decoding: [0xFF, 0x62, 0x75, 0x67], as: UTF8.self))
        .phraseHits("bug").count == 1)
  }
}

extension ConditionTree {
  /// The pattern of a `matches` atom (the first one), for tests.
  var atomPattern: Pattern? {
    for atom in atoms { if case .matches(let pattern) = atom.kind { return pattern } }
    return nil
  }

  /// The span of the first `matches` atom's pattern.
  var atomSpan: SourceSpan? { atomPattern?.span }
}
