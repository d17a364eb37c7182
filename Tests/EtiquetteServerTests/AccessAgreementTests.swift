import EtiquetteChecker
import EtiquetteEngine
import EtiquetteSyntax
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// The issue's "done when": for every member of the example rules and every conversation made
/// from the shared fixtures and the example tests' messages, list, get, search, reply, label,
/// note and handoff answer exactly as `Engine.can` says.
@Suite struct AccessAgreementTests {
  /// The customer messages of the example rules' tests, plus a few that reach other labels.
  static let exampleMessages = [
    "J'ai réservé le rendez-vous", "j’ai reserve le creneau de mardi",
    "Bonjour, ma commande CMD-123456 n'est pas arrivée", "je veux parler à un humain",
    "vous êtes là ?", "merci !", "un bug, ça plante", "je voudrais un devis",
  ]

  func conversation(_ harness: ServerHarness, _ id: String) async throws -> Conversation {
    let rules = harness.server.rules.current
    return try await harness.inspect.conversation(id: id, rules: rules)
      ?? Conversation(id: id, contact: Contact(id: id), mode: .ai)
  }

  func status(
    _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String,
    _ headers: HTTPFields, _ json: String? = nil
  ) async throws -> HTTPResponse.Status {
    try await client.execute(
      uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }
    ) { $0.status }
  }

  /// 2xx when allowed; 404 without view; 403 with view but not the level.
  static func expected(view: Bool, allowed: Bool, success: HTTPResponse.Status)
    -> HTTPResponse.Status
  {
    if !view { return .notFound }
    return allowed ? success : .forbidden
  }

  /// On PostgreSQL, also two instances on one database: webhooks and writes alternate
  /// between them, and every answer still agrees with the engine, whichever instance gives it.
  static let instanceCounts = TestStore.kind == .postgres ? [1, 2] : [1]

  @Test(arguments: instanceCounts)
  func everyEndpointAgreesWithEngineCan(instances: Int) async throws {
    let harness = try await ServerHarness()
    // The second instance opens the first one's database; its tokens are the valid ones
    // (adding a member again gives them a new token).
    let servers =
      instances == 2
      ? [
        harness,
        try await ServerHarness(
          databasePath: harness.directory.appendingPathComponent("etiquette.db").path),
      ] : [harness]
    let tokens = servers[servers.count - 1]
    let engine = harness.server.rules.current.engine
    try await harness.test { first in
      try await servers[servers.count - 1].test { last in
        try await agree(
          clients: instances == 2 ? [first, last] : [first], harness: harness, tokens: tokens,
          engine: engine)
      }
    }
  }

  /// Request `n` goes to `clients[n % clients.count]`.
  func agree(
    clients: [any TestClientProtocol], harness: ServerHarness, tokens: ServerHarness,
    engine: Engine
  ) async throws {
    var requests = 0
    func client() -> any TestClientProtocol {
      requests += 1
      return clients[requests % clients.count]
    }
    var checks = 0
    // Conversations from every shared fixture payload…
    for file in [
      "callback_button.json", "callback_selection.json", "message.json",
      "system.json", "edited_message.json", "deleted_message.json",
    ] {
      for (_, payload) in try ServerHarness.fixture(file) {
        _ = try await ServerHarness.post(client(), webhook: ServerHarness.encode(payload))
      }
    }
    // …and one per example message, each with a contact name to search for.
    for (index, text) in Self.exampleMessages.enumerated() {
      let body = ServerHarness.textWebhook(
        from: "3370000\(String(format: "%04d", index))", id: "wamid.example.\(index)",
        text: text, name: "Contact\(index)x")
      _ = try await ServerHarness.post(client(), webhook: body)
    }
    let rows = try await harness.inspect.conversations()
    let ids = rows.map(\.id)
    #expect(ids.count >= Self.exampleMessages.count + 2)
    var labelSets: [Set<LabelID>] = []
    for id in ids { labelSets.append(try await conversation(harness, id).labelSet) }
    #expect(Set(labelSets).count >= 4, "the conversations should cover several label sets")

    for member in ServerHarness.members {
      let headers = tokens.auth(member)
      let listed = Set(
        try await tokens.list(client(), as: member, query: "?limit=200").compactMap {
          $0["id"]?.stringValue
        })
      for row in rows {
        let id = row.id
        var c = try await conversation(harness, id)
        let view = engine.can(member, .view, c).allowed
        #expect(listed.contains(id) == view, "list \(member) \(id)")
        let get = try await status(client(), .get, "/v1/conversations/\(id)", headers)
        #expect(get == (view ? .ok : .notFound), "get \(member) \(id)")
        if let name = row.name, name.hasPrefix("Contact") {
          let found = try await tokens.list(client(), as: member, query: "?q=\(name)")
          #expect(found.contains { $0["id"]?.stringValue == id } == view, "search \(member)")
        }
        // Writes: the expectation is recomputed before each one, since they change labels.
        let actions: [(HTTPRequest.Method, String, String?, AccessLevel, HTTPResponse.Status)] = [
          (.post, "notes", #"{"text":"note"}"#, .view, .ok),
          (.post, "messages", #"{"text":"réponse"}"#, .reply, .created),
          (.post, "labels", #"{"label":"Demandes de Vente"}"#, .reply, .ok),
          (.delete, "labels/Demandes%20de%20Vente", nil, .reply, .ok),
          (.post, "handoff", #"{"action":"take_over"}"#, .reply, .ok),
          (.post, "handoff", #"{"action":"transfer_to_ai"}"#, .reply, .ok),
        ]
        for (method, path, json, level, success) in actions {
          c = try await conversation(harness, id)
          let want = Self.expected(
            view: engine.can(member, .view, c).allowed,
            allowed: engine.can(member, level, c).allowed, success: success)
          let got = try await status(
            client(), method, "/v1/conversations/\(id)/\(path)", headers, json)
          #expect(got == want, "\(method) \(path) \(member) \(id) labels \(c.labelSet)")
          checks += 1
        }
      }
    }
    #expect(checks == ServerHarness.members.count * 6 * rows.count)
  }
}

/// A label the rules stop declaring while conversations carry it is handled on purpose (issue
/// 22, finding 8): renaming "Support Technique" once made its conversations visible to bruno's
/// "all except Support Technique" (15 → 22 conversations) with `warnings: 0`.
@Suite struct RenamedLabelTests {
  static func ids(_ harness: ServerHarness, _ client: any TestClientProtocol, _ member: String)
    async throws -> Set<String>
  {
    Set(try await harness.list(client, as: member).compactMap { $0["id"]?.stringValue })
  }

  /// Renamed without saying so: the reload is refused with the count, the old rules serve on.
  @Test func aRenameWithoutWasIsRefused() async throws {
    let (rules, file, complete) = try ServerHarness.editableRules()
    let harness = try await ServerHarness(rulesDirectory: rules.path)
    let version = harness.server.rules.current.version
    try await harness.test { client in
      let support = try await APITests.converse(
        harness, client, phone: "33650000060", text: "mon application plante")
      let plain = try await APITests.converse(
        harness, client, phone: "33650000061", text: "bonjour")
      #expect(try await Self.ids(harness, client, "bruno@exemple.fr") == [plain])
      try complete.replacingOccurrences(of: "Support Technique", with: "Support Produit")
        .write(to: file, atomically: true, encoding: .utf8)
      guard case .failure(let refusal) = await harness.server.reloadRules(reason: "test") else {
        Issue.record("rules that drop a stored label were accepted")
        return
      }
      #expect(refusal.message.contains(#""Support Technique" (1 conversation)"#))
      #expect(refusal.message.contains(#"was "Support Technique""#))
      #expect(harness.server.rules.current.version == version, "the old rules serve on")
      #expect(try await Self.ids(harness, client, "bruno@exemple.fr") == [plain])
      #expect(
        try await harness.inspect.conversations().first { $0.id == support }?.labels == [
          "Support Technique"
        ])
    }
  }

  /// `was "Support Technique"`: the stored labels, their reasons and held triggers move to the
  /// new name; access and the next decision are exactly as before.
  @Test func aRenameWithWasMovesTheStoredLabels() async throws {
    let (rules, file, complete) = try ServerHarness.editableRules()
    let harness = try await ServerHarness(rulesDirectory: rules.path)
    try await harness.test { client in
      let support = try await APITests.converse(
        harness, client, phone: "33650000070", text: "mon application plante")
      let plain = try await APITests.converse(
        harness, client, phone: "33650000071", text: "bonjour")
      let held = try #require(try await harness.inspect.conversations().first { $0.id == support })
        .heldTriggers
      #expect(held.contains { $0.hasPrefix("when|Support Technique|") })
      let renamed = complete.replacingOccurrences(of: "Support Technique", with: "Support Produit")
        .replacingOccurrences(
          of: "label \"Support Produit\" {\n",
          with: "label \"Support Produit\" {\n  was \"Support Technique\"\n")
      #expect(renamed.contains(#"was "Support Technique""#))
      try renamed.write(to: file, atomically: true, encoding: .utf8)
      guard case .success(let loaded) = await harness.server.reloadRules(reason: "test") else {
        Issue.record("the rename with `was` was refused")
        return
      }
      #expect(
        loaded.renamedLabels == [
          LabelRename(from: "Support Technique", to: "Support Produit", conversations: 1)
        ])
      let stored = try #require(
        try await harness.inspect.conversations().first { $0.id == support })
      #expect(stored.labels == ["Support Produit"])
      #expect(
        stored.heldTriggers.sorted()
          == held.map { $0.replacingOccurrences(of: "Support Technique", with: "Support Produit") }
          .sorted())
      #expect(try await Self.ids(harness, client, "bruno@exemple.fr") == [plain])
      let (status, detail) = try await ServerHarness.send(
        client, .get, "/v1/conversations/\(support)", headers: harness.auth("audit@exemple.fr"))
      #expect(status == .ok)
      #expect("\(detail)".contains("Support Produit"))
      #expect(!"\(detail)".contains("Support Technique"), "the reason is renamed too")
      // The trigger still holds under its new name: the next message adds nothing again.
      _ = try await APITests.converse(
        harness, client, phone: "33650000070", text: "ça plante encore")
      let decisions = try await harness.inspect.decisions(inConversation: support)
      #expect(decisions.count == 2)
      let last = try #require(decisions.last?.document)
      #expect(last.contains(#""added":[]"#), "\(last)")
    }
  }

  /// A store opened with rules that do not declare one of its labels (no reload to refuse):
  /// that label never widens access; only `view all` sees its conversations.
  @Test func anUnknownStoredLabelNeverWidensAccess() async throws {
    let (rules, file, complete) = try ServerHarness.editableRules()
    let first = try await ServerHarness(rulesDirectory: rules.path)
    let (support, plain) = try await first.test { client in
      (
        try await APITests.converse(
          first, client, phone: "33650000080", text: "mon application plante"),
        try await APITests.converse(first, client, phone: "33650000081", text: "bonjour")
      )
    }
    try complete.replacingOccurrences(of: "Support Technique", with: "Support Produit")
      .write(to: file, atomically: true, encoding: .utf8)
    let harness = try await ServerHarness(
      rulesDirectory: rules.path,
      databasePath: first.directory.appendingPathComponent("etiquette.db").path)
    try await harness.server.recoverPendingWebhooks()
    try await harness.test { client in
      #expect(try await Self.ids(harness, client, "bruno@exemple.fr") == [plain])
      let (status, _) = try await ServerHarness.send(
        client, .get, "/v1/conversations/\(support)", headers: harness.auth("bruno@exemple.fr"))
      #expect(status == .notFound, "nor does reading it")
      #expect(try await Self.ids(harness, client, "audit@exemple.fr").contains(support))
    }
  }
}
