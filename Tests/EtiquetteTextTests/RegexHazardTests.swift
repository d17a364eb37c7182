import EtiquetteTestSupport
import Testing

@testable import EtiquetteText

@Suite struct RegexHazardTests {
  @Test(arguments: [
    ("(a+)+", RegexHazard.nestedQuantifier),
    ("(a*)*", .nestedQuantifier),
    ("(a+)*b", .nestedQuantifier),
    ("^(\\w+\\s?)*$", .nestedQuantifier),
    ("(?:\\d{1,3},?)+x", .nestedQuantifier),
    ("((ab)+)+", .nestedQuantifier),
    ("(?:[a-z]+|\\d+)*!", .nestedQuantifier),
    ("(a|aa)+", .overlappingAlternation),
    ("(\\w|\\d)*$", .overlappingAlternation),
    ("(.*a){20}", .largeRepetitionOfUnbounded(count: 20)),
    ("(?:x?y?)*z", .nestedQuantifier),
  ])
  func classicBadShapesAreFound(pattern: String, hazard: RegexHazard) throws {
    let findings = RegexHazard.hazards(in: pattern)
    let finding = try #require(findings.first, "no hazard in \(pattern)")
    #expect(finding.hazard == hazard)
    // The reported range is inside the pattern and starts at a "(".
    let bytes = Array(pattern.utf8)
    #expect(finding.range.upperBound <= bytes.count)
    #expect(bytes[finding.range.lowerBound] == UInt8(ascii: "("))
  }

  @Test(arguments: [
    "\\b(?:CMD|ORD)-\\d{6}\\b",
    "\\b(?:bug|erreur|crash|plante|ne marche pas)\\b",
    "(\\w+,)*",
    "(?:,\\s*\\w+)*",
    "(?:\\s*,)+$",
    "(?:x|X)+y",
    "(?>a+)+",
    "(a++)+",
    "(?:a+)++",
    "(a|b)*",
    "(?:ab?)+",
    "(\\.\\d{1,3})+",
    "(a+){2}",
    "\\d+-\\d+",
    "[(a+)+]",
    "\\Q(a+)+\\E",
    "(?#(a+)+)x",
    "",
    "a(b",
    "(((",
  ])
  func safePatternsAreNotReported(pattern: String) {
    #expect(RegexHazard.hazards(in: pattern).isEmpty, "\(pattern)")
  }

  @Test func offsetsAreBytesAndPointAtTheShapes() throws {
    let pattern = "é:(a+)+"
    let finding = try #require(RegexHazard.hazards(in: pattern).first)
    #expect(finding.range == 3..<8)
    #expect(finding.innerRange == 4..<6)
  }

  @Test func findingsAreSortedAndNestedOnesAllReported() {
    let findings = RegexHazard.hazards(in: "x(b|b)+y((a+)+)+")
    #expect(
      findings.map(\.hazard) == [.overlappingAlternation, .nestedQuantifier, .nestedQuantifier])
    #expect(findings.map(\.range.lowerBound) == [1, 8, 9])
  }

  @Test func caselessOptionMakesLettersOverlap() {
    #expect(RegexHazard.hazards(in: "(?:a|A)+").isEmpty)
    #expect(
      RegexHazard.hazards(in: "(?:a|A)+", options: .caseless).map(\.hazard) == [
        .overlappingAlternation
      ])
    #expect(RegexHazard.hazards(in: "(?i)(?:a|A)+").map(\.hazard) == [.overlappingAlternation])
  }

  @Test func extendedOptionSkipsWhiteSpaceAndComments() {
    let pattern = "( a + ) + # nested\n"
    #expect(RegexHazard.hazards(in: pattern).isEmpty)  // literal spaces separate iterations
    #expect(
      RegexHazard.hazards(in: pattern, options: .extended).map(\.hazard) == [
        .nestedQuantifier
      ])
  }

  @Test func compiledRegexForwardsTheAnalysis() {
    #expect(CompiledRegex.hazards(in: "(a+)+") == RegexHazard.hazards(in: "(a+)+"))
  }

  @Test func randomPatternsNeverCrash() {
    var generator = SplitMix64(seed: 99)
    let alphabet = Array("()[]{}|*+?.\\^$-,:=!<>#PpQEdwsbxk0123abc ")
    for _ in 0..<3_000 {
      let length = Int.random(in: 0...24, using: &generator)
      let pattern = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
      let findings = RegexHazard.hazards(in: pattern)
      #expect(findings.allSatisfy { $0.range.upperBound <= pattern.utf8.count })
    }
  }
}
