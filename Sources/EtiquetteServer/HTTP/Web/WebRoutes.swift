import EtiquetteEngine
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle

/// The web inbox's routes (issue 16): sign-in, the list and a conversation, the forms that act
/// on it. Every page works without JavaScript: each action is a real form whose POST answers
/// with a redirect (303) to the page that shows its outcome.
///
/// Handlers decode, find the member of the session, call one service and render; access is
/// the services' (a conversation the member may not view is 404 here as in the API).
struct WebInbox: Sendable {
  let signIn: SignInService
  let pages: InboxPageService
  let renderer: WebRenderer
  let rules: RuleHolder
  let clock: WallClock
  /// `Secure` cookies when the server is reached over https (`public_url`).
  let secureCookies: Bool
  /// The live events the API's `/v1/stream` serves, for the page's own stream.
  let live: LiveStream
  /// The console's published rule versions, and the one way to publish.
  let versions: any RuleVersionStore
  let publisher: RulePublisher
  /// The console's impact replays (issue 17).
  let impacts: RuleImpacts
  let pageStreams = PageStreams()

  static let sessionCookie = "etiquette_session"
  /// The double-submit token of the forms shown before a session exists (sign-in, invitation).
  static let formCookie = "etiquette_form"

  typealias Context = InboxServer.Context

  func register(on router: Router<Context>) {
    router.get("/") { request, _ in
      try await member(of: request) == nil ? redirect("/login") : redirect("/app")
    }
    router.get("/login") { request, _ in signInForm(request) }
    router.post("/login") { request, context in try await submitSignIn(request, context) }
    router.post("/logout") { request, _ in try await signOut(request) }
    router.get("/invitation/:token") { request, context in
      try await invitationForm(request, token: context.parameters.get("token") ?? "")
    }
    router.post("/invitation/:token") { request, context in
      try await acceptInvitation(request, token: context.parameters.get("token") ?? "")
    }
    router.get("/app") { request, _ in try await inbox(request, conversation: nil) }
    router.get("/app/conversations/:id") { request, context in
      try await inbox(request, conversation: context.parameters.get("id") ?? "")
    }
    router.post("/app/conversations/:id/messages") { request, context in
      try await act(request, context) { form in .reply(text: form["text"]) }
    }
    router.post("/app/conversations/:id/handoff") { request, context in
      try await act(request, context) { form in .handoff(action: form["action"]) }
    }
    router.post("/app/conversations/:id/notes") { request, context in
      try await act(request, context) { form in .note(text: form["text"]) }
    }
    router.post("/app/conversations/:id/labels") { request, context in
      try await act(request, context) { form in
        form["remove"].map { .removeLabel(name: $0) } ?? .addLabel(name: form["label"])
      }
    }
    router.post("/app/conversations/:id/unread") { request, context in
      try await markUnread(request, context)
    }
    router.get("/app/stream") { request, _ in try await stream(request) }
    registerConsole(on: router)
    registerDashboard(on: router)
    registerAccessPages(on: router)
    registerImpact(on: router)
    router.get("/static/:file") { _, context in asset(context.parameters.get("file") ?? "") }
    // At the root, so the service worker's scope covers the app; never cached long, so a new
    // version of the shell reaches browsers at their next visit.
    router.get("/sw.js") { request, _ in
      generated(localized(request).serviceWorker(), contentType: "text/javascript; charset=utf-8")
    }
    router.get("/manifest.webmanifest") { request, _ in
      generated(localized(request).manifest(), contentType: "application/manifest+json")
    }
  }

  // MARK: - Signing in

