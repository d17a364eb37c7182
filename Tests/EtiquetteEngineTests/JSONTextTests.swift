import EtiquetteTestSupport
import Foundation
import Testing

@testable import EtiquetteEngine

/// `JSONValue.parse(bytes:)` and `jsonText` against Foundation, which they replace on the
/// webhook's path: same acceptance, same values, same text.
@Suite struct JSONTextTests {
  static func foundation(_ bytes: [UInt8]) -> JSONValue? {
    try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
  }

  static func fast(_ bytes: [UInt8]) -> JSONValue? { try? JSONValue.parse(bytes: bytes) }

  /// Strings that exercise escapes, controls, accents, emoji (surrogate pairs), NUL.
  static let fragments = [
    "a", "Z", "é", "É", "ñ", "’", "«", "»", "😀", "👍🏽", "\"", "\\", "/", "\n", "\r", "\t",
    "\u{08}", "\u{0C}", "\u{01}", "\u{1F}", "\u{7F}", "\u{00}", "\u{2028}", "\u{FEFF}", " ", "0",
    "9", "_", "-", "wa_id", "Bonjour", "J'ai réservé", "中文",
  ]

  static func randomString(_ rng: inout SplitMix64) -> String {
    (0..<rng.below(6)).map { _ in rng.pick(fragments) }.joined()
  }

  static func randomNumber(_ rng: inout SplitMix64) -> Double {
    switch rng.below(6) {
    case 0: Double(rng.int(-1_000..<1_000))
    case 1: Double(rng.next() % 10_000_000_000_000_000) * (rng.chance(50) ? 1 : -1)
    case 2: Double(rng.int(-100_000..<100_000)) / 64
    case 3: Double(rng.int(1..<1_000)) * 1e20
    case 4: Double(rng.int(1..<1_000)) * 1e-9
    default: 1_700_000_000 + Double(rng.below(1_000_000))
    }
  }

  static func randomValue(_ rng: inout SplitMix64, depth: Int = 0) -> JSONValue {
    switch depth > 3 ? rng.below(4) : rng.below(6) {
    case 0: .string(randomString(&rng))
    case 1: .number(randomNumber(&rng))
    case 2: .bool(rng.chance(50))
    case 3: .null
    case 4: .array((0..<rng.below(4)).map { _ in randomValue(&rng, depth: depth + 1) })
    default:
      .object(
        Dictionary(
          (0..<rng.below(5)).map { _ in
            (randomString(&rng), randomValue(&rng, depth: depth + 1))
          }, uniquingKeysWith: { a, _ in a }))
    }
  }

  @Test func readsAndWritesWhatFoundationReadsAndWrites() throws {
    var rng = SplitMix64(seed: 20)
    for iteration in 0..<3_000 {
      let value = Self.randomValue(&rng)
      let text = JSONLine.foundationEncode(value)
      #expect(value.jsonText == text, "iteration \(iteration)")
      #expect(JSONLine.encode(value) == text)
      let bytes = Array(text.utf8)
      let parsed = try JSONValue.parse(bytes: bytes)
      #expect(parsed == Self.foundation(bytes), "iteration \(iteration): \(text)")
      #expect(parsed == value, "iteration \(iteration): \(text)")
    }
  }

