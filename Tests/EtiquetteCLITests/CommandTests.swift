import EtiquetteTestSupport
import Foundation
import Testing

@Suite("etiquette check", .serialized)
struct CheckCommandTests {
  @Test func exampleRulesAreClean() throws {
    let result = try CommandRunner.run(["check", "rules/"])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout == "0 errors, 0 warnings in 4 files\n")
  }

  @Test func exampleRulesAreCleanUnderStrict() throws {
    for path in ["rules/", "grammar/examples/complete.etq"] {
      let result = try CommandRunner.run(["check", "--strict", path])
      #expect(result.status == 0, "\(path): \(result.stdout)\(result.stderr)")
    }
  }

  @Test func syntaxErrorsExitOneAndAreLocated() throws {
    let dir = try CommandRunner.temporaryDirectory()
    try "label \"A\" {\n  when message contains \"x\n}\n".write(
      toFile: dir + "/broken.etq", atomically: true, encoding: .utf8)
    let result = try CommandRunner.run(["check", "broken.etq"], in: dir)
    #expect(result.status == 1)
    #expect(result.stdout.contains("--> broken.etq:2:25"))
    #expect(result.stdout.hasSuffix("in 1 file\n"))
    #expect(!result.stdout.contains("\u{1B}["), "piped output must not be coloured")
  }

  @Test func jsonOutputIsOneDocument() throws {
    let dir = try CommandRunner.temporaryDirectory()
    try "label \"A\" {\n  whn message contains \"x\"\n}\nlabel \"B\" { when label \"Z\" }\n".write(
      toFile: dir + "/a.etq", atomically: true, encoding: .utf8)
    let result = try CommandRunner.run(["check", "--format", "json", "a.etq"], in: dir)
    #expect(result.status == 1)
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    let diagnostics = try #require(object?["diagnostics"] as? [[String: Any]])
    let summary = try #require(object?["summary"] as? [String: Int])
    #expect(!diagnostics.isEmpty)
    #expect(summary["errors"] == diagnostics.filter { $0["severity"] as? String == "error" }.count)
    let first = try #require(diagnostics.first)
    #expect(first["file"] as? String == "a.etq")
    #expect(first["line"] as? Int == 2)
    #expect(first["column"] as? Int == 3)
    for key in ["code", "severity", "endLine", "endColumn", "message", "help", "notes"] {
      #expect(first.keys.contains(key), "missing \(key)")
    }
  }

  @Test func sarifValidatesAgainstTheSchema() throws {
    let dir = try CommandRunner.temporaryDirectory()
    try "label \"A\" {\n  whn message contains \"x\"\n}\n".write(
      toFile: dir + "/a.etq", atomically: true, encoding: .utf8)
    let result = try CommandRunner.run(["check", "--format", "sarif", "a.etq"], in: dir)
    #expect(result.status == 1)
    let validation = try SARIFTests.validate(result.stdout)
    #expect(validation.status == 0, "\(validation.output)")
  }

  @Test func githubFormatWritesWorkflowCommands() throws {
    let dir = try CommandRunner.temporaryDirectory()
    try "label \"A\" {\n  whn message contains \"x\"\n}\n".write(
      toFile: dir + "/a.etq", atomically: true, encoding: .utf8)
    let result = try CommandRunner.run(["check", "--format", "github", "a.etq"], in: dir)
    #expect(result.status == 1)
    #expect(result.stdout.hasPrefix("::error file=a.etq,line=2,col=3,"))
  }

  @Test func colourIsOnWhenAskedAndOffWithNoColor() throws {
    let dir = try CommandRunner.temporaryDirectory()
    try "label \"A\" { whn }\n".write(toFile: dir + "/a.etq", atomically: true, encoding: .utf8)
    let always = try CommandRunner.run(["check", "--color", "always", "a.etq"], in: dir)
    #expect(always.stdout.contains("\u{1B}[1;31merror"))
    let none = try CommandRunner.run(["check", "a.etq"], environment: ["NO_COLOR": "1"], in: dir)
    #expect(!none.stdout.contains("\u{1B}["))
  }

  @Test(arguments: [
    ["check"],
    ["check", "does/not/exist"],
    ["check", "--format", "xml", "rules/"],
    ["check", "--no-such-flag", "rules/"],
    ["frobnicate"],
    ["explain", "E999"],
  ])
  func usageErrorsExitTwo(arguments: [String]) throws {
    let result = try CommandRunner.run(arguments)
    #expect(result.status == 2, "\(arguments): \(result.stdout)\(result.stderr)")
    #expect(!result.stderr.isEmpty)
  }

  @Test func emptyDirectoryIsAUsageError() throws {
    let dir = try CommandRunner.temporaryDirectory()
    let result = try CommandRunner.run(["check", dir])
    #expect(result.status == 2)
    #expect(result.stderr.contains("no .etq files"))
  }
}

