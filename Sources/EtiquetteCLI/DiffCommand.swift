import ArgumentParser
import EtiquetteCompiler
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteReplay
import Foundation

/// `etiquette diff OLD NEW [--input steps.jsonl]`: what a rule change would do to real traffic.
struct DiffCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "diff",
    abstract:
      "Replay steps through two versions of the rules and show every decision that differs.",
    discussion: """
      OLD and NEW are each a rule file or a directory read recursively for *.etq files. The \
      steps are `etiquette run` JSON lines (standard input by default); every conversation is \
      replayed in order through both rule sets, and each step whose decisions differ (labels \
      added or removed, route, mode, priority, AI action, notifications, refused agent actions, \
      the access of every member) is listed under the rule change that explains it, with counts, \
      then a summary. A line either rule set cannot use is reported and skipped on both sides.

      Exit status: 0 when nothing changed, 1 when something did (or a line was rejected, or \
      either rule set has errors), 2 on usage errors.
      """
  )

  enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
  }

  @Argument(help: "The rules before the change: a file or a directory.")
  var old: String

  @Argument(help: "The rules after the change: a file or a directory.")
  var new: String

  @Option(name: .long, help: "Read steps from this file instead of standard input.")
  var input: String?

  @Option(name: .long, help: "Output format: text or json (one document).")
  var format: OutputFormat = .text

  @Flag(name: .long, help: "Text output: only the groups and the summary, not every step.")
  var brief = false

  @Option(
    name: .long, help: "Colour: auto (on a terminal, unless NO_COLOR is set), always or never.")
  var color: ColourChoice = .auto

  func run() throws {
    let oldRules = try RuleSources.load(paths: [old])
    let newRules = try RuleSources.load(paths: [new])
    let lines = try StepInput.lines(from: input)
    // Both sides are checked before giving up, so one run shows every error of either.
    let oldSide = loadSide("old", path: old, rules: oldRules)
    let newSide = loadSide("new", path: new, rules: newRules)
    guard let oldSide, let newSide else { throw ExitStatus.failure.exitCode }

    var diff = RuleDiff(old: oldSide, new: newSide)
    var number = 0
    while let line = lines.next() {
      number += 1
      diff.feed(line, number: number)
    }
    let report = RuleDiffReport(diff: diff, oldPaths: [old], newPaths: [new])
    let out = Terminal.standardOutput
    switch format {
    case .text: out.write(report.text(style: out.style(color), brief: brief))
    case .json: out.write(report.json())
    }
    if report.hasDifferences || !report.rejected.isEmpty { throw ExitStatus.failure.exitCode }
  }

  /// The checked rule set of one side, or nil after printing its errors on standard error.
  private func loadSide(_ name: String, path: String, rules: RuleSources) -> RuleSide? {
    let outcome = RuleCompiler.compile(rules, strict: false)
    if let matcher = outcome.matcher {
      return RuleSide(name: name, engine: Engine(matcher: matcher), sources: rules.sources)
    }
    let err = Terminal.standardError
    let errors = outcome.diagnostics.filter { $0.severity == .error }
    err.write(DiagnosticRenderer(sources: rules.sources, style: err.style(color)).render(errors))
    err.write("the \(name) rules (\(path)) have errors; run `etiquette check \(path)`\n")
    return nil
  }
}
