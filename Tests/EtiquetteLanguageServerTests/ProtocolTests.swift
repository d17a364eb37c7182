import EtiquetteEngine
import EtiquetteLanguageServer
import Foundation
import Testing

/// The server driven in-process through its transport, one feature at a time, on a copy of the
/// example rules.
@Suite struct ProtocolTests {
  /// The routing file with `Support Technique` misspelt on line 13 (0-based 12).
  static let misspeltRouting = """
    hours "bureau" {
      zone "Europe/Paris"
      mon-fri 09:00-18:00
      sat 10:00-13:00
    }

    routing {
      default ai
      when label "VIP" -> human team "Superviseurs" priority urgent
      when label "Suport technique" -> human team "Support" priority high
    }

    """

  /// A started server on the example rules, with `routing.etq` opened misspelt.
  static func started() async throws -> (TestClient, RuleFolder, [JSONValue]) {
    let folder = try RuleFolder.examples()
    let client = TestClient()
    try await client.initialize(root: folder.url)
    await client.open(folder.uri("routing.etq"), text: misspeltRouting)
    let diagnostics = try await client.diagnostics(for: folder.uri("routing.etq"), version: 1)
    return (client, folder, diagnostics)
  }

  @Test func publishesTheCheckersDiagnosticsWithCodeRangeAndHelp() async throws {
    let (client, folder, diagnostics) = try await Self.started()
    defer { folder.remove() }
    let unknown = try #require(diagnostics.first { $0["code"] == "E030" })
    #expect(unknown["severity"] == .number(1))
    #expect(unknown["range"]?["start"] == .position(9, 13))
    #expect(unknown["range"]?["end"] == .position(9, 31))
    let message = try #require(unknown["message"]?.stringValue)
    #expect(message.contains("unknown label \"Suport technique\""))
    #expect(message.contains("help: did you mean \"Support Technique\"?"))
    let link = try #require(unknown["codeDescription"]?["href"]?.stringValue)
    #expect(link.hasSuffix("E030.md"))
    let explanation = try String(contentsOf: try #require(URL(string: link)), encoding: .utf8)
    #expect(explanation.contains("E030"))
    #expect(try await client.shutdown() == 0)
  }

  @Test func relatedLocationsPointToTheFirstDefinition() async throws {
    let (client, folder, _) = try await Self.started()
    defer { folder.remove() }
    let extra = "label \"VIP\" {\n  when contact.tier == \"vip\"\n}\n"
    // After labels.etq in the order of files, so this is the second declaration.
    await client.open(folder.uri("zz-extra.etq"), text: extra)
    let diagnostics = try await client.diagnostics(for: folder.uri("zz-extra.etq"), version: 1)
    let duplicate = try #require(diagnostics.first { $0["code"] == "E037" })
    let related = try #require(duplicate["relatedInformation"]?[0])
    #expect(related["location"]?["uri"] == .string(folder.uri("labels.etq")))
    _ = try await client.shutdown()
  }

  @Test func hoverDefinitionReferencesAndCompletion() async throws {
    let (client, folder, _) = try await Self.started()
    defer { folder.remove() }
    let routing = folder.uri("routing.etq")

    // Hover on `label "VIP"` (line 8): the label's trigger and the teams that see it.
    let hover = try await client.request("textDocument/hover", .document(routing, 8, 16))
    let text = try #require(hover["result"]?["contents"]?["value"]?.stringValue)
    #expect(text.contains("label \"VIP\""))
    #expect(text.contains("contact.tier == \"vip\""))
    #expect(text.contains("\"Superviseurs\" can manage"))

    let definition = try await client.request("textDocument/definition", .document(routing, 8, 16))
    let location = try #require(definition["result"]?[0])
    #expect(location["uri"] == .string(folder.uri("labels.etq")))
    #expect(location["range"]?["start"]?["line"] == .number(40))

    let references = try await client.request(
      "textDocument/references", .document(routing, 8, 16))
    #expect((references["result"]?.arrayValue?.count ?? 0) >= 2)

    // Completion inside the misspelt string: accent- and case-insensitive prefix "Sup".
    let completion = try await client.request("textDocument/completion", .document(routing, 9, 17))
    let labels = completion["result"]?["items"]?.arrayValue?.compactMap { $0["label"]?.stringValue }
    #expect(labels == ["Support Technique"])

    // Hover on a keyword.
    let keyword = try await client.request("textDocument/hover", .document(routing, 7, 3))
    #expect(keyword["result"]?["contents"]?["value"]?.stringValue?.contains("`default`") == true)
    _ = try await client.shutdown()
  }

  @Test func completesInContext() async throws {
    let folder = try RuleFolder.examples()
    defer { folder.remove() }
    let client = TestClient()
    try await client.initialize(root: folder.url)
    let uri = folder.uri("new.etq")
    let text = """
      label "Nouveau" {
        when message.type is 
        when contact.
        when contact.tier == 
        when during "
      }

      label "Suite" {
        when message 
        when message contains 
      }

      """
    await client.open(uri, text: text)
    _ = try await client.diagnostics(for: uri, version: 1)
    func labels(_ line: Int, _ character: Int) async throws -> [String] {
      let response = try await client.request(
        "textDocument/completion", .document(uri, line, character))
      return response["result"]?["items"]?.arrayValue?.compactMap { $0["label"]?.stringValue } ?? []
    }
    #expect(try await labels(1, 23).contains("image"))
    #expect(try await labels(2, 15) == ["tier", "language"])
    #expect(try await labels(3, 23) == ["standard", "vip"])
    #expect(try await labels(4, 16) == ["bureau"])
    #expect(try await labels(6, 0).contains("label"))
    #expect(
      try await labels(8, 15) == [
        "contains", "contains any", "contains all", "matches", ".type is",
      ])
    #expect(try await labels(9, 24) == ["any", "all", "forms", "typos"])
    _ = try await client.shutdown()
  }

