import EtiquetteDiagnostics
import EtiquetteTestSupport
import Testing

@Suite("Diagnostic rendering")
struct RendererTests {
  static let labels = """
    label "Support Technique" {
      when message contains "bug"
    }
    """
  static let routing = """
    routing {
      default ai
      when label "Suport technique" -> human
    }
    """

  /// The style guide's example, reproduced exactly.
  @Test func rendersRustcStyleWithHelpAndSecondaryLabel() {
    var sources = SourceMap()
    let labelsFile = sources.add(path: "rules/labels.etq", text: Self.labels)
    let routingFile = sources.add(path: "rules/routing.etq", text: Self.routing)
    let name = Self.routing.utf8.firstRange(of: "\"Suport technique\"".utf8)!
    let start = Self.routing.utf8.distance(from: Self.routing.utf8.startIndex, to: name.lowerBound)
    let defined = Self.labels.utf8.firstRange(of: "\"Support Technique\"".utf8)!
    let definedStart = Self.labels.utf8.distance(
      from: Self.labels.utf8.startIndex, to: defined.lowerBound)
    let diagnostic = Diagnostic(
      "E040", "unknown label \"Suport technique\"",
      at: SourceSpan(file: routingFile.id, start: start, end: start + 18),
      label: "no label has this name",
      secondary: [
        DiagnosticLabel(
          SourceSpan(file: labelsFile.id, start: definedStart, end: definedStart + 19),
          "defined here")
      ],
      help: "did you mean \"Support Technique\"?")
    let text = DiagnosticRenderer(sources: sources).render(diagnostic)
    #expect(
      text == """
        error[E040]: unknown label "Suport technique"
         --> rules/routing.etq:3:14
          |
        3 |   when label "Suport technique" -> human
          |              ^^^^^^^^^^^^^^^^^^ no label has this name
          |
         ::: rules/labels.etq:1:7
          |
        1 | label "Support Technique" {
          |       ------------------- defined here
          |
          = help: did you mean "Support Technique"?

        """)
  }

  @Test func caretWidthCountsCharactersNotBytes() {
    var sources = SourceMap()
    let text = "label \"Réservé\" { colour \"x\" }"
    let file = sources.add(path: "a.etq", text: text)
    let start = Array(text.utf8).firstIndex(of: UInt8(ascii: "c"))!  // "colour"
    let d = Diagnostic(
      "E010", "unknown clause \"colour\"",
      at: SourceSpan(file: file.id, start: start, end: start + 6))
    let rendered = DiagnosticRenderer(sources: sources).render(d)
    // "label "Réservé" { " is 18 characters (20 bytes): the caret starts under the 19th.
    #expect(rendered.contains("\n  |                   ^^^^^^\n"))
    #expect(rendered.contains("--> a.etq:1:19"))
  }

  @Test func pointSpanAtEndOfFileGetsOneCaret() {
    var sources = SourceMap()
    let text = "label \"X\" {\n  when"
    let file = sources.add(path: "a.etq", text: text)
    let end = text.utf8.count
    let d = Diagnostic(
      "E003", "expected a condition after \"when\"",
      at: SourceSpan(file: file.id, start: end, end: end))
    let rendered = DiagnosticRenderer(sources: sources).render(d)
    #expect(rendered.contains("2 |   when\n  |       ^\n"))
  }

  @Test func invalidUTF8IsShownAsReplacementCharacter() {
    var sources = SourceMap()
    let file = sources.add(path: "bad.etq", bytes: [0x6C, 0xFF, 0x61])
    let d = Diagnostic("E001", "invalid UTF-8", at: SourceSpan(file: file.id, start: 1, end: 2))
    let rendered = DiagnosticRenderer(sources: sources).render(d)
    #expect(rendered.contains("1 | l\u{FFFD}a\n  |  ^\n"))
  }

  @Test func colourOnlyWhenAsked() {
    var sources = SourceMap()
    let file = sources.add(path: "a.etq", text: "x")
    let d = Diagnostic("W001", "something", at: SourceSpan(file: file.id, start: 0, end: 1))
    #expect(!DiagnosticRenderer(sources: sources, style: .plain).render(d).contains("\u{1B}["))
    let coloured = DiagnosticRenderer(sources: sources, style: .ansi).render(d)
    #expect(coloured.contains("\u{1B}[1;33mwarning[W001]\u{1B}[0m"))
  }

  @Test(arguments: [
    (0, 0, 1, "0 errors, 0 warnings in 1 file"),
    (1, 1, 2, "1 error, 1 warning in 2 files"),
    (12, 3, 4, "12 errors, 3 warnings in 4 files"),
  ])
  func summaryLine(errors: Int, warnings: Int, files: Int, expected: String) {
    #expect(
      DiagnosticRenderer.summary(errors: errors, warnings: warnings, files: files) == expected)
  }
}

