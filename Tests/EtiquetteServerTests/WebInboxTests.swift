import EtiquetteTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import EtiquetteServer

/// A clock the test moves by hand: session expiry is decided on it, never on the machine's.
final class SteppedClock: @unchecked Sendable {
  private let lock = NSLock()
  private var instant: Date

  init(_ start: Date) { instant = start }

  func advance(by seconds: Double) { lock.withLock { instant += seconds } }

  var clock: WallClock { WallClock { self.lock.withLock { self.instant } } }
}

@Suite("The web inbox: passwords, sessions, pages")
struct WebInboxTests {
  static let password = "un mot de passe assez long"

  @Test("a password verifies against its own hash only, salted per hash")
  func passwordHash() throws {
    let first = try MemberPassword.hash(Self.password, rounds: 1_000)
    let second = try MemberPassword.hash(Self.password, rounds: 1_000)
    #expect(first != second)
    #expect(first.hasPrefix("pbkdf2-sha256$1000$"))
    #expect(MemberPassword.verify(Self.password, against: first))
    #expect(MemberPassword.verify(Self.password, against: second))
    #expect(!MemberPassword.verify(Self.password + "!", against: first))
    #expect(!MemberPassword.verify(Self.password, against: "garbage"))
    #expect(!MemberPassword.verify(Self.password, against: SignInService.decoy(1_000)))
  }

  @Test("the production hash uses 600,000 rounds")
  func productionRounds() throws {
    #expect(MemberPassword.defaultRounds >= 600_000)
    #expect(SignInService.decoy(MemberPassword.defaultRounds).hasPrefix("pbkdf2-sha256$600000$"))
  }

  /// A sign-in service on a harness whose clock the test moves, with cheap password hashes.
  static func signIn(_ harness: ServerHarness) -> SignInService {
    var service = harness.server.web.signIn
    service.passwordRounds = 1_000
    return service
  }

