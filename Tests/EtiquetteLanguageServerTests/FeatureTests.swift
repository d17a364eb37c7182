import EtiquetteEngine
import EtiquetteLanguageServer
import Foundation
import Testing

/// Hover on phrases, patterns and members, and the quick fixes beyond "did you mean".
@Suite struct FeatureTests {
  /// A clean start on the example rules.
  static func started() async throws -> (TestClient, RuleFolder) {
    let folder = try RuleFolder.examples()
    let client = TestClient()
    try await client.initialize(root: folder.url)
    let uri = folder.uri("labels.etq")
    await client.open(uri, text: try folder.text("labels.etq"))
    _ = try await client.diagnostics(for: uri, version: 1)
    return (client, folder)
  }

  static func hover(_ client: TestClient, _ uri: String, _ line: Int, _ character: Int)
    async throws -> String
  {
    let response = try await client.request("textDocument/hover", .document(uri, line, character))
    return response["result"]?["contents"]?["value"]?.stringValue ?? ""
  }

  @Test func hoverOnPhrasePatternMemberAndTeam() async throws {
    let (client, folder) = try await Self.started()
    defer { folder.remove() }
    let labels = folder.uri("labels.etq")
    // `"J'ai réservé"`: its normalised form.
    let phrase = try await Self.hover(client, labels, 19, 8)
    #expect(phrase.contains("`j'ai reserve`"))
    // The support pattern: its flags.
    let pattern = try await Self.hover(client, labels, 32, 26)
    #expect(pattern.contains("case-insensitive"))
    // A member: rights in sentences, as `check --explain-access` says them.
    let member = try await Self.hover(client, folder.uri("teams.etq"), 4, 13)
    #expect(member.contains("alice@exemple.fr (team \"Rendez-vous\") can view and reply to"))
    let team = try await Self.hover(client, folder.uri("teams.etq"), 3, 8)
    #expect(team.contains("can reply labels [\"Personnes Qui Ont Planifié\"]"))
    _ = try await client.shutdown()
  }

  @Test func splitPhraseAndAddGrantQuickFixes() async throws {
    let folder = try RuleFolder([
      "rules.etq": """
      label "A" {
        when message contains any ["oui, merci"]
      }

      label "B" {
        when message contains "b"
      }

      team "T" {
        members ["a@exemple.fr"]
        can view labels ["B"]
      }

      routing {
        default ai
      }

      """
    ])
    defer { folder.remove() }
    let client = TestClient()
    try await client.initialize(root: folder.url)
    let uri = folder.uri("rules.etq")
    await client.open(uri, text: try folder.text("rules.etq"))
    let diagnostics = try await client.diagnostics(for: uri, version: 1)
    let codes = Set(diagnostics.compactMap { $0["code"]?.stringValue })
    #expect(codes.isSuperset(of: ["W011", "W014"]))

    func actions(_ line: Int, _ character: Int) async throws -> [JSONValue] {
      let response = try await client.request(
        "textDocument/codeAction",
        .object([
          "textDocument": .object(["uri": .string(uri)]),
          "range": .object(["start": .position(line, character), "end": .position(line, character)]
          ),
          "context": .object(["diagnostics": .array([])]),
        ]))
      return response["result"]?.arrayValue ?? []
    }
    let split = try #require(
      try await actions(1, 32).first { $0["title"] == "Split into two phrases" })
    #expect(split["edit"]?["changes"]?[uri]?[0]?["newText"] == "\"oui\", \"merci\"")
    let grant = try #require(
      try await actions(0, 8).first { $0["title"] == "Add a grant for this label to team \"T\"" })
    let edit = try #require(grant["edit"]?["changes"]?[uri]?[0])
    #expect(edit["newText"] == "  can view labels [\"A\"]\n")
    #expect(edit["range"]?["start"] == .position(11, 0))
    _ = try await client.shutdown()
  }

  /// The slow-pattern warnings kept from the previous analysis move with their patterns, and
  /// equal those of an analysis made from scratch.
  @Test func slowPatternWarningsFollowAnEditWithoutRecompiling() {
    let text = """
      label "Longs" {
        when message matches /^.{500,}$/s
      }

      team "Tous" {
        members ["a@exemple.fr"]
        can reply all
      }

      routing {
        default ai
        when message matches /^.{500,}$/s -> human
      }

      """
    let before = RuleSetAnalysis(
      root: "/r", files: [(path: "/r/a.etq", uri: "file:///r/a.etq", bytes: Array(text.utf8))])
    let edited = Array(("# a comment that moves every span\n" + text).utf8)
    let after = RuleSetAnalysis(
      root: "/r", files: [(path: "/r/a.etq", uri: "file:///r/a.etq", bytes: edited)],
      previous: before)
    let fresh = RuleSetAnalysis(
      root: "/r", files: [(path: "/r/a.etq", uri: "file:///r/a.etq", bytes: edited)])
    #expect(before.diagnostics.contains { $0.code == "W030" })
    #expect(after.diagnostics == fresh.diagnostics)
    #expect(
      after.diagnostics.first { $0.code == "W030" }?.span.start
        != before.diagnostics.first { $0.code == "W030" }?.span.start)
  }

  @Test func filesChangedOnDiskAreReadAgain() async throws {
    let folder = try RuleFolder([
      "a.etq": "routing {\n  default ai\n  when label \"X\" -> human\n}\n",
      "b.etq": "label \"X\" {\n  when message contains \"x\"\n}\n",
    ])
    defer { folder.remove() }
    let client = TestClient()
    try await client.initialize(root: folder.url)
    let uri = folder.uri("a.etq")
    await client.open(uri, text: try folder.text("a.etq"))
    #expect(try await client.diagnostics(for: uri, version: 1).isEmpty)
    let prepared = try await client.request("textDocument/prepareRename", .document(uri, 2, 14))
    #expect(prepared["result"]?["placeholder"] == "X")

    try Data("label \"Y\" {\n  when message contains \"y\"\n}\n".utf8)
      .write(to: folder.url.appendingPathComponent("b.etq"))
    await client.notify(
      "workspace/didChangeWatchedFiles",
      .object([
        "changes": .array([.object(["uri": .string(folder.uri("b.etq")), "type": .number(2)])])
      ]))
    let diagnostics = try await client.diagnostics(for: uri, version: 1)
    #expect(diagnostics.first?["code"] == "E030")
    _ = try await client.shutdown()
  }
}
