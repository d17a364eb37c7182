import ArgumentParser
import EtiquetteChecker
import EtiquetteCompiler
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
    let outcome = RuleCompiler.compile(rules, strict: strict)
    let diagnostics = outcome.diagnostics
    let out = Terminal.standardOutput

    switch format {
    case .text:
      let style = out.style(color)
      out.write(DiagnosticRenderer(sources: rules.sources, style: style).render(diagnostics))
      let summary = DiagnosticRenderer.summary(
        errors: outcome.errorCount, warnings: outcome.warningCount, files: rules.parsed.count)
      let colour: TerminalStyle.Colour =
        outcome.hasErrors ? .red : (outcome.warningCount > 0 ? .yellow : .green)
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

    let failed = outcome.hasErrors || (strict && outcome.warningCount > 0)
    if failed { throw ExitStatus.failure.exitCode }
  }
}

/// Every diagnostic code Etiquette can report, for `explain` and SARIF rule metadata.
enum CodeCatalogue {
  static let all: [CodeExplanation] =
    (SyntaxCatalogue.explanations + CheckerCatalogue.explanations + MatcherCatalogue.explanations
    + [DiagnosticLimit.explanation])
    .sorted { $0.code < $1.code }

  static func explanation(for code: String) -> CodeExplanation? {
    all.first { $0.code.rawValue.caseInsensitiveCompare(code) == .orderedSame }
  }
}
