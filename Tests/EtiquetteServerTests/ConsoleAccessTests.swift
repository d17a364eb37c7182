import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteSyntax
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import EtiquetteServer

/// The console's « Accès » and « Membres » (issue 17, parts 5 and 6): the matrix and « Qui
/// peut voir cette conversation ? » say what the engine says, cell by cell; the members page
/// invites, revokes and issues tokens, only for members who may manage everything.
@Suite("The admin console: access and members")
struct ConsoleAccessTests {
  /// One cell or line of an access table as the page shows it.
  struct ShownAccess: Equatable {
    var level: String
    var why: String
  }

  static let levelWords: [String: AccessLevel?] = [
    "Gérer": .manage, "Répondre": .reply, "Voir": .view, "Aucun accès": nil,
  ]

  /// The text of an HTML fragment as a reader sees it: the template engine's escapes undone.
  static func unescaped(_ html: some StringProtocol) -> String {
    String(html).replacingOccurrences(of: "&quot;", with: "\"")
      .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
      .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
      .replacingOccurrences(of: "\u{A0}", with: " ")
  }

  static func matches(_ pattern: String, in text: String) throws -> [[String]] {
    let regex = try NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
    let range = NSRange(text.startIndex..., in: text)
    return regex.matches(in: text, range: range).map { match in
      (1..<match.numberOfRanges).map { index in
        Range(match.range(at: index), in: text).map { unescaped(text[$0]) } ?? ""
      }
    }
  }

