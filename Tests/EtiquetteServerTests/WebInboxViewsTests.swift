import EtiquetteEngine
import EtiquetteTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import EtiquetteServer

/// The web inbox's list views and label filters, and what the open conversation shows beyond
/// its lines: the first unread line, delivery ticks, WhatsApp's 24-hour window, label changes,
/// @ completion; and the installable app's files.
@Suite("The web inbox: views, filters, the conversation pane, the installable app")
struct WebInboxViewsTests {
  static let planned = "Personnes Qui Ont Planifié"
  static let orders = "Demandes de Commande"

  /// A signed-in page fetched as `session`.
  static func page(
    _ client: any TestClientProtocol, _ uri: String, _ session: String
  ) async throws -> String {
    try await client.execute(
      uri: uri, method: .get, headers: WebInboxTests.cookieHeaders(session)
    ) { response in
      #expect(response.status == .ok, "GET \(uri)")
      return String(buffer: response.body)
    }
  }

  /// Posts a form of the page as `session` (with its CSRF token); returns the redirect.
  static func submit(
    _ client: any TestClientProtocol, _ uri: String, _ session: String, _ fields: [String: String]
  ) async throws -> String? {
    var all = fields
    all["csrf"] = SignInService.csrfToken(session: session)
    let body = formBody(all)
    return try await client.execute(
      uri: uri, method: .post,
      headers: WebInboxTests.formHeaders(cookie: "\(WebInbox.sessionCookie)=\(session)"),
      body: ByteBuffer(string: body)
    ) { response in
      #expect(response.status == .seeOther, "POST \(uri): \(String(buffer: response.body))")
      return response.headers[.location]
    }
  }

  /// `application/x-www-form-urlencoded`, as a browser sends a form.
  static func formBody(_ fields: [String: String]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return fields.sorted { $0.key < $1.key }.map {
      "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
    }.joined(separator: "&")
  }

  static func signInAgain(_ signIn: SignInService, _ email: String) async throws -> String {
    guard
      case .signedIn(let session) = try await signIn.signIn(
        email: email, password: WebInboxTests.password, address: "test")
    else { throw CancellationError() }
    return session
  }

  static func escaped(_ value: String) -> String {
    WebRenderer.queryEscaped(value)
  }

  /// The contact names of a page's list, in order.
  static func listed(_ html: String) -> [String] {
    html.components(separatedBy: #"<span class="contact">"#).dropFirst().compactMap {
      $0.components(separatedBy: "</span>").first
    }
  }

