import EtiquetteTestSupport
import Testing

/// `Fixtures/NAME.etq` formats to `Fixtures/NAME.formatted` (ETIQUETTE_UPDATE_GOLDEN=1 rewrites
/// the expected files; review the diff like code).
@Suite struct FormatterGoldenTests {
  @Test(arguments: FormatterCorpus.fixtureNames)
  func formatsLikeTheGoldenFile(_ name: String) {
    let result = Formatted(FormatterCorpus.read("Fixtures/" + name), path: name)
    #expect(result.parsed.diagnostics.isEmpty, "\(name) must parse:\n\(result.diagnosticSummary)")
    let expectedPath = FormatterCorpus.fixtures + "/" + name.dropLast(".etq".count) + ".formatted"
    let mismatch = GoldenFile.mismatch(actual: result.text, expectedPath: expectedPath)
    #expect(mismatch == nil, "\(mismatch ?? "")")
  }

  @Test func theFixtureFolderCoversEnoughCases() {
    #expect(FormatterCorpus.fixtureNames.count >= 10)
  }
}
