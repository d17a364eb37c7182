import Foundation
import GRDB

// TEST ONLY: the rows `QueueSeeds+PostgreSQL.swift` seeds, in SQLite, so that the queues'
// contract tests run the same assertions on both stores.

extension SQLiteStore {
  /// TEST ONLY: a conversation with these stored labels.
  func seedConversation(_ id: String, phone: String?, labels: [String], at now: Double)
    async throws
  {
    try await pool.write { db in
      try db.execute(
        sql: """
          INSERT INTO conversations (id, contact_id, phone, mode, presence, priority,
            priority_rank, version, step_count, created_at, updated_at)
          VALUES (?, ?, ?, 'human', 'active', 'normal', 1, 1, 1, ?, ?)
          """, arguments: [id, id, phone, now, now])
      for label in labels {
        try db.execute(
          sql: """
            INSERT INTO conversation_labels (conversation_id, label, reason) VALUES (?, ?, '{}')
            """, arguments: [id, label])
      }
    }
  }

  /// TEST ONLY: a delivery as `WebhookOutbox.enqueue` writes it, with its job while pending.
  func seedDelivery(
    id: String, subscription: String, conversation: String, status: String, body: [UInt8],
    at now: Double
  ) async throws {
    let bell = bell
    try await pool.write { db in
      try db.execute(
        sql: """
          INSERT INTO webhook_deliveries (id, subscription, conversation_id, event_type,
            event_id, body, status, next_attempt_at, created_at, updated_at)
          VALUES (?, ?, ?, 'conversation.updated', ?, ?, ?, ?, ?, ?)
          """,
        arguments: [id, subscription, conversation, id, Data(body), status, now, now, now])
      guard status == "pending" else { return }
      try Self.enqueueJob(
        db, .webhookDelivery, subject: id,
        orderingKey: WebhookOutbox.orderingKey(
          subscription: subscription, conversation: conversation),
        runAt: now, now: now, bell: bell)
    }
  }

  /// TEST ONLY: a reply queued by a step, with its job; returns the message's id.
  func seedQueuedReply(conversation: String, text: String, at now: Double) async throws -> Int64 {
    let bell = bell
    return try await pool.write { db in
      try db.execute(
        sql: """
          INSERT INTO messages (conversation_id, direction, author, text, status, at)
          VALUES (?, 'out', 'agent:ana@exemple.fr', ?, 'queued', ?)
          """, arguments: [conversation, text, now])
      let id = db.lastInsertedRowID
      try Self.enqueueJob(
        db, .whatsappSend, subject: String(id),
        orderingKey: OutgoingMessages.orderingKey(conversation), runAt: now, now: now, bell: bell)
      return id
    }
  }

  /// TEST ONLY: a status webhook that arrived before its message's send recorded the id.
  func seedPendingStatus(whatsappID: String, status: String, errors: String?, at now: Double)
    async throws
  {
    try await pool.write { db in
      try db.execute(
        sql: """
          INSERT INTO pending_statuses (wa_id, status, errors, at, received_at)
          VALUES (?, ?, ?, ?, ?)
          """, arguments: [whatsappID, status, errors, now, now])
    }
  }

  /// TEST ONLY: a media id announced by a webhook, with its job.
  func seedPendingMedia(id: String, conversation: String, kind: String, at now: Double)
    async throws
  {
    let bell = bell
    try await pool.write { db in
      try db.execute(
        sql: """
          INSERT INTO media (id, conversation_id, kind, status, created_at, updated_at)
          VALUES (?, ?, ?, 'pending', ?, ?)
          """, arguments: [id, conversation, kind, now, now])
      try Self.enqueueJob(
        db, .mediaDownload, subject: id, orderingKey: nil, runAt: now, now: now, bell: bell)
    }
  }

  /// TEST ONLY: an AI request a step recorded, with its job; returns its id.
  func seedAIRequest(conversation: String, kind: String, version: Int, at now: Double)
    async throws -> Int64
  {
    let bell = bell
    return try await pool.write { db in
      try db.execute(
        sql: """
          INSERT INTO ai_requests (conversation_id, kind, version, status, attempts,
            next_attempt_at, created_at, updated_at)
          VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)
          """, arguments: [conversation, kind, version, now, now, now])
      let id = db.lastInsertedRowID
      try Self.enqueueJob(
        db, .aiRequest, subject: String(id), orderingKey: AIConnector.orderingKey(conversation),
        runAt: now, now: now, bell: bell)
      return id
    }
  }

  // MARK: - Read back

  /// TEST ONLY.
  func seededMessage(id: Int64) async throws -> SeededMessage? {
    try await pool.read { db in
      try Row.fetchOne(
        db,
        sql: """
          SELECT status, wa_id, errors, send_attempts, next_attempt_at FROM messages WHERE id = ?
          """, arguments: [id]
      ).map { row in
        SeededMessage(
          status: row["status"], whatsappID: row["wa_id"], errors: row["errors"],
          attempts: row["send_attempts"], nextAttemptAt: row["next_attempt_at"])
      }
    }
  }

  /// TEST ONLY.
  func seededMedia(id: String) async throws -> SeededMedia? {
    try await pool.read { db in
      try Row.fetchOne(
        db,
        sql: """
          SELECT status, mime_type, size, sha256, attempts, error, next_attempt_at FROM media
          WHERE id = ?
          """, arguments: [id]
      ).map { row in
        SeededMedia(
          status: row["status"], mimeType: row["mime_type"], size: row["size"],
          sha256: row["sha256"], attempts: row["attempts"], error: row["error"],
          nextAttemptAt: row["next_attempt_at"])
      }
    }
  }

  /// TEST ONLY.
  func seededAIRequest(id: Int64) async throws -> SeededAIRequest? {
    try await pool.read { db in
      try Row.fetchOne(
        db, sql: "SELECT status, attempts, error FROM ai_requests WHERE id = ?", arguments: [id]
      ).map { row in
        SeededAIRequest(status: row["status"], attempts: row["attempts"], error: row["error"])
      }
    }
  }

  /// TEST ONLY.
  func seededJob(_ kind: JobKind, subject: String) async throws -> SeededJob? {
    try await pool.read { db in
      try Row.fetchOne(
        db, sql: "SELECT status, run_at, lease_owner FROM jobs WHERE kind = ? AND subject = ?",
        arguments: [kind.rawValue, subject]
      ).map { row in
        SeededJob(status: row["status"], runAt: row["run_at"], owner: row["lease_owner"])
      }
    }
  }

  /// TEST ONLY: the texts of the AI's drafts of a conversation, oldest first.
  func seededSuggestions(conversation: String) async throws -> [String] {
    try await pool.read { db in
      try String.fetchAll(
        db, sql: "SELECT text FROM ai_suggestions WHERE conversation_id = ? ORDER BY id",
        arguments: [conversation])
    }
  }
}
