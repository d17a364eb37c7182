import EtiquetteDiagnostics
import EtiquetteSyntax
import Testing

@Suite struct CatalogueTests {
  let explanations = SyntaxCatalogue.explanations

  @Test func everyErrorCodeFromE001ToE029IsExplained() {
    let codes = Set(explanations.map(\.code.rawValue))
    for n in 1...29 {
      #expect(codes.contains(String(format: "E%03d", n)))
    }
    #expect(codes.count == explanations.count, "duplicate codes")
  }

  @Test func codesStayInTheSyntaxRanges() {
    for explanation in explanations {
      let code = explanation.code.rawValue
      let number = Int(code.dropFirst()) ?? 0
      if code.hasPrefix("E") {
        // E001–E029, then E064–E066 for the matching syntax of issue 19 (the checker's codes
        // took E030–E063 in between), E068 for binary files (E067 is the checker's).
        #expect(
          (1...29).contains(number) || (64...66).contains(number) || number == 68, "\(code)")
      } else {
        #expect(code.hasPrefix("W") && (1...9).contains(number), "\(code)")
      }
    }
  }

  @Test func explanationsAreComplete() {
    for explanation in explanations {
      #expect(!explanation.title.isEmpty)
      #expect(
        explanation.title == explanation.title.lowercased() || explanation.title.contains("UTF"))
      // Several sentences.
      #expect(explanation.explanation.split(separator: ". ").count >= 2, "\(explanation.code)")
      #expect(!explanation.example.isEmpty)
    }
  }

  @Test func everyExampleTriggersItsCode() {
    // The example under each explanation really produces that code (examples written as
    // placeholders with "…" are skipped).
    for explanation in explanations where !explanation.example.contains("…") {
      let source = explanation.example
        .replacingOccurrences(of: "\\xE9", with: "\u{FFFF}")
      var bytes = Array(source.utf8)
      if explanation.code == "E001" {
        bytes = Array("label \"R".utf8) + [0xE9] + Array("servation\" { }".utf8)
      }
      if explanation.code == "E068" {
        bytes = [0x89] + Array("PNG\r\n".utf8) + [0x1A, 0x0A, 0, 0, 0, 0x0D] + Array("IHDR".utf8)
      }
      if explanation.code == "W001" {
        bytes = [0xEF, 0xBB, 0xBF] + Array("label \"VIP\" { }".utf8)
      }
      let (result, _) = parse(bytes: bytes)
      #expect(
        result.diagnostics.contains { $0.code == explanation.code },
        "\(explanation.code): \(result.diagnostics.map(\.code))")
    }
  }

  @Test func messagesFollowTheWordingRules() {
    // Lowercase start, no final period, a help line.
    let (result, _) = parse(
      "label X {\n whenn\n}\nrouting {\n default humain\n when label \"a\"\n}\n@ \"open\n")
    #expect(!result.diagnostics.isEmpty)
    for d in result.diagnostics {
      #expect(d.message.first?.isUppercase == false, "\(d.message)")
      #expect(!d.message.hasSuffix("."))
      #expect(d.help != nil)
    }
  }
}
