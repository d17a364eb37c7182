import ArgumentParser
import EtiquetteChecker
import EtiquetteCompiler
import EtiquetteEngine
import Foundation

/// `etiquette run PATH... [--input steps.jsonl]`: steps in as JSON lines, decisions out.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Apply steps read as JSON lines to conversations; print one JSON decision per step.",
    discussion: """
      Each input line is one step of a named conversation:
        {"conversation": "c1", "type": "text", "text": "…", "contact": {…}, "at": "ISO-8601"}
        {"conversation": "c1", "event": "name", "fields": {…}}
        {"conversation": "c1", "agent": "m@x.fr", "action": "take_over"}
      A step without "at" happens at its conversation's previous time (the first one at \
      2026-01-05T10:00:00Z). A line that cannot be used prints {"error": …, "line": N} and \
      the run goes on; blank lines are skipped.

      Exit status: 0 when every line was applied, 1 when a line was rejected or the rules have \
      errors, 2 on usage errors.
      """
  )

  @Option(name: .long, help: "Read steps from this file instead of standard input.")
  var input: String?

  @Flag(
    name: .long,
    help: "Add the conversation's integration payload (webhook document) to each decision.")
  var payload = false

  @Option(name: .long, help: "Colour of rule errors: auto, always or never.")
  var color: ColourChoice = .auto

  @Argument(help: "Rule files, or directories read recursively for *.etq files.")
  var paths: [String] = []

  func run() throws {
    let rules = try RuleSources.load(paths: paths)
    let lines = try StepInput.lines(from: input)
    let engine = try EngineLoading.engine(for: rules, color: color)
    let out = Terminal.standardOutput
    var replay = Replay(engine: engine)
    var rejected = 0
    var number = 0
    while let line = lines.next() {
      number += 1
      let text = line.hasSuffix("\r") ? String(line.dropLast()) : line
      if text.allSatisfy(\.isWhitespace) { continue }
      switch StepLine.decode(text, ruleSet: engine.ruleSet) {
      case .failure(let error):
        rejected += 1
        out.write(JSONLine.error(line: number, message: error.message) + "\n")
      case .success(let step):
        let (conversation, decision) = replay.apply(step)
        var document = DecisionDocument(
          decision, conversation: conversation, ruleSet: engine.ruleSet, sources: rules.sources,
          line: number)
        if payload {
          document.payload = IntegrationPayload(
            conversation, ruleSet: engine.ruleSet, sources: rules.sources)
        }
        out.write(document.jsonLine() + "\n")
      }
    }
    if rejected > 0 { throw ExitStatus.failure.exitCode }
  }
}
