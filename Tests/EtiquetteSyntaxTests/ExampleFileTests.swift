import EtiquetteDiagnostics
import EtiquetteSyntax
import EtiquetteTestSupport
import Foundation
import Testing

@Suite struct ExampleFileTests {
  @Test func everyExampleParsesWithoutDiagnostics() throws {
    let files = exampleFiles()
    #expect(files.contains { $0.hasSuffix("grammar/examples/complete.etq") })
    for path in files {
      let bytes = try #require(FileManager.default.contents(atPath: path))
      let (result, sources) = parse(bytes: Array(bytes), path: path)
      #expect(result.diagnostics.isEmpty, "\(path):\n\(rendered(result, sources))")
      #expect(!result.ruleFile.items.isEmpty, "\(path) has no items")
    }
  }
}
