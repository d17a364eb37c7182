import EtiquetteDiagnostics
import EtiquetteSyntax
import EtiquetteTestSupport
import Testing

/// Inline sources with 1️⃣ markers: each marker is where a diagnostic's span starts, with its code
/// and message.
@Suite struct MarkerTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var source: String
    /// Marker → (code, message), in source order.
    var expected: [(String, String, String)]
    var testDescription: String { expected.map(\.1).joined(separator: ", ") }
  }

  static let cases: [Case] = [
    Case(
      source: "label 1️⃣Support {\n  when message contains \"bug\"\n}",
      expected: [
        ("1️⃣", "E010", "expected a label name in quotes, found identifier \"Support\"")
      ]),
    Case(
      source: "routing {\n  when label \"VIP\"1️⃣\n  default ai\n}",
      expected: [("1️⃣", "E015", "expected \"->\" and a route target after the condition")]),
    Case(
      source: "label \"X\" {\n  1️⃣whenn label \"A\"\n}",
      expected: [("1️⃣", "E012", "unknown clause \"whenn\" in label \"X\"")]),
    Case(
      source: "routing {\n  default 1️⃣humain\n  when label \"A\" -> human priority 2️⃣top\n}",
      expected: [
        ("1️⃣", "E016", "unknown mode \"humain\""),
        ("2️⃣", "E017", "unknown priority \"top\""),
      ]),
    Case(
      source: "team \"T\" {\n  can 1️⃣edit all\n  can reply 2️⃣some\n}",
      expected: [
        ("1️⃣", "E018", "unknown access level \"edit\""),
        (
          "2️⃣", "E026",
          "expected \"all\" or \"labels\" after \"can reply\", found identifier \"some\""
        ),
      ]),
    Case(
      source: "label \"X\" {\n  when message contains 1️⃣\"abc\n}",
      expected: [("1️⃣", "E002", "unterminated string")]),
    Case(
      source: "label \"X\" {\n  when message matches 1️⃣/abc\n}",
      expected: [("1️⃣", "E005", "unterminated regex")]),
    Case(
      source: "label \"X\" {\n  when message contains \"a1️⃣\\zb\"\n}",
      expected: [("1️⃣", "E003", "unknown escape sequence `\\z` in string")]),
    Case(
      source: "label \"X\" {\n  1️⃣remove label \"A\"\n}",
      expected: [("1️⃣", "E028", "expected \"when\" after \"remove\", found identifier \"label\"")]),
    Case(
      source: "label \"X\" {\n  when1️⃣\n}",
      expected: [("1️⃣", "E021", "expected a condition after \"when\", found end of line")]),
    Case(
      source: "label \"X\" {\n  when 1️⃣lable \"A\"\n}",
      expected: [("1️⃣", "E022", "unknown condition \"lable\"")]),
    Case(
      source: "test \"t\" {\n  agent \"a\" takes1️⃣\n  expect 2️⃣labelz [\"A\"]\n}",
      expected: [
        ("1️⃣", "E019", "expected \"over\" after \"takes\", found end of line"),
        ("2️⃣", "E020", "unknown expectation \"labelz\""),
      ]),
    Case(
      source: "1️⃣}\nlabel \"X\" {\n  when label \"A\"\n}\n2️⃣teams \"T\" {\n}",
      expected: [
        ("1️⃣", "E014", "unmatched `}`"),
        ("2️⃣", "E011", "unknown declaration \"teams\""),
      ]),
    Case(
      source: "label \"X\" {\n  when label \"A\"1️⃣",
      expected: [("1️⃣", "E013", "missing \"}\" to close label \"X\"")]),
    Case(
      source: "label \"X\" {\n  when contact.tier 1️⃣like \"a\"\n}",
      expected: [
        ("1️⃣", "E027", "expected a comparison after \"contact.tier\", found identifier \"like\"")
      ]),
    Case(
      source: "contact {\n  tier:1️⃣\n}",
      expected: [("1️⃣", "E029", "expected a type after \"tier:\", found end of line")]),
    Case(
      source: "team \"T\" {\n  members [\"a\"1️⃣ \"b\"]\n}",
      expected: [("1️⃣", "E025", "expected \",\" between list items")]),
    Case(
      source: "hours \"h\" {\n  mon 1️⃣9:5-18:00\n}",
      expected: [("1️⃣", "E007", "invalid time `9:5`")]),
    Case(
      source: "label \"X\" {\n  when contact.age < 1️⃣18ans\n}",
      expected: [("1️⃣", "E008", "invalid number `18ans`")]),
    Case(
      source: "label \"X\" {\n  when label \"A\"1️⃣;\n}",
      expected: [("1️⃣", "E006", "unexpected character `;`")]),
    Case(
      source: "label \"X\" {\n  when not 1️⃣not label \"A\" and message contains any 2️⃣[]\n}",
      expected: [
        ("1️⃣", "W003", "double negation `not not`"),
        ("2️⃣", "W004", "`message contains any []` never matches"),
      ]),
  ]

  @Test(arguments: cases)
  func diagnosticsAtMarkers(_ testCase: Case) {
    var marked = testCase.source
    // The W003 case marks the second `not`; the warning spans both, so move its marker back.
    if testCase.expected.contains(where: { $0.1 == "W003" }) {
      marked = marked.replacingOccurrences(of: "not 1️⃣not", with: "1️⃣not not")
    }
    let source = MarkedSource(marked)
    let (result, sources) = parse(source.text)
    let actual = result.diagnostics.map { ($0.span.start, $0.code.rawValue, $0.message) }
    let expected = testCase.expected.map { (source.markers[$0.0] ?? -1, $0.1, $0.2) }
    #expect(actual.count == expected.count, "\(rendered(result, sources))")
    for (a, e) in zip(actual, expected) {
      #expect(a.0 == e.0, "span start of \(e.1)")
      #expect(a.1 == e.1)
      #expect(a.2 == e.2)
    }
  }
}
