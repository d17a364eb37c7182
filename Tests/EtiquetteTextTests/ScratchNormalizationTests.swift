import EtiquetteTestSupport
import Testing

@testable import EtiquetteText

/// `Normalizer.withNormalized` (scratch memory, the matcher's path) gives exactly what
/// `Normalizer.normalize` gives, including on text that grows past its scratch and falls back.
@Suite struct ScratchNormalizationTests {
  static func scratch(_ text: String) -> (bytes: [UInt8], offsets: [Int]) {
    var result: (bytes: [UInt8], offsets: [Int]) = ([], [])
    Normalizer.withNormalized(text) { bytes, offsets in result = (Array(bytes), Array(offsets)) }
    return result
  }

  @Test(arguments: [
    "", " ", "  \n\t ", "Bonjour", "  J’ai  réservé\u{A0}le RDV  ", "Straße", "ﬁnal ﬂow",
    "ＡＢＣ１２３", "e\u{301}te\u{301}", "👍🏽 ok 🙏", "a\u{AD}b\u{200B}c",
    // Each of these grows by more than a quarter, past the scratch: the fallback path.
    String(repeating: "\u{FDFA}", count: 3), String(repeating: "ß", count: 40),
    String(repeating: "ﬃ", count: 30), "x" + String(repeating: "\u{FDFA}", count: 50),
    String(repeating: "commande livrée ", count: 700),
  ])
  func scratchMatchesTheArrays(text: String) {
    let expected = Normalizer.normalize(text)
    let actual = Self.scratch(text)
    #expect(actual.bytes == expected.bytes)
    #expect(actual.offsets == expected.originalOffsets)
  }

  @Test func randomTextAgrees() {
    var generator = SplitMix64(seed: 0x5C4A_7C11)
    for _ in 0..<3_000 {
      let text = RandomText.string(using: &generator, maxLength: 40)
      let expected = Normalizer.normalize(text)
      let actual = Self.scratch(text)
      #expect(actual.bytes == expected.bytes, "\(text.debugDescription)")
      #expect(actual.offsets == expected.originalOffsets, "\(text.debugDescription)")
    }
  }
}
