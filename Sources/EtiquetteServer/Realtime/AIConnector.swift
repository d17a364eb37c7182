import AsyncHTTPClient
import EtiquetteChecker
import EtiquetteEngine
import Foundation
import GRDB
import Logging
import NIOCore

/// The AI agent connector: a decision that says the AI should reply (AI-first) or suggest
/// (human-first) becomes an `ai_requests` row in the step's transaction; a worker calls the
/// configured endpoint and applies the answer.
///
/// A reply goes through the engine as an `aiReply` step, which accepts it only while the
/// conversation is still in `ai` mode, unassigned, at the version the decision was made for:
/// a takeover during the call always wins, and the late reply is discarded (and logged), never
/// sent. Without an endpoint nothing is recorded here (the webhooks emit `ai.requested`).
enum AIConnector {
  /// WhatsApp's limit for a text message.
  static let maxReplyLength = 4096
  /// Answers larger than this are not read (a misbehaving endpoint must not fill memory).
  static let maxAnswerBytes = 256 * 1024

  static func enqueue(_ effects: StepEffects, in db: Database, hub: IntegrationHub) throws {
    guard hub.configuration.ai != nil else { return }
    let kind: String
    let version: Int
    switch effects.decision.ai {
    case .none: return
    case .reply(let v):
      kind = "reply"
      version = v
    case .suggest:
      kind = "suggest"
      version = effects.decision.version
    }
    let now = hub.clock.seconds
    try db.executeCached(
      sql: """
        INSERT INTO ai_requests (conversation_id, kind, version, status, attempts,
          next_attempt_at, created_at, updated_at)
        VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)
        """, arguments: [effects.after.id, kind, version, now, now, now])
    let signal = hub.aiSignal
    db.afterNextTransaction { _ in signal.signal() }
  }

  /// What the endpoint receives.
  struct Call: Encodable {
    /// `reply` or `suggest`.
    var instruction: String
    var version: Int
    var conversation: String
    var payload: IntegrationPayload
  }

  /// Why a call gave no usable text; `permanent` failures are not retried.
  struct Failure: Error, CustomStringConvertible {
    var description: String
    var permanent = false
  }

  /// The reply text of an answer body, or why it is unusable.
  static func text(ofAnswer body: ByteBuffer) -> Result<String, Failure> {
    let data = Data(body.readableBytesView)
    guard
      let json = try? JSONDecoder().decode(JSONValue.self, from: data),
      case .object(let object) = json
    else {
      let start = String(decoding: data.prefix(60), as: UTF8.self)
      return .failure(Failure(description: "the answer is not a JSON object: \"\(start)\""))
    }
    guard case .string(let text)? = object["text"] else {
      return .failure(Failure(description: "the answer has no \"text\" string"))
    }
    guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
      return .failure(Failure(description: "the answer's \"text\" is empty"))
    }
    guard text.count <= maxReplyLength else {
      return .failure(
        Failure(
          description:
            "the answer's \"text\" has \(text.count) characters (WhatsApp allows \(maxReplyLength))"
        ))
    }
    return .success(text)
  }

  /// The integration payload of a conversation as stored, with the stored label reasons (the
  /// engine state keeps only which labels are there).
  static func payload(_ db: Database, id: String, rules: LoadedRules) throws
    -> (Conversation, IntegrationPayload)?
  {
    guard let loaded = try ConversationRecords.load(db, id: id, rules: rules) else { return nil }
    var payload = IntegrationPayload(
      loaded.conversation, ruleSet: rules.ruleSet, sources: rules.sources)
    var reasons: [String: LabelReasonDocument] = [:]
    for row in try Row.fetchAll(
      db, sql: "SELECT label, reason FROM conversation_labels WHERE conversation_id = ?",
      arguments: [id])
    {
      let text: String = row["reason"]
      if let reason = try? JSONDecoder().decode(LabelReasonDocument.self, from: Data(text.utf8)) {
        reasons[row["label"]] = reason
      }
    }
    for index in payload.labels.indices {
      if let reason = reasons[payload.labels[index].name] {
        payload.labels[index].reason = reason
      }
    }
    return (loaded.conversation, payload)
  }

  /// Why the engine refused an AI reply, as a sentence for the log and the request row.
  static func discardReason(_ outcome: AIReplyOutcome?) -> String {
    switch outcome {
    case .discarded(let madeFor, let current, let mode, let assignee)?:
      "made for version \(madeFor), but the conversation is at version \(current) (mode "
        + "\(mode.rawValue)\(assignee.map { ", assigned to \($0)" } ?? ""))"
    case .accepted?, nil:
      "not an AI reply"
    }
  }
}

