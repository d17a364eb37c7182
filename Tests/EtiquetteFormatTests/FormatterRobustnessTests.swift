import EtiquetteDiagnostics
import EtiquetteFormat
import EtiquetteSyntax
import EtiquetteTestSupport
import Testing

/// Odd but valid files (comments between any two tokens, random cuts) keep every property, and
/// nothing the parser returns can crash the formatter.
@Suite struct FormatterRobustnessTests {
  /// A comment line after a space splits a clause at any point; whenever the result still parses
  /// (the language is line-sensitive, so many cuts do not), the formatter must place the comment
  /// and stay idempotent.
  @Test(arguments: FormatterCorpus.allInputs)
  func commentsBetweenAnyTwoTokens(_ input: String) {
    let bytes = Array(FormatterCorpus.read(input).utf8)
    let spaces = bytes.indices.filter { bytes[$0] == UInt8(ascii: " ") }
    let stride = max(1, spaces.count / 120)
    var checked = 0
    for (number, offset) in spaces.enumerated() where number % stride == 0 {
      let comment = Array(" # cut \(number)\n".utf8)
      let mutated = String(
        decoding: bytes[..<offset] + comment + bytes[(offset + 1)...], as: UTF8.self)
      let once = Formatted(mutated, path: input)
      guard once.parsed.diagnostics.isEmpty else { continue }
      checked += 1
      let twice = Formatted(once.text, path: input)
      #expect(twice.parsed.diagnostics.isEmpty, "cut \(number):\n\(twice.diagnosticSummary)")
      #expect(twice.parsed.ruleFile == once.parsed.ruleFile, "cut \(number)")
      #expect(twice.commentTexts == once.commentTexts, "cut \(number):\n\(once.text)")
      #expect(twice.text == once.text, "cut \(number):\n\(mutated)\n---\n\(once.text)")
    }
    if !spaces.isEmpty { #expect(checked > 0, "no cut of \(input) parsed; the test is vacuous") }
  }

  /// Random cuts give files that parse with or without errors; formatting never crashes, and
  /// when the cut file parsed cleanly the properties hold.
  @Test(arguments: FormatterCorpus.allInputs)
  func randomCutsNeverBreakTheFormatter(_ input: String) {
    let bytes = Array(FormatterCorpus.read(input).utf8)
    guard bytes.count > 2 else { return }
    var random = SplitMix64(seed: UInt64(bytes.count))
    for round in 0..<60 {
      let start = Int(random.next() % UInt64(bytes.count))
      let length = 1 + Int(random.next() % 24)
      let end = min(bytes.count, start + length)
      let mutated = Array(bytes[..<start] + bytes[end...])
      let source = SourceFile(id: SourceFileID(0), path: input, bytes: mutated)
      let parsed = Parser.parse(source)
      // Even a tree with errors must format without crashing (the CLI never does this, but a
      // library user might).
      let text = Formatter.format(parsed.ruleFile, source: source)
      guard parsed.diagnostics.isEmpty else { continue }
      let reparsed = Formatted(text, path: input)
      #expect(reparsed.parsed.diagnostics.isEmpty, "round \(round):\n\(reparsed.diagnosticSummary)")
      #expect(reparsed.parsed.ruleFile == parsed.ruleFile, "round \(round)")
      #expect(reparsed.text == text, "round \(round)")
    }
  }

  /// Thousands of clauses, comments and list items format in linear time and round-trip.
  @Test func aLargeFileFormatsQuicklyAndRoundTrips() {
    var text = "# header\n\n"
    for index in 0..<400 {
      text += "label \"L\(index)\" { # label \(index)\n"
      text += "  when message contains \"p\(index)\" # trailing \(index)\n"
      text += "  # before the list \(index)\n"
      text +=
        "  when message contains any [" + (0..<30).map { "\"w\($0)\"" }.joined(separator: ", ")
      text += "]\n}\n"
    }
    text += "team \"All\" {\n  members ["
    text += (0..<3000).map { "\"m\($0)@x.fr\"" }.joined(separator: ", ") + "]\n}\n"
    let clock = ContinuousClock()
    var once: Formatted?
    let elapsed = clock.measure { once = Formatted(text) }
    guard let once else { return }
    #expect(once.parsed.diagnostics.isEmpty)
    #expect(elapsed < .seconds(20))
    let twice = Formatted(once.text)
    #expect(twice.parsed.ruleFile == once.parsed.ruleFile)
    #expect(twice.text == once.text)
    #expect(twice.commentTexts == once.commentTexts)
  }
}
