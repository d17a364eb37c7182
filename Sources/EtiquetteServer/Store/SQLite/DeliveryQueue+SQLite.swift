import EtiquetteEngine
import Foundation
import GRDB

/// The outbox of outbound webhooks as the worker and the deliveries API use it
/// (`webhook_deliveries`, filled by `WebhookOutbox.enqueue` in each step's transaction).
extension SQLiteStore {
  func sweepDeliveries(deliveredBefore: Double, failedBefore: Double) async throws -> Int {
    try await pool.write { db in
      try db.execute(
        sql: """
          DELETE FROM webhook_deliveries
          WHERE (status = 'delivered' AND updated_at < ?) OR (status = 'failed' AND updated_at < ?)
          """, arguments: [deliveredBefore, failedBefore])
      return db.changesCount
    }
  }

  func dueDeliveryHeads(now: Double, limit: Int) async throws -> ([WebhookWorker.Delivery], Double?)
  {
    try await pool.read { db in
      // No body: a head is re-read whole by `deliveryIfStillHead`, and reading every head's
      // body (the conversation's whole payload) at each wake-up cost more than the intake.
      let heads = """
        SELECT d.seq, d.id, d.subscription, d.conversation_id, d.event_type, d.attempts,
          d.next_attempt_at
        FROM webhook_deliveries d
        JOIN (SELECT MIN(seq) AS head FROM webhook_deliveries WHERE status = 'pending'
              GROUP BY subscription, conversation_id) h ON d.seq = h.head
        """
      let due = try Row.fetchAll(
        db, sql: heads + " WHERE d.next_attempt_at <= ? ORDER BY d.seq LIMIT ?",
        arguments: [now, limit]
      ).map(WebhookWorker.Delivery.init(row:))
      let next = try Double.fetchOne(
        db,
        sql: "SELECT MIN(next_attempt_at) FROM (" + heads + ") WHERE next_attempt_at > ?",
        arguments: [now])
      return (due, next)
    }
  }

  /// The delivery, whole, when it is still pending, due and the head of its pair: the list of
  /// heads may be older than an attempt of the same pair that finished since.
  func deliveryIfStillHead(seq: Int64, now: Double) async throws -> WebhookWorker.Delivery? {
    try await pool.read { db in
      try Row.fetchOne(
        db,
        sql: """
          SELECT * FROM webhook_deliveries d
          WHERE d.seq = ? AND d.status = 'pending' AND d.next_attempt_at <= ?
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
              WHERE e.status = 'pending' AND e.subscription = d.subscription
                AND e.conversation_id = d.conversation_id AND e.seq < d.seq)
          """, arguments: [seq, now]
      ).map(WebhookWorker.Delivery.init(row:))
    }
  }

  func recordDeliveryAttempt(seq: Int64, _ record: DeliveryAttemptRecord) async throws {
    try await pool.write { db in
      try db.execute(
        sql: """
          UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
            last_status = ?, last_error = ?, updated_at = ?, delivered_at = ?
          WHERE seq = ? AND status = 'pending'
          """,
        arguments: [
          record.status, record.attempts, record.nextAttemptAt, record.lastStatus,
          record.lastError, record.at, record.deliveredAt, seq,
        ])
    }
  }

  func webhookDeliveries(_ filter: DeliveryFilter) async throws
    -> [(seq: Int64, document: WebhookDeliveryDocument)]
  {
    var conditions: [String] = []
    var arguments: StatementArguments = []
    if let status = filter.status {
      conditions.append("status = ?")
      arguments += [status]
    }
    if let subscription = filter.subscription {
      conditions.append("subscription = ?")
      arguments += [subscription]
    }
    if let conversation = filter.conversation {
      conditions.append("conversation_id = ?")
      arguments += [conversation]
    }
    if let before = filter.before {
      conditions.append("seq < ?")
      arguments += [before]
    }
    let condition = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    arguments += [filter.limit]
    let finalArguments = arguments
    return try await pool.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT seq, id, subscription, event_type, event_id, conversation_id, status, attempts,
            last_status, last_error, created_at, updated_at, next_attempt_at, delivered_at
          FROM webhook_deliveries \(condition) ORDER BY seq DESC LIMIT ?
          """, arguments: finalArguments
      ).map { (seq: $0["seq"] as Int64, document: WebhookDeliveryDocument(row: $0)) }
    }
  }

  func replayDelivery(id: String) async throws -> ReplayOutcome {
    let now = clock.seconds
    return try await pool.write { db -> ReplayOutcome in
      guard
        let status = try String.fetchOne(
          db, sql: "SELECT status FROM webhook_deliveries WHERE id = ?", arguments: [id])
      else { return .notFound }
      guard status == "failed" else { return .notFailed(status: status) }
      try db.execute(
        sql: """
          UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?,
            updated_at = ? WHERE id = ?
          """, arguments: [now, now, id])
      guard
        let document = try Row.fetchOne(
          db, sql: "SELECT * FROM webhook_deliveries WHERE id = ?", arguments: [id]
        ).map(WebhookDeliveryDocument.init(row:))
      else { return .notFound }
      return .replayed(document)
    }
  }
}

extension WebhookWorker.Delivery {
  init(row: Row) {
    self.init(
      seq: row["seq"], id: row["id"], subscription: row["subscription"],
      conversation: row["conversation_id"], eventType: row["event_type"],
      body: Array((row["body"] as Data?) ?? Data()), attempts: row["attempts"])
  }
}

extension WebhookDeliveryDocument {
  init(row: Row) {
    func instant(_ seconds: Double) -> String {
      Instant.formatWithMilliseconds(Date(timeIntervalSince1970: seconds))
    }
    let status: String = row["status"]
    self.init(
      id: row["id"], subscription: row["subscription"], event: row["event_type"],
      eventId: row["event_id"], conversation: row["conversation_id"], status: status,
      attempts: row["attempts"], lastStatus: row["last_status"], lastError: row["last_error"],
      createdAt: instant(row["created_at"]), updatedAt: instant(row["updated_at"]),
      nextAttemptAt: status == "pending" ? instant(row["next_attempt_at"]) : nil,
      deliveredAt: (row["delivered_at"] as Double?).map(instant))
  }
}