@Suite("Source locations")
struct SourceLocationTests {
  @Test(arguments: [
    (0, 1, 1), (5, 1, 6), (6, 2, 1), (8, 2, 2), (10, 3, 1), (12, 3, 3),
  ])
  func lineAndCharacterColumn(offset: Int, line: Int, column: Int) {
    // "hello\n" (6 bytes), "éa\n" (4 bytes: é is 2), "xyz".
    let file = SourceFile(id: SourceFileID(0), path: "f", text: "hello\néa\nxyz")
    #expect(file.location(ofOffset: offset) == SourceLocation(line: line, column: column))
  }

  @Test func sortingIsByFileThenPosition() {
    let a = Diagnostic("E002", "b", at: SourceSpan(file: SourceFileID(1), start: 0, end: 1))
    let b = Diagnostic("E001", "a", at: SourceSpan(file: SourceFileID(0), start: 9, end: 10))
    let c = Diagnostic("E003", "c", at: SourceSpan(file: SourceFileID(0), start: 2, end: 3))
    #expect([a, b, c].sortedByPosition().map(\.message) == ["c", "a", "b"])
  }

  @Test func markersGiveByteOffsets() {
    let marked = MarkedSource("label 1️⃣\"é\" 2️⃣{")
    #expect(marked.text == "label \"é\" {")
    #expect(marked.markers["1️⃣"] == 6)
    #expect(marked.markers["2️⃣"] == 11)
  }
}

@Suite("Machine-readable output")
struct MachineOutputTests {
  static func sample() -> (SourceMap, [Diagnostic]) {
    var sources = SourceMap()
    let file = sources.add(path: "rules/a,b.etq", text: "label \"é\" {\n  whn x\n}\n")
    let d = Diagnostic(
      "E010", "unknown clause \"whn\" in label \"é\"",
      at: SourceSpan(file: file.id, start: 15, end: 18), label: "not a clause",
      help: "did you mean \"when\"?", notes: ["clauses: color, description, when, remove when"])
    return (sources, [d])
  }

  @Test func jsonHasEveryKeyWithCharacterColumns() throws {
    let (sources, diagnostics) = Self.sample()
    let document = DiagnosticJSON.document(diagnostics, sources: sources)
    #expect(document.summary == DiagnosticJSON.Summary(errors: 1, warnings: 0))
    let entry = try #require(document.diagnostics.first)
    #expect(entry.line == 2 && entry.column == 3 && entry.endLine == 2 && entry.endColumn == 6)
    let text = DiagnosticJSON.encode(diagnostics, sources: sources)
    for key in [
      "code", "severity", "file", "line", "column", "endLine", "endColumn", "message", "help",
      "notes",
    ] {
      #expect(text.contains("\"\(key)\" :"), "missing key \(key)")
    }
  }

  @Test func githubCommandsEscapeProperties() {
    let (sources, diagnostics) = Self.sample()
    let line = DiagnosticGitHub.encode(diagnostics, sources: sources)
    #expect(
      line
        == "::error file=rules/a%2Cb.etq,line=2,col=3,endLine=2,endColumn=6,"
        + "title=E010%3A unknown clause \"whn\" in label \"é\"::unknown clause \"whn\" in label \"é\""
        + "%0Ahelp: did you mean \"when\"?\n")
  }

  @Test func sarifNamesTheRuleAndRegion() throws {
    let (sources, diagnostics) = Self.sample()
    let catalogue = [
      CodeExplanation("E010", title: "unknown clause", explanation: "Long text.", example: "")
    ]
    let text = DiagnosticSARIF.encode(
      diagnostics, sources: sources, catalogue: catalogue, toolVersion: "1.0")
    #expect(text.contains("\"version\" : \"2.1.0\""))
    #expect(text.contains("\"ruleId\" : \"E010\""))
    #expect(text.contains("\"startColumn\" : 3"))
    #expect(text.contains("\"text\" : \"unknown clause\""))
  }
}
