import EtiquetteEngine
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

@Suite struct APITests {
  /// Posts a customer message and returns its conversation id.
  static func converse(
    _ harness: ServerHarness, _ client: any TestClientProtocol, phone: String, text: String,
    name: String = "Client"
  ) async throws -> String {
    let body = ServerHarness.textWebhook(
      from: phone, id: "wamid.\(UUID().uuidString)", text: text, name: name)
    let status = try await ServerHarness.post(client, webhook: body)
    #expect(status == .ok)
    return try await harness.inspect.conversationID(forPhone: "+" + phone) ?? ""
  }

  @Test func healthzAndMetrics() async throws {
    let harness = try await ServerHarness()
    // Hummingbird's request metrics are the process's (swift-metrics has one factory per
    // process, and other suites post webhooks meanwhile): this test's request must add one.
    let requestCount =
      "http_server_request_duration_count{http_route=\"/webhooks/whatsapp\","
      + "http_request_method=\"POST\",http_response_status_code=\"200\"} "
    @Sendable func count(_ text: String) -> Int {
      text.split(separator: "\n").first { $0.hasPrefix(requestCount) }
        .flatMap { Int($0.dropFirst(requestCount.count)) } ?? 0
    }
    try await harness.test { client in
      let (status, body) = try await ServerHarness.send(client, .get, "/healthz", headers: [:])
      #expect(status == .ok && body["status"] == .string("ok"))
      let before = try await client.execute(uri: "/metrics", method: .get) { response in
        count(String(buffer: response.body))
      }
      _ = try await Self.converse(harness, client, phone: "33611111111", text: "bonjour")
      try await client.execute(uri: "/metrics", method: .get) { response in
        let text = String(buffer: response.body)
        #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(text.contains("etiquette_messages_received_total 1"))
        #expect(text.contains("etiquette_decisions_total 1"))
        #expect(text.contains("etiquette_rule_reloads_total{result=\"accepted\"} 0"))
        #expect(text.contains("etiquette_messages_failed_total 0"), "every counter from the start")
        #expect(count(text) > before, "the webhook's request is counted and timed")
      }
    }
  }

