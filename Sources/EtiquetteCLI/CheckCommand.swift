import ArgumentParser
import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteMatcher
import EtiquetteSyntax

/// `etiquette check PATH...`: parse and check a rule set, report every problem.
struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Check rule files and report every problem with its location.",
    discussion: """
      All files given form one rule set: names resolve across files. Syntax errors are \
      reported for every file; the checker runs only on a rule set that parsed.

      Exit status: 0 when clean, 1 on errors (or warnings with --strict), 2 on usage errors. \
      Run `etiquette explain CODE` for the long explanation of a diagnostic code.
      """
  )

  enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif, github
  }

  @Option(
    name: .long,
    help: "Output format: text, json, sarif (SARIF 2.1.0) or github (workflow commands).")
  var format: OutputFormat = .text

  @Flag(name: .long, help: "Treat warnings as errors for the exit status.")
  var strict = false

  @Flag(
    name: .long,
    help: "After checking, describe in sentences what each member may view, reply to and manage.")
  var explainAccess = false

  @Option(
    name: .long, help: "Colour: auto (on a terminal, unless NO_COLOR is set), always or never.")
  var color: ColourChoice = .auto

  @Argument(help: "Rule files, or directories read recursively for *.etq files.")
  var paths: [String] = []

  func run() throws {
    let rules = try RuleSources.load(paths: paths)
    let outcome = RuleSetCheck.run(rules, strict: strict)
    let diagnostics = outcome.diagnostics
    let out = Terminal.standardOutput

    switch format {
    case .text:
      let style = out.style(color)
      out.write(DiagnosticRenderer(sources: rules.sources, style: style).render(diagnostics))
      let summary = DiagnosticRenderer.summary(
        errors: diagnostics.errorCount, warnings: diagnostics.warningCount,
        files: rules.parsed.count)
      let colour: TerminalStyle.Colour =
        diagnostics.hasErrors ? .red : (diagnostics.warningCount > 0 ? .yellow : .green)
      out.write(style.paint(summary, colour, bold: true) + "\n")
      if explainAccess, let ruleSet = outcome.ruleSet {
        out.write("\n" + AccessExplanation.sentences(for: ruleSet))
      }
    case .json:
      out.write(DiagnosticJSON.encode(diagnostics, sources: rules.sources))
    case .sarif:
      out.write(
        DiagnosticSARIF.encode(
          diagnostics, sources: rules.sources, catalogue: CodeCatalogue.all,
          toolVersion: Etiquette.version))
    case .github:
      out.write(DiagnosticGitHub.encode(diagnostics, sources: rules.sources))
    }

    let failed = diagnostics.hasErrors || (strict && diagnostics.warningCount > 0)
    if failed { throw ExitStatus.failure.exitCode }
  }
}

/// Parsing and checking of a whole rule set, shared by every command that loads rules.
enum RuleSetCheck {
  struct Outcome {
    var diagnostics: [Diagnostic]
    var ruleSet: RuleSet?
    /// The rule set compiled for matching, when it checked without errors.
    var matcher: RuleMatcher? = nil
  }

  /// Syntax errors anywhere stop before the checker: checking a rule set with a file missing
  /// would report names from that file as undefined, burying the real problem.
  static func run(_ rules: RuleSources, strict: Bool) -> Outcome {
    let syntax = rules.syntaxDiagnostics
    if syntax.hasErrors {
      return Outcome(diagnostics: syntax.sortedByPosition(), ruleSet: nil)
    }
    let result = Checker.check(
      rules.ruleFiles, sources: rules.sources, options: CheckOptions(strict: strict))
    // Compiling the matcher shows what checking cannot: patterns that must run on every message.
    // The compiled matcher is kept, so commands that go on to run the rules compile it once.
    let matcher = result.ruleSet.map(RuleMatcher.init)
    let cost = matcher.map(MatcherCatalogue.slowPatterns(in:)) ?? []
    return Outcome(
      diagnostics: (syntax + result.diagnostics + cost).sortedByPosition(),
      ruleSet: result.ruleSet, matcher: matcher)
  }
}

/// Every diagnostic code Etiquette can report, for `explain` and SARIF rule metadata.
enum CodeCatalogue {
  static let all: [CodeExplanation] =
    (SyntaxCatalogue.explanations + CheckerCatalogue.explanations + MatcherCatalogue.explanations)
    .sorted { $0.code < $1.code }

  static func explanation(for code: String) -> CodeExplanation? {
    all.first { $0.code.rawValue.caseInsensitiveCompare(code) == .orderedSame }
  }
}
