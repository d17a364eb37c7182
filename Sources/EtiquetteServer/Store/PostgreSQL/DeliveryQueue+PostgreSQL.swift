import EtiquetteEngine
import Foundation
import PostgresNIO

/// The outbox of outbound webhooks as the worker and the deliveries API use it, in PostgreSQL:
/// the same rows and outcomes as SQLite's (`DeliveryQueue+SQLite.swift`). An attempt's outcome
/// is written in the transaction that checks the job's lease, so the worker of an instance
/// whose lease expired (and whose job another instance took) records nothing.
extension PostgresStore: DeliveryQueue {
  func sweepDeliveries(deliveredBefore: Double, failedBefore: Double) async throws -> Int {
    // Counted in the database: the sweep may remove many rows, none of which is needed here.
    let rows = try await client.query(
      """
      WITH swept AS (
        DELETE FROM webhook_deliveries
        WHERE (status = 'delivered' AND updated_at < \(deliveredBefore))
          OR (status = 'failed' AND updated_at < \(failedBefore))
        RETURNING 1)
      SELECT count(*) FROM swept
      """, logger: logger)
    for try await removed in rows.decode(Int64.self) { return Int(removed) }
    return 0
  }

  func delivery(id: String) async throws -> WebhookWorker.Delivery? {
    let rows = try await client.query(
      """
      SELECT id, subscription, event_type, body, attempts FROM webhook_deliveries
      WHERE id = \(id) AND status = 'pending'
      """, logger: logger)
    for try await (id, subscription, eventType, body, attempts) in rows.decode(
      (String, String, String, ByteBuffer, Int).self)
    {
      return WebhookWorker.Delivery(
        id: id, subscription: subscription, eventType: eventType,
        body: Array(body.readableBytesView), attempts: attempts)
    }
    return nil
  }

  func recordDeliveryAttempt(_ record: DeliveryAttemptRecord, job: Job) async throws -> Bool {
    let bell = bell
    let logger = logger
    return try await transaction { connection, after in
      let retried = record.status == "pending"
      let held =
        retried
        ? try await Self.retryJob(
          connection, job, runAt: record.nextAttemptAt, now: record.at, logger: logger)
        : try await Self.finishJob(connection, job, logger: logger)
      guard held else { return false }
      try await connection.query(
        """
        UPDATE webhook_deliveries SET status = \(record.status), attempts = \(record.attempts),
          next_attempt_at = \(record.nextAttemptAt), last_status = \(record.lastStatus),
          last_error = \(record.lastError), updated_at = \(record.at),
          delivered_at = \(record.deliveredAt)
        WHERE id = \(job.subject) AND status = 'pending'
        """, logger: logger)
      // This instance's workers: the retry, or the pair's next delivery once this one is done.
      if retried || job.orderingKey != nil { after.ring(bell, [job.kind]) }
      return true
    }
  }

  func rescheduleSweep(job: Job, at next: Double) async throws {
    let now = clock.seconds
    let retried = try await client.withConnection { connection in
      try await Self.retryJob(connection, job, runAt: next, now: now, logger: logger)
    }
    if retried { bell.ring([job.kind]) }
  }

  func webhookDeliveries(_ filter: DeliveryFilter) async throws
    -> [(seq: Int64, document: WebhookDeliveryDocument)]
  {
    // Only the filter's conditions, as SQLite does, so that each can use its index.
    var conditions: [String] = []
    var binds = PostgresBindings()
    func condition(
      _ column: String, _ comparison: String, _ value: some PostgresDynamicTypeEncodable
    ) {
      binds.append(value)
      conditions.append("\(column) \(comparison) $\(binds.count)")
    }
    if let status = filter.status { condition("status", "=", status) }
    if let subscription = filter.subscription { condition("subscription", "=", subscription) }
    if let conversation = filter.conversation { condition("conversation_id", "=", conversation) }
    if let before = filter.before { condition("seq", "<", before) }
    let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    binds.append(Int64(max(0, filter.limit)))
    let query = PostgresQuery(
      unsafeSQL: """
        SELECT seq, id, subscription, event_type, event_id, conversation_id, status, attempts,
          last_status, last_error, created_at, updated_at, next_attempt_at, delivered_at
        FROM webhook_deliveries \(clause) ORDER BY seq DESC LIMIT $\(binds.count)
        """, binds: binds)
    let rows = try await client.query(query, logger: logger)
    var page: [(seq: Int64, document: WebhookDeliveryDocument)] = []
    for try await row in rows {
      let (
        seq, id, subscription, eventType, eventID, conversation, status, attempts, lastStatus,
        lastError, createdAt, updatedAt, nextAttemptAt, deliveredAt
      ) = try row.decode(
        (
          Int64, String, String, String, String, String, String, Int, Int?, String?, Double,
          Double, Double, Double?
        ).self)
      page.append(
        (
          seq: seq,
          document: WebhookDeliveryDocument(
            id: id, subscription: subscription, eventType: eventType, eventID: eventID,
            conversation: conversation, status: status, attempts: attempts,
            lastStatus: lastStatus, lastError: lastError, createdAt: createdAt,
            updatedAt: updatedAt, nextAttemptAt: nextAttemptAt, deliveredAt: deliveredAt)
        ))
    }
    return page
  }

  func replayDelivery(id: String) async throws -> ReplayOutcome {
    let now = clock.seconds
    let bell = bell
    let logger = logger
    return try await transaction { connection, after -> ReplayOutcome in
      // Locked: of two instances replaying one dead letter at once, the second finds it
      // pending again and says so, rather than queueing it twice.
      let current = try await connection.query(
        "SELECT status FROM webhook_deliveries WHERE id = \(id) FOR UPDATE", logger: logger)
      var found: String?
      for try await status in current.decode(String.self) { found = status }
      guard let status = found else { return .notFound }
      guard status == "failed" else { return .notFailed(status: status) }
      let rows = try await connection.query(
        """
        UPDATE webhook_deliveries SET status = 'pending', attempts = 0,
          next_attempt_at = \(now), updated_at = \(now)
        WHERE id = \(id)
        RETURNING id, subscription, event_type, event_id, conversation_id, status, attempts,
          last_status, last_error, created_at, updated_at, next_attempt_at, delivered_at
        """, logger: logger)
      var replayed: WebhookDeliveryDocument?
      for try await row in rows {
        let (
          id, subscription, eventType, eventID, conversation, status, attempts, lastStatus,
          lastError, createdAt, updatedAt, nextAttemptAt, deliveredAt
        ) = try row.decode(
          (
            String, String, String, String, String, String, Int, Int?, String?, Double, Double,
            Double, Double?
          ).self)
        replayed = WebhookDeliveryDocument(
          id: id, subscription: subscription, eventType: eventType, eventID: eventID,
          conversation: conversation, status: status, attempts: attempts,
          lastStatus: lastStatus, lastError: lastError, createdAt: createdAt,
          updatedAt: updatedAt, nextAttemptAt: nextAttemptAt, deliveredAt: deliveredAt)
      }
      guard let replayed else { return .notFound }
      // A new job: the replayed delivery goes after the pair's later ones still pending.
      if try await Self.enqueueJob(
        connection, .webhookDelivery, subject: id,
        orderingKey: WebhookOutbox.orderingKey(
          subscription: replayed.subscription, conversation: replayed.conversation),
        runAt: now, now: now, logger: logger)
      {
        after.ring(bell, [.webhookDelivery])
      }
      return .replayed(replayed)
    }
  }
}