  @Test func renameAcrossFilesAndRefuseCollisions() async throws {
    let (client, folder, _) = try await Self.started()
    defer { folder.remove() }
    let routing = folder.uri("routing.etq")
    var params = JSONValue.document(routing, 8, 16)
    if case .object(var object) = params {
      object["newName"] = "Clients VIP"
      params = .object(object)
    }
    let rename = try await client.request("textDocument/rename", params)
    let changes = try #require(rename["result"]?["changes"])
    #expect(changes[folder.uri("labels.etq")]?[0]?["newText"] == "\"Clients VIP\"")
    #expect(changes[routing]?.arrayValue?.count == 1)
    #expect(changes[folder.uri("tests.etq")] != nil)

    if case .object(var object) = params {
      object["newName"] = "Support Technique"
      params = .object(object)
    }
    let refused = try await client.request("textDocument/rename", params)
    #expect(refused["error"]?["code"] == .number(-32803))
    #expect(refused["error"]?["message"]?.stringValue?.contains("already exists") == true)
    _ = try await client.shutdown()
  }

  @Test func quickFixReplacesTheMisspeltLabel() async throws {
    let (client, folder, _) = try await Self.started()
    defer { folder.remove() }
    let routing = folder.uri("routing.etq")
    let actions = try await client.request(
      "textDocument/codeAction",
      .object([
        "textDocument": .object(["uri": .string(routing)]),
        "range": .object(["start": .position(9, 15), "end": .position(9, 15)]),
        "context": .object(["diagnostics": .array([])]),
      ]))
    let action = try #require(actions["result"]?[0])
    #expect(action["title"] == "Change to \"Support Technique\"")
    let edit = try #require(action["edit"]?["changes"]?[routing]?[0])
    #expect(edit["newText"] == "\"Support Technique\"")
    #expect(edit["range"]?["start"] == .position(9, 13))
    _ = try await client.shutdown()
  }

  @Test func formattingSymbolsTokensAndLenses() async throws {
    let (client, folder, _) = try await Self.started()
    defer { folder.remove() }
    let uri = folder.uri("messy.etq")
    await client.open(uri, text: "label   \"X\"   {\n when message contains \"x\"}\n")
    _ = try await client.diagnostics(for: uri, version: 1)
    let format = try await client.request(
      "textDocument/formatting",
      .object([
        "textDocument": .object(["uri": .string(uri)]),
        "options": .object(["tabSize": .number(2), "insertSpaces": .bool(true)]),
      ]))
    #expect(
      format["result"]?[0]?["newText"] == "label \"X\" {\n  when message contains \"x\"\n}\n")

    let tests = folder.uri("tests.etq")
    let symbols = try await client.request(
      "textDocument/documentSymbol", .object(["textDocument": .object(["uri": .string(tests)])]))
    #expect(symbols["result"]?[0]?["name"] == "réservation par mot-clé")

    let search = try await client.request("workspace/symbol", .object(["query": "support"]))
    #expect(search["result"]?.arrayValue?.contains { $0["name"] == "Support Technique" } == true)