@Suite("etiquette fmt", .serialized)
struct FormatCommandTests {
  @Test func exampleRulesAreFormatted() throws {
    let result = try CommandRunner.run(["fmt", "--check", "rules/"])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
  }

  @Test func rewritesThenReportsNothingToDo() throws {
    let dir = try CommandRunner.temporaryDirectory()
    let path = dir + "/messy.etq"
    try "label   \"A\"{when message contains \"x\"   # why\n}\n".write(
      toFile: path, atomically: true, encoding: .utf8)
    let check = try CommandRunner.run(["fmt", "--check", "messy.etq"], in: dir)
    #expect(check.status == 1)
    #expect(check.stdout == "would reformat messy.etq\n")
    let unchanged = try String(contentsOfFile: path, encoding: .utf8)
    #expect(unchanged.hasPrefix("label   \"A\"{"), "--check must not write")

    let rewrite = try CommandRunner.run(["fmt", "messy.etq"], in: dir)
    #expect(rewrite.status == 0)
    let formatted = try String(contentsOfFile: path, encoding: .utf8)
    #expect(formatted == "label \"A\" {\n  when message contains \"x\" # why\n}\n")
    let again = try CommandRunner.run(["fmt", "--check", "messy.etq"], in: dir)
    #expect(again.status == 0)
  }

  @Test func fileWithSyntaxErrorsIsLeftUntouched() throws {
    let dir = try CommandRunner.temporaryDirectory()
    let path = dir + "/broken.etq"
    let text = "label \"A\" {\n  when message contains\n"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let result = try CommandRunner.run(["fmt", "broken.etq"], in: dir)
    #expect(result.status == 1)
    #expect(result.stderr.contains("broken.etq: not formatted, it has syntax errors"))
    #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
  }
}

@Suite("etiquette explain and help")
struct ExplainCommandTests {
  @Test func listsEveryCodeAndExplainsEachOne() throws {
    let list = try CommandRunner.run(["explain"])
    #expect(list.status == 0)
    let codes = list.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first }
    #expect(codes.count >= 20)
    #expect(Set(codes).count == codes.count, "codes must be unique")
    for code in codes {
      let one = try CommandRunner.run(["explain", String(code)])
      #expect(one.status == 0)
      #expect(one.stdout.contains("[\(code)]:"))
      #expect(one.stdout.split(separator: "\n").count >= 3, "\(code) needs a real explanation")
    }
  }

  @Test func codesAreCaseInsensitive() throws {
    let list = try CommandRunner.run(["explain"])
    let first = try #require(list.stdout.split(separator: " ").first).lowercased()
    #expect(try CommandRunner.run(["explain", first]).status == 0)
  }

  @Test(arguments: [["--help"], ["check", "--help"], ["fmt", "--help"], ["explain", "--help"]])
  func helpIsCompleteAndExitsZero(arguments: [String]) throws {
    let result = try CommandRunner.run(arguments)
    #expect(result.status == 0)
    #expect(result.stdout.contains("USAGE:"))
  }

  @Test func checkHelpDocumentsEveryOption() throws {
    let help = try CommandRunner.run(["check", "--help"]).stdout
    for option in ["--format", "--strict", "--explain-access", "--color", "Exit status"] {
      #expect(help.contains(option), "check --help lacks \(option)")
    }
  }
}

@Suite("README")
struct ReadmeTests {
  /// The README documents every diagnostic code: its table is `etiquette explain --markdown`.
  @Test func diagnosticTableIsCurrent() throws {
    let table = try CommandRunner.run(["explain", "--markdown"]).stdout
    let readme = try String(
      contentsOfFile: CommandRunner.repositoryRoot + "/README.md", encoding: .utf8)
    #expect(
      readme.contains(table), "README's code table is stale: paste `etiquette explain --markdown`")
  }
}

@Suite("etiquette check: matcher warnings")
struct MatcherWarningTests {
  @Test func patternWithoutLiteralIsReportedAsSlow() throws {
    let dir = try CommandRunner.temporaryDirectory()
    let rules = """
      label "Longs messages" {
        when message matches /^.{500,}$/s
        when message matches /\\b(?:CMD|ORD)-\\d{6}\\b/
      }

      team "Tous" {
        members ["a@exemple.fr"]
        can reply all
      }

      routing {
        default ai
      }

      """
    try rules.write(toFile: dir + "/slow.etq", atomically: true, encoding: .utf8)
    let result = try CommandRunner.run(["check", "slow.etq"], in: dir)
    #expect(result.status == 0, "a warning alone does not fail the check")
    #expect(
      result.stdout == """
        warning[W030]: slow pattern: no literal to prefilter on
         --> slow.etq:2:24
          |
        2 |   when message matches /^.{500,}$/s
          |                        ^^^^^^^^^^^^ runs on every message
          |
          = help: add a literal word or character the pattern always needs, or use `message contains`

        0 errors, 1 warning in 1 file

        """)
    #expect(try CommandRunner.run(["check", "--strict", "slow.etq"], in: dir).status == 1)
  }
}
