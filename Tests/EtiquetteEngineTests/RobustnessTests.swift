import EtiquetteChecker
import EtiquetteEngine
import Foundation
import Testing

/// Hostile patterns, huge messages and large rule sets stay bounded.
@Suite struct RobustnessTests {
  @Test func hostileRegexIsReportedNotHung() throws {
    let rules = try CompiledRules.compile(
      """
      label "X" {
        when message matches /(a+)+$/
      }
      routing {
        default ai
      }
      """)
    var script = Script(rules)
    // Bounded by PCRE2's match limit (counted in steps, not seconds): the error proves the
    // limit stopped the match, whatever the machine's speed.
    script.run([.says(String(repeating: "a", count: 50_000) + "b")])
    let decision = try #require(script.last)
    #expect(script.labels == [])
    #expect(!decision.errors.isEmpty)
    #expect(decision.errors.first?.trigger == .add(rules.label("X"), 0))
  }

  @Test func hugeAndOddMessagesComplete() throws {
    var script = Script(try CompiledRules.exampleRules())
    let huge = String(repeating: "ma commande 🚚 \u{0}\u{FFFD} ", count: 40_000)
    script.run([.says(huge), .says(""), .sends(.sticker, caption: nil), .tick])
    #expect(script.labels == ["Demandes de Commande"])
    #expect(script.decisions.count == 4)
  }

  @Test func manyLabelsManySteps() throws {
    let count = 1_500
    var text = "routing {\n  default ai\n}\n"
    for i in 0..<count {
      text += "label \"L\(i)\" {\n  when message contains \"mot\(i) special\"\n"
      text += "  remove when message contains \"fin\(i)\"\n}\n"
    }
    let rules = try CompiledRules.compile(text)
    var script = Script(rules)
    // How fast is the benchmark's business (Benchmarks/), not a timed test's.
    for i in stride(from: 0, to: 200, by: 1) {
      script.run(.says("bonjour mot\(i) special et fin\(i - 1)"))
    }
    #expect(script.labels == ["L199"])
    #expect(script.decisions.last?.added.map { rules.ruleSet[$0.label].name } == ["L199"])
    #expect(script.decisions.last?.removed.map { rules.ruleSet[$0.label].name } == ["L198"])
  }
}
