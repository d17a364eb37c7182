import EtiquetteTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import EtiquetteServer

/// The admin console's rule editor: the rule files for members who may manage everything, a
/// draft checked by the code of `etiquette check` and formatted by that of `etiquette fmt`.
@Suite("The admin console: the rule editor")
struct AdminConsoleTests {
  static func post(
    _ client: any TestClientProtocol, _ uri: String, session: String, fields: [String: String],
    json: Bool = true, csrf: Bool = true
  ) async throws -> (HTTPResponse.Status, String) {
    var all = fields
    if csrf { all["csrf"] = SignInService.csrfToken(session: session) }
    let body = WebInboxViewsTests.formBody(all)
    var headers = WebInboxTests.formHeaders(cookie: "\(WebInbox.sessionCookie)=\(session)")
    if json { headers[.accept] = "application/json" }
    return try await client.execute(
      uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)
    ) { ($0.status, String(buffer: $0.body)) }
  }

  static func diagnostics(_ body: String) throws -> [[String: Any]] {
    let document = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
    return document?["diagnostics"] as? [[String: Any]] ?? []
  }

  @Test(
    "only members who may manage every conversation reach the console (403 for others); a draft is checked"
  )
  func checkDraft() async throws {
    let harness = try await ServerHarness()
    let signIn = WebInboxTests.signIn(harness)
    let manon = try await WebInboxTests.session(signIn, "manon@exemple.fr")
    let bruno = try await WebInboxTests.session(signIn, "bruno@exemple.fr")
    let text = try String(
      contentsOf: ServerHarness.fixtures.appendingPathComponent("rules/complete.etq"),
      encoding: .utf8)
    try await harness.server.makeApplication().test(.router) { client in
      try await client.execute(
        uri: "/app/rules", method: .get, headers: WebInboxTests.cookieHeaders(bruno)
      ) { response in
        #expect(response.status == .forbidden)
        #expect(String(buffer: response.body).contains("can manage all"))
      }
      let html = try await client.execute(
        uri: "/app/rules", method: .get, headers: WebInboxTests.cookieHeaders(manon)
      ) { response in
        #expect(response.status == .ok)
        return String(buffer: response.body)
      }
      #expect(html.contains(#"<a href="/app/rules?file=complete.etq" aria-current="page">"#))
      #expect(html.contains("label &quot;Demandes de Commande&quot;"))
      // The file as it is: no problem.
      var (status, body) = try await Self.post(
        client, "/app/rules/check", session: manon, fields: ["file": "complete.etq", "text": text])
      #expect(status == .ok)
      #expect(try Self.diagnostics(body).filter { $0["severity"] as? String == "error" }.isEmpty)
      // A label that does not exist: the checker's error, located in the draft.
      let broken = text.replacingOccurrences(of: #"when label "VIP""#, with: #"when label "VIPP""#)
      #expect(broken != text)
      (status, body) = try await Self.post(
        client, "/app/rules/check", session: manon,
        fields: ["file": "complete.etq", "text": broken])
      let errors = try Self.diagnostics(body).filter { $0["severity"] as? String == "error" }
      #expect(errors.count == 1)
      #expect(errors.first?["file"] as? String == "complete.etq")
      #expect((errors.first?["message"] as? String)?.contains("VIPP") == true)
      let line = broken.split(separator: "\n", omittingEmptySubsequences: false).firstIndex {
        $0.contains("VIPP")
      }
      #expect(errors.first?["line"] as? Int == line.map { $0 + 1 })
      // Without JavaScript: the page lists it.
      (status, body) = try await Self.post(
        client, "/app/rules/check", session: manon,
        fields: ["file": "complete.etq", "text": broken], json: false)
      #expect(body.contains(#"<li class="diagnostic error">"#) && body.contains("VIPP"))
      // Nothing outside the rule files, nothing without the CSRF token, nothing for bruno.
      (status, _) = try await Self.post(
        client, "/app/rules/check", session: manon,
        fields: ["file": "../../etc/passwd", "text": "x"])
      #expect(status == .notFound)
      (status, _) = try await Self.post(
        client, "/app/rules/check", session: manon,
        fields: ["file": "complete.etq", "text": text], csrf: false)
      #expect(status == .forbidden)
      (status, _) = try await Self.post(
        client, "/app/rules/check", session: bruno,
        fields: ["file": "complete.etq", "text": text])
      #expect(status == .forbidden)
      // The file on disk is untouched: a draft is only checked.
      let onDisk = try String(
        contentsOf: ServerHarness.fixtures.appendingPathComponent("rules/complete.etq"),
        encoding: .utf8)
      #expect(onDisk == text)
    }
  }

  @Test("« Formater » is etiquette fmt; a draft that does not parse is left as it is")
  func formatDraft() async throws {
    let harness = try await ServerHarness()
    let manon = try await WebInboxTests.session(
      WebInboxTests.signIn(harness), "manon@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      let messy = "label   \"VIP\"{\nwhen contact.tier==\"vip\"\n}\n"
      var (status, body) = try await Self.post(
        client, "/app/rules/format", session: manon,
        fields: ["file": "complete.etq", "text": messy])
      #expect(status == .ok)
      let answer = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
      let formatted = try #require(answer?["text"] as? String)
      #expect(formatted == "label \"VIP\" {\n  when contact.tier == \"vip\"\n}\n")
      (status, body) = try await Self.post(
        client, "/app/rules/format", session: manon,
        fields: ["file": "complete.etq", "text": "label \"VIP\" {\n"])
      let refused = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
      #expect(refused?["text"] == nil)
      let document = refused?["diagnostics"] as? [String: Any]
      #expect((document?["diagnostics"] as? [Any])?.isEmpty == false)
    }
  }
}

