import EtiquetteTestSupport
import Foundation
import Testing

/// `etiquette test` and `etiquette run`, run as a user would.
@Suite("etiquette test and run", .serialized)
struct EngineCommandTests {
  static let fixtures =
    CommandRunner.repositoryRoot + "/Tests/EtiquetteEngineTests/Fixtures/cli"

  /// Runs the binary with `input` on standard input.
  static func run(_ arguments: [String], input: String, in directory: String) throws
    -> CommandRunner.Result
  {
    try CommandRunner.run(arguments, in: directory, input: input)
  }

  @Test func exampleRulesPass() throws {
    let result = try CommandRunner.run(["test", "rules/"])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.hasSuffix("\n7 passed, 0 failed\n"))
    #expect(!result.stdout.contains("FAIL"))
  }

  @Test func failingTestsExitOneWithGoldenOutput() throws {
    let result = try CommandRunner.run(["test", "failing.etq"], in: Self.fixtures)
    #expect(result.status == 1)
    #expect(result.stdout.hasSuffix("1 passed, 1 failed\n"))
    #expect(
      result.stdout.contains(
        "expected labels [Demandes de Commande], got [Demandes de Vente, Demandes de Commande]"
          + " — Demandes de Vente added by failing.etq:4:48 matching 'prix'"))
    let diff = GoldenFile.mismatch(
      actual: result.stdout, expectedPath: Self.fixtures + "/failing.expected")
    #expect(diff == nil, "\(diff ?? "")")
  }

  @Test func coverageListsUnexercisedParts() throws {
    let result = try CommandRunner.run(["test", "--coverage", "failing.etq"], in: Self.fixtures)
    #expect(result.status == 1)
    let diff = GoldenFile.mismatch(
      actual: result.stdout, expectedPath: Self.fixtures + "/failing-coverage.expected")
    #expect(diff == nil, "\(diff ?? "")")
  }

  @Test func jsonReportIsOneDocument() throws {
    let result = try CommandRunner.run(
      ["test", "--format", "json", "--coverage", "failing.etq"], in: Self.fixtures)
    #expect(result.status == 1)
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    let summary = try #require(object?["summary"] as? [String: Int])
    #expect(summary == ["passed": 1, "failed": 1])
    let tests = try #require(object?["tests"] as? [[String: Any]])
    #expect(tests.map { $0["name"] as? String } == ["passe", "échoue"])
    let failures = try #require(tests.last?["failures"] as? [[String: Any]])
    #expect(failures.map { $0["line"] as? Int } == [30, 31, 32])
    #expect(failures.first?["actual"] as? String == "[Demandes de Vente, Demandes de Commande]")
    let coverage = try #require(object?["coverage"] as? [String: Any])
    #expect((coverage["unexercised"] as? [Any])?.isEmpty == false)
  }

  @Test func junitReportNamesFailures() throws {
    let result = try CommandRunner.run(
      ["test", "--format", "junit", "failing.etq"], in: Self.fixtures)
    #expect(result.status == 1)
    #expect(result.stdout.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"))
    #expect(result.stdout.contains("tests=\"2\" failures=\"1\""))
    #expect(result.stdout.contains("<testcase classname=\"failing.etq\" name=\"passe\""))
    #expect(result.stdout.components(separatedBy: "<failure ").count == 4)
    #expect(result.stdout.contains("&quot;bruno@exemple.fr&quot; can reply"))
  }

  @Test func rulesWithErrorsExitOne() throws {
    let dir = try CommandRunner.temporaryDirectory()
    try "label \"A\" { when label \"Z\" }\n".write(
      toFile: dir + "/bad.etq", atomically: true, encoding: .utf8)
    for arguments in [["test", "bad.etq"], ["run", "bad.etq", "--input", "bad.etq"]] {
      let result = try CommandRunner.run(arguments, in: dir)
      #expect(result.status == 1, "\(arguments)")
      #expect(result.stdout.isEmpty)
      #expect(result.stderr.contains("error["))
    }
  }

  @Test func missingPathIsAUsageError() throws {
    #expect(try CommandRunner.run(["test", "no-such-dir/"]).status == 2)
    #expect(try CommandRunner.run(["run", "rules/", "--input", "no-such.jsonl"]).status == 2)
  }

  @Test func runWritesOneDecisionPerStepAndReportsBadLines() throws {
    let result = try CommandRunner.run(
      ["run", CommandRunner.repositoryRoot + "/rules/", "--input", "steps.jsonl"],
      in: Self.fixtures)
    #expect(result.status == 1, "a rejected line makes the exit status 1")
    let lines = result.stdout.split(separator: "\n").map(String.init)
    // 11 input lines, one blank: 10 output lines, two of them errors.
    #expect(lines.count == 10)
    let objects = try lines.map {
      try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    let errors = objects.filter { $0["error"] != nil }
    #expect(errors.map { $0["line"] as? Int } == [3, 9])
    #expect(errors.first?["error"] as? String == "not valid JSON")
    #expect(objects.map { $0["line"] as? Int } == [1, 2, 3, 4, 5, 7, 8, 9, 10, 11])
    let diff = GoldenFile.mismatch(
      actual: result.stdout.replacingOccurrences(
        of: CommandRunner.repositoryRoot + "/", with: ""),
      expectedPath: Self.fixtures + "/steps.expected")
    #expect(diff == nil, "\(diff ?? "")")
  }

  @Test func runReadsStandardInput() throws {
    let input = """
      {"conversation": "c1", "text": "je veux parler à un humain", "at": "2026-11-24T10:00:00+01:00"}
      {"conversation": "c1", "agent": "bruno@exemple.fr", "action": "take_over"}
      {"conversation": "c1", "text": "merci"}

      """
    let result = try Self.run(["run", "rules/"], input: input, in: CommandRunner.repositoryRoot)
    #expect(result.status == 0, "\(result.stderr)")
    let decisions = try result.stdout.split(separator: "\n").map {
      try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    #expect(decisions.count == 3)
    #expect((decisions[0]["route"] as? [String: Any])?["outcome"] as? String == "rule")
    #expect(decisions[1]["assignee"] as? String == "bruno@exemple.fr")
    #expect((decisions[2]["ai"] as? [String: Any])?["action"] as? String == "none")
    #expect(decisions[2]["mode"] as? String == "human")
  }

  /// The AI's answer arrives after a human took over: `run` shows it discarded, as the server
  /// would discard it.
  @Test func runAcceptsAIRepliesOnlyAtTheirVersion() throws {
    let input = """
      {"conversation": "c1", "text": "bonjour", "at": "2026-11-24T10:00:00+01:00"}
      {"conversation": "c1", "ai_reply": "Bonjour ! Que puis-je faire pour vous ?", "version": 0}
      {"conversation": "c1", "text": "je veux parler à un humain"}
      {"conversation": "c1", "agent": "bruno@exemple.fr", "action": "take_over"}
      {"conversation": "c1", "ai_reply": "Trop tard", "version": 0}

      """
    let result = try Self.run(["run", "rules/"], input: input, in: CommandRunner.repositoryRoot)
    #expect(result.status == 0, "\(result.stderr)")
    let decisions = try result.stdout.split(separator: "\n").map {
      try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    #expect(decisions.count == 5)
    let version = try #require((decisions[0]["ai"] as? [String: Any])?["version"] as? Int)
    #expect(version == 0, "the first decision asks for a reply at version 0")
    #expect((decisions[1]["aiReply"] as? [String: Any])?["outcome"] as? String == "accepted")
    let late = try #require(decisions[4]["aiReply"] as? [String: Any])
    #expect(late["outcome"] as? String == "discarded")
    #expect(late["assignee"] as? String == "bruno@exemple.fr")
    #expect(late["mode"] as? String == "human")
  }

  @Test func runCanAddTheIntegrationPayload() throws {
    let input =
      #"{"conversation": "c9", "text": "ma commande", "contact": {"phone": "+33600000000"}}"#
    let result = try Self.run(
      ["run", "--payload", "rules/"], input: input + "\n", in: CommandRunner.repositoryRoot)
    #expect(result.status == 0, "\(result.stderr)")
    let decision = try #require(
      JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let payload = try #require(decision["payload"] as? [String: Any])
    #expect(payload["schema"] as? String == "etiquette/integration-payload/v1")
    #expect((payload["user"] as? [String: Any])?["phone"] as? String == "+33600000000")
    #expect((payload["lastUserMessage"] as? [String: Any])?["text"] as? String == "ma commande")
  }
}
