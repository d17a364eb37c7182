import EtiquetteDiagnostics
import Testing

/// What keeps a report bounded whatever the input: long lines shown as a window, and at most
/// `DiagnosticLimit.perFile` diagnostics per file.
@Suite struct BoundedOutputTests {
  @Test func aLongLineIsShownAsAWindowAroundTheSpan() {
    let line =
      String(repeating: "a", count: 5_000) + "NEEDLE" + String(repeating: "b", count: 5_000)
    var sources = SourceMap()
    let file = sources.add(path: "long.etq", text: line + "\n")
    let diagnostic = Diagnostic(
      "W012", "found", at: SourceSpan(file: file.id, start: 5_000, end: 5_006), label: "here")
    let rendered = DiagnosticRenderer(sources: sources).render(diagnostic)
    let lines = rendered.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let source = lines.first { $0.contains("NEEDLE") } ?? ""
    #expect(source.count < DiagnosticRenderer.maximumLineBytes + 20)
    #expect(source.contains("…a") && source.contains("b…"))
    // The caret stays under the span in the window.
    let underline = lines.first { $0.contains("^") } ?? ""
    let needle = source.firstRange(of: "NEEDLE").map {
      source.distance(from: source.startIndex, to: $0.lowerBound)
    }
    let caret = underline.firstIndex(of: "^").map {
      underline.distance(from: underline.startIndex, to: $0)
    }
    #expect(needle != nil && needle == caret)
    #expect(underline.contains("^^^^^^ here"))
  }

  @Test func aShortLineIsShownWhole() {
    var sources = SourceMap()
    let file = sources.add(path: "short.etq", text: "label \"A\" { }\n")
    let diagnostic = Diagnostic("W012", "found", at: SourceSpan(file: file.id, start: 6, end: 9))
    let rendered = DiagnosticRenderer(sources: sources).render(diagnostic)
    #expect(rendered.contains("| label \"A\" { }\n"))
    #expect(!rendered.contains("…"))
  }

  @Test func aWindowNeverCutsACharacter() {
    let line = String(repeating: "é", count: 400)
    var sources = SourceMap()
    let file = sources.add(path: "accents.etq", text: line)
    for start in stride(from: 0, to: 800, by: 2) {
      let diagnostic = Diagnostic(
        "W012", "found", at: SourceSpan(file: file.id, start: start, end: start + 2))
      let rendered = DiagnosticRenderer(sources: sources).render(diagnostic)
      #expect(!rendered.contains("\u{FFFD}"), "at \(start)")
    }
  }

  static func diagnostics(errors: Int, warnings: Int, file: Int = 0) -> [Diagnostic] {
    let id = SourceFileID(file)
    let all =
      (0..<warnings).map {
        Diagnostic("W012", "w", at: SourceSpan(file: id, start: $0, end: $0 + 1))
      }
      + (0..<errors).map {
        Diagnostic("E040", "e", at: SourceSpan(file: id, start: 10_000 + $0, end: 10_001 + $0))
      }
    return all.sortedByPosition()
  }

  @Test func aFileShowsAtMostTheLimitThenANote() {
    let capped = DiagnosticLimit.capped(Self.diagnostics(errors: 0, warnings: 250), perFile: 100)
    #expect(capped.count == 101)
    #expect(capped.last?.code == DiagnosticLimit.omittedCode)
    #expect(capped.last?.severity == .note)
    #expect(capped.last?.message == "150 more warnings not shown")
  }

  @Test func errorsAreShownBeforeWarnings() {
    // The warnings come first in the file: a plain prefix would hide every error.
    let capped = DiagnosticLimit.capped(Self.diagnostics(errors: 3, warnings: 200), perFile: 100)
    #expect(capped.count { $0.severity == .error } == 3)
    #expect(capped.count { $0.severity == .warning } == 97)
    #expect(capped.last?.message == "103 more warnings not shown")
    let many = DiagnosticLimit.capped(Self.diagnostics(errors: 150, warnings: 2), perFile: 100)
    #expect(many.last?.message == "50 more errors and 2 more warnings not shown")
    let one = DiagnosticLimit.capped(Self.diagnostics(errors: 101, warnings: 0), perFile: 100)
    #expect(one.last?.message == "1 more error not shown")
  }

  @Test func eachFileHasItsOwnLimit() {
    let two =
      Self.diagnostics(errors: 0, warnings: 120, file: 0)
      + Self.diagnostics(errors: 0, warnings: 30, file: 1)
    let capped = DiagnosticLimit.capped(two, perFile: 100)
    #expect(capped.count == 131)
    #expect(capped.filter { $0.code == DiagnosticLimit.omittedCode }.count == 1)
  }
}
