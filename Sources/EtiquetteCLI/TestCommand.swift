import ArgumentParser
import EtiquetteChecker
import EtiquetteCompiler
import EtiquetteDiagnostics
import EtiquetteEngine
import Foundation

/// `etiquette test PATH...`: run every `test` block against the engine.
struct TestCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "test",
    abstract: "Run the rule set's `test` blocks against the engine.",
    discussion: """
      Each test starts a fresh conversation at 2026-01-05T10:00:00Z (a Monday) unless it says \
      `at`, with a contact that has no attributes unless it says `contact`. Every failing \
      `expect` is printed with its location and the actual value; the last line is \
      `N passed, M failed`.

      Exit status: 0 when every test passed, 1 when one failed or the rules have errors, \
      2 on usage errors.
      """
  )

  enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, junit
  }

  @Option(name: .long, help: "Output format: text, json or junit (JUnit XML for CI).")
  var format: OutputFormat = .text

  @Flag(
    name: .long,
    help: "List triggers, phrases, patterns, routing rules and grants no test exercised.")
  var coverage = false

  @Option(
    name: .long, help: "Colour: auto (on a terminal, unless NO_COLOR is set), always or never.")
  var color: ColourChoice = .auto

  @Argument(help: "Rule files, or directories read recursively for *.etq files.")
  var paths: [String] = []

  func run() throws {
    let rules = try RuleSources.load(paths: paths)
    let engine = try EngineLoading.engine(for: rules, color: color)
    let report = RuleTestRunner(engine: engine, sources: rules.sources).runAll()
    let out = Terminal.standardOutput
    let document = TestReportDocument(report: report, sources: rules.sources)
    switch format {
    case .text:
      out.write(document.text(style: out.style(color), coverage: coverage))
    case .json:
      out.write(document.json(coverage: coverage))
    case .junit:
      out.write(document.junit())
    }
    if report.failed > 0 { throw ExitStatus.failure.exitCode }
  }
}

/// Loading rules into an engine, shared by `test` and `run`: the same parse and check as
/// `etiquette check`, with errors rendered to standard error.
enum EngineLoading {
  static func engine(for rules: RuleSources, color: ColourChoice) throws -> Engine {
    let outcome = RuleCompiler.compile(rules, strict: false)
    guard let matcher = outcome.matcher else {
      let err = Terminal.standardError
      let errors = outcome.diagnostics.filter { $0.severity == .error }
      err.write(DiagnosticRenderer(sources: rules.sources, style: err.style(color)).render(errors))
      err.write("the rules have errors; run `etiquette check` for details\n")
      throw ExitStatus.failure.exitCode
    }
    return Engine(matcher: matcher)
  }
}

/// The three renderings of a test report.
struct TestReportDocument {
  let report: RuleTestReport
  let sources: SourceMap

  func text(style: TerminalStyle, coverage: Bool) -> String {
    var text = ""
    for result in report.results {
      let location = sources.describe(result.span)
      if result.passed {
        text += style.paint("ok", .green, bold: true) + "    \(location)  \(result.name)\n"
      } else {
        text += style.paint("FAIL", .red, bold: true) + "  \(location)  \(result.name)\n"
        for failure in result.failures {
          text += "  \(sources.describe(failure.span)): \(failure.message)\n"
        }
      }
    }
    if coverage { text += coverageText() }
    let summary = "\(report.passed) passed, \(report.failed) failed"
    text += style.paint(summary, report.failed > 0 ? .red : .green, bold: true) + "\n"
    return text
  }

  private func coverageText() -> String {
    let items = report.coverage.unexercised
    var text = "\ncoverage: "
    text +=
      TestCoverage.Kind.allCases.compactMap { kind in
        guard let total = report.coverage.totals[kind], total > 0 else { return nil }
        let missed = items.count { $0.kind == kind }
        return "\(total - missed)/\(total) \(kind.plural)"
      }.joined(separator: ", ") + "\n"
    if items.isEmpty {
      text += "every trigger, phrase, pattern, routing rule and grant is exercised\n\n"
      return text
    }
    text += "not exercised by any test:\n"
    for item in items {
      let kind = item.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
      text += "  \(kind) \(sources.describe(item.span))  \(item.text)\n"
    }
    return text + "\n"
  }

  func json(coverage: Bool) -> String {
    var tests: [[String: Any]] = []
    for result in report.results {
      let location = sources[result.span.file]?.location(ofOffset: result.span.start)
      tests.append([
        "name": result.name,
        "file": sources[result.span.file]?.path ?? "",
        "line": location?.line ?? 0,
        "column": location?.column ?? 0,
        "passed": result.passed,
        "expectations": result.expectations,
        "failures": result.failures.map { failure -> [String: Any] in
          let where_ = sources[failure.span.file]?.location(ofOffset: failure.span.start)
          return [
            "file": sources[failure.span.file]?.path ?? "",
            "line": where_?.line ?? 0,
            "column": where_?.column ?? 0,
            "expected": failure.expected,
            "actual": failure.actual,
            "explanation": failure.explanation ?? "",
            "message": failure.message,
          ]
        },
      ])
    }
    var object: [String: Any] = [
      "tests": tests,
      "summary": ["passed": report.passed, "failed": report.failed],
    ]
    if coverage {
      object["coverage"] = [
        "totals": Dictionary(
          uniqueKeysWithValues: report.coverage.totals.map { ($0.key.rawValue, $0.value) }),
        "unexercised": report.coverage.unexercised.map { item -> [String: Any] in
          let location = sources[item.span.file]?.location(ofOffset: item.span.start)
          return [
            "kind": item.kind.rawValue, "file": sources[item.span.file]?.path ?? "",
            "line": location?.line ?? 0, "column": location?.column ?? 0, "text": item.text,
          ]
        },
      ]
    }
    let data =
      (try? JSONSerialization.data(
        withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]))
      ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  func junit() -> String {
    let failures = report.failed
    var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    xml +=
      "<testsuites name=\"etiquette\" tests=\"\(report.results.count)\" "
      + "failures=\"\(failures)\">\n"
    xml +=
      "  <testsuite name=\"etiquette test\" tests=\"\(report.results.count)\" "
      + "failures=\"\(failures)\" errors=\"0\">\n"
    for result in report.results {
      let file = sources[result.span.file]?.path ?? ""
      let line = sources[result.span.file]?.location(ofOffset: result.span.start).line ?? 0
      xml +=
        "    <testcase classname=\"\(escape(file))\" name=\"\(escape(result.name))\" "
        + "file=\"\(escape(file))\" line=\"\(line)\""
      if result.passed {
        xml += "/>\n"
        continue
      }
      xml += ">\n"
      for failure in result.failures {
        let location = sources.describe(failure.span)
        xml +=
          "      <failure message=\"\(escape(failure.message))\">"
          + "\(escape(location + ": " + failure.message))</failure>\n"
      }
      xml += "    </testcase>\n"
    }
    xml += "  </testsuite>\n</testsuites>\n"
    return xml
  }

  private func escape(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      // XML 1.0 cannot carry most control characters, even escaped.
      case _ where scalar.value < 0x20 && scalar != "\n" && scalar != "\t": out += "?"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}

extension TestCoverage.Kind {
  var plural: String {
    switch self {
    case .trigger: "triggers"
    case .phrase: "phrases"
    case .pattern: "patterns"
    case .routing: "routing rules"
    case .grant: "grants"
    }
  }
}
