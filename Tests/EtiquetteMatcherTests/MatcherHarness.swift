import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteSyntax
import EtiquetteTestSupport
import Foundation

@testable import EtiquetteMatcher

/// Rule sets for the matcher tests, parsed and checked as `etiquette check` does.
enum MatcherHarness {
  static let fixtures = GoldenFile.directory(of: #filePath) + "/Fixtures"
  static let repositoryRoot = GoldenFile.repositoryRoot(from: #filePath)

  /// Checks one file; nil (with the diagnostics printed) when it does not check.
  static func ruleSet(_ text: String, path: String = "input.etq") -> RuleSet? {
    var sources = SourceMap()
    let file = sources.add(path: path, text: text)
    let parsed = Parser.parse(file)
    guard !parsed.diagnostics.hasErrors else {
      print(DiagnosticRenderer(sources: sources, style: .plain).render(parsed.diagnostics))
      return nil
    }
    let result = Checker.check([parsed.ruleFile], sources: sources)
    if result.ruleSet == nil {
      print(DiagnosticRenderer(sources: sources, style: .plain).render(result.diagnostics))
    }
    return result.ruleSet
  }

  static func ruleSet(file path: String) -> RuleSet? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    return ruleSet(text, path: path)
  }

  static var completeExample: RuleSet? {
    ruleSet(file: repositoryRoot + "/grammar/examples/complete.etq")
  }

  static func lines(_ fixture: String) -> [String] {
    let text = (try? String(contentsOfFile: fixtures + "/" + fixture, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
  }

  /// A rule set with one label per phrase list, `when message contains any [...]`, plus a
  /// routing block, for small table tests.
  static func phraseRuleSet(_ phrases: [String]) -> RuleSet? {
    let list = phrases.map { "\"\($0)\"" }.joined(separator: ", ")
    return ruleSet(
      """
      label "L" {
        when message contains any [\(list)]
      }
      team "T" {
        members ["a@exemple.fr"]
        can reply all
      }
      routing {
        default ai
      }
      """)
  }

  /// Facts that do not depend on hashing or on the order they are asked in.
  static func facts(_ atom: ConditionAtom) -> Bool {
    switch atom.kind {
    case .comparison(_, _, let value): "\(value)".contains("vip")
    case .label(let id): id.rawValue % 2 == 0
    case .event: true
    case .mode, .during: false
    case .contains, .matches: false
    }
  }
}