extension AdminConsoleTests {
  @Test(
    "« Essayer »: the draft's decision for a message, with the matched phrase and who may see it")
  func tryDraft() async throws {
    let harness = try await ServerHarness()
    let manon = try await WebInboxTests.session(
      WebInboxTests.signIn(harness), "manon@exemple.fr")
    let text = try String(
      contentsOf: ServerHarness.fixtures.appendingPathComponent("rules/complete.etq"),
      encoding: .utf8)
    // The draft adds a phrase: the trial uses it, the published rules do not know it.
    let draft = text.replacingOccurrences(
      of: #""réunion organisée", "#, with: #""réunion organisée", "c'est calé", "#)
    #expect(draft != text)
    try await harness.server.makeApplication().test(.router) { client in
      let (status, body) = try await Self.post(
        client, "/app/rules/try", session: manon,
        fields: [
          "file": "complete.etq", "text": draft, "message": "Bonjour, c’est CALÉ pour jeudi",
        ])
      #expect(status == .ok)
      let answer = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
      let decision = answer?["decision"] as? [String: Any]
      #expect(decision?["labels"] as? [String] == ["Personnes Qui Ont Planifié"])
      let added = (decision?["added"] as? [[String: Any]])?.first
      let match = (added?["matches"] as? [[String: Any]])?.first
      #expect(match?["trigger"] as? String == "c'est calé")
      #expect((match?["location"] as? String)?.hasPrefix("complete.etq:") == true)
      #expect(match?["text"] as? String == "c’est CALÉ")
      let members = answer?["members"] as? [[String: Any]] ?? []
      let alice = members.first { $0["member"] as? String == "alice@exemple.fr" }
      let bruno = members.first { $0["member"] as? String == "bruno@exemple.fr" }
      #expect(alice?["reply"] as? Bool == true)
      #expect(bruno?["view"] as? Bool == false)
      // The page without JavaScript says the same.
      let (_, html) = try await Self.post(
        client, "/app/rules/try", session: manon,
        fields: ["file": "complete.etq", "text": draft, "message": "c'est calé"], json: false)
      #expect(
        html.contains("« c&#39;est calé » (complete.etq:")
          || html.contains("« c'est calé » (complete.etq:"))
      #expect(html.contains("bruno@exemple.fr</span> : ne voit pas"))
      // A draft with errors decides nothing and says why.
      let (_, broken) = try await Self.post(
        client, "/app/rules/try", session: manon,
        fields: ["file": "complete.etq", "text": "label {", "message": "x"])
      let refused = try JSONSerialization.jsonObject(with: Data(broken.utf8)) as? [String: Any]
      #expect(refused?["decision"] == nil)
      #expect(
        ((refused?["diagnostics"] as? [String: Any])?["diagnostics"] as? [Any])?.isEmpty == false)
    }
  }
}
