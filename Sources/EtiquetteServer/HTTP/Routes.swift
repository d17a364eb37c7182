import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteSyntax
import Foundation
import Hummingbird
import HummingbirdAuth

extension InboxServer {
  func register(on r: inout RouteRecorder) {
    r.add(.get, "/healthz") { _, _ in JSONResponse.make(StatusAnswer(status: "ok")) }
    r.add(.get, "/metrics") { request, _ in
      if let expected = configuration.metricsToken {
        guard let token = Self.bearerToken(request), Self.constantTimeEqual(token, expected) else {
          throw APIError.unauthorized("the metrics token is required (metrics_token)")
        }
      }
      return JSONResponse.text(metrics.render(), contentType: "text/plain; version=0.0.4")
    }
    r.add(.get, "/openapi.json") { _, _ in
      JSONResponse.text(OpenAPIDocument.json, contentType: "application/json")
    }
    r.add(.get, "/webhooks/whatsapp") { request, _ in handshake(request) }
    r.add(.post, "/webhooks/whatsapp") { request, _ in try await receiveWebhook(request) }
    r.add(.post, "/v1/events") { request, _ in try await receiveEvent(request) }
    r.add(.get, "/v1/me") { request, _ in try await me(request) }
    r.add(.post, "/v1/rules/reload") { request, _ in try await reload(request) }
    r.add(.get, "/v1/conversations") { request, _ in try await listConversations(request) }
    r.add(.get, "/v1/conversations/{id}") { request, context in
      try await getConversation(request, context)
    }
    r.add(.post, "/v1/conversations/{id}/messages") { request, context in
      try await agentAction(request, context) { body in .reply(text: body["text"]?.stringValue) }
    }
    r.add(.post, "/v1/conversations/{id}/labels") { request, context in
      try await agentAction(request, context) { body in
        .addLabel(name: body["label"]?.stringValue)
      }
    }
    r.add(.delete, "/v1/conversations/{id}/labels/{label}") { request, context in
      let raw = context.parameters.get("label") ?? ""
      let name = raw.removingPercentEncoding ?? raw
      return try await agentAction(request, context, readsBody: false) { _ in
        .removeLabel(name: name)
      }
    }
    r.add(.post, "/v1/conversations/{id}/notes") { request, context in
      try await agentAction(request, context) { body in .note(text: body["text"]?.stringValue) }
    }
    r.add(.post, "/v1/conversations/{id}/handoff") { request, context in
      try await agentAction(request, context) { body in
        .handoff(action: body["action"]?.stringValue)
      }
    }
    r.add(.post, "/v1/conversations/{id}/read") { request, context in
      try await markRead(request, context, read: true)
    }
    r.add(.post, "/v1/conversations/{id}/unread") { request, context in
      try await markRead(request, context, read: false)
    }
    registerWebhookRoutes(on: &r)
    registerFailedMessageRoutes(on: &r)
    registerSendingRoutes(on: &r)
    registerRealtimeRoutes(on: &r)
  }

  // MARK: - WhatsApp

  func handshake(_ request: Request) -> Response {
    let query = request.uri.queryParameters
    guard query["hub.mode"] == "subscribe", let expected = configuration.whatsappVerifyToken,
      let token = query["hub.verify_token"].map(String.init),
      Self.constantTimeEqual(token, expected),
      let challenge = query["hub.challenge"]
    else {
      return JSONResponse.text("forbidden", status: .forbidden)
    }
    return JSONResponse.text(String(challenge))
  }

  static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    var difference = UInt8(x.count == y.count ? 0 : 1)
    for i in 0..<max(x.count, y.count) {
      difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return difference == 0
  }

  func receiveWebhook(_ request: Request) async throws -> Response {
    let buffer = try await request.body.collect(upTo: configuration.maxBodyBytes)
    let body = Array(buffer.readableBytesView)
    guard let secret = configuration.whatsappAppSecret else {
      throw APIError(
        status: .serviceUnavailable, code: "not_configured",
        message: "the WhatsApp app secret is not configured")
    }
    // Verified before anything reads the body.
    let signature = request.headers.first {
      $0.name.canonicalName == "x-hub-signature-256"
    }?.value
    guard WebhookSignature.isValid(header: signature, body: body, secret: secret) else {
      throw APIError.unauthorized("missing or invalid X-Hub-Signature-256")
    }
    let payload: WhatsAppPayload
    do {
      payload = try WhatsAppPayload.parse(body, receivedAt: store.clock.now())
    } catch {
      throw APIError.badRequest(error.description)
    }
    // Committed together with the bodies that arrived alongside it, then processed; only then
    // does the 200 go out. A failed commit throws here: no 200 for a body not stored.
    try await intake.submit(body: body, payload: payload)
    return JSONResponse.make(StatusAnswer(status: "received"))
  }