  @Test func everyV1EndpointNeedsAToken() async throws {
    let harness = try await ServerHarness()
    try await harness.test { client in
      let id = try await Self.converse(harness, client, phone: "33622222222", text: "bonjour")
      var bogus = HTTPFields()
      bogus[.authorization] = "Bearer etq_forged"
      for headers in [HTTPFields(), bogus] {
        for (method, uri) in [
          (HTTPRequest.Method.get, "/v1/conversations"), (.get, "/v1/conversations/\(id)"),
          (.post, "/v1/conversations/\(id)/messages"), (.post, "/v1/conversations/\(id)/labels"),
          (.delete, "/v1/conversations/\(id)/labels/VIP"),
          (.post, "/v1/conversations/\(id)/notes"), (.post, "/v1/conversations/\(id)/handoff"),
          (.post, "/v1/conversations/\(id)/read"), (.post, "/v1/conversations/\(id)/unread"),
          (.get, "/v1/me"), (.post, "/v1/rules/reload"), (.post, "/v1/events"),
        ] {
          let (status, _) = try await ServerHarness.send(
            client, method, uri, headers: headers, json: #"{"text":"x","label":"VIP"}"#)
          #expect(status == .unauthorized, "\(method) \(uri)")
        }
      }
    }
  }

  @Test func revokedTokenIs401() async throws {
    let harness = try await ServerHarness()
    try await harness.test { client in
      let (before, _) = try await ServerHarness.send(
        client, .get, "/v1/me", headers: harness.auth("bruno@exemple.fr"))
      #expect(before == .ok)
      #expect(try await harness.server.store.revokeMember("bruno@exemple.fr"))
      let (after, _) = try await ServerHarness.send(
        client, .get, "/v1/me", headers: harness.auth("bruno@exemple.fr"))
      #expect(after == .unauthorized)
    }
  }

  @Test func visibilityFollowsLabels() async throws {
    let harness = try await ServerHarness()
    try await harness.test { client in
      let booked = try await Self.converse(
        harness, client, phone: "33633333333", text: "J'ai réservé le rendez-vous", name: "Léa")
      let order = try await Self.converse(
        harness, client, phone: "33644444444", text: "où est ma commande CMD-123456 ?")
      let alice = try await harness.list(client, as: "alice@exemple.fr").compactMap {
        $0["id"]?.stringValue
      }
      let bruno = try await harness.list(client, as: "bruno@exemple.fr").compactMap {
        $0["id"]?.stringValue
      }
      let audit = try await harness.list(client, as: "audit@exemple.fr").compactMap {
        $0["id"]?.stringValue
      }
      #expect(alice == [booked])
      #expect(bruno == [order])
      #expect(Set(audit) == [booked, order])
      // 404, not 403: the conversation's existence does not leak.
      let (hidden, _) = try await ServerHarness.send(
        client, .get, "/v1/conversations/\(booked)", headers: harness.auth("bruno@exemple.fr"))
      #expect(hidden == .notFound)
      let (reply, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(booked)/messages",
        headers: harness.auth("bruno@exemple.fr"), json: #"{"text":"bonjour"}"#)
      #expect(reply == .notFound)
      // Audit may view but not reply: 403.
      let (denied, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(booked)/messages",
        headers: harness.auth("audit@exemple.fr"), json: #"{"text":"bonjour"}"#)
      #expect(denied == .forbidden)
      let (missing, _) = try await ServerHarness.send(
        client, .get, "/v1/conversations/cdoesnotexist", headers: harness.auth("audit@exemple.fr"))
      #expect(missing == .notFound)
      // Full-text search over the transcript and the contact's name.
      let byName = try await harness.list(client, as: "audit@exemple.fr", query: "?q=L%C3%A9a")
      #expect(byName.compactMap { $0["id"]?.stringValue } == [booked])
      let byText = try await harness.list(client, as: "audit@exemple.fr", query: "?q=commande")
      #expect(byText.compactMap { $0["id"]?.stringValue } == [order])
      let hiddenSearch = try await harness.list(
        client, as: "bruno@exemple.fr", query: "?q=r%C3%A9serv%C3%A9")
      #expect(hiddenSearch.isEmpty)
      let labelled = try await harness.list(
        client, as: "audit@exemple.fr", query: "?label=Demandes%20de%20Commande")
      #expect(labelled.compactMap { $0["id"]?.stringValue } == [order])
    }
  }

  @Test func detailReplyLabelsNotesHandoffAndReadState() async throws {
    let harness = try await ServerHarness()
    let manon = harness.auth("manon@exemple.fr")
    try await harness.test { client in
      let id = try await Self.converse(
        harness, client, phone: "33655555555", text: "je veux parler à un humain")
      var (status, body) = try await ServerHarness.send(
        client, .get, "/v1/conversations/\(id)", headers: manon)
      #expect(status == .ok)
      #expect(body["mode"] == .string("human"))
      #expect(body["read"]?["unread"] == .bool(true))
      #expect(body["transcript"]?.arrayValue?.count == 1)
      (status, body) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/handoff", headers: manon,
        json: #"{"action":"take_over"}"#)
      #expect(status == .ok)
      #expect(body["decision"]?["assignee"] == .string("manon@exemple.fr"))
      (status, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/messages", headers: manon,
        json: #"{"text":"Bonjour, je m'en occupe"}"#)
      #expect(status == .created)
      (status, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/labels", headers: manon,
        json: #"{"label":"VIP"}"#)
      #expect(status == .ok)
      (status, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/labels", headers: manon,
        json: #"{"label":"Inconnu"}"#)
      #expect(status == .unprocessableContent)
      (status, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/notes", headers: manon,
        json: #"{"text":"à voir avec @bruno@exemple.fr, merci"}"#)
      #expect(status == .ok)
      (status, body) = try await ServerHarness.send(
        client, .get, "/v1/conversations/\(id)", headers: manon)
      let transcript = body["transcript"]?.arrayValue ?? []
      #expect(transcript.count == 2)
      #expect(transcript.last?["direction"] == .string("out"))
      #expect(transcript.last?["status"] == .string("queued"))
      #expect(body["labels"]?.arrayValue?.first?["name"] == .string("VIP"))
      #expect(
        body["labels"]?.arrayValue?.first?["reason"]?["member"]
          == .string("manon@exemple.fr"))
      #expect(
        body["notes"]?.arrayValue?.first?["mentions"] == .array([.string("bruno@exemple.fr")]))
      #expect(body["read"]?["unread"] == .bool(false))
      (status, _) = try await ServerHarness.send(
        client, .delete, "/v1/conversations/\(id)/labels/VIP", headers: manon)
      #expect(status == .ok)
      (status, body) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/unread", headers: manon)
      #expect(status == .ok && body["unreadCount"] == .number(1))
      let unread = try await harness.list(client, as: "manon@exemple.fr", query: "?unread=true")
      #expect(unread.count == 1)
      (status, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/read", headers: manon)
      let none = try await harness.list(client, as: "manon@exemple.fr", query: "?unread=true")
      #expect(none.isEmpty)
      let mine = try await harness.list(
        client, as: "manon@exemple.fr", query: "?assignee=manon@exemple.fr&mode=human")
      #expect(mine.count == 1)
      (status, body) = try await ServerHarness.send(
        client, .get, "/v1/conversations/\(id)", headers: manon)
      #expect(body["labels"]?.arrayValue?.isEmpty == true)
      let versions = Set(try await harness.inspect.decisions().map(\.ruleSetVersion))
      #expect(versions == [harness.server.rules.current.version])
    }
  }

  @Test func paginationAndPrioritySort() async throws {
    let harness = try await ServerHarness()
    try await harness.test { client in
      for i in 0..<5 {
        _ = try await Self.converse(harness, client, phone: "3366000000\(i)", text: "bonjour \(i)")
      }
      _ = try await Self.converse(harness, client, phone: "33669999999", text: "un bug, ça plante")
      var seen: [String] = []
      var cursor: String?
      repeat {
        let query = "?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
        let (status, body) = try await ServerHarness.send(
          client, .get, "/v1/conversations" + query, headers: harness.auth("audit@exemple.fr"))
        #expect(status == .ok)
        seen += body["conversations"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        cursor = body["nextCursor"]?.stringValue?.addingPercentEncoding(
          withAllowedCharacters: .alphanumerics)
      } while cursor != nil
      #expect(seen.count == 6 && Set(seen).count == 6)
      let byPriority = try await harness.list(
        client, as: "audit@exemple.fr", query: "?sort=priority")
      #expect(byPriority.first?["priority"] == .string("high"))
      let (bad, _) = try await ServerHarness.send(
        client, .get, "/v1/conversations?cursor=%25%25", headers: harness.auth("audit@exemple.fr"))
      #expect(bad == .badRequest)
    }
  }

  static func eventHeaders(key: String? = nil) -> HTTPFields {
    var headers = HTTPFields()
    headers[.authorization] = "Bearer \(ServerHarness.integrationKey)"
    headers[.contentType] = "application/json"
    if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
    return headers
  }

  @Test(arguments: [
    (
      #"{"contact":{"phone":"+33677777777"},"event":"zapier.unknown","fields":{}}"#, "unknown_event"
    ),
    (
      #"{"contact":{"phone":"+33677777777"},"event":"calendly.booking.confirmed","fields":{"invitee":3,"start":"x"}}"#,
      "wrong_field_type"
    ),
    (
      #"{"contact":{"phone":"+33677777777"},"event":"calendly.booking.confirmed","fields":{"invitee":"Léa"}}"#,
      "missing_field"
    ),
    (
      #"{"contact":{"phone":"+33677777777"},"event":"calendly.booking.confirmed","fields":{"invitee":"Léa","start":"x","extra":1}}"#,
      "unknown_field"
    ),
    (
      #"{"event":"calendly.booking.confirmed","fields":{"invitee":"Léa","start":"x"}}"#,
      "invalid_contact"
    ),
  ])
  func badEventsAre422(_ json: String, _ code: String) async throws {
    let harness = try await ServerHarness()
    try await harness.test { client in
      let (status, body) = try await ServerHarness.send(
        client, .post, "/v1/events", headers: Self.eventHeaders(), json: json)
      #expect(status == .unprocessableContent)
      #expect(body["error"]?["code"] == .string(code))
    }
    #expect(try await harness.inspect.counts().decisions == 0)
  }

  @Test func eventLabelsAndIdempotencyKeyIsHonoured() async throws {
    let harness = try await ServerHarness()
    let json =
      #"{"contact":{"phone":"+33688888888","name":"Léa"},"event":"calendly.booking.confirmed","fields":{"invitee":"Léa","start":"2026-12-01T10:00:00+01:00"}}"#
    try await harness.test { client in
      let (first, a) = try await ServerHarness.send(
        client, .post, "/v1/events", headers: Self.eventHeaders(key: "k-1"), json: json)
      let (second, b) = try await ServerHarness.send(
        client, .post, "/v1/events", headers: Self.eventHeaders(key: "k-1"), json: json)
      #expect(first == .ok && second == .ok)
      #expect(a == b)
      #expect(a["decision"]?["labels"] == .array([.string("Personnes Qui Ont Planifié")]))
      var wrongKey = Self.eventHeaders()
      wrongKey[.authorization] = "Bearer nope"
      let (denied, _) = try await ServerHarness.send(
        client, .post, "/v1/events", headers: wrongKey, json: json)
      #expect(denied == .unauthorized)
    }
    #expect(try await harness.inspect.counts().decisions == 1)
  }

  /// An empty `Idempotency-Key:` is no key: two events of two contacts are both applied.
  @Test func anEmptyIdempotencyKeyIsNoKey() async throws {
    let harness = try await ServerHarness()
    @Sendable func booking(_ phone: String) -> String {
      #"{"contact":{"phone":"\#(phone)"},"event":"calendly.booking.confirmed","fields":{"invitee":"Léa","start":"x"}}"#
    }
    try await harness.test { client in
      let (first, a) = try await ServerHarness.send(
        client, .post, "/v1/events", headers: Self.eventHeaders(key: ""),
        json: booking("+33611111111"))
      let (second, b) = try await ServerHarness.send(
        client, .post, "/v1/events", headers: Self.eventHeaders(key: " "),
        json: booking("+33622222222"))
      #expect(first == .ok && second == .ok)
      #expect(a["conversation"] != b["conversation"], "the second event was applied too")
    }
    #expect(try await harness.inspect.counts().decisions == 2)
    #expect(try await harness.inspect.counts().eventAnswers == 0)
  }

  /// A key reused with another body is refused, not answered with the first event's result.
  @Test func anIdempotencyKeyReusedWithAnotherBodyIs422() async throws {
    let harness = try await ServerHarness()
    let first =
      #"{"contact":{"phone":"+33633333333"},"event":"calendly.booking.confirmed","fields":{"invitee":"Léa","start":"x"}}"#
    let other = first.replacingOccurrences(of: "+33633333333", with: "+33644444444")
    try await harness.test { client in
      let (ok, _) = try await ServerHarness.send(
        client, .post, "/v1/events", headers: Self.eventHeaders(key: "k-2"), json: first)
      let (reused, body) = try await ServerHarness.send(
        client, .post, "/v1/events", headers: Self.eventHeaders(key: "k-2"), json: other)
      #expect(ok == .ok)
      #expect(reused == .unprocessableContent)
      #expect(body["error"]?["code"] == .string("idempotency_key_reused"))
    }
    #expect(try await harness.inspect.counts().decisions == 1)
  }

  @Test func eventForAContactKnownOnlyByUserIDWithAttributes() async throws {
    let harness = try await ServerHarness()
    let json =
      #"{"contact":{"user_id":"US.42","attributes":{"tier":"vip"}},"event":"calendly.booking.confirmed","fields":{"invitee":"Léa","start":"demain"}}"#
    try await harness.test { client in
      let (status, body) = try await ServerHarness.send(
        client, .post, "/v1/events", headers: Self.eventHeaders(), json: json)
      #expect(status == .ok)
      #expect(
        body["decision"]?["labels"]
          == .array([.string("Personnes Qui Ont Planifié"), .string("VIP")]))
      #expect(body["decision"]?["team"] == .string("Superviseurs"))
      let (wrong, error) = try await ServerHarness.send(
        client, .post, "/v1/events", headers: Self.eventHeaders(),
        json: json.replacingOccurrences(of: #""vip""#, with: #""gold""#))
      #expect(wrong == .unprocessableContent)
      #expect(error["error"]?["code"] == .string("wrong_attribute_type"))
    }
    #expect(
      try await harness.inspect.conversations().filter { $0.phone == nil && $0.userID == "US.42" }
        .count
        == 1)
  }

  @Test func configurationNeverShowsSecrets() throws {
    var configuration = ServerConfiguration()
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etiquette-config-\(UUID().uuidString).json")
    try #"{"port": 9090, "whatsapp_app_secret": "file-secret", "integration_keys": ["k1"]}"#
      .write(to: file, atomically: true, encoding: .utf8)
    try configuration.apply(file: file.path)
    configuration.apply(environment: [
      "ETIQUETTE_WHATSAPP_APP_SECRET": "env-secret", "ETIQUETTE_INTEGRATION_KEYS": "a, b",
      "ETIQUETTE_WHATSAPP_VERIFY_TOKEN": "env-token",
    ])
    #expect(configuration.port == 9090)
    #expect(configuration.whatsappAppSecret == "env-secret")
    #expect(configuration.integrationKeys == ["a", "b"])
    let text = configuration.description
    #expect(
      !text.contains("secret\"") && !text.contains("env-secret") && !text.contains("env-token"))
    #expect(text.contains("whatsapp_app_secret=set"))
    #expect(throws: ConfigurationError.self) { try configuration.apply(file: "/nonexistent.json") }
  }

  @Test func sqlMetacharactersInEveryStringField() async throws {
    let harness = try await ServerHarness()
    let evil = #"'; DROP TABLE conversations; -- " OR 1=1 %_ \ NEAR( * ^"#
    let escaped = String(decoding: try JSONEncoder().encode(evil), as: UTF8.self)
    let manon = harness.auth("manon@exemple.fr")
    try await harness.test { client in
      let id = try await Self.converse(
        harness, client, phone: "33699999999", text: evil + " parler à un humain", name: evil)
      for query in ["q", "label", "mode", "assignee", "cursor"] {
        let value = evil.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let (status, _) = try await ServerHarness.send(
          client, .get, "/v1/conversations?\(query)=\(value)", headers: manon)
        #expect(status == .ok || status == .badRequest, "\(query)")
      }
      let found = try await harness.list(
        client, as: "manon@exemple.fr",
        query: "?q=" + (evil.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
      #expect(found.count == 1)
      // A NUL byte in a search once ended SQLite's FTS5 string early: a 500.
      let nul = try await harness.list(client, as: "manon@exemple.fr", query: "?q=parl%00er")
      #expect(nul.isEmpty)
      var (status, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/notes", headers: manon,
        json: #"{"text":\#(escaped)}"#)
      #expect(status == .ok)
      (status, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/messages", headers: manon,
        json: #"{"text":\#(escaped)}"#)
      #expect(status == .created)
      (status, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/labels", headers: manon,
        json: #"{"label":\#(escaped)}"#)
      #expect(status == .unprocessableContent)
      let value = evil.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
      (status, _) = try await ServerHarness.send(
        client, .get, "/v1/conversations/\(value)", headers: manon)
      #expect(status == .notFound)
      (status, _) = try await ServerHarness.send(
        client, .post, "/v1/events", headers: Self.eventHeaders(key: evil),
        json:
          #"{"contact":{"phone":\#(escaped),"user_id":\#(escaped)},"event":"calendly.booking.confirmed","fields":{"invitee":\#(escaped),"start":\#(escaped)}}"#
      )
      #expect(status == .ok)
      let (_, detail) = try await ServerHarness.send(
        client, .get, "/v1/conversations/\(id)", headers: manon)
      #expect(detail["contact"]?["name"] == .string(evil))
      #expect(detail["notes"]?.arrayValue?.first?["text"] == .string(evil))
    }
    #expect(try await harness.inspect.counts().conversations == 2)
    #expect(try await harness.inspect.counts().messages == 3)
  }

  @Test func meDescribesRights() async throws {
    let harness = try await ServerHarness()
    try await harness.test { client in
      let (status, body) = try await ServerHarness.send(
        client, .get, "/v1/me", headers: harness.auth("bruno@exemple.fr"))
      #expect(status == .ok)
      #expect(body["teams"] == .array([.string("Service Client")]))
      #expect(body["grants"]?.arrayValue?.first?["scope"] == .string("all_except"))
      #expect(body["canManageRules"] == .bool(false))
      #expect(body["rights"]?.arrayValue?.first?.stringValue?.contains("can reply") == true)
    }
  }

  /// The document is a resource of the server (its one copy; `openapi/` links to it) and lists
  /// exactly the routes the router serves. Every response of these tests is checked against it
  /// (`ContractCheckedClient`).
  @Test func openAPIDocumentAndRoutesAgree() async throws {
    let harness = try await ServerHarness()
    let link = ServerHarness.fixtures.deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("openapi/etiquette.openapi.json")
    #expect(try String(contentsOf: link, encoding: .utf8) == OpenAPIDocument.json)
    let document = try JSONValue.parse(OpenAPIDocument.json)
    #expect(document["openapi"] == .string("3.1.0"))
    var documented = Set<String>()
    for (path, item) in document["paths"]?.objectValue ?? [:] {
      for method in (item.objectValue ?? [:]).keys {
        documented.insert("\(method.uppercased()) \(path)")
      }
    }
    let routed = Set(harness.server.routeDescriptions.map { "\($0.method) \($0.path)" })
    #expect(documented == routed)
    try await harness.test { client in
      try await client.execute(uri: "/openapi.json", method: .get) { response in
        #expect(response.status == .ok)
        let served = try JSONDecoder().decode(
          JSONValue.self, from: Data(response.body.readableBytesView))
        #expect(served == document)
      }
    }
  }

  @Test func reloadSwapsRulesOrRefusesWithDiagnostics() async throws {
    let rulesDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etiquette-rules-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: rulesDirectory, withIntermediateDirectories: true)
    let source = ServerHarness.fixtures.appendingPathComponent("rules/complete.etq")
    let target = rulesDirectory.appendingPathComponent("complete.etq")
    try FileManager.default.copyItem(at: source, to: target)
    let harness = try await ServerHarness(rulesDirectory: rulesDirectory.path)
    let before = harness.server.rules.current.version
    try await harness.test { client in
      let (denied, _) = try await ServerHarness.send(
        client, .post, "/v1/rules/reload", headers: harness.auth("bruno@exemple.fr"))
      #expect(denied == .forbidden)
      try
        (try String(contentsOf: target, encoding: .utf8)
        + "\nlabel \"Nouveau\" {\n  when message contains \"nouveau\"\n}\n")
        .write(to: target, atomically: true, encoding: .utf8)
      #expect(harness.server.rules.filesChanged())
      let (ok, body) = try await ServerHarness.send(
        client, .post, "/v1/rules/reload", headers: harness.auth("manon@exemple.fr"))
      #expect(ok == .ok)
      let after = harness.server.rules.current.version
      #expect(after != before && body["version"] == .string(after))
      #expect(harness.server.rules.current.ruleSet.label(named: "Nouveau") != nil)
      try "label \"Cassé\" {\n  when message contains\n}\n".write(
        to: rulesDirectory.appendingPathComponent("broken.etq"), atomically: true, encoding: .utf8)
      let (refused, errors) = try await ServerHarness.send(
        client, .post, "/v1/rules/reload", headers: harness.auth("manon@exemple.fr"))
      #expect(refused == .unprocessableContent)
      // One level: the errors beside `error`, and their count.
      let count = errors["diagnostics"]?.arrayValue?.count ?? 0
      #expect(count > 0 && errors["summary"]?["errors"] == .number(Double(count)))
      #expect(errors["version"] == .string(after))
      #expect(harness.server.rules.current.version == after)
      // The old rules keep serving: a message is still labelled and decided.
      _ = try await Self.converse(harness, client, phone: "33610101010", text: "un nouveau produit")
      let labels = try await harness.inspect.conversations().flatMap(\.labels)
      #expect(labels == ["Nouveau"])
      try await client.execute(uri: "/metrics", method: .get) { response in
        let text = String(buffer: response.body)
        #expect(text.contains("etiquette_rule_reloads_total{result=\"refused\"} 1"))
        #expect(text.contains("etiquette_rule_reloads_total{result=\"accepted\"} 1"))
      }
    }
  }
}

/// A served path with another method is 405 with `Allow`, not 404; an unknown path stays 404.
@Suite struct MethodNotAllowedTests {
  @Test(arguments: [
    ("TRACE", "/healthz", "GET"), ("DELETE", "/v1/conversations/c1", "GET"),
    ("PUT", "/webhooks/whatsapp", "GET, POST"),
  ])
  func aServedPathWithAnotherMethodIs405(_ method: String, _ path: String, _ allow: String)
    async throws
  {
    let harness = try await ServerHarness()
    try await harness.test { client in
      let (status, allowed, code) = try await client.execute(
        uri: path, method: HTTPRequest.Method(method)!, headers: harness.auth("manon@exemple.fr")
      ) { ($0.status, $0.headers[.allow], ServerHarness.json($0)["error"]?["code"]) }
      #expect(status == .methodNotAllowed)
      #expect(allowed == allow)
      #expect(code == .string("method_not_allowed"))
      // A path the document does not have, on purpose: outside the contract's check.
      let (missing, _) = try await ServerHarness.send(
        ContractCheckedClient.unchecked(client), .get, "/v1/nothing-here",
        headers: harness.auth("manon@exemple.fr"))
      #expect(missing == .notFound)
    }
  }
}

/// `metrics_token` protects `/metrics`; without it the endpoint stays open (a local Prometheus).
@Suite struct MetricsTokenTests {
  @Test func metricsNeedTheTokenWhenOneIsConfigured() async throws {
    let harness = try await ServerHarness { $0.metricsToken = "scrape-me" }
    try await harness.test { client in
      var right = HTTPFields()
      right[.authorization] = "Bearer scrape-me"
      var wrong = HTTPFields()
      wrong[.authorization] = "Bearer nope"
      let statuses = try await [HTTPFields(), wrong, right].asyncMap { headers in
        try await client.execute(uri: "/metrics", method: .get, headers: headers) { $0.status }
      }
      #expect(statuses == [.unauthorized, .unauthorized, .ok])
    }
    var configuration = ServerConfiguration()
    configuration.apply(environment: ["ETIQUETTE_METRICS_TOKEN": "from-env"])
    #expect(configuration.metricsToken == "from-env")
    #expect(!configuration.description.contains("from-env"), "the token is never logged")
  }
}

extension Array {
  func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
    var out: [T] = []
    for element in self { out.append(try await transform(element)) }
    return out
  }
}
