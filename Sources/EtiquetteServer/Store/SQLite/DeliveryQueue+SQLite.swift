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

  func delivery(id: String) async throws -> WebhookWorker.Delivery? {
    try await pool.read { db in
      try Row.fetchOne(
        db, sql: "SELECT * FROM webhook_deliveries WHERE id = ? AND status = 'pending'",
        arguments: [id]
      ).map(WebhookWorker.Delivery.init(row:))
    }
  }

  func recordDeliveryAttempt(_ record: DeliveryAttemptRecord, job: Job) async throws -> Bool {
    let bell = bell
    return try await pool.write { db in
      let held =
        record.status == "pending"
        ? try Self.retryJob(db, job, runAt: record.nextAttemptAt, now: record.at, bell: bell)
        : try Self.finishJob(db, job, bell: bell)
      guard held else { return false }
      try db.execute(
        sql: """
          UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
            last_status = ?, last_error = ?, updated_at = ?, delivered_at = ?
          WHERE id = ? AND status = 'pending'
          """,
        arguments: [
          record.status, record.attempts, record.nextAttemptAt, record.lastStatus,
          record.lastError, record.at, record.deliveredAt, job.subject,
        ])
      return true
    }
  }

  func rescheduleSweep(job: Job, at next: Double) async throws {
    let bell = bell
    let now = clock.seconds
    _ = try await pool.write { db in try Self.retryJob(db, job, runAt: next, now: now, bell: bell) }
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
    let bell = bell
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
        let row = try Row.fetchOne(
          db, sql: "SELECT * FROM webhook_deliveries WHERE id = ?", arguments: [id])
      else { return .notFound }
      // A new job: the replayed delivery goes after the pair's later ones still pending.
      try Self.enqueueJob(
        db, .webhookDelivery, subject: id,
        orderingKey: WebhookOutbox.orderingKey(
          subscription: row["subscription"], conversation: row["conversation_id"]),
        runAt: now, now: now, bell: bell)
      return .replayed(WebhookDeliveryDocument(row: row))
    }
  }
}

extension WebhookWorker.Delivery {
  init(row: Row) {
    self.init(
      id: row["id"], subscription: row["subscription"], eventType: row["event_type"],
      body: Array((row["body"] as Data?) ?? Data()), attempts: row["attempts"])
  }
}

extension WebhookDeliveryDocument {
  init(row: Row) {
    self.init(
      id: row["id"], subscription: row["subscription"], eventType: row["event_type"],
      eventID: row["event_id"], conversation: row["conversation_id"], status: row["status"],
      attempts: row["attempts"], lastStatus: row["last_status"], lastError: row["last_error"],
      createdAt: row["created_at"], updatedAt: row["updated_at"],
      nextAttemptAt: row["next_attempt_at"], deliveredAt: row["delivered_at"])
  }
}
