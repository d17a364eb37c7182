import EtiquetteTestSupport
import Foundation
import Testing

/// `etiquette diff`, run as a user would, on two versions of the example rules (`old/` is a
/// copy of `rules/`; `new/` adds the phrases "combien" and "acheter", moves "prix" into its own
/// trigger, removes "livraison", raises the Support routing priority, takes VIP conversations
/// away from "Service Client" and adds emma@exemple.fr to "Support") and 1,245 generated steps.
@Suite("etiquette diff", .serialized)
struct DiffTests {
  static let fixtures = CommandRunner.repositoryRoot + "/Tests/EtiquetteCLITests/Fixtures/diff"

  /// Runs the binary in the fixture folder with `input` on standard input.
  static func run(_ arguments: [String], input: String = "") throws -> CommandRunner.Result {
    try CommandRunner.run(arguments, in: fixtures, input: input)
  }

  @Test func stepsFileIsLargeAndVaried() throws {
    let text = try String(contentsOfFile: Self.fixtures + "/steps.jsonl", encoding: .utf8)
    let lines = text.split(separator: "\n")
    #expect(lines.count >= 1_000)
    let conversations = Set(
      lines.compactMap { line -> String? in
        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        return object?["conversation"] as? String
      })
    #expect(conversations.count >= 100)
    for kind in ["\"agent\"", "\"event\"", "\"tick\"", "\"image\"", "\"document\""] {
      #expect(text.contains(kind), "no \(kind) step")
    }
  }

  @Test func textReportMatchesGolden() throws {
    let result = try Self.run(["diff", "old", "new", "--input", "steps.jsonl"])
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stderr.isEmpty)
    #expect(!result.stdout.contains("\u{1B}["), "colour when not on a terminal")
    let diff = GoldenFile.mismatch(
      actual: result.stdout, expectedPath: Self.fixtures + "/steps.diff.expected")
    #expect(diff == nil, "\(diff ?? "")")
  }

  @Test func eachRuleChangeIsAttributed() throws {
    let result = try Self.run(["diff", "old", "new", "--input", "steps.jsonl", "--brief"])
    let headers = result.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") }
    func header(_ prefix: String) -> Bool { headers.contains { $0.hasPrefix(prefix) } }
    #expect(header("new phrase 'combien' (new/labels.etq:39:"))
    #expect(header("new phrase 'acheter' (new/labels.etq:39:"))
    #expect(header("removed phrase 'livraison' (old/labels.etq:28:"))
    #expect(header("new trigger 'when message contains \"prix\"' (new/labels.etq:41:3)"))
    #expect(
      header(
        "changed routing rule 'when label \"Support Technique\" -> human team \"Support\" "
          + "priority urgent' (new/routing.etq:13:3)"))
    #expect(header("access of bruno@exemple.fr changed by new/teams.etq:11:3"))
    #expect(header("access of emma@exemple.fr changed by new/teams.etq:16:3"))
    #expect(!header("other changes"), "\(result.stdout)")
    // The issue's sentence, exactly: "+N conversations labelled 'X' because of new phrase …".
    #expect(
      result.stdout.contains(
        "  +12 conversations labelled 'Demandes de Vente' because of new phrase 'combien' "
          + "(new/labels.etq:39:23) (e.g."))
    #expect(result.stdout.contains("conversations no longer labelled 'Demandes de Commande'"))
    #expect(result.stdout.contains("replayed 1245 steps over 160 conversations"))
  }

  @Test func jsonReportIsOneDocumentMatchingGolden() throws {
    let result = try Self.run(["diff", "old", "new", "--input", "steps.jsonl", "--format", "json"])
    #expect(result.status == 1)
    let diff = GoldenFile.mismatch(
      actual: result.stdout, expectedPath: Self.fixtures + "/steps.diff.json")
    #expect(diff == nil, "\(diff ?? "")")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let summary = try #require(object["summary"] as? [String: Any])
    #expect(summary["steps"] as? Int == 1245)
    #expect(summary["conversations"] as? Int == 160)
    let groups = try #require(object["groups"] as? [[String: Any]])
    let steps = try #require(object["steps"] as? [[String: Any]])
    #expect(summary["changedSteps"] as? Int == steps.count)
    // Every difference of every listed step belongs to a group, and the counts add up.
    let groupSteps = groups.compactMap { $0["steps"] as? Int }.reduce(0, +)
    #expect(groupSteps >= steps.count)
    let kinds = groups.compactMap { ($0["cause"] as? [String: Any])?["kind"] as? String }
    #expect(Set(kinds).isSuperset(of: ["new_phrase", "removed_phrase", "access"]))
    let first = try #require(steps.first)
    #expect(first["line"] is Int && first["conversation"] is String)
    #expect((first["differences"] as? [Any])?.isEmpty == false)
  }

  @Test func identicalRulesHaveNoDifferences() throws {
    let input = try String(contentsOfFile: Self.fixtures + "/steps.jsonl", encoding: .utf8)
    // Steps from standard input, the default.
    let result = try Self.run(["diff", "old", "../../../../rules"], input: input)
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.hasSuffix("replayed 1245 steps over 160 conversations\nno differences\n"))
  }

  @Test func badLinesAreReportedAndTheDiffGoesOn() throws {
    let result = try Self.run(["diff", "old", "new", "--input", "bad-lines.jsonl"])
    #expect(result.status == 1)
    #expect(result.stdout.contains("  line 2: not valid JSON\n"))
    #expect(result.stdout.contains("  line 3: unknown action \"dance\""))
    #expect(result.stdout.contains("replayed 3 steps over 3 conversations, 2 lines rejected"))
    // Lines after the bad ones were still compared.
    #expect(result.stdout.contains("b3 step 1, line 6"))
    #expect(result.stdout.contains("new phrase 'acheter'"))
    let json = try Self.run(
      ["diff", "old", "new", "--input", "bad-lines.jsonl", "--format", "json"])
    let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    let rejected = try #require(object?["rejected"] as? [[String: Any]])
    #expect(rejected.map { $0["line"] as? Int } == [2, 3])
    #expect(rejected.map { $0["side"] as? String } == ["both", "both"])
  }

  @Test func rulesWithErrorsNameTheSide() throws {
    let result = try Self.run(["diff", "old", "broken", "--input", "bad-lines.jsonl"])
    #expect(result.status == 1)
    #expect(result.stdout.isEmpty)
    #expect(result.stderr.contains("error["))
    #expect(result.stderr.contains("the new rules (broken) have errors"))
    #expect(!result.stderr.contains("the old rules"))
  }

  @Test(arguments: [
    ["diff", "old"],
    ["diff", "old", "new", "--format", "xml"],
    ["diff", "old", "missing-folder", "--input", "steps.jsonl"],
    ["diff", "old", "new", "--input", "no-such-steps.jsonl"],
    ["diff", "old", "new", "--colour", "never"],
  ])
  func usageErrorsExitTwo(arguments: [String]) throws {
    let result = try Self.run(arguments)
    #expect(result.status == 2, "\(arguments): \(result.stdout)\(result.stderr)")
    #expect(!result.stderr.isEmpty)
  }

  @Test func colourOnlyWhenAsked() throws {
    let result = try Self.run(
      ["diff", "old", "new", "--input", "bad-lines.jsonl", "--color", "always"])
    #expect(result.stdout.contains("\u{1B}["))
  }
}