  @Test("an invitation sets a password once; a short password is refused")
  func invitation() async throws {
    let harness = try await ServerHarness()
    let signIn = Self.signIn(harness)
    #expect(try await signIn.invite("stranger@exemple.fr") == nil)
    let token = try #require(try await signIn.invite("alice@exemple.fr"))
    #expect(try await signIn.invitedMember(token: token) == "alice@exemple.fr")
    #expect(try await signIn.acceptInvitation(token: token, password: "court") == .passwordTooShort)
    guard case .signedIn = try await signIn.acceptInvitation(token: token, password: Self.password)
    else {
      Issue.record("the invitation did not sign in")
      return
    }
    #expect(
      try await signIn.acceptInvitation(token: token, password: Self.password)
        == .invitationInvalid)
    #expect(try await signIn.invitedMember(token: token) == nil)
  }

  @Test("an invitation expires after 7 days")
  func invitationExpires() async throws {
    let time = SteppedClock(TestClock.start)
    let harness = try await ServerHarness(clock: time.clock)
    let signIn = Self.signIn(harness)
    let token = try #require(try await signIn.invite("alice@exemple.fr"))
    time.advance(by: 7 * 24 * 3600 + 1)
    #expect(
      try await signIn.acceptInvitation(token: token, password: Self.password)
        == .invitationInvalid)
  }

  @Test("a session ends after its idle time, measured on the server's clock")
  func idleExpiry() async throws {
    let time = SteppedClock(TestClock.start)
    let harness = try await ServerHarness(clock: time.clock)
    let signIn = Self.signIn(harness)
    let session = try await Self.session(signIn, "alice@exemple.fr")
    time.advance(by: signIn.idleLimit - 60)
    #expect(try await signIn.member(session: session) == "alice@exemple.fr")
    // Used a minute before the limit: the idle time starts again.
    time.advance(by: signIn.idleLimit - 60)
    #expect(try await signIn.member(session: session) == "alice@exemple.fr")
    // The live stream's checks are not activity: they do not keep the session alive.
    time.advance(by: signIn.idleLimit - 60)
    #expect(try await signIn.member(session: session, touch: false) == "alice@exemple.fr")
    time.advance(by: 120)
    #expect(try await signIn.member(session: session, touch: false) == nil)
    #expect(try await signIn.member(session: session) == nil)
  }

  @Test("a revoked member's sessions end at once, and they cannot sign in")
  func revoked() async throws {
    let harness = try await ServerHarness()
    let signIn = Self.signIn(harness)
    let session = try await Self.session(signIn, "alice@exemple.fr")
    #expect(try await harness.server.store.revokeMember("alice@exemple.fr"))
    #expect(try await signIn.member(session: session) == nil)
    #expect(
      try await signIn.signIn(
        email: "alice@exemple.fr", password: Self.password, address: "127.0.0.1") == .refused)
  }

  @Test("a member removed from the rules by a reload loses their sessions at once")
  func removedFromRules() async throws {
    let (rules, file, complete) = try ServerHarness.editableRules()
    let harness = try await ServerHarness(rulesDirectory: rules.path)
    let signIn = Self.signIn(harness)
    let session = try await Self.session(signIn, "alice@exemple.fr")
    try complete.replacingOccurrences(of: "alice@exemple.fr", with: "alicia@exemple.fr")
      .write(to: file, atomically: true, encoding: .utf8)
    guard case .success = await harness.server.reloadRules(reason: "test") else {
      Issue.record("the edited rules were refused")
      return
    }
    #expect(try await signIn.member(session: session) == nil)
    // Back in the rules: the ended session stays ended.
    try complete.write(to: file, atomically: true, encoding: .utf8)
    guard case .success = await harness.server.reloadRules(reason: "test") else { return }
    #expect(try await signIn.member(session: session) == nil)
  }

  @Test("wrong passwords are refused, and counted per account until sign-in is throttled")
  func throttled() async throws {
    let harness = try await ServerHarness()
    let signIn = Self.signIn(harness)
    _ = try await Self.session(signIn, "alice@exemple.fr")
    for attempt in 0..<5 {
      #expect(
        try await signIn.signIn(
          email: "alice@exemple.fr", password: "faux mot de passe \(attempt)",
          address: "10.0.0.\(attempt)") == .refused)
    }
    // The right password too, now: the account's window is full.
    #expect(
      try await signIn.signIn(
        email: "alice@exemple.fr", password: Self.password, address: "10.0.0.9") == .throttled)
  }

  @Test("sign-in is throttled per address across accounts")
  func throttledAddress() async throws {
    let harness = try await ServerHarness()
    let signIn = Self.signIn(harness)
    for attempt in 0..<20 {
      _ = try await signIn.signIn(
        email: "inconnu\(attempt)@exemple.fr", password: "x", address: "10.1.1.1")
    }
    #expect(
      try await signIn.signIn(email: "bruno@exemple.fr", password: "x", address: "10.1.1.1")
        == .throttled)
  }

  static func session(_ signIn: SignInService, _ member: String) async throws -> String {
    let token = try #require(try await signIn.invite(member))
    guard
      case .signedIn(let session) = try await signIn.acceptInvitation(
        token: token, password: password)
    else { throw CancellationError() }
    return session
  }

  static func cookieHeaders(_ session: String, form: String? = nil) -> HTTPFields {
    var headers = HTTPFields()
    headers[.cookie] = "\(WebInbox.sessionCookie)=\(session)"
    if let form { headers[.contentType] = "application/x-www-form-urlencoded"; _ = form }
    return headers
  }

  static func formHeaders(cookie: String) -> HTTPFields {
    var headers = HTTPFields()
    headers[.cookie] = cookie
    headers[.contentType] = "application/x-www-form-urlencoded"
    return headers
  }

  @Test("pages: the list shows what the member may view, 404 for the rest, CSRF required")
  func pages() async throws {
    let harness = try await ServerHarness()
    let signIn = Self.signIn(harness)
    let alice = try await Self.session(signIn, "alice@exemple.fr")
    let audit = try await Self.session(signIn, "audit@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      try await ServerHarness.post(
        client,
        webhook: ServerHarness.textWebhook(
          from: "33600000001", id: "wamid.booked", text: "J'ai réservé un créneau",
          name: "Camille"))
      try await ServerHarness.post(
        client,
        webhook: ServerHarness.textWebhook(
          from: "33600000002", id: "wamid.bug", text: "L'application plante", name: "Dominique"))
      let ids = try await harness.list(client, as: "manon@exemple.fr").compactMap {
        $0["id"]?.stringValue
      }
      let booked = try #require(
        try await harness.list(client, as: "alice@exemple.fr").first?["id"]?.stringValue)
      let bug = try #require(ids.first { $0 != booked })

      // Signed out: to the sign-in page.
      try await client.execute(uri: "/app", method: .get) { response in
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == "/login")
      }
      try await client.execute(uri: "/login", method: .get) { response in
        #expect(response.status == .ok)
        #expect(response.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
        #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
        let html = String(buffer: response.body)
        #expect(html.contains(#"type="email""#) && html.contains(#"type="password""#))
        #expect(html.contains("Se connecter"))
        #expect(!html.contains("<script>"))
      }
      // The list: Camille for alice, not Dominique.
      try await client.execute(uri: "/app", method: .get, headers: Self.cookieHeaders(alice)) {
        response in
        #expect(response.status == .ok)
        let html = String(buffer: response.body)
        #expect(html.contains("Camille"))
        #expect(!html.contains("Dominique"))
        #expect(html.contains("Toutes") && html.contains("Non lues") && html.contains("À répondre"))
      }
      try await client.execute(
        uri: "/app/conversations/\(bug)", method: .get, headers: Self.cookieHeaders(alice)
      ) { response in
        #expect(response.status == .notFound)
        #expect(!String(buffer: response.body).contains("Dominique"))
      }
      // The conversation: the label explained, the composer for alice, read-only for audit.
      try await client.execute(
        uri: "/app/conversations/\(booked)", method: .get, headers: Self.cookieHeaders(alice)
      ) { response in
        let html = String(buffer: response.body)
        #expect(html.contains("Personnes Qui Ont Planifié"))
        #expect(html.contains("J&#39;ai réservé") || html.contains("J'ai réservé"))
        #expect(html.contains(#"<label for="message">Message</label>"#))
        #expect(html.contains("Prendre la main"))
      }
      try await client.execute(
        uri: "/app/conversations/\(booked)", method: .get, headers: Self.cookieHeaders(audit)
      ) { response in
        let html = String(buffer: response.body)
        #expect(html.contains("Lecture seule"))
        #expect(!html.contains(#"<label for="message">"#) && !html.contains("/messages"))
        #expect(!html.contains("Prendre la main"))
      }
      // A reply without the CSRF token is refused, with it accepted.
      let cookie = "\(WebInbox.sessionCookie)=\(alice)"
      try await client.execute(
        uri: "/app/conversations/\(booked)/messages", method: .post,
        headers: Self.formHeaders(cookie: cookie), body: ByteBuffer(string: "text=Bonjour")
      ) { response in #expect(response.status == .forbidden) }
      let csrf = SignInService.csrfToken(session: alice)
      try await client.execute(
        uri: "/app/conversations/\(booked)/messages", method: .post,
        headers: Self.formHeaders(cookie: cookie),
        body: ByteBuffer(string: "csrf=\(csrf)&text=Bonjour+Camille+%21")
      ) { response in
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == "/app/conversations/\(booked)")
      }
      // audit may view, not reply: the service refuses what the page does not show.
      try await client.execute(
        uri: "/app/conversations/\(booked)/messages", method: .post,
        headers: Self.formHeaders(cookie: "\(WebInbox.sessionCookie)=\(audit)"),
        body: ByteBuffer(
          string: "csrf=\(SignInService.csrfToken(session: audit))&text=Bonjour")
      ) { response in #expect(response.status == .forbidden) }
      try await client.execute(
        uri: "/app/conversations/\(booked)", method: .get, headers: Self.cookieHeaders(alice)
      ) { response in
        #expect(String(buffer: response.body).contains("Bonjour Camille !"))
      }
      // Signing in without the form token is refused before the password is read.
      try await client.execute(
        uri: "/login", method: .post, headers: Self.formHeaders(cookie: ""),
        body: ByteBuffer(string: "email=alice%40exemple.fr&password=x")
      ) { response in #expect(response.status == .forbidden) }
    }
  }

  @Test("a session's newest page streams stay, the oldest make room")
  func pageStreams() {
    let streams = PageStreams()
    for id in 1...UInt64(PageStreams.perSession) {
      #expect(streams.makeRoom(session: "a").isEmpty)
      streams.add(id, session: "a")
    }
    #expect(streams.makeRoom(session: "a") == [1])
    streams.add(9, session: "a")
    #expect(streams.makeRoom(session: "b") == [])
    streams.remove(2, session: "a")
    #expect(streams.makeRoom(session: "a") == [])
  }

  @Test("the list's URL keeps its view, search, sort and page")
  func listURL() throws {
    let renderer = try WebRenderer.bundled()
    #expect(renderer.listHref(.all, nil, .recent, nil) == "/app")
    #expect(
      renderer.listHref(.label("Support Technique"), "écran noir", .priority, "abc")
        == "/app?view=label:Support%20Technique&q=%C3%A9cran%20noir&sort=priority&cursor=abc")
    #expect(InboxPageService.View(parameter: "label:VIP") == .label("VIP"))
    #expect(InboxPageService.View(parameter: "reply") == .needsReply)
    #expect(InboxPageService.View(parameter: nil) == .all)
  }

  @Test("pages speak the language the browser prefers, French by default")
  func language() {
    #expect(WebText.preferred(nil).language == "fr")
    #expect(WebText.preferred("en-US,en;q=0.9").language == "en")
    #expect(WebText.preferred("fr-FR,fr;q=0.9,en;q=0.8").language == "fr")
    #expect(WebText.preferred("de-DE,en;q=0.5,fr;q=0.7").language == "fr")
    #expect(WebText.preferred("de-DE").language == "fr")
    #expect(WebText.english.weekdays.count == WebText.french.weekdays.count)
  }

  @Test("label chips take a readable text colour, and only a checked colour reaches the CSS")
  func chipColours() {
    #expect(WebAssets.chipColors("#2e7d32")?.1 == "#ffffff")
    #expect(WebAssets.chipColors("#ffeb3b")?.1 == "#000000")
    #expect(WebAssets.chipColors("red; } body { display: none") == nil)
    #expect(WebInbox.parseForm("a=1+2&b=%C3%A9t%C3%A9&c=") == ["a": "1 2", "b": "été", "c": ""])
  }
}
