import EtiquetteDiagnostics
import EtiquetteSyntax
import Foundation
import Testing

/// Bad input never crashes or hangs: deep nesting, invalid UTF-8, huge files, random bytes.
@Suite struct RobustnessTests {
  @Test func hundredThousandOpeningParenthesesGiveOneNestingError() {
    let source =
      "label \"X\" {\n  when " + String(repeating: "(", count: 100_000) + "\n}\nlabel \"Y\" {}"
    let (result, _) = parse(source)
    #expect(result.diagnostics.map(\.code) == ["E023"])
    #expect(result.diagnostics.first?.message == "nesting too deep: more than 128 levels")
    #expect(result.ruleFile.items.count == 2)
  }

  @Test func deepNotAndListNestingAreLimited() {
    let nots =
      "label \"X\" {\n  when " + String(repeating: "(not ", count: 100_000) + "label \"A\"\n}"
    #expect(parse(nots).0.diagnostics.contains { $0.code == "E023" })
    let lists =
      "label \"X\" {\n  when contact.a in " + String(repeating: "[", count: 100_000) + "\n}"
    #expect(parse(lists).0.diagnostics.map(\.code) == ["E023"])
    let topLevel = String(repeating: "(", count: 100_000)
    #expect(parse(topLevel).0.diagnostics.map(\.code) == ["E011"])
  }

  @Test func nestingAtTheLimitIsAccepted() {
    let depth = Parser.maximumNestingDepth
    let source =
      "label \"X\" {\n  when " + String(repeating: "(", count: depth) + "label \"A\""
      + String(repeating: ")", count: depth) + "\n}"
    #expect(parse(source).0.diagnostics.isEmpty)
    let tooDeep =
      "label \"X\" {\n  when " + String(repeating: "(", count: depth + 1) + "label \"A\""
      + String(repeating: ")", count: depth + 1) + "\n}"
    #expect(parse(tooDeep).0.diagnostics.map(\.code) == ["E023"])
  }

  @Test func longConditionChainsAreLimited() {
    let atoms = Array(repeating: "label \"A\"", count: Parser.maximumConditionOperands + 1)
    let source = "label \"X\" {\n  when " + atoms.joined(separator: " or ") + "\n}"
    #expect(parse(source).0.diagnostics.map(\.code) == ["E024"])
    let ok = Array(atoms.dropLast()).joined(separator: " and ")
    #expect(parse("label \"X\" {\n  when \(ok)\n}").0.diagnostics.isEmpty)
  }

  @Test func hundredThousandLabels() {
    var source = ""
    source.reserveCapacity(100_000 * 40)
    for i in 0..<100_000 { source += "label \"L\(i)\" { when label \"A\" }\n" }
    let (result, _) = parse(source)
    #expect(result.diagnostics.isEmpty)
    #expect(result.ruleFile.items.count == 100_000)
    if case .label(let last) = result.ruleFile.items.last {
      #expect(last.name.value == "L99999")
    } else {
      Issue.record("last item is not a label")
    }
  }

  @Test func tenMegabyteFile() {
    // Mostly one long phrase list and comments, so the test stays fast in debug builds.
    let phrase = "\"une phrase assez longue pour remplir le fichier rapidement\", "
    let line = "  " + String(repeating: phrase, count: 40) + "\n"
    var source = "# début\nlabel \"Gros\" {\n  when message contains any [\n"
    let target = 10 * 1024 * 1024
    let lines = target / line.utf8.count + 1
    source.reserveCapacity(target + 1000)
    for _ in 0..<lines { source += line }
    source += "  ]\n}\n"
    #expect(source.utf8.count >= target)
    let (result, _) = parse(source)
    #expect(result.diagnostics.isEmpty)
    guard case .label(let label) = result.ruleFile.items.first,
      case .when(.atom(let atom)) = label.clauses.first?.kind,
      case .messageContains(.any, let phrases, _) = atom.kind
    else {
      Issue.record("the big list did not parse")
      return
    }
    #expect(phrases.count == lines * 40)
  }

  @Test func invalidUTF8Everywhere() {
    let bytes: [UInt8] =
      [0xFF] + Array("label \"".utf8) + [0xC3, 0x28] + Array("\" {\n  # ".utf8)
      + [0xE2, 0x82] + Array("\n  when message contains \"".utf8) + [0xF0, 0x9F]
      + Array("\"\n}".utf8)
    let (result, _) = parse(bytes: bytes)
    #expect(result.diagnostics.allSatisfy { $0.code == "E001" })
    #expect(result.diagnostics.map(\.span.start) == [0, 8, 18, 46])
    #expect(result.diagnostics[0].message == "invalid UTF-8 byte 0xFF at byte offset 0")
    #expect(result.ruleFile.items.count == 1)
  }
}
