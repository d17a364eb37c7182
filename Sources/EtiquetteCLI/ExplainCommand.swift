import ArgumentParser
import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteSyntax
import Foundation

/// `etiquette explain CODE`: the long explanation of a diagnostic code.
struct ExplainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Explain a diagnostic code (for example E012), or list every code.",
    discussion: """
      Without a CODE, lists every code with its title. `etiquette explain matching` explains \
      how phrases match (forms, typos, synonyms) and how a reason says why a phrase matched.
      """
  )

  @Argument(help: "A diagnostic code such as E012 or W003, or `matching`.")
  var code: String?

  @Option(name: .long, help: "Colour: auto, always or never.")
  var color: ColourChoice = .auto

  @Flag(
    name: .long,
    help: "Print every code as a Markdown table (code, meaning, example), as in the README.")
  var markdown = false

  func run() throws {
    let out = Terminal.standardOutput
    let style = out.style(color)
    if markdown {
      out.write(ExplainCommand.markdownTable(CodeCatalogue.all))
      return
    }
    guard let code else {
      for entry in CodeCatalogue.all {
        let colour: TerminalStyle.Colour = entry.code.defaultSeverity == .error ? .red : .yellow
        out.write("\(style.paint(entry.code.rawValue, colour, bold: true))  \(entry.title)\n")
      }
      return
    }
    if code == "matching" {
      out.write(Self.matchingGuide)
      return
    }
    guard let entry = CodeCatalogue.explanation(for: code) else {
      throw UsageError(
        description: "unknown diagnostic code \"\(code)\" (run `etiquette explain` to list them)")
    }
    out.write(ExplainCommand.render(entry, style: style))
  }

  /// `etiquette explain matching`: the three ways a phrase matches, and how reasons say which.
  static let matchingGuide = """
    How phrases match (issue 19)

    Always: case, accents, typographic quotes and spacing are ignored; a hyphen, dash,
    underscore or slash reads as a space ("rendez vous" = "rendez-vous"); a French elision
    matches with or without its apostrophe ("jai" = "j'ai": j l d m t s n c qu jusqu lorsqu
    puisqu, before a vowel or h and two letters or more, so "lrdv" is not "l'rdv").

      when message contains "annuler"                  the words as written
      when message contains forms "annuler"            every form: annulez, annulation, annule
      when message contains typos "annulation"         one typo per word of 5-8 letters, two
                                                       from 9; none under 5 letters or in numbers
      when message contains any forms typos [...]      both; the order is any|all, forms, typos

    `language fr` (the default) or `language en` picks the word forms' grammar. A `synonyms`
    block reads an abbreviation as what it stands for:

      synonyms {
        "rdv" = "rendez-vous"
      }

    Every reason (`etiquette run`, `test` failures, the REPL's :why, the server's label
    reasons and webhooks) shows the phrase that matched, the matched text, and how when it is
    not spelt like the phrase:

      "Annulez mon RDV" ≈ "annuler le rendez-vous" (formes : annulez → annuler ; synonyme : RDV → rendez-vous)

    """

  /// The README's table of codes; a test keeps the README in step with the catalogues.
  static func markdownTable(_ entries: [CodeExplanation]) -> String {
    var text = "| code | meaning | example |\n|---|---|---|\n"
    for entry in entries {
      let example =
        offendingLine(of: entry).map { line in
          let cell = line.replacingOccurrences(of: "|", with: "\\|")
          // A code span holding a backtick needs a longer fence (CommonMark).
          return cell.contains("`") ? "`` \(cell) ``" : "`\(cell)`"
        } ?? ""
      text +=
        "| \(entry.code) | \(entry.title.replacingOccurrences(of: "|", with: "\\|")) | \(example) |\n"
    }
    return text
  }

  /// The line of an explanation's example that the code is reported on, found by checking the
  /// example for real (so the table shows the mistake, not the line before it).
  static func offendingLine(of entry: CodeExplanation) -> String? {
    var sources = SourceMap()
    let file = sources.add(path: "example.etq", text: entry.example)
    let parsed = Parser.parse(file)
    var diagnostics = parsed.diagnostics
    if !diagnostics.hasErrors {
      diagnostics += Checker.check([parsed.ruleFile], sources: sources).diagnostics
    }
    let lines = entry.example.split(separator: "\n", omittingEmptySubsequences: false)
    if let hit = diagnostics.first(where: { $0.code == entry.code }) {
      let line = file.location(ofOffset: hit.span.start).line
      if lines.indices.contains(line - 1) {
        return lines[line - 1].trimmingCharacters(in: .whitespaces)
      }
    }
    return lines.map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
  }

  static func render(_ entry: CodeExplanation, style: TerminalStyle) -> String {
    let severity = entry.code.defaultSeverity == .error ? "error" : "warning"
    let colour: TerminalStyle.Colour = entry.code.defaultSeverity == .error ? .red : .yellow
    var text =
      style.paint("\(severity)[\(entry.code)]: \(entry.title)", colour, bold: true) + "\n\n"
    text += entry.explanation.trimmingTrailingNewlines() + "\n"
    if !entry.example.isEmpty {
      text += "\n" + style.paint("Example:", nil, bold: true) + "\n\n"
      for line in entry.example.trimmingTrailingNewlines().split(
        separator: "\n", omittingEmptySubsequences: false)
      {
        text += "    \(line)\n"
      }
    }
    return text
  }
}

extension String {
  func trimmingTrailingNewlines() -> String {
    var s = Substring(self)
    while s.last == "\n" { s = s.dropLast() }
    return String(s)
  }
}
