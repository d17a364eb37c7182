import ArgumentParser
import EtiquetteDiagnostics
import Foundation

/// `etiquette repl PATH...`: try messages against the rules and see why each decision was made.
struct ReplCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "repl",
    abstract: "Try messages against the rules interactively, with every decision explained.",
    discussion: """
      Loads the rule set as `etiquette check` does and refuses to start on errors. Each line is \
      a customer message on the current conversation; lines starting with `:` are commands \
      (`:help` lists them). The conversation starts at 2026-01-05T10:00:00Z (a Monday) unless \
      `:at` says otherwise.

      On a terminal, lines are edited with libedit (arrow keys, Ctrl-R, Tab) and kept in \
      $HOME/.etiquette_history. Otherwise lines are read plainly, so a session can be scripted:
        etiquette repl rules/ < session.txt

      Exit status: 0 at `:quit` or end of input; 1 when the rules have errors, or when a \
      scripted (non-terminal) session had a line in error; 2 on usage errors.
      """
  )

  @Option(
    name: .long, help: "Colour: auto (on a terminal, unless NO_COLOR is set), always or never.")
  var color: ColourChoice = .auto

  @Flag(name: .long, help: "Print each input line after `> ` before its answer (transcripts).")
  var echo = false

  @Option(name: .long, help: "History file (default: $HOME/.etiquette_history).")
  var historyFile: String?

  @Argument(help: "Rule files, or directories read recursively for *.etq files.")
  var paths: [String] = []

  func run() throws {
    let out = Terminal.standardOutput
    let style = out.style(color)
    let loaded = try ReplRuleLoading.load(paths: paths, style: style)
    out.write(loaded.report)
    guard let rules = loaded.rules else {
      out.write("the rules have errors; fix them and start again\n")
      throw ExitStatus.failure.exitCode
    }
    var session = ReplSession(paths: paths, rules: rules, style: style)
    out.write(session.banner)

    let interactive = isatty(0) == 1
    var source: any LineSource =
      interactive
      ? EditLineSource(
        prompt: "etiquette> ", historyPath: historyFile ?? EditLineSource.defaultHistoryPath(),
        completions: completion(for: session))
      : PlainLineSource()
    var failures = 0
    while let line = source.next() {
      if echo { out.write("> \(line)\n") }
      let reply = session.handle(line)
      out.write(reply.text)
      if reply.failed { failures += 1 }
      if reply.quit { break }
      if interactive { ReplCompletion.current = completion(for: session) }
    }
    if !interactive, failures > 0 { throw ExitStatus.failure.exitCode }
  }

  private func completion(for session: ReplSession) -> ReplCompletion {
    ReplCompletion(
      commands: ReplCommandTable.all.map(\.name), names: session.completionNames,
      argumentKinds: Dictionary(
        uniqueKeysWithValues: ReplCommandTable.all.map { ($0.name, $0.argument) }))
  }
}
