import EtiquetteDiagnostics
import EtiquetteSyntax
import EtiquetteTestSupport
import Foundation
import Testing

/// The parser returns on any input, and every diagnostic points inside the file.
@Suite struct PropertyTests {
  static let corpus: [[UInt8]] = exampleFiles().compactMap {
    FileManager.default.contents(atPath: $0).map { Array($0) }
  }

  /// Fragments inserted by token mutations: keywords, punctuation and broken literals.
  static let fragments: [String] = [
    "label", "when", "{", "}", "[", "]", "(", ")", "->", "\"", "/", "#", "\n", "not ", "and",
    "or", ",", ":", "09:00", "\\", "\\u{", "é", "\"x\"", "/a[/", "expect", "agent", "=", "@",
  ]

  func check(_ bytes: [UInt8], iteration: Int) {
    let file = SourceFile(id: SourceFileID(0), path: "fuzz.etq", bytes: bytes)
    let result = Parser.parse(file)
    for diagnostic in result.diagnostics {
      let spans = [diagnostic.span] + diagnostic.secondary.map(\.span)
      for span in spans {
        #expect(
          span.start >= 0 && span.start <= span.end && span.end <= bytes.count,
          "iteration \(iteration): \(diagnostic.code) \(diagnostic.message) at \(span)")
      }
    }
    for item in result.ruleFile.items {
      #expect(item.span.end <= bytes.count, "iteration \(iteration)")
    }
  }

  @Test func randomBytes() {
    var rng = SplitMix64(seed: 0x5EED_0001)
    for iteration in 0..<1_000 {
      let length = Int.random(in: 0..<300, using: &rng)
      // Half the runs draw from printable ASCII and syntax characters, to reach the parser.
      let alphabet = Array("label when { } [ ] ( ) \" / # -> not and or , : 09:00 \n\\é".utf8)
      let bytes: [UInt8] = (0..<length).map { _ in
        iteration % 2 == 0
          ? UInt8.random(in: 0...255, using: &rng)
          : alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
      }
      check(bytes, iteration: iteration)
    }
  }

  @Test func mutationsOfTheExamples() throws {
    try #require(!Self.corpus.isEmpty)
    var rng = SplitMix64(seed: 0x5EED_0002)
    for iteration in 0..<2_000 {
      var bytes = Self.corpus[iteration % Self.corpus.count]
      for _ in 0..<Int.random(in: 1...4, using: &rng) {
        guard !bytes.isEmpty else { break }
        let at = Int.random(in: 0..<bytes.count, using: &rng)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0:
          bytes.remove(at: at)
        case 1:
          bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
        case 2:
          let other = Int.random(in: 0..<bytes.count, using: &rng)
          bytes.swapAt(at, other)
        case 3:
          let fragment = Self.fragments[Int.random(in: 0..<Self.fragments.count, using: &rng)]
          bytes.insert(contentsOf: Array(fragment.utf8), at: at)
        default:
          // Delete a whole "token": up to the next space or line break.
          var end = at
          while end < bytes.count, bytes[end] != 0x20, bytes[end] != 0x0A { end += 1 }
          bytes.removeSubrange(at..<end)
        }
      }
      check(bytes, iteration: iteration)
    }
  }
}