    let tokens = try await client.request(
      "textDocument/semanticTokens/full",
      .object(["textDocument": .object(["uri": .string(tests)])]))
    #expect((tokens["result"]?["data"]?.arrayValue?.count ?? 0) > 50)
    _ = try await client.shutdown()
  }

  @Test func codeLensRunsATestAndPublishesItsFailures() async throws {
    let folder = try RuleFolder.examples()
    defer { folder.remove() }
    let client = TestClient()
    try await client.initialize(root: folder.url)
    let uri = folder.uri("failing.etq")
    let text = """
      test "échoue" {
        customer says "bonjour"
        expect label "VIP"
      }

      """
    await client.open(uri, text: text)
    _ = try await client.diagnostics(for: uri, version: 1)
    let lenses = try await client.request(
      "textDocument/codeLens", .object(["textDocument": .object(["uri": .string(uri)])]))
    let command = try #require(lenses["result"]?[0]?["command"])
    #expect(command["title"] == "▶ run")
    let run = try await client.request(
      "workspace/executeCommand",
      .object([
        "command": try #require(command["command"]),
        "arguments": try #require(command["arguments"]),
      ]))
    #expect(run["result"]?["passed"] == .bool(false))
    let published = try await client.diagnostics(for: uri)
    let failures = published.filter { $0["source"] == "etiquette test" }
    #expect(failures.count == 1)
    #expect(failures.first?["range"]?["start"]?["line"] == .number(2))
    let after = try await client.request(
      "textDocument/codeLens", .object(["textDocument": .object(["uri": .string(uri)])]))
    #expect(after["result"]?[1]?["command"]?["title"] == "✗ 1 failure")
    _ = try await client.shutdown()
  }

  // MARK: Robustness

  @Test func unknownMethodsMalformedFramesAndBadInputKeepTheServerAlive() async throws {
    let (client, folder, _) = try await Self.started()
    defer { folder.remove() }
    let unknown = try await client.request("etiquette/noSuchThing")
    #expect(unknown["error"]?["code"] == .number(-32601))

    // A header block without Content-Length, then a body that is not JSON, then one that is
    // not UTF-8: each gets an error response with a null id.
    await client.sendRaw(Data("Content-Type: nothing\r\n\r\n".utf8))
    let malformed = try await client.next { $0["error"]?["code"] == .number(-32700) }
    #expect(malformed["id"] == .null)
    await client.sendFrame(Data("{not json".utf8))
    _ = try await client.next { $0["error"]?["code"] == .number(-32700) }
    await client.sendFrame(Data([0x7B, 0xFF, 0xFE, 0x7D]))
    _ = try await client.next { $0["error"]?["code"] == .number(-32700) }

    // Positions past the end of a line and of the file.
    let routing = folder.uri("routing.etq")
    let far = try await client.request("textDocument/hover", .document(routing, 9, 10_000))
    #expect(far["error"] == nil)
    let beyond = try await client.request("textDocument/definition", .document(routing, 500, 3))
    #expect(beyond["error"] == nil)

    // A request cancelled before it is read is answered as cancelled.
    await client.notify("$/cancelRequest", .object(["id": .number(1000)]))
    await client.send(
      .object([
        "jsonrpc": "2.0", "id": .number(1000), "method": "textDocument/hover",
        "params": .document(routing, 8, 16),
      ]))
    let cancelled = try await client.next { $0["id"] == .number(1000) }
    #expect(cancelled["error"]?["code"] == .number(-32800))

    // Still answering.
    let hover = try await client.request("textDocument/hover", .document(routing, 8, 16))
    #expect(hover["result"]?["contents"] != nil)
    #expect(try await client.shutdown() == 0)
  }

  @Test func aTenMegabyteBufferIsChecked() async throws {
    let (client, folder, _) = try await Self.started()
    defer { folder.remove() }
    let uri = folder.uri("big.etq")
    var text = ""
    var index = 0
    while text.utf8.count < 10_000_000 {
      text += "# padding line \(index) with some words to reach ten megabytes quickly.....\n"
      index += 1
    }
    text += "label \"Grand\" {\n  when label \"Inconnu\"\n}\n"
    await client.open(uri, text: text)
    let diagnostics = try await client.diagnostics(for: uri, version: 1)
    #expect(diagnostics.contains { $0["code"] == "E030" })
    _ = try await client.shutdown()
  }

  @Test func invalidUTF8OnDiskKeepsTheServerAnswering() async throws {
    let folder = try RuleFolder([:])
    defer { folder.remove() }
    try Data([0x6C, 0x61, 0x62, 0x65, 0x6C, 0x20, 0x22, 0xFF, 0x22, 0x20, 0x7B, 0x7D, 0x0A])
      .write(to: folder.url.appendingPathComponent("bad.etq"))
    let client = TestClient()
    try await client.initialize(root: folder.url)
    let uri = folder.uri("ok.etq")
    await client.open(uri, text: "label \"A\" {\n  when message contains \"a\"\n}\n")
    _ = try await client.diagnostics(for: uri, version: 1)
    let hover = try await client.request(
      "textDocument/hover", .document(folder.uri("bad.etq"), 0, 8))
    #expect(hover["error"] == nil)
    _ = try await client.shutdown()
  }

  @Test func exitWithoutShutdownIsStatusOne() async throws {
    let client = TestClient()
    await client.notify("exit", .null)
    #expect(await client.serverTask.value == 1)
  }

  @Test func requestsBeforeInitializeAreRefused() async throws {
    let client = TestClient()
    let early = try await client.request("textDocument/hover", .document("file:///x.etq", 0, 0))
    #expect(early["error"]?["code"] == .number(-32002))
    await client.closeInput()
    #expect(await client.serverTask.value == 1)
  }
}
