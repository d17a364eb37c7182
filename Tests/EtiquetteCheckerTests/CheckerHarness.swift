import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteSyntax
import EtiquetteTestSupport
import Foundation

/// Loads rule files, parses and checks them the way `etiquette check` does, and renders the
/// outcome for golden files.
struct CheckerHarness {
  var sources = SourceMap()
  var parseDiagnostics: [Diagnostic] = []
  var files: [RuleFile] = []

  /// Adds a file's text under a display path and parses it.
  mutating func add(path: String, text: String) {
    add(path: path, bytes: Array(text.utf8))
  }

  mutating func add(path: String, bytes: [UInt8]) {
    let file = sources.add(path: path, bytes: bytes)
    let parsed = Parser.parse(file)
    parseDiagnostics += parsed.diagnostics
    // As the CLI does: a file that did not parse is not checked.
    if !parsed.diagnostics.hasErrors { files.append(parsed.ruleFile) }
  }

  func check(strict: Bool = false) -> CheckResult {
    Checker.check(files, sources: sources, options: CheckOptions(strict: strict))
  }

  /// Rendered diagnostics (parse and check, sorted) and the summary line.
  func render(_ result: CheckResult) -> String {
    let all = (parseDiagnostics + result.diagnostics).sortedByPosition()
    return DiagnosticRenderer(sources: sources, style: .plain).render(all)
      + DiagnosticRenderer.summary(
        errors: all.errorCount, warnings: all.warningCount, files: sources.files.count) + "\n"
  }

  func json(_ result: CheckResult) -> String {
    DiagnosticJSON.encode(
      (parseDiagnostics + result.diagnostics).sortedByPosition(), sources: sources)
  }

  static func checking(_ text: String, path: String = "input.etq") -> (CheckerHarness, CheckResult)
  {
    var harness = CheckerHarness()
    harness.add(path: path, text: text)
    return (harness, harness.check())
  }

  // MARK: Fixtures

  static let fixturesDirectory = GoldenFile.directory(of: #filePath) + "/Fixtures"

  /// Fixture names: `NAME.etq` files and `NAME/` folders of several files.
  static var fixtureNames: [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: fixturesDirectory)) ?? []
    return entries.compactMap { entry -> String? in
      if entry.hasSuffix(".etq") { return String(entry.dropLast(4)) }
      var isDirectory: ObjCBool = false
      let path = fixturesDirectory + "/" + entry
      if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
        isDirectory.boolValue
      {
        return entry
      }
      return nil
    }.sorted()
  }

  /// The fixture's files with paths relative to the test folder ("Fixtures/NAME.etq").
  static func loading(fixture name: String) -> CheckerHarness {
    var harness = CheckerHarness()
    let single = fixturesDirectory + "/" + name + ".etq"
    if let data = FileManager.default.contents(atPath: single) {
      harness.add(path: "Fixtures/\(name).etq", bytes: Array(data))
    } else {
      for path in GoldenFile.files(in: fixturesDirectory + "/" + name, withExtension: "etq") {
        let file = URL(fileURLWithPath: path).lastPathComponent
        let data = FileManager.default.contents(atPath: path) ?? Data()
        harness.add(path: "Fixtures/\(name)/\(file)", bytes: Array(data))
      }
    }
    return harness
  }

  /// The repository's example files.
  static func loading(paths: [String]) -> CheckerHarness {
    let root = GoldenFile.repositoryRoot(from: #filePath)
    var harness = CheckerHarness()
    for path in paths {
      let data = FileManager.default.contents(atPath: root + "/" + path) ?? Data()
      harness.add(path: path, bytes: Array(data))
    }
    return harness
  }

  static var rulesFolderFiles: [String] {
    let root = GoldenFile.repositoryRoot(from: #filePath)
    return GoldenFile.files(in: root + "/rules", withExtension: "etq").map {
      "rules/" + URL(fileURLWithPath: $0).lastPathComponent
    }
  }
}
