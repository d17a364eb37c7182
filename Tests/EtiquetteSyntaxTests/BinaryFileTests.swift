import EtiquetteDiagnostics
import EtiquetteSyntax
import EtiquetteTestSupport
import Testing

/// A binary file is one E068, not one error per byte; a text file with a few bad bytes keeps
/// its E001 at each.
@Suite struct BinaryFileTests {
  static func parse(_ bytes: [UInt8]) -> [Diagnostic] {
    var sources = SourceMap()
    return Parser.parse(sources.add(path: "file.etq", bytes: bytes)).diagnostics
  }

  @Test func randomBytesAreOneDiagnostic() {
    var random = SplitMix64(seed: 7)
    let bytes = (0..<100_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    let diagnostics = Self.parse(bytes)
    #expect(diagnostics.map(\.code) == [SyntaxCatalogue.Code.binaryFile])
    #expect(diagnostics.first?.message == "binary file, not rule text")
  }

  @Test func utf16TextIsBinary() {
    let bytes = Array("label \"A\" { }\n".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    let diagnostics = Self.parse(bytes)
    #expect(diagnostics.map(\.code) == [SyntaxCatalogue.Code.binaryFile])
    #expect(diagnostics.first?.span.start == 1, "the first NUL byte")
  }

  @Test func latin1AccentsStayInvalidUTF8Errors() {
    let bytes = Array("label \"R".utf8) + [0xE9] + Array("servation\" { }\n".utf8)
    #expect(Self.parse(bytes).map(\.code) == [SyntaxCatalogue.Code.invalidUTF8])
  }
}
