import EtiquetteChecker
import Foundation
import Testing

@testable import EtiquetteMatcher

/// Issue 19's measure of quality: 300+ French customer messages written for the purpose
/// (`Fixtures/french-intents/messages.tsv`, with their expected labels) labelled by a sample rule
/// set whose phrases are plain, then `forms`, then `forms typos`. Recall must rise from one to
/// the next, and precision stay at 0.95 or more.
@Suite struct FrenchIntentQualityTests {
  struct Scores {
    var truePositives: [String: Int] = [:]
    var falsePositives: [String: Int] = [:]
    var falseNegatives: [String: Int] = [:]

    func precision(_ label: String? = nil) -> Double {
      let tp = count(truePositives, label)
      let fp = count(falsePositives, label)
      return tp + fp == 0 ? 1 : Double(tp) / Double(tp + fp)
    }

    func recall(_ label: String? = nil) -> Double {
      let tp = count(truePositives, label)
      let fn = count(falseNegatives, label)
      return tp + fn == 0 ? 1 : Double(tp) / Double(tp + fn)
    }

    private func count(_ table: [String: Int], _ label: String?) -> Int {
      label.map { table[$0] ?? 0 } ?? table.values.reduce(0, +)
    }
  }

  static let directory = MatcherHarness.fixtures + "/french-intents"

  static func messages() -> [(labels: Set<String>, text: String)] {
    let text = (try? String(contentsOfFile: directory + "/messages.tsv", encoding: .utf8)) ?? ""
    return text.split(separator: "\n").compactMap { line in
      guard !line.hasPrefix("#") else { return nil }
      let parts = line.split(separator: "\t", maxSplits: 1)
      guard parts.count == 2 else { return nil }
      let labels = parts[0] == "-" ? [] : parts[0].split(separator: ",").map(String.init)
      return (Set(labels), String(parts[1]))
    }
  }

  static func scores(modes: String) throws -> Scores {
    let template = try String(contentsOfFile: directory + "/rules.etq", encoding: .utf8)
    let rules = template.replacingOccurrences(of: "MODES ", with: modes)
    let ruleSet = try #require(MatcherHarness.ruleSet(rules, path: "rules.etq"))
    let matcher = RuleMatcher(ruleSet)
    var scores = Scores()
    for (expected, text) in messages() {
      let scan = matcher.scan(text)
      var found: Set<String> = []
      for item in matcher.evaluateCandidates(scan: scan, facts: MatcherHarness.facts) {
        if case .add(let label, _) = item.trigger { found.insert(ruleSet[label].name) }
      }
      for label in found.intersection(expected) { scores.truePositives[label, default: 0] += 1 }
      for label in found.subtracting(expected) {
        scores.falsePositives[label, default: 0] += 1
        if ProcessInfo.processInfo.environment["ETIQUETTE_SHOW_MISSES"] != nil {
          print("false positive \(label) [\(modes)]: \(text)")
        }
      }
      for label in expected.subtracting(found) { scores.falseNegatives[label, default: 0] += 1 }
    }
    return scores
  }

  @Test func atLeastThreeHundredMessages() {
    #expect(Self.messages().count >= 300)
  }

  @Test func recallRisesAndPrecisionStays() throws {
    let plain = try Self.scores(modes: "")
    let forms = try Self.scores(modes: "forms ")
    let typos = try Self.scores(modes: "forms typos ")
    for (name, scores) in [("plain", plain), ("forms", forms), ("forms typos", typos)] {
      print(
        "\(name): precision \(String(format: "%.3f", scores.precision())), "
          + "recall \(String(format: "%.3f", scores.recall()))")
    }
    #expect(plain.recall() < forms.recall())
    #expect(forms.recall() < typos.recall())
    #expect(plain.precision() >= 0.95)
    #expect(forms.precision() >= 0.95)
    #expect(typos.precision() >= 0.95)
  }
}
