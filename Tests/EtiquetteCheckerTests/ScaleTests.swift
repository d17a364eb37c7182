import EtiquetteChecker
import EtiquetteDiagnostics
import Testing

/// Large inputs: every error reported and sorted; big rule sets complete (timing is for the
/// benchmark, not asserted here).
@Suite struct ScaleTests {
  @Test func aThousandErrorsAreAllReportedSorted() throws {
    // The routing block comes first in the file but is checked after the labels, so the
    // diagnostics only come out in file order if they are sorted.
    var text =
      "team \"T\" {\n  members [\"a@x.fr\"]\n  can reply all\n}\n\nrouting {\n  default ai\n"
    for i in 0..<500 {
      text += "  when label \"Inconnu \(i)\" -> human\n"
    }
    text += "}\n"
    for i in 0..<500 {
      text += "label \"L\(i)\" {\n  when event \"inconnu.\(i)\"\n}\n"
    }
    let (harness, result) = CheckerHarness.checking(text)
    #expect(harness.parseDiagnostics.isEmpty)
    #expect(result.diagnostics.count == 1000)
    #expect(result.diagnostics.prefix(500).allSatisfy { $0.code == "E030" })
    #expect(result.diagnostics.suffix(500).allSatisfy { $0.code == "E033" })
    let starts = result.diagnostics.map(\.span.start)
    #expect(starts == starts.sorted())
    #expect(Set(starts).count == 1000)
    #expect(harness.render(result).hasSuffix("1000 errors, 0 warnings in 1 file\n"))
  }

  @Test func fiveThousandLabelsAndFiftyThousandPhrasesCheck() throws {
    var text =
      "team \"T\" {\n  members [\"a@x.fr\"]\n  can reply all\n}\n\nrouting {\n  default ai\n}\n"
    for label in 0..<5000 {
      text += "label \"L\(label)\" {\n  when message contains any ["
      text += (0..<10).map { "\"mot\(label) numero\($0)\"" }.joined(separator: ", ")
      text += "]\n"
      if label > 0 {
        text += "  when label \"L\(label - 1)\" and message contains \"suite\(label)\"\n"
      }
      text += "}\n"
    }
    let (harness, result) = CheckerHarness.checking(text)
    #expect(harness.parseDiagnostics.isEmpty)
    #expect(result.diagnostics.isEmpty)
    let ruleSet = try #require(result.ruleSet)
    #expect(ruleSet.labels.count == 5000)
    #expect(ruleSet.labels.reduce(0) { $0 + $1.addTriggers.count } == 9999)
    // A chain of 5,000 dependencies is ordered without deep recursion.
    #expect(ruleSet.labelEvaluationOrder.map(\.rawValue) == Array(0..<5000))
  }
}

/// "Did you mean" stays bounded: thousands of unknown names among thousands of close labels
/// are all reported, the first ones with a suggestion, without comparing every pair.
@Suite struct BoundedSuggestionTests {
  @Test func manyUnknownNamesAmongManyCloseLabels() {
    var text = ""
    for i in 0..<3_000 {
      text += "label \"Etiquette \(i)\" {\n  when label \"Etiqette \(i)\"\n}\n"
    }
    text += "team \"T\" {\n  members [\"a@x.fr\"]\n  can reply all\n}\nrouting {\n  default ai\n}\n"
    var harness = CheckerHarness()
    harness.add(path: "many.etq", text: text)
    let unknown = harness.check().diagnostics.filter { $0.code == "E030" }
    #expect(unknown.count == 3_000)
    #expect(unknown.first?.help?.contains("did you mean \"Etiquette 0\"") == true)
    #expect(unknown.last?.help?.contains("did you mean") == false)
  }
}