  @Test("label filters combine any / all / none, on top of each view, within the member's access")
  func labelFilters() async throws {
    let harness = try await ServerHarness()
    let signIn = WebInboxTests.signIn(harness)
    let manon = try await WebInboxTests.session(signIn, "manon@exemple.fr")
    let alice = try await WebInboxTests.session(signIn, "alice@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      for (phone, name, text) in [
        ("33600000011", "Anne", "J'ai réservé un créneau"),
        ("33600000012", "Bob", "Où en est ma commande CMD-123456 ?"),
        ("33600000013", "Chris", "Je voudrais un devis"),
        ("33600000014", "Dana", "J'ai réservé mais ma commande n'est pas arrivée"),
      ] {
        try await ServerHarness.post(
          client,
          webhook: ServerHarness.textWebhook(
            from: phone, id: "wamid.\(phone)", text: text, name: name))
      }
      let any = "/app?label=\(Self.escaped(Self.planned))&label=\(Self.escaped(Self.orders))"
      #expect(Set(Self.listed(try await Self.page(client, any, manon))) == ["Anne", "Bob", "Dana"])
      #expect(Self.listed(try await Self.page(client, any + "&match=all", manon)) == ["Dana"])
      let none = "/app?without=\(Self.escaped(Self.orders))"
      #expect(Set(Self.listed(try await Self.page(client, none, manon))) == ["Anne", "Chris"])
      // Filters narrow the member's access, never widen it: alice sees Planifié only.
      let ordersOnly = "/app?label=\(Self.escaped(Self.orders))"
      #expect(Self.listed(try await Self.page(client, ordersOnly, alice)) == ["Dana"])
      // The filter form shows the choice back, and links keep it (the URL is the state).
      let html = try await Self.page(client, any + "&match=all&q=commande", manon)
      #expect(html.contains(#"Filtrer par étiquette <span class="count">2</span>"#))
      #expect(html.contains(#"value="all" checked"#))
      #expect(html.contains(#"name="label" value="Demandes de Commande" checked>"#))
      #expect(html.contains("match=all&amp;q=commande&amp;sort=priority"))
      // A label view combines with a filter.
      let view =
        "/app?view=label:\(Self.escaped(Self.planned))&without=\(Self.escaped(Self.orders))"
      #expect(Self.listed(try await Self.page(client, view, manon)) == ["Anne"])
    }
  }

  @Test("views: Mentions, Mode IA, Mes conversations, À répondre, with counts that respect access")
  func views() async throws {
    let harness = try await ServerHarness()
    let signIn = WebInboxTests.signIn(harness)
    let manon = try await WebInboxTests.session(signIn, "manon@exemple.fr")
    let bruno = try await WebInboxTests.session(signIn, "bruno@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      for (phone, name, text) in [
        ("33600000021", "Bob", "Où en est ma commande CMD-123456 ?"),
        ("33600000022", "Chris", "Je voudrais un devis"),
      ] {
        try await ServerHarness.post(
          client,
          webhook: ServerHarness.textWebhook(
            from: phone, id: "wamid.\(phone)", text: text, name: name))
      }
      let ids = try await harness.list(client, as: "manon@exemple.fr")
      func id(_ name: String) throws -> String {
        try #require(
          ids.first { $0["contact"]?["name"]?.stringValue == name }?["id"]?.stringValue)
      }
      let bob = try id("Bob")
      let chris = try id("Chris")
      #expect(Self.listed(try await Self.page(client, "/app?view=mine", bruno)).isEmpty)
      // bruno takes Bob over and answers him: Bob is his, no longer in AI mode nor awaiting.
      let back = try await Self.submit(
        client, "/app/conversations/\(bob)/handoff", bruno,
        ["action": "take_over", "list": "?view=mine"])
      #expect(back == "/app/conversations/\(bob)?view=mine")
      _ = try await Self.submit(
        client, "/app/conversations/\(bob)/messages", bruno, ["text": "Je regarde, Bob."])
      #expect(Self.listed(try await Self.page(client, "/app?view=mine", bruno)) == ["Bob"])
      #expect(Self.listed(try await Self.page(client, "/app?view=mine", manon)).isEmpty)
      #expect(Self.listed(try await Self.page(client, "/app?view=ai", manon)) == ["Chris"])
      #expect(Self.listed(try await Self.page(client, "/app?view=reply", manon)) == ["Chris"])
      // manon mentions bruno on Chris: Chris is in bruno's Mentions, counted in the view.
      _ = try await Self.submit(
        client, "/app/conversations/\(chris)/notes", manon,
        ["text": "@bruno@exemple.fr un devis pour toi"])
      let page = try await Self.page(client, "/app?view=mentions", bruno)
      #expect(Self.listed(page) == ["Chris"])
      #expect(page.contains(#"Mentions <span class="count">1</span>"#))
      #expect(Self.listed(try await Self.page(client, "/app?view=mentions", manon)).isEmpty)
      // An action's way back is a query string of this server, nothing else.
      let hostile = try await Self.submit(
        client, "/app/conversations/\(chris)/unread", manon, ["list": "//evil.example/"])
      #expect(hostile == "/app")
    }
  }

  @Test("the pane: first unread line, delivery tick, the 24-hour window, labels, @ completion")
  func pane() async throws {
    let sent = Date(timeIntervalSince1970: 1_764_064_800)
    let clock = SteppedClock(sent)
    let harness = try await ServerHarness(clock: clock.clock)
    let signIn = WebInboxTests.signIn(harness)
    let alice = try await WebInboxTests.session(signIn, "alice@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      try await ServerHarness.post(
        client,
        webhook: ServerHarness.textWebhook(
          from: "33600000031", id: "wamid.31", text: "J'ai réservé pour jeudi", name: "Eve"))
      let id = try #require(
        try await harness.list(client, as: "alice@exemple.fr").first?["id"]?.stringValue)
      let uri = "/app/conversations/\(id)"
      var html = try await Self.page(client, uri, alice)
      #expect(
        html.contains(#"<li class="unread-separator" id="first-unread"><span>1 message non lu"#))
      // Only members who may view the conversation are offered after @.
      #expect(html.contains(#"data-members="audit@exemple.fr manon@exemple.fr""#))
      #expect(!html.contains("Fenêtre"))
      _ = try await Self.submit(client, uri + "/messages", alice, ["text": "C'est noté !"])
      html = try await Self.page(client, uri, alice)
      #expect(!html.contains("unread-separator"))
      #expect(html.contains(#"<span class="tick queued" title="en attente""#))
      // 21 hours after the customer wrote, 3 are left; after 24, only templates.
      clock.advance(by: 21 * 3600)
      // Hours pass between the pages: a new session each time (an idle one has ended).
      let later = try await Self.signInAgain(signIn, "alice@exemple.fr")
      html = try await Self.page(client, uri, later)
      #expect(html.contains("Fenêtre WhatsApp : se ferme dans 3 h"))
      #expect(html.contains(#"class="window-closing""#))
      clock.advance(by: 4 * 3600)
      let last = try await Self.signInAgain(signIn, "alice@exemple.fr")
      html = try await Self.page(client, uri, last)
      #expect(html.contains(#"<p class="window closed" role="status">Fenêtre de 24 h fermée"#))
      #expect(!html.contains(#"class="window-closing""#))
      // Add a label the conversation lacks, then remove it.
      #expect(html.contains("<option>VIP</option>"))
      #expect(!html.contains("<option>\(Self.planned)</option>"))
      _ = try await Self.submit(client, uri + "/labels", last, ["label": "VIP"])
      html = try await Self.page(client, uri, last)
      #expect(html.contains(#"name="remove" value="VIP""#))
      #expect(!html.contains("<option>VIP</option>"))
      _ = try await Self.submit(client, uri + "/labels", last, ["remove": "VIP"])
      html = try await Self.page(client, uri, last)
      #expect(html.contains("<option>VIP</option>"))
      // A label the rules do not define is refused by the service, not stored.
      try await client.execute(
        uri: uri + "/labels", method: .post,
        headers: WebInboxTests.formHeaders(cookie: "\(WebInbox.sessionCookie)=\(last)"),
        body: ByteBuffer(
          string: "csrf=\(SignInService.csrfToken(session: last))&label=Inconnue")
      ) { response in #expect(response.status == .unprocessableContent) }
    }
  }

  @Test("a page records where the changes stand; its stream's first frame tells if it missed one")
  func changeMark() async throws {
    let harness = try await ServerHarness()
    let signIn = WebInboxTests.signIn(harness)
    let manon = try await WebInboxTests.session(signIn, "manon@exemple.fr")
    let live = harness.server.hub.live
    try await harness.server.makeApplication().test(.router) { client in
      let start = live.changeMark
      // Committed with nobody connected: the mark still moves.
      try await ServerHarness.post(
        client,
        webhook: ServerHarness.textWebhook(
          from: "33600000041", id: "wamid.41", text: "J'ai réservé", name: "Jo"))
      // Published after the commit (on PostgreSQL by the relay, which every instance runs).
      #expect(await eventually { live.changeMark != start })
      let after = live.changeMark
      let id = try #require(
        try await harness.list(client, as: "manon@exemple.fr").first?["id"]?.stringValue)
      let html = try await Self.page(client, "/app/conversations/\(id)", manon)
      #expect(html.contains(#"data-change="\#(after)""#))
      // Opening it read it: the member's own read state does not count as a change.
      #expect(live.changeMark == after)
    }
  }

  @Test("a GET form's query reads as the browser wrote it: + is a space, names repeat")
  func formQuery() {
    let fields = FormFields("label=Personnes+Qui+Ont+Planifi%C3%A9&label=VIP&q=a%2Bb&match=all")
    #expect(fields.all("label") == ["Personnes Qui Ont Planifié", "VIP"])
    #expect(fields.first("q") == "a+b")
    let filter = WebInbox.labelFilter(fields)
    #expect(filter.labels == ["Personnes Qui Ont Planifié", "VIP"] && filter.matchAll)
    #expect(FormFields("").pairs.isEmpty && FormFields("&&=&x").first("x") == "")
  }

  @Test("the installable app: a manifest whose icons are served, a service worker for the shell")
  func installable() async throws {
    let harness = try await ServerHarness()
    try await harness.server.makeApplication().test(.router) { client in
      let manifest = try await client.execute(uri: "/manifest.webmanifest", method: .get) {
        response in
        #expect(response.headers[.contentType] == "application/manifest+json")
        return try JSONDecoder().decode(JSONValue.self, from: Data(buffer: response.body))
      }
      #expect(manifest["start_url"]?.stringValue == "/app")
      #expect(manifest["display"]?.stringValue == "standalone")
      let icons = manifest["icons"]?.arrayValue ?? []
      #expect(icons.count == 3)
      for icon in icons {
        let src = try #require(icon["src"]?.stringValue)
        try await client.execute(uri: src, method: .get) { response in
          #expect(response.status == .ok)
          #expect(response.headers[.contentType] == icon["type"]?.stringValue)
        }
      }
      let worker = try await client.execute(uri: "/sw.js", method: .get) { response in
        #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
        #expect(response.headers[.cacheControl] == "no-cache")
        return String(buffer: response.body)
      }
      let renderer = try WebRenderer.bundled()
      for (name, path) in renderer.assets.paths {
        // The inbox's shell; the admin console's editor is not every agent's to download.
        let shell = !name.hasPrefix("codemirror") && name != "console.js"
        #expect(worker.contains("\"\(path)\"") == shell, "\(name)")
      }
      // The shell only: no page of the app is ever cached.
      #expect(!worker.contains("\"/app"))
    }
  }
}