  // MARK: - Auth

  func authenticate(_ request: Request) async throws -> String {
    guard let token = Self.bearerToken(request),
      let email = try await store.member(forToken: token)
    else { throw APIError.unauthorized() }
    return email
  }

  /// The token of `Authorization: Bearer TOKEN`, if any (HummingbirdAuth reads the header; an
  /// empty token is none). Every route that takes a token reads it here.
  static func bearerToken(_ request: Request) -> String? {
    guard let token = request.headers.bearer?.token, !token.isEmpty else { return nil }
    return token
  }

  /// `limit` (1…500, 50 when absent) and `cursor` (the previous page's `nextCursor`, a row
  /// key) of the managers' keyset-paged lists: webhook deliveries, failed messages.
  static func keysetPage(_ request: Request) throws -> (limit: Int, before: Int64?) {
    let q = request.uri.queryParameters
    var limit = 50
    if let text = q["limit"] {
      guard let value = Int(text), (1...500).contains(value) else {
        throw APIError.badRequest("\"limit\" must be an integer from 1 to 500")
      }
      limit = value
    }
    var before: Int64?
    if let cursor = q["cursor"] {
      guard let key = Int64(cursor), key > 0 else {
        throw APIError.badRequest("\"cursor\" must be the nextCursor of the previous page")
      }
      before = key
    }
    return (limit, before)
  }

  func jsonBody(_ request: Request) async throws -> [String: JSONValue] {
    let buffer = try await request.body.collect(upTo: 1024 * 1024)
    return try Self.jsonObject(Array(buffer.readableBytesView))
  }

  static func jsonObject(_ bytes: [UInt8]) throws -> [String: JSONValue] {
    guard
      let json = try? JSONValue.parse(bytes: bytes, replacingNUL: true),
      case .object(let object) = json
    else { throw APIError.badRequest("the body must be a JSON object") }
    return object
  }

  // MARK: - Conversations

  func listConversations(_ request: Request) async throws -> Response {
    let member = try await authenticate(request)
    let q = request.uri.queryParameters
    var query = ConversationListQuery()
    query.label = q["label"].map(String.init)
    query.mode = q["mode"].map(String.init)
    query.assignee = q["assignee"].map(String.init)
    query.text = q["q"].map(String.init)
    query.cursor = q["cursor"].map(String.init)
    if let unread = q["unread"] {
      guard unread == "true" || unread == "false" else {
        throw APIError.badRequest("\"unread\" must be true or false")
      }
      query.unread = unread == "true"
    }
    if let sort = q["sort"] {
      guard let value = ConversationListQuery.Sort(rawValue: String(sort)) else {
        throw APIError.badRequest("\"sort\" must be recent or priority")
      }
      query.sort = value
    }
    if let limit = q["limit"] {
      guard let value = Int(limit), value > 0 else {
        throw APIError.badRequest("\"limit\" must be a positive integer")
      }
      query.limit = value
    }
    return JSONResponse.make(try await conversations.list(member: member, query: query))
  }

  func getConversation(_ request: Request, _ context: Context) async throws -> Response {
    let member = try await authenticate(request)
    let id = context.parameters.get("id") ?? ""
    return JSONResponse.make(try await conversations.detail(member: member, id: id))
  }

