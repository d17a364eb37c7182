import Dispatch
import EtiquetteTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import EtiquetteServer

/// The console's impact replay: a draft and the published rules replay the stored
/// conversations of a period, and what would change is grouped by the rule change that
/// explains it, with examples only the manager may view.
@Suite("The admin console: the impact of a draft")
struct RuleImpactTests {
  /// The server's clock: every seeded message is some days before it.
  static let now = TestClock.officeHours
  static let day = 86_400

  /// A member who may manage every conversation but those about a technical problem: the
  /// console is theirs, the conversations labelled "Support Technique" are not.
  static let lea = "lea@exemple.fr"

  /// The fixture rules with a team for `lea`.
  static func rules() throws -> (directory: URL, text: String) {
    let (directory, file, text) = try ServerHarness.editableRules()
    let more =
      text + """

        team "Direction" {
          members ["\(lea)"]
          can manage all except labels ["Support Technique"]
        }

        """
    try more.write(to: file, atomically: true, encoding: .utf8)
    return (directory, more)
  }

  /// The draft: "combien" joins the phrases of "Demandes de Vente".
  static func draft(_ text: String) -> String {
    text.replacingOccurrences(
      of: #"["devis", "tarif", "prix"]"#, with: #"["devis", "tarif", "prix", "combien"]"#)
  }

  /// Customer messages, `daysAgo` before the clock.
  static func seed(
    _ client: any TestClientProtocol, _ messages: [(phone: String, text: String, daysAgo: Int)]
  ) async throws {
    for (index, message) in messages.enumerated() {
      let status = try await ServerHarness.post(
        client,
        webhook: ServerHarness.textWebhook(
          from: message.phone, id: "wamid.impact\(index)", text: message.text,
          at: Int(now.timeIntervalSince1970) - message.daysAgo * day + index))
      #expect(status == .ok)
    }
  }

  static func get(_ client: any TestClientProtocol, _ uri: String, session: String, json: Bool)
    async throws -> (HTTPResponse.Status, String)
  {
    var headers = WebInboxTests.cookieHeaders(session)
    if json { headers[.accept] = "application/json" }
    return try await client.execute(uri: uri, method: .get, headers: headers) {
      ($0.status, String(buffer: $0.body))
    }
  }

  static func object(_ body: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
  }

  /// Starts a replay of the draft for the member of `session`: its id.
  static func start(
    _ client: any TestClientProtocol, session: String, text: String,
    fields: [String: String] = [:]
  ) async throws -> String {
    let (status, body) = try await AdminConsoleTests.post(
      client, "/app/rules/impact", session: session,
      fields: ["file": "rules.etq", "text": text].merging(fields) { $1 })
    #expect(status == .accepted, "\(body)")
    return try #require(object(body)["id"] as? String)
  }

  /// The replay once it has stopped running.
  static func outcome(_ client: any TestClientProtocol, id: String, session: String)
    async throws -> [String: Any]
  {
    var last: [String: Any] = [:]
    let stopped = try await eventually {
      let (_, body) = try await get(
        client, "/app/rules/impact/" + id, session: session, json: true)
      last = object(body)
      return last["status"] as? String != "running"
    }
    #expect(stopped)
    return last
  }

  static func conversationID(_ harness: ServerHarness, phone: String) async throws -> String {
    try #require(try await harness.inspect.conversations().first { $0.phone == phone }?.id)
  }

  @Test(
    "a phrase added to a label: +N conversations labelled because of the new phrase, examples only those the member may view"
  )
  func phraseAdded() async throws {
    let (directory, text) = try Self.rules()
    let harness = try await ServerHarness(rulesDirectory: directory.path, clock: .fixed(Self.now))
    let signIn = WebInboxTests.signIn(harness)
    let lea = try await WebInboxTests.session(signIn, Self.lea)
    let manon = try await WebInboxTests.session(signIn, "manon@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      try await Self.seed(
        client,
        [
          ("33611111111", "Combien pour 3 cartons ?", 2),
          // "bug": labelled "Support Technique", which lea may not view.
          ("33622222222", "Combien coûte la correction du bug ?", 3),
          ("33633333333", "Bonjour", 1),
          // Already "Demandes de Vente" by "prix": the draft changes nothing here.
          ("33655555555", "Quel prix, et combien de temps ?", 1),
          // Before the last 7 days: not replayed.
          ("33644444444", "Combien ?", 10),
        ])
      let sales = try await Self.conversationID(harness, phone: "+33611111111")
      let technical = try await Self.conversationID(harness, phone: "+33622222222")

      // lea manages all labels but one: the console is not hers (403), like every page of it.
      let (refused, _) = try await AdminConsoleTests.post(
        client, "/app/rules/impact", session: lea,
        fields: ["file": "rules.etq", "text": Self.draft(text)])
      #expect(refused == .forbidden)

      let id = try await Self.start(client, session: manon, text: Self.draft(text))
      let answer = try await Self.outcome(client, id: id, session: manon)
      #expect(answer["status"] as? String == "finished")
      #expect(answer["total"] as? Int == 4)
      #expect(answer["done"] as? Int == 4)
      #expect(answer["capped"] as? Bool == false)
      let result = try #require(answer["result"] as? [String: Any])
      #expect(result["steps"] as? Int == 4)
      #expect(result["conversations"] as? Int == 4)
      #expect(result["changedConversations"] as? Int == 2)
      // Every stored step reads back as a step line under both rule sets.
      #expect(result["rejectedSteps"] as? Int == 0)
      let groups = result["groups"] as? [[String: Any]] ?? []
      #expect(groups.count == 1)
      let cause = groups.first?["cause"] as? [String: Any]
      #expect(cause?["kind"] as? String == "new_phrase")
      #expect(cause?["subject"] as? String == "combien")
      #expect((cause?["location"] as? String)?.hasPrefix("rules.etq:") == true)
      let effects = groups.first?["effects"] as? [[String: Any]] ?? []
      #expect(effects.count == 1)
      let effect = effects.first ?? [:]
      #expect(effect["sign"] as? String == "+")
      #expect(effect["field"] as? String == "added")
      #expect(effect["subject"] as? String == "Demandes de Vente")
      #expect(effect["conversations"] as? Int == 2)
      #expect(Set(effect["examples"] as? [String] ?? []) == [sales, technical])
      #expect(effect["hidden"] as? Int == 0)

      // The page says it as a manager reads it, with links to the examples.
      let (status, html) = try await Self.get(
        client, "/app/rules/impact/" + id, session: manon, json: false)
      #expect(status == .ok)
      #expect(
        html.contains(
          "+2 conversations étiquetées &quot;Demandes de Vente&quot; à cause de la nouvelle phrase &quot;combien&quot;"
        ))
      #expect(html.contains(#"<a href="/app/conversations/\#(sales)">"#))
      #expect(html.contains(#"<a href="/app/conversations/\#(technical)">"#))
      #expect(!html.contains("http-equiv=\"refresh\""))

      // The examples are filtered by who asks, whatever the gate in front: replayed for lea,
      // who may not view "Support Technique", one is linked and the other only counted.
      let impacts = harness.server.web.impacts
      let compiled = try #require(
        try RuleDraftService(rules: harness.server.rules).compiled(
          "rules.etq", text: Self.draft(text)))
      let rulesPath = directory.path
      let started = impacts.start(
        member: Self.lea, draft: compiled, matcher: try #require(compiled.matcher),
        period: .init(
          from: Self.now.addingTimeInterval(-7 * Double(Self.day)),
          to: Self.now.addingTimeInterval(0.001)),
        relative: { WebRenderer.relative($0, to: rulesPath) })
      var hers: ImpactJob.Snapshot?
      #expect(
        await eventually {
          hers = impacts.job(started.id, member: Self.lea)?.snapshot()
          return hers?.status != .running
        })
      let filtered = hers?.result?.groups.first?.effects.first
      #expect(filtered?.examples == [sales])
      #expect(filtered?.hidden == 1)
      // lea's replay is not manon's (404).
      let (foreign, _) = try await Self.get(
        client, "/app/rules/impact/" + started.id, session: manon, json: true)
      #expect(foreign == .notFound)
    }
  }

  /// Holds the replay before one batch until the test lets it go.
  final class Gate: @unchecked Sendable {
    private let lock = NSLock()
    private var arrived = false
    private let release = DispatchSemaphore(value: 0)

    var reached: Bool { lock.withLock { arrived } }

    func hold() {
      lock.withLock { arrived = true }
      release.wait()
    }

    func open() { release.signal() }
  }

  @Test("cancel: the replay stops before its next batch, its progress stays where it was")
  func cancel() async throws {
    let (directory, text) = try Self.rules()
    let harness = try await ServerHarness(rulesDirectory: directory.path, clock: .fixed(Self.now))
    let manon = try await WebInboxTests.session(
      WebInboxTests.signIn(harness), "manon@exemple.fr")
    let impacts = harness.server.web.impacts
    impacts.batchSize = 1
    let gate = Gate()
    impacts.beforeBatch = { batch in if batch == 1 { gate.hold() } }
    try await harness.server.makeApplication().test(.router) { client in
      try await Self.seed(
        client,
        [
          ("33611111111", "Combien pour 3 cartons ?", 2),
          ("33622222222", "Combien ?", 2),
          ("33633333333", "Combien !", 1),
        ])
      let id = try await Self.start(client, session: manon, text: Self.draft(text))
      // The first batch replayed, the second held.
      #expect(await eventually { gate.reached })
      let (_, page) = try await Self.get(
        client, "/app/rules/impact/" + id, session: manon, json: false)
      #expect(page.contains(#"<meta http-equiv="refresh" content="1">"#))
      #expect(page.contains("Rejeu en cours : 1 étapes sur 3"))
      #expect(page.contains(#"action="/app/rules/impact/\#(id)/cancel""#))
      #expect(page.contains(SignInService.csrfToken(session: manon)))
      // Without the CSRF token, nothing is cancelled.
      var (status, _) = try await AdminConsoleTests.post(
        client, "/app/rules/impact/\(id)/cancel", session: manon, fields: [:], csrf: false)
      #expect(status == .forbidden)
      (status, _) = try await AdminConsoleTests.post(
        client, "/app/rules/impact/\(id)/cancel", session: manon, fields: [:])
      #expect(status == .ok)
      gate.open()
      let answer = try await Self.outcome(client, id: id, session: manon)
      #expect(answer["status"] as? String == "cancelled")
      #expect(answer["done"] as? Int == 1)
      #expect(answer["total"] as? Int == 3)
      #expect(answer["result"] == nil)
      let (_, html) = try await Self.get(
        client, "/app/rules/impact/" + id, session: manon, json: false)
      #expect(html.contains("Rejeu annulé après 1 étapes sur 3."))
      #expect(!html.contains("http-equiv=\"refresh\""))
    }
  }

  @Test("the step cap: at most console.impact_max_steps steps are replayed, and the page says so")
  func stepCap() async throws {
    let (directory, text) = try Self.rules()
    let harness = try await ServerHarness(rulesDirectory: directory.path, clock: .fixed(Self.now)) {
      $0.console.impactMaxSteps = 2
    }
    let manon = try await WebInboxTests.session(
      WebInboxTests.signIn(harness), "manon@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      try await Self.seed(
        client,
        [
          ("33611111111", "Combien pour 3 cartons ?", 3),
          ("33622222222", "Combien ?", 2),
          ("33633333333", "Combien !", 1),
        ])
      let id = try await Self.start(client, session: manon, text: Self.draft(text))
      let answer = try await Self.outcome(client, id: id, session: manon)
      #expect(answer["status"] as? String == "finished")
      #expect(answer["total"] as? Int == 2)
      #expect(answer["available"] as? Int == 3)
      #expect(answer["capped"] as? Bool == true)
      let result = answer["result"] as? [String: Any]
      #expect(result?["steps"] as? Int == 2)
      #expect(result?["changedConversations"] as? Int == 2)
      let (_, html) = try await Self.get(
        client, "/app/rules/impact/" + id, session: manon, json: false)
      #expect(html.contains("Seules les 2 premières étapes sur 3 ont été rejouées"))
      // A chosen period: the last two days only (the clock's day included).
      let recent = try await Self.start(
        client, session: manon, text: Self.draft(text),
        fields: ["from": "2025-11-23", "to": "2025-11-25"])
      let period = try await Self.outcome(client, id: recent, session: manon)
      #expect(period["available"] as? Int == 2)
      let (bad, _) = try await AdminConsoleTests.post(
        client, "/app/rules/impact", session: manon,
        fields: ["file": "rules.etq", "text": text, "from": "2025-11-25", "to": "2025-11-01"])
      #expect(bad == .unprocessableContent)
    }
  }

  @Test(
    "403 for a member who may not manage every conversation on every route; CSRF required; a draft with errors replays nothing"
  )
  func refusals() async throws {
    let (directory, text) = try Self.rules()
    let harness = try await ServerHarness(rulesDirectory: directory.path, clock: .fixed(Self.now))
    let signIn = WebInboxTests.signIn(harness)
    let manon = try await WebInboxTests.session(signIn, "manon@exemple.fr")
    let bruno = try await WebInboxTests.session(signIn, "bruno@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      try await Self.seed(client, [("33611111111", "Combien pour 3 cartons ?", 2)])
      let id = try await Self.start(client, session: manon, text: Self.draft(text))
      _ = try await Self.outcome(client, id: id, session: manon)
      var (status, body) = try await AdminConsoleTests.post(
        client, "/app/rules/impact", session: bruno,
        fields: ["file": "rules.etq", "text": Self.draft(text)])
      #expect(status == .forbidden)
      (status, body) = try await Self.get(
        client, "/app/rules/impact/" + id, session: bruno, json: false)
      #expect(status == .forbidden)
      #expect(body.contains("can manage all"))
      (status, _) = try await Self.get(
        client, "/app/rules/impact/" + id, session: bruno, json: true)
      #expect(status == .forbidden)
      (status, _) = try await AdminConsoleTests.post(
        client, "/app/rules/impact/\(id)/cancel", session: bruno, fields: [:])
      #expect(status == .forbidden)
      // Without the CSRF token.
      (status, _) = try await AdminConsoleTests.post(
        client, "/app/rules/impact", session: manon,
        fields: ["file": "rules.etq", "text": Self.draft(text)], csrf: false)
      #expect(status == .forbidden)
      // A file that is not one of the rules: 404.
      (status, _) = try await AdminConsoleTests.post(
        client, "/app/rules/impact", session: manon,
        fields: ["file": "../etc/passwd", "text": Self.draft(text)])
      #expect(status == .notFound)
      // A draft with errors: its diagnostics, and no replay.
      (status, body) = try await AdminConsoleTests.post(
        client, "/app/rules/impact", session: manon,
        fields: ["file": "rules.etq", "text": text + "\nlabel {\n"])
      #expect(status == .unprocessableContent)
      let answer = Self.object(body)
      #expect(answer["id"] == nil)
      let document = answer["diagnostics"] as? [String: Any]
      #expect((document?["diagnostics"] as? [Any])?.isEmpty == false)
      (status, body) = try await AdminConsoleTests.post(
        client, "/app/rules/impact", session: manon,
        fields: ["file": "rules.etq", "text": text + "\nlabel {\n"], json: false)
      #expect(status == .unprocessableContent)
      #expect(body.contains(#"<li class="diagnostic error">"#))
      // The published rules' replay is still the only one: nothing was started.
      #expect(harness.server.web.impacts.count == 1)
    }
  }
}