  func signInForm(
    _ request: Request, email: String = "", error: String? = nil,
    status: HTTPResponse.Status = .ok
  ) -> Response {
    let renderer = localized(request)
    let (token, cookie) = formToken(request)
    var response = page(renderer.signInPage(csrf: token, email: email, error: error), status)
    if let cookie { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
    return response
  }

  func submitSignIn(_ request: Request, _ context: Context) async throws -> Response {
    let renderer = localized(request)
    let form = try await Self.form(request)
    guard hasFormToken(request, form) else { return refusedForm(request) }
    let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
    let address = context.remoteAddress?.ipAddress ?? "unknown"
    switch try await signIn.signIn(email: email, password: form["password"] ?? "", address: address)
    {
    case .signedIn(let session): return signedIn(session)
    case .throttled:
      return signInForm(
        request, email: email, error: renderer.text.throttled, status: .tooManyRequests)
    default:
      return signInForm(
        request, email: email, error: renderer.text.signInRefused, status: .unauthorized)
    }
  }

  func invitationForm(_ request: Request, token: String) async throws -> Response {
    let renderer = localized(request)
    let email = try await signIn.invitedMember(token: token)
    let (formToken, cookie) = formToken(request)
    var response = page(
      renderer.invitationPage(token: token, email: email, csrf: formToken),
      email == nil ? .notFound : .ok)
    if let cookie { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
    return response
  }

  func acceptInvitation(_ request: Request, token: String) async throws -> Response {
    let renderer = localized(request)
    let form = try await Self.form(request)
    guard hasFormToken(request, form) else { return refusedForm(request) }
    let outcome = try await signIn.acceptInvitation(token: token, password: form["password"] ?? "")
    switch outcome {
    case .signedIn(let session): return signedIn(session)
    case .passwordTooShort:
      let email = try await signIn.invitedMember(token: token)
      return page(
        renderer.invitationPage(
          token: token, email: email, csrf: form["csrf"] ?? "",
          error: renderer.text.passwordTooShort), .unprocessableContent)
    default:
      return page(
        renderer.invitationPage(token: token, email: nil, csrf: form["csrf"] ?? ""), .notFound)
    }
  }

  func signOut(_ request: Request) async throws -> Response {
    let form = try await Self.form(request)
    guard let session = Self.cookie(Self.sessionCookie, in: request) else {
      return redirect("/login")
    }
    guard SignInService.isValidCSRF(form["csrf"], session: session) else {
      return refusedForm(request)
    }
    try await signIn.signOut(session: session)
    var response = redirect("/login")
    response.headers.append(
      HTTPField(name: .setCookie, value: cookie(Self.sessionCookie, "", maxAge: 0)))
    return response
  }

  func signedIn(_ session: String) -> Response {
    var response = redirect("/app")
    response.headers.append(HTTPField(name: .setCookie, value: cookie(Self.sessionCookie, session)))
    return response
  }

  /// The form token of the sign-in and invitation forms, and the cookie to set when the
  /// browser has none yet.
  func formToken(_ request: Request) -> (String, String?) {
    if let token = Self.cookie(Self.formCookie, in: request), token.count == 64 {
      return (token, nil)
    }
    var generator = SystemRandomNumberGenerator()
    let token = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexString
    return (token, cookie(Self.formCookie, token))
  }

  func hasFormToken(_ request: Request, _ form: [String: String]) -> Bool {
    guard let cookie = Self.cookie(Self.formCookie, in: request), let field = form["csrf"]
    else { return false }
    return InboxServer.constantTimeEqual(cookie, field)
  }

  // MARK: - The inbox

  /// The member and session cookie of a request, or nil (no cookie, expired, revoked, or no
  /// longer in the rules).
  func member(of request: Request) async throws -> (email: String, session: String)? {
    guard let session = Self.cookie(Self.sessionCookie, in: request),
      let email = try await signIn.member(session: session)
    else { return nil }
    return (email, session)
  }

  func inbox(_ request: Request, conversation id: String?) async throws -> Response {
    let renderer = localized(request)
    guard let (member, session) = try await member(of: request) else { return redirect("/login") }
    // Read before the store: a change committed from here on makes the stream's first mark
    // differ, and the page fetches itself again.
    let change = live.changeMark
    let view = InboxPageService.View(
      parameter: Self.query(request).first("view"))
    do {
      var opened: InboxPageService.Opened?
      if let id { opened = try await pages.open(member: member, id: id) }
      let parameters = Self.query(request)
      var options = InboxPageService.ListOptions()
      options.search = parameters.first("q").flatMap {
        $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0
      }
      options.sort = parameters.first("sort") == "priority" ? .priority : .recent
      options.cursor = parameters.first("cursor")
      options.filter = Self.labelFilter(parameters)
      let list = try await pages.list(member: member, view: view, options: options)
      let counts = try await pages.counts(member: member)
      return page(
        renderer.inboxPage(
          member: member, csrf: SignInService.csrfToken(session: session), view: view,
          counts: counts, options: options, nextCursor: list.nextCursor,
          labels: pages.visibleLabels(member: member), rows: list.rows, opened: opened,
          rules: rules.current, rulesPath: rules.path, now: clock.now(), change: change,
          draft: parameters.first("draft").flatMap { Int64($0) }), .ok)
    } catch let error as APIError {
      return errorPage(error, request)
    }
  }

  /// The label filter of the list's URL: `label` (repeated), `match=all`, `without`
  /// (repeated); names the rules do not define are kept, and simply find nothing.
  static func labelFilter(_ parameters: FormFields) -> InboxPageService.LabelFilter {
    func names(_ key: String) -> [String] {
      var seen: Set<String> = []
      return parameters.all(key).filter { !$0.isEmpty && seen.insert($0).inserted }
    }
    return InboxPageService.LabelFilter(
      labels: names("label"), matchAll: parameters.first("match") == "all",
      without: names("without"))
  }

  /// The page's query string, read as a browser's GET form writes it (`+` for a space, which
  /// a URI's own decoding keeps as `+`).
  static func query(_ request: Request) -> FormFields {
    FormFields(request.uri.query ?? "")
  }

  func act(
    _ request: Request, _ context: Context,
    _ decode: ([String: String]) -> AgentActionRequest
  ) async throws -> Response {
    guard let (member, session) = try await member(of: request) else { return redirect("/login") }
    let form = try await Self.form(request)
    guard SignInService.isValidCSRF(form["csrf"], session: session) else {
      return refusedForm(request)
    }
    let id = context.parameters.get("id") ?? ""
    do {
      try await pages.act(decode(form), on: id, by: member)
    } catch let error as APIError {
      return errorPage(error, request)
    }
    return redirect("/app/conversations/" + WebRenderer.pathEscaped(id) + Self.listQuery(form))
  }

  /// `GET /app/stream`: the member's live events (those of `/v1/stream`, for the visible
  /// conversations) over the session cookie, for the page's `live.js`. Before each frame the
  /// session is checked again: a member signed out, revoked or removed from the rules loses
  /// the stream before the next event.
  func stream(_ request: Request) async throws -> Response {
    let renderer = localized(request)
    guard let (member, session) = try await member(of: request) else {
      return page(renderer.messagePage(renderer.text.notFound), .unauthorized)
    }
    // Each page opens its own stream and the browser drops it at the next page: the oldest
    // streams of this session make room, so quick navigation never meets the member's limit.
    for stale in pageStreams.makeRoom(session: session) { live.unsubscribe(stale) }
    let id: UInt64
    let frames: AsyncStream<String>
    do {
      (id, frames) = try live.subscribe(member: member)
    } catch {
      return page(renderer.messagePage(renderer.text.throttled), .tooManyRequests)
    }
    pageStreams.add(id, session: session)
    let pageStreams = pageStreams
    var headers = Self.securityHeaders
    headers[.contentType] = "text/event-stream; charset=utf-8"
    headers[.cacheControl] = "no-cache"
    if let name = HTTPField.Name("X-Accel-Buffering") { headers[name] = "no" }
    let live = live
    let signIn = signIn
    return Response(
      status: .ok, headers: headers,
      body: ResponseBody { writer in
        defer {
          live.unsubscribe(id)
          pageStreams.remove(id, session: session)
        }
        // Where the changes stand now that the subscription is in place: the page compares
        // it with the mark it was drawn at (`LiveStream.changeMark`).
        try await writer.write(
          ByteBuffer(
            string: "retry: 2000\nevent: ready\ndata: "
              + JSONLine.encode(["change": live.changeMark]) + "\n\n"))
        // A page's stream ends at every navigation, and a closed connection is noticed only by
        // a write: a short comment every 2 s frees the slot of a page left (the member's
        // streams are limited) long before the stream's own 15 s keep-alive would.
        let (merged, input) = AsyncStream.makeStream(of: String?.self)
        let forward = Task {
          for await frame in frames { input.yield(frame) }
          input.finish()
        }
        let ticker = Task {
          while !Task.isCancelled {
            try? await Task.sleep(for: Self.streamProbeInterval)
            input.yield(nil)
          }
        }
        defer {
          forward.cancel()
          ticker.cancel()
        }
        try await withGracefulShutdownHandler {
          for await item in merged {
            guard let frame = item else {
              try await writer.write(ByteBuffer(string: ":\n\n"))
              continue
            }
            guard try await signIn.member(session: session, touch: false) == member else {
              break
            }
            try await writer.write(ByteBuffer(string: frame))
            live.delivered(frame.utf8.count, to: id)
          }
        } onGracefulShutdown: {
          input.finish()
          live.unsubscribe(id)
        }
        try await writer.finish(nil)
      })
  }

  func markUnread(_ request: Request, _ context: Context) async throws -> Response {
    guard let (member, session) = try await member(of: request) else { return redirect("/login") }
    let form = try await Self.form(request)
    guard SignInService.isValidCSRF(form["csrf"], session: session) else {
      return refusedForm(request)
    }
    do {
      try await pages.markUnread(member: member, id: context.parameters.get("id") ?? "")
    } catch let error as APIError {
      return errorPage(error, request)
    }
    // To the list: opening the conversation again would read it.
    return redirect("/app" + Self.listQuery(form))
  }

  /// The list's query string a form sends back (`list`), so that an action returns to the
  /// same list: only ever appended to a path of this server, and refused unless it is a plain
  /// query string.
  static func listQuery(_ form: [String: String]) -> String {
    guard let query = form["list"], query.hasPrefix("?"), query.count < 4096,
      !query.contains(where: { $0.isWhitespace || $0 == "#" || $0 == "\\" })
    else { return "" }
    return query
  }

  /// The renderer speaking the language the browser asks for (`Accept-Language`).
  func localized(_ request: Request) -> WebRenderer {
    var renderer = renderer
    renderer.text = WebText.preferred(request.headers[.acceptLanguage])
    return renderer
  }

  /// How often the page's stream checks that its browser is still there.
  static let streamProbeInterval = Duration.seconds(2)

  func errorPage(_ error: APIError, _ request: Request) -> Response {
    let renderer = localized(request)
    let message = error.status == .notFound ? renderer.text.notFound : error.message
    return page(renderer.messagePage(message), error.status)
  }

  func refusedForm(_ request: Request) -> Response {
    page(localized(request).messagePage(renderer.text.csrfRefused), .forbidden)
  }

  // MARK: - Static files

  func asset(_ name: String) -> Response {
    let loaded = rules.current
    if name == WebRenderer.labelStylesheetName(loaded) {
      let css = WebAssets.labelStylesheet(
        colors: loaded.ruleSet.labels.enumerated().map { ($0.offset, $0.element.color) })
      return staticFile(Array(css.utf8), contentType: "text/css; charset=utf-8")
    }
    guard let file = renderer.assets.files[name] else {
      return page(renderer.messagePage(renderer.text.notFound), .notFound)
    }
    return staticFile(file.body, contentType: file.contentType)
  }

  func generated(_ text: String, contentType: String) -> Response {
    var headers = Self.securityHeaders
    headers[.contentType] = contentType
    headers[.cacheControl] = "no-cache"
    return Response(
      status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
  }

  func staticFile(_ body: [UInt8], contentType: String) -> Response {
    var headers = Self.securityHeaders
    headers[.contentType] = contentType
    // The name carries the content's hash: a new version is a new name.
    headers[.cacheControl] = "public, max-age=31536000, immutable"
    return Response(
      status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
  }

  // MARK: - Responses

  /// No inline script or style, nothing from another origin, never in a frame.
  static let contentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    + "frame-ancestors 'none'"

  static let securityHeaders: HTTPFields = [
    .contentSecurityPolicy: contentSecurityPolicy,
    HTTPField.Name("X-Frame-Options")!: "DENY",
    HTTPField.Name("X-Content-Type-Options")!: "nosniff",
    HTTPField.Name("Referrer-Policy")!: "same-origin",
  ]

  func page(_ html: String, _ status: HTTPResponse.Status) -> Response {
    var headers = Self.securityHeaders
    headers[.contentType] = "text/html; charset=utf-8"
    // Pages show conversations: never kept by a cache.
    headers[.cacheControl] = "no-store"
    return Response(
      status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
  }

  func redirect(_ location: String) -> Response {
    var headers = Self.securityHeaders
    headers[.location] = location
    headers[.cacheControl] = "no-store"
    return Response(status: .seeOther, headers: headers)
  }

  /// HttpOnly (no script reads it), SameSite=Lax (not sent with another site's POST), Secure
  /// over https.
  func cookie(_ name: String, _ value: String, maxAge: Int? = nil) -> String {
    var text = "\(name)=\(value); Path=/; HttpOnly; SameSite=Lax"
    if let maxAge { text += "; Max-Age=\(maxAge)" }
    if secureCookies { text += "; Secure" }
    return text
  }

  // MARK: - Decoding

  static func cookie(_ name: String, in request: Request) -> String? {
    for header in request.headers[values: .cookie] {
      for pair in header.split(separator: ";") {
        let parts = pair.trimmingCharacters(in: .whitespaces).split(
          separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2, parts[0] == name, !parts[1].isEmpty { return String(parts[1]) }
      }
    }
    return nil
  }

  /// An `application/x-www-form-urlencoded` body (what a plain `<form method="post">` sends).
  static func form(_ request: Request) async throws -> [String: String] {
    let buffer = try await request.body.collect(upTo: 256 * 1024)
    return parseForm(String(buffer: buffer))
  }

  static func parseForm(_ body: String) -> [String: String] {
    var fields: [String: String] = [:]
    for (name, value) in FormFields(body).pairs where fields[name] == nil { fields[name] = value }
    return fields
  }
}

extension InboxServer {
  /// A one-time invitation token to the web inbox for a member of the rules (nil for anyone
  /// else): the development mode prints one per member, as `/invitation/TOKEN` links.
  public func inviteToWebInbox(_ email: String) async throws -> String? {
    try await web.signIn.invite(email)
  }
}

/// The live streams each session's pages hold open, oldest first.
final class PageStreams: @unchecked Sendable {
  /// Streams one session keeps (tabs of one browser); a new page's stream ends the oldest
  /// beyond it (below `LiveStream.streamsPerMember`, so API clients keep their own room).
  static let perSession = 4
  // INVARIANT: `open` is read and written under `lock` only.
  private let lock = NSLock()
  private var open: [String: [UInt64]] = [:]

  /// The streams to end so that one more fits.
  func makeRoom(session: String) -> [UInt64] {
    lock.withLock {
      let ids = open[session] ?? []
      let excess = max(0, ids.count - (Self.perSession - 1))
      open[session] = Array(ids.dropFirst(excess))
      return Array(ids.prefix(excess))
    }
  }

  func add(_ id: UInt64, session: String) {
    lock.withLock { open[session, default: []].append(id) }
  }

  func remove(_ id: UInt64, session: String) {
    lock.withLock {
      open[session]?.removeAll { $0 == id }
      if open[session]?.isEmpty == true { open[session] = nil }
    }
  }
}

/// `application/x-www-form-urlencoded` text (a POST body, or the query of a GET form): names
/// may repeat (`label=A&label=B`), `+` is a space.
struct FormFields: Sendable {
  let pairs: [(String, String)]

  init(_ text: String) {
    func decode(_ part: Substring) -> String {
      let spaced = part.replacingOccurrences(of: "+", with: " ")
      return spaced.removingPercentEncoding ?? spaced
    }
    pairs = text.split(separator: "&").map { pair in
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
    }
  }

  func first(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }

  func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }
}