/// One claimed `ai_requests` row.
struct AIRequest: Sendable {
  var id: Int64
  var conversation: String
  var kind: String
  var version: Int
  var attempts: Int
}

/// The background worker of the AI connector: claims due requests, calls the endpoint (a few
/// at a time, never two for one conversation), applies or stores the answers.
struct AIWorker: Sendable {
  let server: EtiquetteServer
  let endpoint: ServerConfiguration.AIEndpoint
  /// Longest wait between two looks at the table when nothing wakes the worker.
  let idlePoll: Duration = .seconds(5)
  let batchSize = 4

  var store: Store { server.store }
  var hub: IntegrationHub { server.hub }
  var logger: Logger { server.logger }

  func run() async {
    // A request in flight when the last run stopped was never answered: call again.
    _ = try? await store.pool.write { db in
      try db.execute(sql: "UPDATE ai_requests SET status = 'pending' WHERE status = 'in_flight'")
    }
    while !Task.isCancelled {
      let batch: [AIRequest]
      do {
        batch = try await claim()
      } catch {
        if Task.isCancelled { return }
        logger.error("AI connector: cannot read its requests: \(error)")
        await hub.aiSignal.wait(upTo: idlePoll)
        continue
      }
      if batch.isEmpty {
        await hub.aiSignal.wait(upTo: (try? await nextWait()) ?? idlePoll)
        continue
      }
      await withTaskGroup(of: Void.self) { group in
        for request in batch { group.addTask { await process(request) } }
      }
    }
  }

