import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteSyntax

/// Code lenses on `test` blocks ("▶ run", then "✓ passed" or "✗ 2 failures") and the command
/// that runs one test with the engine's test runner.
enum TestLensFeature {
  /// What `workspace/executeCommand` answers after a run.
  struct Summary: Encodable, Sendable {
    var passed: Bool
    var failures: Int
  }

  static func lenses(
    _ analysis: RuleSetAnalysis, _ file: SourceFile, results: [String: RuleTestResult]
  ) -> [CodeLens] {
    guard let ruleFile = analysis.ruleFile(file.id) else { return [] }
    var lenses: [CodeLens] = []
    for case .test(let test) in ruleFile.items {
      let range = file.range(of: test.name.span)
      let arguments: [JSONValue] = [.string(analysis.uri(of: file.id)), .string(test.name.value)]
      lenses.append(
        CodeLens(
          range: range,
          command: Command(
            title: "▶ run", command: LanguageServer.runTestCommand, arguments: arguments)))
      if let result = results[test.name.value] {
        let count = result.failures.count
        let title =
          result.passed ? "✓ passed" : "✗ \(count) failure\(count == 1 ? "" : "s")"
        lenses.append(
          CodeLens(
            range: range,
            command: Command(
              title: title, command: LanguageServer.runTestCommand, arguments: arguments)))
      }
    }
    return lenses
  }

  /// Runs one test of a rule set that checked without errors.
  static func run(_ analysis: RuleSetAnalysis, file: SourceFile, test name: String)
    throws(ResponseError) -> RuleTestResult
  {
    guard let ruleSet = analysis.ruleSet else {
      throw ResponseError(.requestFailed, "the rule set has errors: fix them to run its tests")
    }
    guard let test = ruleSet.tests.first(where: { $0.name == name && $0.span.file == file.id })
    else {
      throw ResponseError(.invalidParams, "no test named \"\(name)\" in this file")
    }
    return RuleTestRunner(engine: Engine(ruleSet: ruleSet), sources: analysis.sources).run(test)
  }
}