  /// An action on a conversation (`ConversationService.act`): 404 when the member may not
  /// view it, 403 when the action needs more, then 422 for the body's content.
  func agentAction(
    _ request: Request, _ context: Context, readsBody: Bool = true,
    _ decode: ([String: JSONValue]) -> AgentActionRequest
  ) async throws -> Response {
    // The token first: nothing about the request is answered to an anonymous caller.
    let member = try await authenticate(request)
    let id = context.parameters.get("id") ?? ""
    let body = readsBody ? try await jsonBody(request) : [:]
    let record = try await conversations.act(decode(body), on: id, by: member)
    if case .agent(_, .reply) = record.step.kind {
      return JSONResponse.make(QueuedReplyAnswer(decision: record.document), status: .created)
    }
    return JSONResponse.make(DecisionAnswer(decision: record.document))
  }

  func markRead(_ request: Request, _ context: Context, read: Bool) async throws -> Response {
    let member = try await authenticate(request)
    let id = context.parameters.get("id") ?? ""
    let count = try await conversations.markRead(member: member, id: id, read: read)
    return JSONResponse.make(UnreadCountAnswer(unreadCount: count))
  }

  // MARK: - Me and rules

  struct MeDocument: Codable, Sendable {
    struct Grant: Codable, Sendable {
      var team: String
      var level: String
      /// `all`, `labels` or `all_except`.
      var scope: String
      var labels: [String]
    }
    var email: String
    var teams: [String]
    var grants: [Grant]
    var rights: [String]
    var canManageRules: Bool
    var ruleSetVersion: String
  }

  func me(_ request: Request) async throws -> Response {
    let member = try await authenticate(request)
    let loaded = rules.current
    let ruleSet = loaded.ruleSet
    guard let definition = ruleSet.member(member) else {
      throw APIError.forbidden("\"\(member)\" is in no team of the current rules")
    }
    var grants: [MeDocument.Grant] = []
    var rights: [String] = []
    for team in definition.teams {
      for grant in ruleSet[team].grants {
        let (scope, labels, words): (String, [LabelID], String) =
          switch grant.scope {
          case .all: ("all", [], "every conversation")
          case .labels(let l): ("labels", l, "conversations labelled ")
          case .allExcept(let l): ("all_except", l, "every conversation except those labelled ")
          }
        let names = labels.map { ruleSet[$0].name }
        grants.append(
          .init(
            team: ruleSet[team].name, level: grant.level.rawValue, scope: scope,
            labels: names))
        let list = names.map { "\"\($0)\"" }.joined(separator: " or ")
        rights.append(
          "can \(grant.level.rawValue) \(words)\(list) (team \"\(ruleSet[team].name)\")")
      }
    }
    return JSONResponse.make(
      MeDocument(
        email: member, teams: definition.teams.map { ruleSet[$0].name }, grants: grants,
        rights: rights, canManageRules: grants.contains { $0.level == "manage" },
        ruleSetVersion: loaded.version))
  }

  /// How long `POST /v1/rules/reload` waits for the check before answering 503.
  static let reloadWait = Duration.seconds(30)

  func reload(_ request: Request) async throws -> Response {
    let member = try await authenticate(request)
    let ruleSet = rules.current.ruleSet
    let manages =
      ruleSet.member(member)?.teams.contains { team in
        ruleSet[team].grants.contains { $0.level == .manage }
      } ?? false
    guard manages else { throw APIError.forbidden("reloading the rules needs manage access") }
    guard
      let result = await reloadRules(
        reason: "POST /v1/rules/reload by \(member)", limit: Self.reloadWait)
    else {
      var response = APIError(
        status: .serviceUnavailable, code: "reload_in_progress",
        message:
          "the rules are still being checked; they apply when the check ends, the rules "
          + "serving are unchanged until then"
      ).response
      response.headers[.retryAfter] = "5"
      return response
    }
    switch result {
    case .success(let loaded):
      // The warnings as `etiquette check --format json` writes them, one level as on refusal.
      let document = DiagnosticJSON.document(loaded.diagnostics, sources: loaded.sources)
      return JSONResponse.make(
        RulesReloadedAnswer(
          version: loaded.version, warnings: loaded.diagnostics.count,
          diagnostics: document.diagnostics, summary: document.summary,
          renamedLabels: loaded.renamedLabels))
    case .failure(let failure):
      var error = APIError.unprocessable("rules_refused", failure.message)
      // Beside `error`, as `etiquette check --format json` writes them: one level, not
      // `diagnostics.diagnostics`.
      error.details.diagnostics = failure.diagnostics
      error.details.version = rules.current.version
      throw error
    }
  }
}