  /// Marks older requests of a conversation superseded by newer ones (the newer call sees the
  /// whole transcript, so the customer gets one answer, not one per message), then claims due
  /// requests of conversations with no call in flight.
  func claim() async throws -> [AIRequest] {
    try await store.pool.write { db in
      let now = hub.clock.seconds
      try db.execute(
        sql: """
          UPDATE ai_requests SET status = 'superseded', updated_at = ?
          WHERE status = 'pending' AND EXISTS (
            SELECT 1 FROM ai_requests AS newer
            WHERE newer.conversation_id = ai_requests.conversation_id
              AND newer.kind = ai_requests.kind AND newer.id > ai_requests.id
              AND newer.status IN ('pending', 'in_flight'))
          """, arguments: [now])
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT * FROM ai_requests AS r
          WHERE r.status = 'pending' AND r.next_attempt_at <= ?
            AND NOT EXISTS (SELECT 1 FROM ai_requests AS f
              WHERE f.conversation_id = r.conversation_id AND f.status = 'in_flight')
          ORDER BY r.id LIMIT ?
          """, arguments: [now, batchSize * 4])
      var seen = Set<String>()
      var claimed: [AIRequest] = []
      for row in rows where claimed.count < batchSize {
        let conversation: String = row["conversation_id"]
        guard seen.insert(conversation).inserted else { continue }
        let request = AIRequest(
          id: row["id"], conversation: conversation, kind: row["kind"], version: row["version"],
          attempts: row["attempts"])
        try db.execute(
          sql: "UPDATE ai_requests SET status = 'in_flight', updated_at = ? WHERE id = ?",
          arguments: [now, request.id])
        claimed.append(request)
      }
      return claimed
    }
  }

  /// Until the next pending request is due (at most `idlePoll`).
  func nextWait() async throws -> Duration {
    let next = try await store.pool.read { db in
      try Double.fetchOne(
        db, sql: "SELECT MIN(next_attempt_at) FROM ai_requests WHERE status = 'pending'")
    }
    guard let next else { return idlePoll }
    let seconds = min(max(next - hub.clock.seconds, 0.01), 5)
    return .milliseconds(Int64(seconds * 1000))
  }

  func process(_ request: AIRequest) async {
    let rules = server.rules.current
    let loaded: (Conversation, IntegrationPayload)?
    do {
      loaded = try await store.pool.read { db in
        try AIConnector.payload(db, id: request.conversation, rules: rules)
      }
    } catch {
      await failed(request, Failure("cannot load the conversation: \(error)"))
      return
    }
    guard let (conversation, payload) = loaded else {
      await failed(request, Failure("the conversation no longer exists", permanent: true))
      return
    }
    if request.kind == "reply",
      !Engine.acceptsAIReply(madeFor: request.version, in: conversation)
    {
      // Already stale: calling the AI would only produce a reply the engine refuses.
      let reason =
        "made for version \(request.version), but the conversation is at version "
        + "\(conversation.version) (mode \(conversation.mode.rawValue)"
        + "\(conversation.assignee.map { ", assigned to \($0)" } ?? ""))"
      logger.info(
        "AI reply for conversation \(request.conversation) not requested: \(reason)")
      await finish(request, status: "discarded", error: reason, called: false)
      return
    }
    let call = AIConnector.Call(
      instruction: request.kind, version: request.version, conversation: request.conversation,
      payload: payload)
    let outcome = await self.call(call)
    // Stopping the server is not the AI's failure: the request stays `in_flight`, which the
    // next start resets to `pending`, so a last attempt is not lost to a restart.
    if Task.isCancelled { return }
    switch outcome {
    case .failure(let failure):
      await failed(request, failure)
    case .success(let text):
      if request.kind == "reply" {
        await applyReply(request, text: text)
      } else {
        await storeSuggestion(request, text: text)
      }
    }
  }

  typealias Failure = AIConnector.Failure

  /// One HTTP call with the configured timeout over the whole exchange (headers and body).
  func call(_ call: AIConnector.Call) async -> Result<String, Failure> {
    var request = HTTPClientRequest(url: endpoint.url)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.headers.add(name: "User-Agent", value: "etiquette")
    if let token = endpoint.token {
      request.headers.add(name: "Authorization", value: "Bearer \(token)")
    }
    request.body = .bytes(ByteBuffer(string: JSONLine.encode(call)))
    let timeout = Duration.milliseconds(Int64(max(endpoint.timeout, 0.001) * 1000))
    let http = hub.http
    let finalRequest = request
    do {
      return try await withThrowingTaskGroup(of: Result<String, Failure>?.self) { group in
        group.addTask {
          let response = try await http.execute(
            finalRequest, timeout: .milliseconds(Int64(max(endpoint.timeout, 0.001) * 1000)))
          let status = Int(response.status.code)
          guard (200..<300).contains(status) else {
            // 4xx (but 408 and 429) means the request itself is refused: retrying cannot help.
            let permanent = (400..<500).contains(status) && status != 408 && status != 429
            return .failure(
              Failure(description: "the AI endpoint answered HTTP \(status)", permanent: permanent))
          }
          let body: ByteBuffer
          do {
            body = try await response.body.collect(upTo: AIConnector.maxAnswerBytes)
          } catch is NIOTooManyBytesError {
            return .failure(
              Failure(
                description:
                  "the answer is larger than \(AIConnector.maxAnswerBytes / 1024) KiB"))
          }
          return AIConnector.text(ofAnswer: body)
        }
        group.addTask {
          try await Task.sleep(for: timeout)
          return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        return first
          ?? .failure(Failure(description: "no answer within \(endpoint.timeout) s (timeout)"))
      }
    } catch let error as HTTPClientError where error == .deadlineExceeded {
      return .failure(Failure(description: "no answer within \(endpoint.timeout) s (timeout)"))
    } catch {
      return .failure(Failure(description: "the call failed: \(error)"))
    }
  }

  func applyReply(_ request: AIRequest, text: String) async {
    let rules = server.rules.current
    let hub = hub
    let cache = store.conversationCache
    do {
      let decision = try await store.pool.write { db -> Decision in
        let step = Step(.aiReply(text: text, version: request.version), at: hub.clock.now())
        let (_, decision, _) = try ConversationRecords.apply(
          step, to: request.conversation, in: db, rules: rules, extras: EntryExtras(),
          cache: cache, hub: hub)
        let accepted = decision.aiReply == .accepted
        try AIWorker.update(
          db, request, status: accepted ? "accepted" : "discarded",
          error: accepted ? nil : AIConnector.discardReason(decision.aiReply),
          at: hub.clock.seconds)
        return decision
      }
      server.metrics.recordDecision()
      hub.metrics.recordOutbound("ai", decision.aiReply == .accepted ? "delivered" : "discarded")
      if decision.aiReply == .accepted {
        logger.info("AI reply for conversation \(request.conversation) accepted and queued")
      } else {
        let reason = AIConnector.discardReason(decision.aiReply)
        logger.notice("AI reply for conversation \(request.conversation) discarded: \(reason)")
      }
    } catch {
      await failed(request, Failure("cannot apply the reply: \(error)"))
    }
  }

  func storeSuggestion(_ request: AIRequest, text: String) async {
    let rules = server.rules.current
    let hub = hub
    do {
      try await store.pool.write { db in
        let now = hub.clock.now()
        try db.execute(
          sql: """
            INSERT INTO ai_suggestions (conversation_id, request_id, version, text, created_at)
            VALUES (?, ?, ?, ?, ?)
            """,
          arguments: [
            request.conversation, request.id, request.version, text, now.timeIntervalSince1970,
          ])
        let suggestion = AISuggestion(
          id: db.lastInsertedRowID, text: text, version: request.version,
          createdAt: Instant.format(now))
        try AIWorker.update(
          db, request, status: "suggested", error: nil, at: hub.clock.seconds)
        try LiveEvents.publishToViewers(
          LiveEvent(
            "ai.suggestion", conversation: request.conversation,
            data: AISuggestionEvent(conversation: request.conversation, suggestion: suggestion)),
          conversation: request.conversation, in: db, rules: rules, hub: hub)
      }
      logger.info("AI suggestion stored for conversation \(request.conversation)")
    } catch {
      await failed(request, Failure("cannot store the suggestion: \(error)"))
    }
  }

  /// A failed attempt: retried after a backoff, or `failed` after the last one.
  func failed(_ request: AIRequest, _ failure: Failure) async {
    let attempts = request.attempts + 1
    let last = failure.permanent || attempts >= max(1, endpoint.maxAttempts)
    // Full jitter, so requests that failed together do not all retry together.
    let ceiling = min(endpoint.retryBackoff * pow(2, Double(attempts - 1)), 60)
    let delay = Double.random(in: (ceiling / 2)...max(ceiling, ceiling / 2))
    do {
      try await store.pool.write { db in
        try db.execute(
          sql: """
            UPDATE ai_requests SET status = ?, attempts = ?, error = ?, next_attempt_at = ?,
              updated_at = ?
            WHERE id = ?
            """,
          arguments: [
            last ? "failed" : "pending", attempts, failure.description,
            hub.clock.seconds + delay, hub.clock.seconds, request.id,
          ])
      }
    } catch {
      logger.error("AI connector: cannot record a failed call on request \(request.id): \(error)")
    }
    hub.metrics.recordOutbound("ai", last ? "failed" : "retried")
    if last {
      let text =
        "AI \(request.kind) for conversation \(request.conversation) failed after \(attempts) "
        + "attempt(s): \(failure.description)"
      logger.error("\(text)")
    } else {
      let text =
        "AI \(request.kind) for conversation \(request.conversation), attempt \(attempts): "
        + "\(failure.description); retrying in \(String(format: "%.2f", delay)) s"
      logger.warning("\(text)")
    }
  }

  func finish(_ request: AIRequest, status: String, error: String?, called: Bool) async {
    _ = try? await store.pool.write { db in
      try AIWorker.update(
        db, request, status: status, error: error, called: called, at: hub.clock.seconds)
    }
  }

  /// The request's final status; `called` counts the call that produced it as an attempt.
  static func update(
    _ db: Database, _ request: AIRequest, status: String, error: String?, called: Bool = true,
    at now: Double
  ) throws {
    try db.execute(
      sql: """
        UPDATE ai_requests SET status = ?, attempts = attempts + ?, error = ?, updated_at = ?
        WHERE id = ?
        """, arguments: [status, called ? 1 : 0, error, now, request.id])
  }
}

extension AIConnector.Failure {
  init(_ description: String, permanent: Bool = false) {
    self.description = description
    self.permanent = permanent
  }
}

/// A draft reply stored for the humans of a human-first conversation.
struct AISuggestion: Codable, Sendable, Hashable {
  var id: Int64
  var text: String
  /// The conversation version the suggestion was requested at.
  var version: Int
  var createdAt: String
}

struct AISuggestionEvent: Encodable {
  var conversation: String
  var suggestion: AISuggestion
}

extension EtiquetteServer {
  /// The AI connector's worker; nil when no endpoint is configured.
  func startAIWorker() -> Task<Void, Never>? {
    guard let endpoint = configuration.ai else { return nil }
    let worker = AIWorker(server: self, endpoint: endpoint)
    return Task { await worker.run() }
  }
}
