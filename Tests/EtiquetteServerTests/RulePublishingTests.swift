import Dispatch
import EtiquetteEngine
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import EtiquetteServer

/// Publishing from the console: the draft written and reloaded, a version kept with its
/// author and message, refusals that write nothing, the history's comparison and rollback,
/// a git commit, and the draft's own tests.
@Suite("The admin console: publishing, history, draft tests")
struct RulePublishingTests {
  /// A rules directory of its own (the test writes it), with the fixture's file.
  static func rulesCopy() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etiquette-rules-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: ServerHarness.fixtures.appendingPathComponent("rules/complete.etq"),
      to: directory.appendingPathComponent("complete.etq"))
    return directory
  }

  /// A server on `rules` (a copy the test may write) or on the fixture rules (read only),
  /// manon's session, and the text of `complete.etq` there.
  static func manonOnFixture(rules: URL? = nil) async throws -> (ServerHarness, String, String) {
    let harness = try await ServerHarness(rulesDirectory: rules?.path)
    let manon = try await WebInboxTests.session(
      WebInboxTests.signIn(harness), "manon@exemple.fr")
    let file =
      rules?.appendingPathComponent("complete.etq")
      ?? ServerHarness.fixtures.appendingPathComponent("rules/complete.etq")
    return (harness, manon, try String(contentsOf: file, encoding: .utf8))
  }

  static let newPhrase = #""combien coûte""#

  /// The fixture with "combien coûte" among the phrases of "Demandes de Vente".
  static func withNewPhrase(_ text: String) -> String {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard let label = lines.firstIndex(where: { $0.contains(#"label "Demandes de Vente""#) }),
      let phrase = lines[label...].firstIndex(where: { $0.contains("message contains") })
    else { return text }
    var edited = lines.map(String.init)
    edited[phrase] = edited[phrase].replacingOccurrences(
      of: "contains any [", with: "contains any [\(newPhrase), ")
    return edited.joined(separator: "\n")
  }

  /// The value of the editor's hidden `base` field.
  static func base(in html: String) -> String? {
    guard let start = html.range(of: #"name="base" value=""#) else { return nil }
    let rest = html[start.upperBound...]
    return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
  }

  static func labels(_ harness: ServerHarness, for message: String) -> [String] {
    let engine = harness.server.rules.current.engine
    let conversation = engine.newConversation(id: "c", contact: Contact(id: "33600000000"))
    let (after, _) = engine.apply(
      Step(.message(CustomerMessage(text: message)), at: Engine.defaultInstant), to: conversation)
    return after.labels.keys.map { engine.ruleSet[$0].name }.sorted()
  }

  static func page(
    _ client: any TestClientProtocol, _ uri: String, session: String
  ) async throws -> (HTTPResponse.Status, String) {
    try await client.execute(
      uri: uri, method: .get, headers: WebInboxTests.cookieHeaders(session)
    ) { ($0.status, String(buffer: $0.body)) }
  }

  static func publish(
    _ client: any TestClientProtocol, session: String, text: String, base: String,
    message: String
  ) async throws -> (HTTPResponse.Status, String, String?) {
    var fields = ["file": "complete.etq", "text": text, "base": base, "publish_message": message]
    fields["csrf"] = SignInService.csrfToken(session: session)
    return try await client.execute(
      uri: "/app/rules/publish", method: .post,
      headers: WebInboxTests.formHeaders(cookie: "\(WebInbox.sessionCookie)=\(session)"),
      body: ByteBuffer(string: WebInboxViewsTests.formBody(fields))
    ) { ($0.status, String(buffer: $0.body), $0.headers[.location]) }
  }

  @Test("« Publier » writes and reloads the draft as a version; refusals write nothing")
  func publishAndRefusals() async throws {
    let rules = try Self.rulesCopy()
    let file = rules.appendingPathComponent("complete.etq")
    let (harness, manon, original) = try await Self.manonOnFixture(rules: rules)
    let edited = Self.withNewPhrase(original)
    #expect(edited != original)
    #expect(!Self.labels(harness, for: "combien coûte le forfait ?").contains("Demandes de Vente"))
    try await harness.server.makeApplication().test(.router) { client in
      let (_, html) = try await Self.page(client, "/app/rules", session: manon)
      let base = try #require(Self.base(in: html))
      // No message: refused, nothing written.
      var (status, body, location) = try await Self.publish(
        client, session: manon, text: edited, base: base, message: "  ")
      #expect(status == .unprocessableContent)
      #expect(body.contains("Écrivez un message"))
      #expect(try String(contentsOf: file, encoding: .utf8) == original)
      // Errors: refused with the diagnostics, nothing written.
      let broken = edited.replacingOccurrences(
        of: #"when label "VIP""#, with: #"when label "VIPP""#)
      (status, body, _) = try await Self.publish(
        client, session: manon, text: broken, base: base, message: "VIPP")
      #expect(status == .unprocessableContent)
      #expect(body.contains("Publication refusée") && body.contains("VIPP"))
      #expect(try String(contentsOf: file, encoding: .utf8) == original)
      // The draft as it is: nothing to publish.
      (status, body, _) = try await Self.publish(
        client, session: manon, text: original, base: base, message: "rien")
      #expect(status == .unprocessableContent)
      #expect(body.contains("Rien à publier"))
      // Published: on disk, serving, version 2 (1 is the files as found).
      (status, _, location) = try await Self.publish(
        client, session: manon, text: edited, base: base, message: "Ajoute « combien coûte »")
      #expect(status == .seeOther || status == .found)
      #expect(location == "/app/rules?file=complete.etq&published=2")
      #expect(try String(contentsOf: file, encoding: .utf8) == edited)
      #expect(Self.labels(harness, for: "combien coûte le forfait ?").contains("Demandes de Vente"))
      let (_, published) = try await Self.page(client, location ?? "", session: manon)
      #expect(published.contains("Version 2 publiée"))
      let versions = try await harness.server.web.versions.ruleVersions(limit: 10)
      #expect(versions.map(\.number) == [2, 1])
      #expect(versions.first?.author == "manon@exemple.fr")
      #expect(versions.first?.message == "Ajoute « combien coûte »")
      #expect(versions.last?.author == RuleVersion.foundOnDisk)
      #expect(versions.last?.files == [PublishedFile(name: "complete.etq", text: original)])
      #expect(versions.first?.digest == harness.server.rules.current.version)
      // A draft opened before that publication: refused with the choice, nothing written.
      let again = edited + "\n# encore\n"
      (status, body, _) = try await Self.publish(
        client, session: manon, text: again, base: base, message: "encore")
      #expect(status == .conflict)
      #expect(body.contains("Les règles ont changé"))
      #expect(body.contains("Publier mon brouillon par-dessus"))
      #expect(try String(contentsOf: file, encoding: .utf8) == edited)
      // The choice « par-dessus » carries the current files' digest: it publishes.
      let current = try #require(Self.base(in: body))
      (status, _, location) = try await Self.publish(
        client, session: manon, text: again, base: current, message: "encore")
      #expect(location == "/app/rules?file=complete.etq&published=3")
      #expect(try String(contentsOf: file, encoding: .utf8) == again)
    }
  }

  @Test("two managers publishing at once: one wins, the other is told")
  func concurrentPublications() async throws {
    let rules = try Self.rulesCopy()
    let (harness, manon, original) = try await Self.manonOnFixture(rules: rules)
    try await harness.server.makeApplication().test(.router) { client in
      let (_, html) = try await Self.page(client, "/app/rules", session: manon)
      let base = try #require(Self.base(in: html))
      async let first = Self.publish(
        client, session: manon, text: original + "\n# un\n", base: base, message: "un")
      async let second = Self.publish(
        client, session: manon, text: original + "\n# deux\n", base: base, message: "deux")
      let statuses = try await [first.0, second.0]
      #expect(statuses.filter { $0 == .conflict }.count == 1)
      #expect(statuses.filter { $0 == .seeOther || $0 == .found }.count == 1)
      let versions = try await harness.server.web.versions.ruleVersions(limit: 10)
      #expect(versions.count == 2)
    }
  }

  @Test("the history compares two versions and goes back to one, itself a new version")
  func historyAndRollback() async throws {
    let rules = try Self.rulesCopy()
    let file = rules.appendingPathComponent("complete.etq")
    let harness = try await ServerHarness(rulesDirectory: rules.path)
    let signIn = WebInboxTests.signIn(harness)
    let manon = try await WebInboxTests.session(signIn, "manon@exemple.fr")
    let bruno = try await WebInboxTests.session(signIn, "bruno@exemple.fr")
    let original = try String(contentsOf: file, encoding: .utf8)
    try await harness.server.makeApplication().test(.router) { client in
      var (status, html) = try await Self.page(client, "/app/rules/history", session: manon)
      #expect(status == .ok)
      #expect(html.contains("Aucune version publiée"))
      (_, html) = try await Self.page(client, "/app/rules", session: manon)
      let base = try #require(Self.base(in: html))
      _ = try await Self.publish(
        client, session: manon, text: Self.withNewPhrase(original), base: base,
        message: "Ajoute « combien coûte »")
      (status, html) = try await Self.page(
        client, "/app/rules/history?from=1&to=2", session: manon)
      #expect(status == .ok)
      #expect(html.contains("Ajoute « combien coûte »"))
      #expect(html.contains("fichiers trouvés sur le disque"))
      #expect(html.contains(#"<span class="added">+ "#) && html.contains("combien coûte"))
      #expect(html.contains(#"<span class="removed">- "#))
      // Not for bruno: 403 on the history and on a rollback.
      (status, _) = try await Self.page(client, "/app/rules/history", session: bruno)
      #expect(status == .forbidden)
      let current = try #require(Self.base(in: html))
      var fields = ["base": current, "csrf": SignInService.csrfToken(session: bruno)]
      status = try await client.execute(
        uri: "/app/rules/history/1/rollback", method: .post,
        headers: WebInboxTests.formHeaders(cookie: "\(WebInbox.sessionCookie)=\(bruno)"),
        body: ByteBuffer(string: WebInboxViewsTests.formBody(fields))
      ) { $0.status }
      #expect(status == .forbidden)
      // Manon goes back to version 1: version 3, the original files, serving.
      fields["csrf"] = SignInService.csrfToken(session: manon)
      let location = try await client.execute(
        uri: "/app/rules/history/1/rollback", method: .post,
        headers: WebInboxTests.formHeaders(cookie: "\(WebInbox.sessionCookie)=\(manon)"),
        body: ByteBuffer(string: WebInboxViewsTests.formBody(fields))
      ) { $0.headers[.location] }
      #expect(location == "/app/rules/history?published=3")
      #expect(try String(contentsOf: file, encoding: .utf8) == original)
      #expect(
        !Self.labels(harness, for: "combien coûte le forfait ?").contains("Demandes de Vente"))
      let versions = try await harness.server.web.versions.ruleVersions(limit: 10)
      #expect(versions.first?.message == "Retour à la version 1")
      // The same form again: its base is stale now.
      status = try await client.execute(
        uri: "/app/rules/history/2/rollback", method: .post,
        headers: WebInboxTests.formHeaders(cookie: "\(WebInbox.sessionCookie)=\(manon)"),
        body: ByteBuffer(string: WebInboxViewsTests.formBody(fields))
      ) { $0.status }
      #expect(status == .conflict)
      #expect(try String(contentsOf: file, encoding: .utf8) == original)
    }
  }

  @Test("in a git repository, each publication is a commit authored by the member")
  func gitCommit() async throws {
    let rules = try Self.rulesCopy()
    @Sendable func git(_ arguments: String...) throws -> String {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = ["git", "-C", rules.path] + arguments
      let output = Pipe()
      process.standardOutput = output
      process.standardError = output
      try process.run()
      let data = output.fileHandleForReading.readDataToEndOfFile()
      process.waitUntilExit()
      return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    _ = try git("init", "-q")
    _ = try git("add", "complete.etq")
    _ = try git(
      "-c", "user.name=Ops", "-c", "user.email=ops@exemple.fr", "commit", "-qm", "initial")
    let (harness, manon, original) = try await Self.manonOnFixture(rules: rules)
    try await harness.server.makeApplication().test(.router) { client in
      let (_, html) = try await Self.page(client, "/app/rules", session: manon)
      let base = try #require(Self.base(in: html))
      let (_, _, location) = try await Self.publish(
        client, session: manon, text: Self.withNewPhrase(original), base: base,
        message: "Ajoute « combien coûte »")
      let hash = try git("rev-parse", "--short", "HEAD")
      #expect(location == "/app/rules?file=complete.etq&published=2&commit=\(hash)")
      #expect(
        try git("log", "-1", "--format=%an <%ae>|%s")
          == "manon@exemple.fr <manon@exemple.fr>|Ajoute « combien coûte »")
      #expect(try git("status", "--porcelain").isEmpty)
    }
  }

  @Test("a new file exists once published; renaming and deleting are publications")
  func newRenameDelete() async throws {
    let rules = try Self.rulesCopy()
    let harness = try await ServerHarness(rulesDirectory: rules.path)
    let signIn = WebInboxTests.signIn(harness)
    let manon = try await WebInboxTests.session(signIn, "manon@exemple.fr")
    @Sendable func exists(_ name: String) -> Bool {
      FileManager.default.fileExists(atPath: rules.appendingPathComponent(name).path)
    }
    try await harness.server.makeApplication().test(.router) { client in
      var (status, html) = try await Self.page(
        client, "/app/rules/new?name=horaires", session: manon)
      #expect(status == .ok)
      #expect(html.contains("<h1>horaires.etq</h1>") && html.contains("Nouveau fichier"))
      #expect(!exists("horaires.etq"))
      for bad in ["../dehors", ".cache", "a//b"] {
        (status, _) = try await Self.page(
          client, "/app/rules/new?name=" + WebRenderer.queryEscaped(bad), session: manon)
        #expect(status == .unprocessableContent, "\(bad)")
      }
      var base = try #require(Self.base(in: html))
      let hours = "hours \"soir\" {\n  zone \"Europe/Paris\"\n  mon-fri 18:00-22:00\n}\n"
      var fields = [
        "file": "horaires.etq", "text": hours, "base": base, "publish_message": "Horaires du soir",
        "csrf": SignInService.csrfToken(session: manon),
      ]
      func post(_ uri: String) async throws -> (HTTPResponse.Status, String?) {
        try await client.execute(
          uri: uri, method: .post,
          headers: WebInboxTests.formHeaders(cookie: "\(WebInbox.sessionCookie)=\(manon)"),
          body: ByteBuffer(string: WebInboxViewsTests.formBody(fields))
        ) { ($0.status, $0.headers[.location]) }
      }
      var (_, location) = try await post("/app/rules/publish")
      #expect(location == "/app/rules?file=horaires.etq&published=2")
      #expect(exists("horaires.etq"))
      (_, html) = try await Self.page(client, "/app/rules?file=horaires.etq", session: manon)
      base = try #require(Self.base(in: html))
      fields["base"] = base
      fields["new_name"] = "soir"
      fields["publish_message"] = "Renomme"
      (_, location) = try await post("/app/rules/rename")
      #expect(location == "/app/rules?file=soir.etq&published=3")
      #expect(exists("soir.etq") && !exists("horaires.etq"))
      (_, html) = try await Self.page(client, "/app/rules?file=soir.etq", session: manon)
      let renamedBase = try #require(Self.base(in: html))
      fields["base"] = renamedBase
      fields["file"] = "soir.etq"
      fields["publish_message"] = "Supprime"
      (_, location) = try await post("/app/rules/delete")
      #expect(location == "/app/rules?file=complete.etq&published=4")
      #expect(!exists("soir.etq") && exists("complete.etq"))
      // The last file is not deleted: the rules would be empty.
      (_, html) = try await Self.page(client, "/app/rules", session: manon)
      let lastBase = try #require(Self.base(in: html))
      fields["base"] = lastBase
      fields["file"] = "complete.etq"
      let (status2, _) = try await post("/app/rules/delete")
      #expect(status2 == .notFound)
      #expect(exists("complete.etq"))
    }
  }

  @Test("« Enregistrer comme test » pins the draft's decision; « Lancer les tests » runs them")
  func draftTests() async throws {
    let (harness, manon, original) = try await RulePublishingTests.manonOnFixture()
    try await harness.server.makeApplication().test(.router) { client in
      var (status, body) = try await AdminConsoleTests.post(
        client, "/app/rules/test", session: manon,
        fields: ["file": "complete.etq", "text": original])
      #expect(status == .ok)
      let before = try #require(
        try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
      let passed = try #require(before["passed"] as? Int)
      #expect(passed > 0 && before["failed"] as? Int == 0)
      (status, body) = try await AdminConsoleTests.post(
        client, "/app/rules/save-test", session: manon,
        fields: [
          "file": "complete.etq", "text": original, "message": "J'ai réservé \"mardi\"",
        ])
      #expect(status == .ok)
      let saved = try #require(
        try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
      let text = try #require(saved["text"] as? String)
      #expect(text.hasPrefix(original.trimmingCharacters(in: .newlines)))
      #expect(text.contains(#"customer says "J'ai réservé \"mardi\"""#))
      #expect(text.contains(#"expect labels ["Personnes Qui Ont Planifié"]"#))
      #expect(text.contains(#"expect "bruno@exemple.fr" cannot view"#))
      let tests = try #require(saved["tests"] as? [String: Any])
      #expect(tests["passed"] as? Int == passed + 1)
      #expect(tests["failed"] as? Int == 0)
      // The phrase gone, the saved test fails on its `expect labels` line.
      let without = text.replacingOccurrences(of: #""J'ai réservé", "#, with: "")
      #expect(without != text)
      (status, body) = try await AdminConsoleTests.post(
        client, "/app/rules/test", session: manon,
        fields: ["file": "complete.etq", "text": without])
      let run = try #require(
        try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
      let failures = try #require(run["failures"] as? [[String: Any]])
      #expect(failures.contains { ($0["test"] as? String)?.hasPrefix("essai : ") == true })
      let lines = without.split(separator: "\n", omittingEmptySubsequences: false)
      for failure in failures {
        let line = try #require(failure["line"] as? Int)
        #expect(lines[line - 1].contains("expect"))
        #expect(failure["file"] as? String == "complete.etq")
      }
      // Without JavaScript: the page lists them.
      (status, body) = try await AdminConsoleTests.post(
        client, "/app/rules/test", session: manon,
        fields: ["file": "complete.etq", "text": without], json: false)
      #expect(body.contains(#"<li class="test-failure""#))
    }
  }
}

extension RulePublishingTests {
  @Test("« Essayer » takes a type, a contact, an event and an instant; the saved test keeps them")
  func trialOptions() async throws {
    let (harness, manon, original) = try await RulePublishingTests.manonOnFixture()
    try await harness.server.makeApplication().test(.router) { client in
      // An event for a VIP contact, a Sunday night in Paris.
      let fields = [
        "file": "complete.etq", "text": original, "message": "ignoré",
        "try_event": "calendly.booking.confirmed", "try_fields": "invitee: Léa",
        "try_contact": "tier: vip; commandes: 3", "try_at": "2026-11-29T23:30",
        "try_zone": "Europe/Paris",
      ]
      var (status, body) = try await AdminConsoleTests.post(
        client, "/app/rules/try", session: manon, fields: fields)
      #expect(status == .ok)
      let trial = try #require(
        try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
      let decision = try #require(trial["decision"] as? [String: Any])
      #expect(decision["labels"] as? [String] == ["Personnes Qui Ont Planifié", "VIP"])
      (status, body) = try await AdminConsoleTests.post(
        client, "/app/rules/save-test", session: manon, fields: fields)
      let saved = try #require(
        try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
      let text = try #require(saved["text"] as? String)
      #expect(text.contains(#"contact { tier: "vip", commandes: 3 }"#))
      #expect(text.contains(#"at "2026-11-29T22:30:00Z""#))
      #expect(text.contains(#"event "calendly.booking.confirmed" { invitee: "Léa" }"#))
      #expect(!text.contains("ignoré"))
      #expect((saved["tests"] as? [String: Any])?["failed"] as? Int == 0)
      // An image with a caption: `customer sends image "…"`.
      (_, body) = try await AdminConsoleTests.post(
        client, "/app/rules/save-test", session: manon,
        fields: [
          "file": "complete.etq", "text": original, "message": "mon écran est cassé",
          "try_type": "image",
        ])
      let image = try #require(
        try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
      #expect(
        (image["text"] as? String)?.contains(#"customer sends image "mon écran est cassé""#) == true
      )
      #expect((image["text"] as? String)?.contains(#""Support Technique""#) == true)
      #expect((image["tests"] as? [String: Any])?["failed"] as? Int == 0)
    }
  }

  @Test(
    "fields are read as a manager types them",
    arguments: [
      ("tier: vip", [RuleDraftService.TrialInput.Field(key: "tier", value: .string("vip"))]),
      (
        #"ville: "Lyon"; n: 3; ok: true"#,
        [
          .init(key: "ville", value: .string("Lyon")), .init(key: "n", value: .number(3)),
          .init(key: "ok", value: .bool(true)),
        ]
      ),
      ("pas de deux-points; : vide\nclé avec espace: x", []),
    ])
  func fieldsAreRead(text: String, fields: [RuleDraftService.TrialInput.Field]) {
    #expect(RuleDraftService.TrialInput.fields(text) == fields)
  }
}

/// Drafts a manager should not be able to hang the server with.
@Suite("The admin console: bad drafts")
struct BadDraftTests {
  @Test("a draft too big, invalid UTF-8, many labels or a hostile pattern gets an answer")
  func badDrafts() async throws {
    let (harness, manon, original) = try await RulePublishingTests.manonOnFixture()
    try await harness.server.makeApplication().test(.router) { client in
      // 17 MB: refused as too large, not a 500.
      var (status, _) = try await AdminConsoleTests.post(
        client, "/app/rules/check", session: manon,
        fields: ["file": "complete.etq", "text": String(repeating: "#", count: 17_000_000)])
      #expect(status == .contentTooLarge)
      // Invalid UTF-8 (a lone 0xFF byte, percent-encoded as a browser would send it).
      let headers = WebInboxTests.formHeaders(cookie: "\(WebInbox.sessionCookie)=\(manon)")
      var withAccept = headers
      withAccept[.accept] = "application/json"
      let body =
        "csrf=\(SignInService.csrfToken(session: manon))&file=complete.etq&text=label%20%22%FF%22%20%7B%7D"
      let (invalid, answer) = try await client.execute(
        uri: "/app/rules/check", method: .post, headers: withAccept,
        body: ByteBuffer(string: body)
      ) { ($0.status, String(buffer: $0.body)) }
      #expect(invalid == .ok)
      #expect(answer.contains("\"diagnostics\""))
      // A pattern built to backtrack, and a long message: « Essayer » answers.
      let hostile = original + "\nlabel \"Piège\" {\n  when message matches /(a+)+$/\n}\n"
      var text: String
      (status, text) = try await AdminConsoleTests.post(
        client, "/app/rules/try", session: manon,
        fields: [
          "file": "complete.etq", "text": hostile,
          "message": String(repeating: "a", count: 50_000) + "!",
        ])
      #expect(status == .ok)
      #expect(text.contains("\"members\""))
      // Last: a check that outlasts its limit goes on holding the drafts' queue a while.
      // 100,000 labels, each with a phrase (6 MB as a form): diagnostics, or « too slow » when
      // the machine cannot check them within the limit — an answer either way.
      let many = (0..<100_000).map { "label \"L\($0)\" {\n  when message contains \"m\($0)\"\n}\n" }
        .joined()
      (status, text) = try await AdminConsoleTests.post(
        client, "/app/rules/check", session: manon,
        fields: ["file": "complete.etq", "text": original + many])
      #expect(status == .ok || status == .serviceUnavailable)
      #expect(text.contains(status == .ok ? "\"summary\"" : "check_too_slow"))
    }
  }

  @Test("a manager of all labels but some gets 403 on every console page, like an agent")
  func managerOfSomeLabels() async throws {
    let rules = try RulePublishingTests.rulesCopy()
    let file = rules.appendingPathComponent("complete.etq")
    let text = try String(contentsOf: file, encoding: .utf8)
    let edited = text.replacingOccurrences(
      of: #"can reply all except labels ["Support Technique""#,
      with: #"can manage all except labels ["Support Technique""#)
    #expect(edited != text)
    try edited.write(to: file, atomically: true, encoding: .utf8)
    let harness = try await ServerHarness(rulesDirectory: rules.path)
    let signIn = WebInboxTests.signIn(harness)
    let bruno = try await WebInboxTests.session(signIn, "bruno@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      for uri in [
        "/app/rules", "/app/rules/history", "/app/rules/new?name=x", "/app/access",
        "/app/members", "/app/dashboard", "/app/dashboard.csv",
      ] {
        let (status, _) = try await RulePublishingTests.page(client, uri, session: bruno)
        #expect(status == .forbidden, "\(uri)")
      }
      for uri in ["/app/rules/check", "/app/rules/publish", "/app/rules/test"] {
        let (status, _) = try await AdminConsoleTests.post(
          client, uri, session: bruno, fields: ["file": "complete.etq", "text": edited])
        #expect(status == .forbidden, "\(uri)")
      }
    }
  }

  @Test("a check that outlasts its limit is said to be too slow; the request is not held")
  func tooSlow() async throws {
    let release = DispatchSemaphore(value: 0)
    let work = DraftWork(limit: .milliseconds(50))
    await #expect(throws: DraftWork.TooSlow.self) {
      try await work.run {
        release.wait()
        return 1
      }
    }
    release.signal()
    #expect(try await DraftWork().run { 2 } == 2)
  }
}
