import EtiquetteEngine
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import ServiceLifecycle

extension EtiquetteServer {
  func registerRealtimeRoutes(on r: inout RouteRecorder) {
    r.add(.get, "/v1/stream") { request, _ in try await stream(request) }
    r.add(.get, "/v1/conversations/{id}/suggestions") { request, context in
      try await suggestions(request, context)
    }
    r.add(.post, "/v1/conversations/{id}/ai-replies") { request, context in
      try await agentAIReply(request, context)
    }
    registerNotificationRoutes(on: &r)
  }

  /// `GET /v1/stream`: Server-Sent Events for the member's visible conversations.
  ///
  /// The subscription is registered before the first frame (`event: ready`), so a client that
  /// has read `ready` misses nothing committed afterwards.
  ///
  /// Every frame is preceded by a look at the member's token and at the rules: a member revoked
  /// (`etiquette member revoke`, from another process) or removed from the rules by a reload
  /// loses the stream before the next event or keep-alive, never after it.
  func stream(_ request: Request) async throws -> Response {
    let member = try await authenticate(request)
    let token = Self.bearerToken(request) ?? ""
    let live = hub.live
    let logger = logger
    var headers = HTTPFields()
    headers[.contentType] = "text/event-stream; charset=utf-8"
    headers[.cacheControl] = "no-cache"
    // nginx buffers responses by default, which would hold events back.
    if let name = HTTPField.Name("X-Accel-Buffering") { headers[name] = "no" }
    return Response(
      status: .ok, headers: headers,
      body: ResponseBody { writer in
        let (id, frames) = live.subscribe(member: member)
        defer { live.unsubscribe(id) }
        logger.debug("live stream: \(member) connected")
        try await writer.write(
          ByteBuffer(
            string: "retry: 2000\nevent: ready\ndata: \(JSONLine.encode(["member": member]))\n\n"
          ))
        // A stream never ends on its own: a graceful shutdown ends it, so it does not hold the
        // server up.
        try await withGracefulShutdownHandler {
          for await frame in frames {
            guard try await mayStillStream(member: member, token: token) else {
              logger.info("live stream: \(member) lost access (revoked or removed from the rules)")
              break
            }
            try await writer.write(ByteBuffer(string: frame))
          }
        } onGracefulShutdown: {
          live.unsubscribe(id)
        }
        try await writer.finish(nil)
      })
  }

  /// `GET /v1/conversations/{id}/suggestions`: the AI's drafts, newest first (view access).
  func suggestions(_ request: Request, _ context: Context) async throws -> Response {
    let member = try await authenticate(request)
    let id = context.parameters.get("id") ?? ""
    let loaded = rules.current
    let list = try await store.pool.read { db -> [AISuggestion] in
      try Self.checkAccess(db, id: id, member: member, level: .view, rules: loaded)
      return try Row.fetchAll(
        db,
        sql: """
          SELECT id, text, version, created_at FROM ai_suggestions WHERE conversation_id = ?
          ORDER BY id DESC LIMIT 20
          """, arguments: [id]
      ).map { row in
        AISuggestion(
          id: row["id"], text: row["text"], version: row["version"],
          createdAt: Instant.format(Date(timeIntervalSince1970: row["created_at"])))
      }
    }
    return JSONResponse.make(["suggestions": list])
  }

  /// `POST /v1/conversations/{id}/ai-replies`: an external AI agent (a member listed in
  /// `ai_agents`) answers through the API; the same engine rule as the connector decides.
  func agentAIReply(_ request: Request, _ context: Context) async throws -> Response {
    let member = try await authenticate(request)
    guard configuration.aiAgents.contains(member) else {
      throw APIError.forbidden(
        "\"\(member)\" does not have the ai role (the configuration's ai_agents)")
    }
    let id = context.parameters.get("id") ?? ""
    let body = try await jsonBody(request)
    guard let text = body["text"]?.stringValue,
      !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    else {
      throw APIError.unprocessable("invalid_body", "\"text\" must be a non-empty string")
    }
    guard text.count <= AIConnector.maxReplyLength else {
      throw APIError.unprocessable(
        "invalid_body",
        "\"text\" has \(text.count) characters; WhatsApp allows \(AIConnector.maxReplyLength)")
    }
    guard case .number(let number)? = body["version"], number >= 0, number < 1e15,
      number == number.rounded()
    else {
      throw APIError.unprocessable(
        "invalid_body",
        "\"version\" must be the conversation version the reply answers (an integer)")
    }
    let version = Int(number)
    let loaded = rules.current
    let hub = hub
    let cache = store.conversationCache
    let (decision, document) = try await store.pool.write {
      db -> (Decision, DecisionDocument) in
      guard
        try Int.fetchOne(db, sql: "SELECT 1 FROM conversations WHERE id = ?", arguments: [id])
          != nil
      else { throw APIError.notFound() }
      let step = Step(.aiReply(text: text, version: version), at: store.clock.now())
      let (_, decision, document) = try ConversationRecords.apply(
        step, to: id, in: db, rules: loaded, extras: EntryExtras(), cache: cache, hub: hub)
      return (decision, document)
    }
    metrics.recordDecision()
    guard decision.aiReply == .accepted else {
      let reason = AIConnector.discardReason(decision.aiReply)
      logger.notice("AI reply by \(member) for conversation \(id) discarded: \(reason)")
      var error = APIError(
        status: .conflict, code: "ai_reply_discarded",
        message: "the reply was discarded: it was \(reason)")
      error.extra["decision"] = JSONValueBox(document)
      throw error
    }
    return JSONResponse.make(
      ["status": JSONValueBox("queued"), "decision": JSONValueBox(document)], status: .created)
  }

  /// Whether the stream's token is still active and its member still named by the rules (or
  /// listed among the AI agents).
  func mayStillStream(member: String, token: String) async throws -> Bool {
    guard try await store.member(forToken: token) == member else { return false }
    return rules.current.ruleSet.member(member) != nil
      || configuration.aiAgents.contains(member)
  }
}
