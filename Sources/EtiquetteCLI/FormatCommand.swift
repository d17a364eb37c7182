import ArgumentParser
import EtiquetteCompiler
import EtiquetteDiagnostics
import EtiquetteFormat
import EtiquetteSyntax
import Foundation

/// `etiquette fmt PATH...`: rewrite rule files in the canonical layout.
struct FormatCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fmt",
    abstract: "Rewrite rule files in the canonical layout.",
    discussion: """
      Two-space indent, one trigger per line, lists wrapped at 100 columns, comments kept. \
      Formatting never changes meaning and is idempotent. A file with syntax errors is \
      left untouched and its errors are reported.

      Exit status: 0 when every file is (now) formatted; 1 with --check when a file would \
      change, or when a file has syntax errors; 2 on usage errors.
      """
  )

  @Flag(
    name: .long, help: "Change nothing; list the files that would be reformatted and exit 1 if any."
  )
  var check = false

  @Option(name: .long, help: "Colour: auto, always or never.")
  var color: ColourChoice = .auto

  @Argument(help: "Rule files, or directories read recursively for *.etq files.")
  var paths: [String] = []

  func run() throws {
    let rules = try RuleSources.load(paths: paths)
    let out = Terminal.standardOutput
    let err = Terminal.standardError
    var failed = false
    var changed = 0

    for (parsed, file) in zip(rules.parsed, rules.sources.files) {
      if parsed.diagnostics.hasErrors {
        let renderer = DiagnosticRenderer(sources: rules.sources, style: err.style(color))
        err.write(renderer.render(parsed.diagnostics.sortedByPosition()))
        err.write("\(file.path): not formatted, it has syntax errors\n")
        failed = true
        continue
      }
      let formatted = Formatter.format(parsed.ruleFile, source: file)
      guard Array(formatted.utf8) != file.bytes else { continue }
      changed += 1
      if check {
        out.write("would reformat \(file.path)\n")
        failed = true
      } else {
        do {
          // Atomic replace: a crash mid-write must never leave a half-written rule file.
          try Data(formatted.utf8).write(to: URL(fileURLWithPath: file.path), options: .atomic)
          out.write("reformatted \(file.path)\n")
        } catch {
          err.write("error: cannot write \(file.path): \(error.localizedDescription)\n")
          failed = true
        }
      }
    }
    if check, changed == 0, !failed {
      out.write(
        "\(rules.parsed.count) file\(rules.parsed.count == 1 ? "" : "s") already formatted\n")
    }
    if failed { throw ExitStatus.failure.exitCode }
  }
}
