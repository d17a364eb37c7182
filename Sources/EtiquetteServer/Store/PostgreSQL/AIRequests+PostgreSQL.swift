import EtiquetteEngine
import Foundation
import PostgresNIO

/// The AI connector's queue (`ai_requests`) and drafts (`ai_suggestions`) in PostgreSQL: the
/// same rows and outcomes as SQLite's (`AIConnector+SQLite.swift`), each outcome written in
/// the transaction that checks the job's lease.
///
/// Not here yet: `aiPayload` (it loads a whole conversation) and `applyAIConnectorReply` (an
/// engine step), which come with the conversations' load and step; `AIRequestQueue`'s
/// conformance is declared with them.
extension PostgresStore {
  func aiRequest(job: Job, now: Double) async throws -> AIRequest? {
    let bell = bell
    let logger = logger
    return try await transaction { connection, after -> AIRequest? in
      func finished() async throws -> Bool {
        let held = try await Self.finishJob(connection, job, logger: logger)
        if held, job.orderingKey != nil { after.ring(bell, [job.kind]) }
        return held
      }
      var found: AIRequest?
      if let id = Int64(job.subject) {
        let rows = try await connection.query(
          """
          SELECT id, conversation_id, kind, version, attempts FROM ai_requests
          WHERE id = \(id) AND status = 'pending'
          """, logger: logger)
        for try await (id, conversation, kind, version, attempts) in rows.decode(
          (Int64, String, String, Int, Int).self)
        {
          found = AIRequest(
            id: id, conversation: conversation, kind: kind, version: version, attempts: attempts)
        }
      }
      guard let request = found else {
        _ = try await finished()
        return nil
      }
      let newer = try await connection.query(
        """
        SELECT 1 FROM ai_requests WHERE conversation_id = \(request.conversation)
          AND kind = \(request.kind) AND id > \(request.id) AND status = 'pending'
        LIMIT 1
        """, logger: logger)
      var superseded = false
      for try await _ in newer.decode(Int32.self) { superseded = true }
      guard superseded else { return request }
      guard try await finished() else { return nil }
      try await connection.query(
        "UPDATE ai_requests SET status = 'superseded', updated_at = \(now) WHERE id = \(request.id)",
        logger: logger)
      return nil
    }
  }

  /// A draft for the humans, published to the conversation's viewers on every instance after
  /// the commit.
  func storeAISuggestion(
    _ text: String, request: AIRequest, job: Job, rules: LoadedRules, hub: IntegrationHub
  ) async throws -> Bool {
    let bell = bell
    let logger = logger
    return try await transaction { connection, after in
      guard try await Self.finishJob(connection, job, logger: logger) else { return false }
      if job.orderingKey != nil { after.ring(bell, [job.kind]) }
      let now = hub.clock.now()
      let seconds = now.timeIntervalSince1970
      let rows = try await connection.query(
        """
        INSERT INTO ai_suggestions (conversation_id, request_id, version, text, created_at)
        VALUES (\(request.conversation), \(request.id), \(request.version), \(text), \(seconds))
        RETURNING id
        """, logger: logger)
      var id: Int64 = 0
      for try await inserted in rows.decode(Int64.self) { id = inserted }
      try await Self.updateAIRequest(
        connection, request.id, status: "suggested", error: nil, at: seconds, logger: logger)
      let suggestion = AISuggestion(
        id: id, text: text, version: request.version, createdAt: Instant.format(now))
      let event = LiveEvent(
        "ai.suggestion", conversation: request.conversation,
        data: AISuggestionEvent(conversation: request.conversation, suggestion: suggestion))
      try await Self.storeLiveEvents(
        [event],
        to: Self.viewersAudience(of: request.conversation, on: connection, logger: logger),
        on: connection, now: seconds, logger: logger)
      return true
    }
  }

  /// A failed call: `pending` again at `nextAttemptAt`, or `failed` after the last attempt.
  func recordAIAttempt(
    _ request: AIRequest, job: Job, last: Bool, attempts: Int, error: String,
    nextAttemptAt: Double, at now: Double
  ) async throws -> Bool {
    let bell = bell
    let logger = logger
    return try await transaction { connection, after in
      let held =
        last
        ? try await Self.finishJob(connection, job, logger: logger)
        : try await Self.retryJob(connection, job, runAt: nextAttemptAt, now: now, logger: logger)
      guard held else { return false }
      if !last || job.orderingKey != nil { after.ring(bell, [job.kind]) }
      let status = last ? "failed" : "pending"
      try await connection.query(
        """
        UPDATE ai_requests SET status = \(status), attempts = \(attempts), error = \(error),
          next_attempt_at = \(nextAttemptAt), updated_at = \(now)
        WHERE id = \(request.id)
        """, logger: logger)
      return true
    }
  }

  /// The request's final status; `called` counts the call that produced it as an attempt.
  func finishAIRequest(
    _ request: AIRequest, job: Job, status: String, error: String?, called: Bool,
    at now: Double
  ) async throws -> Bool {
    let bell = bell
    let logger = logger
    return try await transaction { connection, after in
      guard try await Self.finishJob(connection, job, logger: logger) else { return false }
      if job.orderingKey != nil { after.ring(bell, [job.kind]) }
      try await Self.updateAIRequest(
        connection, request.id, status: status, error: error, called: called, at: now,
        logger: logger)
      return true
    }
  }

  static func updateAIRequest(
    _ connection: PostgresConnection, _ id: Int64, status: String, error: String?,
    called: Bool = true, at now: Double, logger: Logger
  ) async throws {
    let counted: Int64 = called ? 1 : 0
    try await connection.query(
      """
      UPDATE ai_requests SET status = \(status), attempts = attempts + \(counted),
        error = \(error), updated_at = \(now)
      WHERE id = \(id)
      """, logger: logger)
  }
}
