import EtiquetteEngine
import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle

extension InboxServer {
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
    // `Last-Event-ID`: a client reconnecting (to this instance or another) says the last
    // event it received; what it missed is replayed before the live events.
    let resumeAfter = HTTPField.Name("Last-Event-ID").flatMap { request.headers[$0] }.flatMap(
      LiveEventID.parse)
    // Registered before the response, so the limit is checked before a 200 goes out.
    let id: UInt64
    let frames: AsyncStream<String>
    do {
      (id, frames) = try live.subscribe(member: member)
    } catch {
      throw APIError(
        status: .tooManyRequests, code: "too_many_streams",
        message: "\(member) already has \(error.limit) live streams open; close one first")
    }
    // Read after subscribing: an event published in between is in both, and sent once.
    var backlog: [(id: UInt64, frame: String)]?
    if let resumeAfter {
      do {
        backlog = live.backlog(after: resumeAfter, for: member)
        if backlog == nil {
          backlog = try await store.liveBacklog(
            after: resumeAfter, for: member, rules: rules.current)
        }
      } catch {
        live.unsubscribe(id)
        throw error
      }
    }
    let ready = StreamReady(member: member, resumed: resumeAfter.map { _ in backlog != nil })
    return Response(
      status: .ok, headers: headers,
      body: ResponseBody { [backlog] writer in
        defer { live.unsubscribe(id) }
        logger.debug("live stream: \(member) connected")
        try await writer.write(
          ByteBuffer(string: "retry: 2000\nevent: ready\ndata: \(JSONLine.encode(ready))\n\n"))
        var written = resumeAfter ?? 0
        for (eventID, frame) in backlog ?? [] {
          try await writer.write(ByteBuffer(string: frame))
          written = eventID
        }
        // A stream never ends on its own: a graceful shutdown ends it, so it does not hold the
        // server up.
        try await withGracefulShutdownHandler {
          for await frame in frames {
            guard try await mayStillStream(member: member, token: token) else {
              logger.info("live stream: \(member) lost access (revoked or removed from the rules)")
              break
            }
            live.delivered(frame.utf8.count, to: id)
            if let eventID = LiveEvent.id(of: frame) {
              // Replayed already, or older than where the client resumed.
              guard eventID > written else { continue }
              written = eventID
            }
            try await writer.write(ByteBuffer(string: frame))
          }
        } onGracefulShutdown: {
          live.unsubscribe(id)
        }
        try await writer.finish(nil)
      })
  }

  /// The first frame of a stream: who it is for, and with `Last-Event-ID` whether what was
  /// missed follows (false: too old or unknown — the client reloads what it shows).
  struct StreamReady: Encodable {
    var member: String
    var resumed: Bool?
  }

  /// `GET /v1/conversations/{id}/suggestions`: the AI's drafts, newest first (view access).
  func suggestions(_ request: Request, _ context: Context) async throws -> Response {
    let member = try await authenticate(request)
    let id = context.parameters.get("id") ?? ""
    let list = try await conversations.suggestions(member: member, id: id)
    return JSONResponse.make(SuggestionsAnswer(suggestions: list))
  }

  /// `POST /v1/conversations/{id}/ai-replies`: an external AI agent (a member listed in
  /// `ai_agents`) answers through the API; the same engine rule as the connector decides.
  ///
  /// An agent may view no conversation: it may answer only where the engine asked the AI for
  /// a reply at that version (a recorded AI request), and 404 — nothing about the conversation
  /// — everywhere else; a reply the engine discards says why, without the decision.
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
    let document = try await conversations.answerAsAI(
      text, version: Int(number), on: id, by: member, logger: logger)
    return JSONResponse.make(
      QueuedReplyAnswer(decision: document), status: .created)
  }

  /// Whether the stream's token is still active and its member still named by the rules (or
  /// listed among the AI agents).
  func mayStillStream(member: String, token: String) async throws -> Bool {
    guard try await store.member(forToken: token) == member else { return false }
    return rules.current.ruleSet.member(member) != nil
      || configuration.aiAgents.contains(member)
  }
}