  @Test func acceptsAndRejectsWhatFoundationDoesOnMutatedText() {
    var rng = SplitMix64(seed: 21)
    let inserts: [[UInt8]] = [
      Array("\"".utf8), Array("\\".utf8), Array("\\u".utf8), Array("\\ud83d".utf8),
      Array("\\udc00".utf8), Array(",".utf8), Array(":".utf8), Array("]".utf8), Array("}".utf8),
      Array("{".utf8), Array("[".utf8), Array("0".utf8), Array("-".utf8), Array(".".utf8),
      Array("e".utf8), Array("E+".utf8), Array(" ".utf8), [0x00], [0x0A], [0xFF], [0xC3],
      [0xE2, 0x80], Array("true".utf8), Array("nul".utf8), Array("1e400".utf8),
      Array("\\x".utf8), Array("01".utf8),
    ]
    var agreed = 0
    var accepted = 0
    for iteration in 0..<6_000 {
      var bytes = Array(JSONLine.encode(Self.randomValue(&rng)).utf8)
      for _ in 0..<(1 + rng.below(3)) {
        let at = rng.below(bytes.count + 1)
        switch rng.below(3) {
        case 0: if at < bytes.count { bytes.remove(at: at) }
        case 1: bytes.insert(contentsOf: rng.pick(inserts), at: at)
        default: if at < bytes.count { bytes[at] = rng.pick(inserts)[0] }
        }
      }
      let expected = Self.foundation(bytes)
      let actual = Self.fast(bytes)
      #expect(
        actual == expected,
        "iteration \(iteration): \(String(decoding: bytes, as: UTF8.self).debugDescription)")
      if actual == expected { agreed += 1 }
      if expected != nil { accepted += 1 }
    }
    // The mutations must reach both sides of the line, or the test shows nothing.
    #expect(agreed == 6_000)
    #expect(accepted > 600 && accepted < 5_400)
  }

  @Test(arguments: [
    "", " ", "{", "[1,]", "{\"a\":1,}", "01", "-", "1.", ".5", "1e", "+1", "\"\\u12\"",
    "\"a\nb\"", "[1 2]", "{\"a\" 1}", "{1:2}", "nan", "Infinity", "1e400", "-1e400", "\"\\ud800\"",
    "\"\\udc00x\"", "[]]", "tru", "null x", "\u{FEFF}1", "\u{FEFF}", " [ 1 , { \"a\" : [ ] } ] ",
    "-0", "1E+2", "123456789012345678901234567890", "\"\\ud83d\\ude00\"", "\"\\/\"",
    "[,]", "[1,,2]", "{,}", "[1 , ]", "{\"a\":1 , }", "[1,]]",
  ])
  func edgeCasesAgreeWithFoundation(_ text: String) {
    let bytes = Array(text.utf8)
    #expect(Self.fast(bytes) == Self.foundation(bytes), "\(text.debugDescription)")
  }

  @Test func nestingStopsWhereFoundationStops() {
    for depth in [511, 512, 513, 10_000] {
      let bytes = Array(
        (String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
      #expect(
        (Self.fast(bytes) == nil) == (Self.foundation(bytes) == nil), "depth \(depth)")
    }
    // Deep input is an error, not a crash of the stack.
    #expect(Self.fast(Array(String(repeating: "[", count: 1_000_000).utf8)) == nil)
  }

  @Test func aNULEscapeReadsAsTheReplacementCharacterWhenAsked() throws {
    let bytes = Array(#"{"a\u0000":["x\u0000y","\u0000"]}"#.utf8)
    #expect(
      try JSONValue.parse(bytes: bytes, replacingNUL: true)
        == .object(["a\u{FFFD}": .array([.string("x\u{FFFD}y"), .string("\u{FFFD}")])]))
    #expect(try JSONValue.parse(bytes: bytes) == Self.foundation(bytes))
    #expect(
      try JSONValue.parse(bytes: bytes)
        == .object(["a\u{0}": .array([.string("x\u{0}y"), .string("\u{0}")])]))
  }

  @Test func anErrorSaysWhereReadingStopped() {
    #expect(throws: JSONValue.SyntaxError.self) { try JSONValue.parse(bytes: Array("[1,}".utf8)) }
    do {
      _ = try JSONValue.parse(bytes: Array("{\"a\": tru}".utf8))
      Issue.record("accepted")
    } catch {
      #expect(error.offset == 6)
      #expect(error.description == "unexpected character at byte 6")
    }
  }

  @Test func readsTheRealWhatsAppPayloadsAsFoundationDoes() throws {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../EtiquetteServerTests/Fixtures/whatsapp").standardizedFileURL
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    var read = 0
    for file in files where file.hasSuffix(".json") {
      let bytes = Array(try Data(contentsOf: directory.appendingPathComponent(file)))
      #expect(Self.fast(bytes) == Self.foundation(bytes), "\(file)")
      read += 1
    }
    #expect(read >= 6)
  }
}
