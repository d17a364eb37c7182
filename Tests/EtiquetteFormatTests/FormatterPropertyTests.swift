import EtiquetteFormat
import EtiquetteTestSupport
import Testing

/// What must hold for every file: formatting is idempotent, never changes the meaning, keeps
/// every comment exactly once, and always produces the canonical shape of a file.
@Suite struct FormatterPropertyTests {
  @Test func everyRepositoryExampleIsChecked() {
    // The example must always be among the inputs; rules/ joins when it exists.
    #expect(FormatterCorpus.repositoryFiles.contains("grammar/examples/complete.etq"))
  }

  @Test(arguments: FormatterCorpus.allInputs)
  func formattingTwiceChangesNothing(_ input: String) {
    let once = Formatted(FormatterCorpus.read(input), path: input)
    #expect(once.parsed.diagnostics.isEmpty, "\(input) must parse:\n\(once.diagnosticSummary)")
    let twice = Formatted(once.text, path: input)
    #expect(twice.text == once.text)
  }

  @Test(arguments: FormatterCorpus.allInputs)
  func theOutputParsesToTheSameTree(_ input: String) {
    let original = Formatted(FormatterCorpus.read(input), path: input)
    let reparsed = Formatted(original.text, path: input)
    #expect(
      reparsed.parsed.diagnostics.isEmpty,
      "formatted \(input) must parse:\n\(reparsed.diagnosticSummary)\n\(original.text)")
    #expect(reparsed.parsed.ruleFile == original.parsed.ruleFile)
  }

  @Test(arguments: FormatterCorpus.allInputs)
  func everyCommentIsKeptExactlyOnce(_ input: String) {
    let original = Formatted(FormatterCorpus.read(input), path: input)
    let reparsed = Formatted(original.text, path: input)
    #expect(reparsed.commentTexts == original.commentTexts)
  }

  @Test(arguments: FormatterCorpus.allInputs)
  func theOutputHasTheCanonicalShape(_ input: String) {
    let text = Formatted(FormatterCorpus.read(input), path: input).text
    let violations = CanonicalShape.violations(in: text)
    #expect(violations.isEmpty, "\(input): \(violations)")
  }

  /// Comments inserted on every line and at the end of lines land in every slot the printer
  /// knows (inside lists and objects, inside conditions, between blocks); the properties must
  /// still hold. Insertions at line boundaries never make a valid file invalid: a line break is
  /// never inside a string or regex, and a comment is trivia.
  @Test(arguments: FormatterCorpus.allInputs)
  func propertiesHoldWithCommentsAnywhere(_ input: String) {
    let text = FormatterCorpus.read(input)
    for seed in 1...6 {
      var random = SplitMix64(seed: UInt64(seed))
      let mutated = CommentInsertion.insert(into: text, using: &random)
      let once = Formatted(mutated, path: input)
      #expect(once.parsed.diagnostics.isEmpty, "seed \(seed):\n\(once.diagnosticSummary)")
      guard once.parsed.diagnostics.isEmpty else { continue }
      let twice = Formatted(once.text, path: input)
      #expect(
        twice.parsed.diagnostics.isEmpty,
        "seed \(seed): output must parse:\n\(twice.diagnosticSummary)\n\(once.text)")
      #expect(twice.parsed.ruleFile == once.parsed.ruleFile, "seed \(seed)")
      #expect(
        twice.commentTexts == once.commentTexts, "seed \(seed):\n\(mutated)\n---\n\(once.text)")
      #expect(twice.text == once.text, "seed \(seed):\n\(mutated)\n---\n\(once.text)")
      #expect(CanonicalShape.violations(in: once.text).isEmpty, "seed \(seed)")
    }
  }
}

/// Checks on the shape of any formatted file.
enum CanonicalShape {
  static func violations(in text: String) -> [String] {
    var found: [String] = []
    if !text.isEmpty, !text.hasSuffix("\n") { found.append("no final newline") }
    if text.hasSuffix("\n\n") { found.append("blank line at the end") }
    if text.hasPrefix("\n") { found.append("blank line at the start") }
    if text.contains("\n\n\n") { found.append("two blank lines in a row") }
    if text.contains("\t") { found.append("a tab") }
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    where line.hasSuffix(" ") {
      found.append("trailing space on line \(number + 1)")
    }
    return found
  }
}

/// Inserts own-line comments at line starts and trailing comments at line ends, at random.
enum CommentInsertion {
  static func insert(into text: String, using random: inout SplitMix64) -> String {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var counter = 0
    for index in lines.indices.reversed() {
      if random.next() % 3 == 0 {
        counter += 1
        lines[index] += " # trailing \(counter)"
      }
      if random.next() % 3 == 0 {
        counter += 1
        lines.insert("# own line \(counter)", at: index)
      }
    }
    return lines.joined(separator: "\n")
  }
}