  /// The matrix page: its column headers and, per member, its cells in column order.
  static func matrix(_ html: String) throws -> (columns: [String], rows: [String: [ShownAccess]]) {
    let columns = try matches(#"<th scope="col">(.*?)</th>"#, in: html).map { $0[0] }
    var rows: [String: [ShownAccess]] = [:]
    for row in try matches(
      #"<tr><th scope="row">([^<]*)<span class="teams">.*?</th>(.*?)</tr>"#, in: html)
    {
      rows[row[0]] = try matches(
        #"<td class="access-\w+"><span class="level">(.*?)</span><span class="why">(.*?)</span></td>"#,
        in: row[1]
      ).map { ShownAccess(level: $0[0], why: $0[1]) }
    }
    return (columns, rows)
  }

  /// What a cell must say for `member` facing `labels`: the strongest level `Engine.can`
  /// allows (asked at every level), and where its grant is written.
  static func expect(
    _ shown: ShownAccess?, member: String, labels: Set<LabelID>, rules: LoadedRules,
    _ location: Testing.SourceLocation = #_sourceLocation
  ) {
    guard let shown else {
      Issue.record("no cell for \(member) facing \(labels)", sourceLocation: location)
      return
    }
    guard let level = levelWords[shown.level] else {
      Issue.record("unknown level word \(shown.level)", sourceLocation: location)
      return
    }
    for asked in AccessLevel.allCases {
      let answer = rules.engine.can(member, asked, labels: labels)
      // The shown level allows `asked` exactly when the engine does.
      #expect(
        (level.map { $0 >= asked } ?? false) == answer.allowed,
        "\(member) × \(labels): shown \(shown.level), engine says \(asked) \(answer.allowed)",
        sourceLocation: location)
    }
    let deciding = rules.engine.can(member, level ?? .view, labels: labels)
    if let grant = deciding.grant {
      let file = rules.sources[grant.grant.span.file]
      let line = file.map { $0.line(ofOffset: grant.grant.span.start) } ?? 0
      #expect(shown.why.contains("« \(rules.ruleSet[grant.team].name) »"), sourceLocation: location)
      #expect(shown.why.contains("complete.etq:\(line)"), sourceLocation: location)
      #expect(shown.why.contains("can \(grant.grant.level.rawValue)"), sourceLocation: location)
    } else {
      #expect(level == nil, sourceLocation: location)
      #expect(!shown.why.isEmpty, sourceLocation: location)
    }
  }

  static func get(
    _ client: any TestClientProtocol, _ uri: String, session: String
  ) async throws -> (HTTPResponse.Status, String) {
    try await client.execute(
      uri: uri, method: .get, headers: WebInboxTests.cookieHeaders(session)
    ) { ($0.status, String(buffer: $0.body)) }
  }

  static func post(
    _ client: any TestClientProtocol, _ uri: String, session: String, email: String,
    csrf: String? = nil
  ) async throws -> (HTTPResponse.Status, String) {
    try await AdminConsoleTests.post(
      client, uri, session: session,
      fields: ["email": email].merging(csrf.map { ["csrf": $0] } ?? [:]) { $1 },
      json: false, csrf: csrf == nil)
  }

  @Test("the matrix is the engine's answer for every member × label, each cell with its grant")
  func matrixAgreesWithEngine() async throws {
    let harness = try await ServerHarness()
    let manon = try await WebInboxTests.session(WebInboxTests.signIn(harness), "manon@exemple.fr")
    let rules = harness.server.rules.current
    try await harness.server.makeApplication().test(.router) { client in
      let (status, html) = try await Self.get(client, "/app/access", session: manon)
      #expect(status == .ok)
      #expect(html.contains(#"<a href="/app/access" aria-current="page">"#))
      let (columns, rows) = try Self.matrix(html)
      #expect(columns == ["Membre"] + rules.ruleSet.labels.map(\.name) + ["Sans étiquette"])
      #expect(Set(rows.keys) == Set(rules.ruleSet.members.map(\.email)))
      let labelSets = rules.ruleSet.labels.map { Set([$0.id]) } + [Set<LabelID>()]
      for member in rules.ruleSet.members {
        let cells = rows[member.email] ?? []
        #expect(cells.count == labelSets.count)
        for (index, labels) in labelSets.enumerated() {
          Self.expect(
            cells.indices.contains(index) ? cells[index] : nil, member: member.email,
            labels: labels, rules: rules)
        }
      }
      // A cell read as a person reads it.
      let manonCell = rows["manon@exemple.fr"]?.first
      #expect(manonCell?.level == "Gérer")
      #expect(
        manonCell?.why.hasPrefix("équipe « Superviseurs » : can manage all (complete.etq:") == true)
      // In English when the browser prefers it.
      var english = WebInboxTests.cookieHeaders(manon)
      english[.acceptLanguage] = "en-GB,en;q=0.9"
      let translated = try await client.execute(
        uri: "/app/access", method: .get, headers: english
      ) { String(buffer: $0.body) }
      #expect(translated.contains("No label") && translated.contains("Manage"))
      #expect(!translated.contains("Aucun accès"))
      let brunoCell = rows["bruno@exemple.fr"]?.first
      #expect(brunoCell?.level == "Aucun accès")
      #expect(
        brunoCell?.why.hasPrefix("hors de : équipe « Service Client » : can reply all except")
          == true)
    }
  }

  @Test("« Qui peut voir cette conversation ? » answers for its labels; linked for managers only")
  func conversationAccess() async throws {
    let harness = try await ServerHarness()
    let signIn = WebInboxTests.signIn(harness)
    let manon = try await WebInboxTests.session(signIn, "manon@exemple.fr")
    let audit = try await WebInboxTests.session(signIn, "audit@exemple.fr")
    let rules = harness.server.rules.current
    try await harness.server.makeApplication().test(.router) { client in
      try await ServerHarness.post(
        client,
        webhook: ServerHarness.textWebhook(
          from: "33600000001", id: "wamid.booked", text: "J'ai réservé, ma commande CMD-123456",
          name: "Camille"))
      let id = try #require(
        try await harness.list(client, as: "manon@exemple.fr").first?["id"]?.stringValue)
      let pane = try await Self.get(client, "/app/conversations/\(id)", session: manon).1
      #expect(pane.contains(#"<a class="access-link" href="/app/conversations/\#(id)/access">"#))
      let readOnly = try await Self.get(client, "/app/conversations/\(id)", session: audit).1
      #expect(!readOnly.contains("/access\""))

      let (status, html) = try await Self.get(
        client, "/app/conversations/\(id)/access", session: manon)
      #expect(status == .ok)
      #expect(html.contains("Qui peut voir cette conversation ?") && html.contains("Camille"))
      let labels = ConversationService.labelIDs(
        ["Personnes Qui Ont Planifié", "Demandes de Commande"], ruleSet: rules.ruleSet)
      #expect(labels.count == 2)
      let lines = try Self.matches(
        #"<tr><th scope="row">([^<]*)</th><td class="access-\w+"><span class="level">(.*?)</span></td><td class="why">(.*?)</td></tr>"#,
        in: html)
      #expect(lines.map { $0[0] } == rules.ruleSet.members.map(\.email))
      for line in lines {
        Self.expect(
          ShownAccess(level: line[1], why: line[2]), member: line[0], labels: labels,
          rules: rules)
      }
      #expect(
        try await Self.get(client, "/app/conversations/nope/access", session: manon).0 == .notFound)
    }
  }

  @Test("a member who may not manage everything gets 403 on every route, and changes nothing")
  func forbiddenToOthers() async throws {
    let harness = try await ServerHarness()
    let signIn = WebInboxTests.signIn(harness)
    let bruno = try await WebInboxTests.session(signIn, "bruno@exemple.fr")
    let alice = try await WebInboxTests.session(signIn, "alice@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      try await ServerHarness.post(
        client,
        webhook: ServerHarness.textWebhook(
          from: "33600000002", id: "wamid.order", text: "ma commande CMD-123456", name: "Basile"))
      let id = try #require(
        try await harness.list(client, as: "bruno@exemple.fr").first?["id"]?.stringValue)
      for uri in ["/app/access", "/app/members", "/app/conversations/\(id)/access"] {
        let (status, html) = try await Self.get(client, uri, session: bruno)
        #expect(status == .forbidden, "\(uri)")
        #expect(html.contains("can manage all"))
      }
      // Nor does bruno see the link in a conversation he may answer.
      #expect(
        !(try await Self.get(client, "/app/conversations/\(id)", session: bruno).1)
          .contains("/access\""))
      for action in ["invite", "token", "revoke"] {
        let (status, html) = try await Self.post(
          client, "/app/members/\(action)", session: bruno, email: "alice@exemple.fr")
        #expect(status == .forbidden, "\(action)")
        #expect(!html.contains("/invitation/") && !html.contains("etq_"))
      }
      #expect(try await signIn.member(session: alice) == "alice@exemple.fr")
      #expect(try await harness.server.store.members().allSatisfy { $0.revokedAt == nil })
      // Signed out: to the sign-in page.
      try await client.execute(uri: "/app/access", method: .get) { response in
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == "/login")
      }
    }
  }

  @Test("the members page's forms need the session's CSRF token")
  func csrfRefused() async throws {
    let harness = try await ServerHarness()
    let signIn = WebInboxTests.signIn(harness)
    let manon = try await WebInboxTests.session(signIn, "manon@exemple.fr")
    let alice = try await WebInboxTests.session(signIn, "alice@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      for action in ["invite", "token", "revoke"] {
        for csrf in [
          "", String(repeating: "0", count: 64), SignInService.csrfToken(session: alice),
        ] {
          let (status, html) = try await Self.post(
            client, "/app/members/\(action)", session: manon, email: "alice@exemple.fr",
            csrf: csrf)
          #expect(status == .forbidden, "\(action) with \(csrf)")
          #expect(!html.contains("/invitation/") && !html.contains("etq_"))
        }
      }
      #expect(try await signIn.member(session: alice) == "alice@exemple.fr")
      let activity = try await harness.server.store.memberActivity(now: 0)
      #expect(activity["alice@exemple.fr"]?.invitationExpiresAt == nil)
    }
  }

  @Test("an invitation from the members page gives a one-time link that signs the member in")
  func invitationLinkSignsIn() async throws {
    let harness = try await ServerHarness()
    let signIn = WebInboxTests.signIn(harness)
    let manon = try await WebInboxTests.session(signIn, "manon@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      var (status, html) = try await Self.get(client, "/app/members", session: manon)
      #expect(status == .ok)
      #expect(html.contains("chloe@exemple.fr") && html.contains("jamais connecté·e"))
      #expect(html.contains("pas de configuration SMTP") == false)
      (status, html) = try await Self.post(
        client, "/app/members/invite", session: manon, email: "chloe@exemple.fr")
      #expect(status == .ok)
      #expect(html.contains("pas de configuration SMTP"))
      let token = try #require(
        try Self.matches(#"href="[^"]*/invitation/([^"]+)""#, in: html).first?[0])
      #expect(html.contains("invitation en attente"))
      // The link opens the invitation form for chloe, and choosing a password signs her in.
      (status, html) = try await client.execute(uri: "/invitation/\(token)", method: .get) {
        ($0.status, String(buffer: $0.body))
      }
      #expect(status == .ok && html.contains("chloe@exemple.fr"))
      guard
        case .signedIn(let session) = try await signIn.acceptInvitation(
          token: token, password: WebInboxTests.password)
      else {
        Issue.record("the invitation did not sign chloe in")
        return
      }
      #expect(try await Self.get(client, "/app", session: session).0 == .ok)
      // Once only.
      #expect(
        try await signIn.acceptInvitation(token: token, password: WebInboxTests.password)
          == .invitationInvalid)
      html = try await Self.get(client, "/app/members", session: manon).1
      #expect(html.contains("connecté·e, dernière connexion connue le"))
      // Nobody outside the rules.
      (status, html) = try await Self.post(
        client, "/app/members/invite", session: manon, email: "inconnu@exemple.fr")
      #expect(status == .unprocessableContent)
      #expect(!html.contains("/invitation/"))
    }
  }

  @Test("revoking ends the member's sessions and token; a new token restores them")
  func revokeEndsSessionAndToken() async throws {
    let harness = try await ServerHarness()
    let signIn = WebInboxTests.signIn(harness)
    let manon = try await WebInboxTests.session(signIn, "manon@exemple.fr")
    let alice = try await WebInboxTests.session(signIn, "alice@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      #expect(try await Self.get(client, "/app", session: alice).0 == .ok)
      try await client.execute(
        uri: "/v1/conversations", method: .get, headers: harness.auth("alice@exemple.fr")
      ) { #expect($0.status == .ok) }

      var (status, html) = try await Self.post(
        client, "/app/members/revoke", session: manon, email: "alice@exemple.fr")
      #expect(status == .ok)
      #expect(html.contains("Accès de alice@exemple.fr révoqué"))
      #expect(html.contains("révoqué le"))
      // The next request with her cookie is signed out; her token is refused.
      try await client.execute(
        uri: "/app", method: .get, headers: WebInboxTests.cookieHeaders(alice)
      ) { response in
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == "/login")
      }
      try await client.execute(
        uri: "/v1/conversations", method: .get, headers: harness.auth("alice@exemple.fr")
      ) { #expect($0.status == .unauthorized) }
      #expect(
        try await signIn.signIn(
          email: "alice@exemple.fr", password: WebInboxTests.password, address: "127.0.0.1")
          == .refused)
      // An invitation would be refused at once: the page says what restores her.
      (status, html) = try await Self.post(
        client, "/app/members/invite", session: manon, email: "alice@exemple.fr")
      #expect(status == .unprocessableContent)
      // A new token, shown once, lifts the revocation.
      (status, html) = try await Self.post(
        client, "/app/members/token", session: manon, email: "alice@exemple.fr")
      #expect(status == .ok)
      let token = try #require(
        try Self.matches(#"id="secret" type="text" readonly value="([^"]+)""#, in: html).first?[0])
      #expect(try await harness.server.store.member(forToken: token) == "alice@exemple.fr")
      #expect(
        try await signIn.signIn(
          email: "alice@exemple.fr", password: WebInboxTests.password, address: "127.0.0.1")
          != .refused)
      // A manager never revokes themselves.
      (status, _) = try await Self.post(
        client, "/app/members/revoke", session: manon, email: "manon@exemple.fr")
      #expect(status == .unprocessableContent)
      #expect(try await signIn.member(session: manon) == "manon@exemple.fr")
    }
  }

  @Test("a member who never had a token is revoked too; AI agents get and lose tokens")
  func revokeWithoutTokenAndAgents() async throws {
    let (directory, file, text) = try ServerHarness.editableRules()
    // zoe is in the rules but, unlike the harness's members, has no API token.
    try text.replacingOccurrences(
      of: #"members ["alice@exemple.fr"]"#, with: #"members ["alice@exemple.fr", "zoe@exemple.fr"]"#
    ).write(to: file, atomically: true, encoding: .utf8)
    let harness = try await ServerHarness(rulesDirectory: directory.path) {
      $0.aiAgents = ["robot@exemple.fr"]
    }
    let signIn = WebInboxTests.signIn(harness)
    let manon = try await WebInboxTests.session(signIn, "manon@exemple.fr")
    let zoe = try await WebInboxTests.session(signIn, "zoe@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      var html = try await Self.get(client, "/app/members", session: manon).1
      #expect(html.contains("zoe@exemple.fr") && html.contains("robot@exemple.fr"))
      _ = try await Self.post(
        client, "/app/members/revoke", session: manon, email: "zoe@exemple.fr")
      #expect(try await signIn.member(session: zoe) == nil)
      // The agent's token: issued, shown once, then revoked.
      var status: HTTPResponse.Status
      (status, html) = try await Self.post(
        client, "/app/members/token", session: manon, email: "robot@exemple.fr")
      #expect(status == .ok)
      let token = try #require(
        try Self.matches(#"id="secret" type="text" readonly value="([^"]+)""#, in: html).first?[0])
      #expect(try await harness.server.store.member(forToken: token) == "robot@exemple.fr")
      (status, _) = try await Self.post(
        client, "/app/members/revoke", session: manon, email: "robot@exemple.fr")
      #expect(status == .ok)
      #expect(try await harness.server.store.member(forToken: token) == nil)
      // Nor a token for just anyone.
      (status, _) = try await Self.post(
        client, "/app/members/token", session: manon, email: "inconnu@exemple.fr")
      #expect(status == .unprocessableContent)
    }
  }
}
