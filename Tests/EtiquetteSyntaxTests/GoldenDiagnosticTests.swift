import EtiquetteDiagnostics
import EtiquetteSyntax
import EtiquetteTestSupport
import Foundation
import Testing

/// Broken inputs beside the diagnostics a user reads for them (`NAME.expected`, plain text) and,
/// for some, the JSON of `etiquette check --format json` (`NAME.json`).
/// `ETIQUETTE_UPDATE_GOLDEN=1 swift test` regenerates them; review the diff like code.
@Suite struct GoldenDiagnosticTests {
  static let fixtures = GoldenFile.directory(of: #filePath) + "/Fixtures"
  static let inputs = GoldenFile.files(in: fixtures, withExtension: "etq")
    .map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }

  /// The fixtures whose JSON output is also pinned.
  static let jsonFixtures: Set<String> = [
    "unterminated_string", "missing_arrow", "several_errors", "invalid_utf8", "unknown_clause",
    "missing_closing_brace_at_eof",
  ]

  @Test func thereAreEnoughFixtures() {
    #expect(Self.inputs.count >= 28)
    #expect(Self.jsonFixtures.isSubset(of: Set(Self.inputs)))
  }

  @Test(arguments: inputs)
  func diagnosticsMatchGoldenFile(name: String) throws {
    let bytes = try #require(FileManager.default.contents(atPath: "\(Self.fixtures)/\(name).etq"))
    var sources = SourceMap()
    let file = sources.add(path: "Fixtures/\(name).etq", bytes: Array(bytes))
    let result = Parser.parse(file)
    // Every fixture is broken on purpose: it must say something.
    #expect(!result.diagnostics.isEmpty)
    let text = DiagnosticRenderer(sources: sources, style: .plain).render(result.diagnostics)
    if let diff = GoldenFile.mismatch(
      actual: text, expectedPath: "\(Self.fixtures)/\(name).expected")
    {
      Issue.record(Testing.Comment(rawValue: diff))
    }
    if Self.jsonFixtures.contains(name) {
      let json = DiagnosticJSON.encode(result.diagnostics, sources: sources)
      if let diff = GoldenFile.mismatch(actual: json, expectedPath: "\(Self.fixtures)/\(name).json")
      {
        Issue.record(Testing.Comment(rawValue: diff))
      }
    }
  }
}
