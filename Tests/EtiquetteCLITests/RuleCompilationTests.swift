import EtiquetteDiagnostics
import EtiquetteServer
import EtiquetteTestSupport
import Foundation
import Testing

/// `etiquette check` and the server read, check and compile rules through one function: the
/// same files give the same diagnostics, a symbolic link to a directory included.
@Suite struct RuleCompilationTests {
  /// A rule set whose only diagnostic is W030: a pattern with no literal to prefilter on.
  static let slowPattern = """
    label "Longs messages" {
      when message matches /^.{500,}$/s
    }
    team "Service" {
      members ["a@x.fr"]
      can reply all
    }
    routing {
      default ai
    }
    """

  static let teamAndRouting = """
    team "Service" {
      members ["a@x.fr"]
      can reply all
    }
    routing {
      default ai
    }

    """

  static func rulesDirectory(_ text: String) throws -> String {
    let directory = try CommandRunner.temporaryDirectory()
    try text.write(toFile: directory + "/rules.etq", atomically: true, encoding: .utf8)
    return directory
  }

  /// What the server's reload reports, as `check --format json` prints it.
  static func reloadDiagnostics(_ path: String) throws -> String {
    guard case .success(let initial) = RuleLoading.load(path: path) else {
      Issue.record("the rules were refused")
      return ""
    }
    let holder = RuleHolder(path: path, rules: initial)
    guard case .success(let reloaded) = holder.reload() else {
      Issue.record("the reload was refused")
      return ""
    }
    return DiagnosticJSON.encode(reloaded.diagnostics, sources: reloaded.sources)
  }

  @Test func theServersReloadReportsWhatCheckPrints() throws {
    let directory = try Self.rulesDirectory(Self.slowPattern)
    let check = try CommandRunner.run(["check", "--format", "json", directory])
    #expect(check.status == 0, "\(check.stderr)")
    #expect(check.stdout.contains("\"W030\""))
    #expect(try Self.reloadDiagnostics(directory) == check.stdout)
  }

  @Test func aSymlinkedDirectoryIsFollowedByCheckAndTheServer() throws {
    let directory = try Self.rulesDirectory(Self.slowPattern)
    let link = try CommandRunner.temporaryDirectory() + "/current"
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: directory)
    let check = try CommandRunner.run(["check", "--format", "json", link])
    #expect(check.status == 0, "\(check.stderr)")
    // Files are named through the link, as the user wrote the path.
    #expect(check.stdout.contains("\(link)/rules.etq"))
    #expect(try Self.reloadDiagnostics(link) == check.stdout)
    let text = try CommandRunner.run(["check", link])
    #expect(text.stdout.hasSuffix("0 errors, 1 warning in 1 file\n"))
  }

  // MARK: - Bounded output (security issue 22, finding 10)

  /// 5,000 copies of one phrase on a 70 KB line: 100 warnings are shown, each with a window of
  /// the line, then a note counts the rest; the summary counts them all.
  @Test func identicalPhrasesOnOneLongLineGiveABoundedReport() throws {
    let phrases = Array(repeating: "\"merci bien\"", count: 5_000).joined(separator: ", ")
    let directory = try Self.rulesDirectory(
      "label \"A\" {\n  when message contains any [\(phrases)]\n}\n" + Self.teamAndRouting)
    let result = try CommandRunner.run(["check", directory])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.components(separatedBy: "warning[W012]").count - 1 == 100)
    #expect(result.stdout.contains("note[N001]: 4899 more warnings not shown"))
    #expect(result.stdout.hasSuffix("0 errors, 4999 warnings in 1 file\n"))
    #expect(result.stdout.utf8.count < 100_000)
    let longest = result.stdout.split(separator: "\n").map(\.count).max() ?? 0
    #expect(longest < 200)
  }

  @Test func twentyThousandUnknownLabelsShowAHundredErrors() throws {
    let clauses = (0..<20_000).map { "  when label \"Inconnu \($0)\"" }.joined(separator: "\n")
    let directory = try Self.rulesDirectory(
      "label \"A\" {\n\(clauses)\n}\n" + Self.teamAndRouting)
    let result = try CommandRunner.run(["check", directory])
    #expect(result.status == 1)
    #expect(result.stdout.components(separatedBy: "error[E").count - 1 == 100)
    #expect(result.stdout.contains("note[N001]: 19900 more errors not shown"))
    #expect(result.stdout.hasSuffix("20000 errors, 0 warnings in 1 file\n"))
    let json = try CommandRunner.run(["check", "--format", "json", directory])
    #expect(json.stdout.components(separatedBy: "\"code\"").count - 1 == 101)
  }

  /// A megabyte of random bytes is one E068, in every format.
  @Test(arguments: ["text", "json", "sarif", "github"])
  func aBinaryFileIsOneDiagnostic(format: String) throws {
    var random = SplitMix64(seed: 22)
    let bytes = (0..<1_048_576).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    let directory = try CommandRunner.temporaryDirectory()
    try Data(bytes).write(to: URL(fileURLWithPath: directory + "/random.etq"))
    let result = try CommandRunner.run(["check", "--format", format, directory])
    #expect(result.status == 1)
    // SARIF names the code in its result and again in the rule's metadata.
    let mark = format == "sarif" ? "\"ruleId\" : \"" : ""
    #expect(result.stdout.components(separatedBy: "\(mark)E068").count - 1 == 1)
    #expect(!result.stdout.contains("E001"))
    #expect(result.stdout.utf8.count < 20_000)
  }

  @Test(arguments: ["E068", "N001"])
  func theNewCodesAreExplained(code: String) throws {
    let result = try CommandRunner.run(["explain", code])
    #expect(result.status == 0)
    #expect(result.stdout.contains(code))
  }
}
