import EtiquetteEngine
import Foundation
import GRDB

extension SQLiteStore {
  /// Processes every stored webhook not processed yet, oldest first, each in its own savepoint
  /// of one write transaction. GRDB's single writer runs one such batch at a time, so the
  /// messages of a conversation are applied in the order their webhooks were stored, whatever
  /// the concurrency of the requests. Returns how many webhooks were processed.
  ///
  /// `parsed` holds the payloads the request handlers already parsed (by webhook id), so the
  /// writer does not parse them again; any other pending body is parsed from the store.
  @discardableResult
  public func processPendingWebhooks(
    rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub? = nil,
    parsed: [Int64: WhatsAppPayload] = [:]
  ) async throws -> Int {
    let loaded = rules.current
    let cache = conversationCache
    let clock = clock
    return try await pool.write { db in
      try Self.processPending(
        in: db, parsed: parsed, rules: loaded, metrics: metrics, hub: hub, cache: cache,
        clock: clock)
    }
  }

  /// The intake's round in ONE write transaction: the bodies are inserted, then every pending
  /// webhook is processed (theirs and any left by a crash), each in its savepoint. One writer
  /// turn and one commit instead of two: with requests waiting for their 200 in lock-step, the
  /// round's latency is the intake's rate. Nothing is committed unless everything is: a
  /// failure outside a webhook's savepoint (the disk full, say) throws, and no 200 goes out
  /// for a body that is not stored; a message that cannot be applied is kept as failed, as
  /// before.
  func receiveWebhooks(
    _ webhooks: [(body: [UInt8], payload: WhatsAppPayload?)], rules: RuleHolder,
    metrics: ServerMetrics, hub: IntegrationHub?
  ) async throws -> (any Error)? {
    let loaded = rules.current
    let cache = conversationCache
    let clock = clock
    try await pool.write { db in
      let ids = try Self.insertWebhooks(webhooks.map(\.body), in: db, now: clock.seconds)
      _ = try Self.processPending(
        in: db, parsed: Self.parsed(webhooks, ids: ids), rules: loaded, metrics: metrics,
        hub: hub, cache: cache, clock: clock)
    }
    return nil
  }

  private static func processPending(
    in db: Database, parsed: [Int64: WhatsAppPayload], rules loaded: LoadedRules,
    metrics: ServerMetrics, hub: IntegrationHub?, cache: ConversationCache, clock: WallClock
  ) throws -> Int {
    let pending = try Int64.fetchAll(
      db.cachedStatement(
        sql: "SELECT id FROM webhooks WHERE processed_at IS NULL ORDER BY id"))
    for id in pending {
      var failure: String?
      do {
        try db.inSavepoint {
          let payload: WhatsAppPayload
          if let known = parsed[id] {
            payload = known
          } else {
            let row = try Row.fetchOne(
              db.cachedStatement(sql: "SELECT body, received_at FROM webhooks WHERE id = ?"),
              arguments: [id])
            let body: Data = row?["body"] ?? Data()
            let received = Date(timeIntervalSince1970: row?["received_at"] ?? clock.seconds)
            payload = try WhatsAppPayload.parse(Array(body), receivedAt: received)
          }
          let outcome = try Self.process(
            payload, webhook: id, in: db, rules: loaded, now: clock.seconds, cache: cache,
            hub: hub)
          metrics.record(messages: outcome.messages, decisions: outcome.messages)
          outcome.report(webhook: id, metrics: metrics, hub: hub)
          return .commit
        }
      } catch {
        // A body that cannot be processed is marked, not retried forever; it stays stored.
        failure = String(describing: error)
      }
      try db.executeCached(
        sql: "UPDATE webhooks SET processed_at = ?, error = ? WHERE id = ?",
        arguments: [clock.seconds, failure, id])
    }
    return pending.count
  }

  /// Applies again the messages kept as failed, oldest first (at start and after a rules
  /// reload: the fix may have come with either). Returns how many are applied now.
  @discardableResult
  public func retryFailedMessages(
    rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub? = nil
  ) async throws -> Int {
    let loaded = rules.current
    let cache = conversationCache
    let clock = clock
    return try await pool.write { db in
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT f.webhook_id, f.whatsapp_id, w.body, w.received_at FROM message_failures f
          JOIN webhooks w ON w.id = f.webhook_id
          WHERE f.resolved_at IS NULL AND f.retryable = 1 ORDER BY f.webhook_id, f.rowid
          """)
      var resolved = 0
      for row in rows {
        let webhook: Int64 = row["webhook_id"]
        let whatsappID: String = row["whatsapp_id"]
        let body: Data = row["body"]
        let received = Date(timeIntervalSince1970: row["received_at"])
        guard let payload = try? WhatsAppPayload.parse(Array(body), receivedAt: received) else {
          continue
        }
        var only = WhatsAppPayload()
        only.messages = payload.messages.filter { $0.id == whatsappID }
        let outcome = try Self.process(
          only, webhook: webhook, in: db, rules: loaded, now: clock.seconds, cache: cache,
          hub: hub)
        outcome.report(webhook: webhook, metrics: metrics, hub: hub)
        guard outcome.failures.isEmpty else { continue }
        try db.execute(
          sql: """
            UPDATE message_failures SET resolved_at = ? WHERE webhook_id = ? AND whatsapp_id = ?
            """, arguments: [clock.seconds, webhook, whatsappID])
        resolved += 1
      }
      return resolved
    }
  }

  func messageFailures(_ filter: MessageFailureFilter) async throws
    -> [(key: Int64, document: FailedMessageDocument)]
  {
    var conditions: [String] = []
    var arguments: StatementArguments = []
    switch filter.status {
    case "open": conditions.append("resolved_at IS NULL AND retryable = 1")
    case "unusable": conditions.append("resolved_at IS NULL AND retryable = 0")
    case "resolved": conditions.append("resolved_at IS NOT NULL")
    default: break
    }
    if let before = filter.before {
      conditions.append("rowid < ?")
      arguments += [before]
    }
    let condition = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    arguments += [filter.limit]
    let finalArguments = arguments
    return try await pool.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT rowid, webhook_id, whatsapp_id, error, attempts, failed_at, resolved_at,
            retryable
          FROM message_failures \(condition) ORDER BY rowid DESC LIMIT ?
          """, arguments: finalArguments
      ).map { row in
        let resolvedAt = (row["resolved_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        let retryable: Bool = row["retryable"]
        return (
          key: row["rowid"],
          document: FailedMessageDocument(
            webhookId: row["webhook_id"], whatsappId: row["whatsapp_id"],
            status: resolvedAt != nil ? "resolved" : retryable ? "open" : "unusable",
            error: row["error"], attempts: row["attempts"],
            failedAt: Instant.format(Date(timeIntervalSince1970: row["failed_at"])),
            resolvedAt: resolvedAt.map(Instant.format))
        )
      }
    }
  }

  /// One webhook body: new messages become engine steps; redeliveries (a WhatsApp id already
  /// stored) change nothing; statuses update the message they are about. `now` stamps what
  /// is stored for later (media to download, statuses ahead of their message).
  ///
  /// Each message is applied in a savepoint of its own: one that fails (whatever the reason)
  /// is rolled back alone and kept in `message_failures` with the reason, and the body's other
  /// messages — other customers' among them — are applied all the same.
  static func process(
    _ payload: WhatsAppPayload, webhook: Int64, in db: Database, rules: LoadedRules, now: Double,
    cache: ConversationCache? = nil, hub: IntegrationHub? = nil
  ) throws -> IntakeOutcome {
    var outcome = IntakeOutcome()
    for m in payload.messages {
      do {
        var applied = false
        try db.inSavepoint {
          applied = try processMessage(m, in: db, rules: rules, now: now, cache: cache, hub: hub)
          return .commit
        }
        if applied {
          outcome.messages += 1
          if m.timestampReplaced { outcome.timestampsReplaced += 1 }
        }
      } catch {
        let reason = String(describing: error)
        outcome.failures.append((m.id, reason))
        try db.execute(
          sql: """
            INSERT INTO message_failures (webhook_id, whatsapp_id, error, attempts, failed_at)
            VALUES (?, ?, ?, 1, ?)
            ON CONFLICT(webhook_id, whatsapp_id) DO UPDATE SET error = excluded.error,
              attempts = attempts + 1, failed_at = excluded.failed_at, resolved_at = NULL
            """, arguments: [webhook, m.id, reason, now])
      }
    }
    // Nothing to retry: the body itself says too little. Kept, with the reason, for a person.
    for (description, reason) in payload.unusable {
      outcome.failures.append((description, reason))
      try db.execute(
        sql: """
          INSERT INTO message_failures (webhook_id, whatsapp_id, error, attempts, failed_at,
            retryable)
          VALUES (?, ?, ?, 1, ?, 0) ON CONFLICT(webhook_id, whatsapp_id) DO NOTHING
          """, arguments: [webhook, description, reason, now])
    }
    try processStatusesAndEchoes(payload, in: db, rules: rules, now: now, hub: hub)
    return outcome
  }

  /// One customer message: true when it was applied, false for a redelivery.
  static func processMessage(
    _ m: WhatsAppPayload.InboundMessage, in db: Database, rules: LoadedRules, now: Double,
    cache: ConversationCache?, hub: IntegrationHub?
  ) throws -> Bool {
    // Attachment URLs point at this server's own authenticated route, never at Meta's links
    // (they expire within minutes); without a hub (tests of the store alone) they are relative.
    let mediaBase = (hub?.configuration.baseURL ?? "") + "/v1/media/"
    // The lookup only skips a redelivery early: the guard is `messages.wa_id`'s unique key. A
    // writer racing with another on the same message fails this message's savepoint on it, and
    // the retry of failed messages then finds the row and skips it — applied once either way.
    guard
      try Int.fetchOne(
        db.cachedStatement(sql: "SELECT 1 FROM messages WHERE wa_id = ?"), arguments: [m.id])
        == nil
    else { return false }
    let id = try ConversationRecords.findOrCreate(
      db, phone: m.contact.phone, userID: m.contact.userID, name: m.contact.name,
      rules: rules, at: m.at)
    let step = m.step(mediaBase: mediaBase)
    _ = try ConversationRecords.apply(
      step, to: id, in: db, rules: rules,
      extras: EntryExtras(
        whatsappID: m.id, wireType: m.wireType, contextID: m.contextID,
        raw: m.raw.jsonText), cache: cache, hub: hub)
    if let media = m.media {
      try MediaDownloads.record(
        media, conversation: id, whatsappID: m.id, at: now, in: db, hub: hub)
    }
    return true
  }

  static func processStatusesAndEchoes(
    _ payload: WhatsAppPayload, in db: Database, rules: LoadedRules, now: Double,
    hub: IntegrationHub?
  ) throws {
    for s in payload.statuses {
      try OutgoingMessages.applyStatus(
        s.status, errors: s.errors, whatsappID: s.messageID, at: s.at, receivedAt: now, in: db,
        changed: hub.map { hub in
          { id in try LiveEvents.messageStatusChanged(messageID: id, in: db, rules: rules, hub: hub)
          }
        })
    }
    for e in payload.echoes {
      guard
        try Int.fetchOne(
          db.cachedStatement(sql: "SELECT 1 FROM messages WHERE wa_id = ?"), arguments: [e.id])
          == nil
      else { continue }
      let id = try ConversationRecords.findOrCreate(
        db, phone: e.contact.phone, userID: e.contact.userID, name: e.contact.name,
        rules: rules, at: e.at)
      // Sent from the business's own WhatsApp app: shown in the transcript, not a step.
      try db.executeCached(
        sql: """
          INSERT INTO messages (conversation_id, seq, direction, author, type, wire_type, text,
            wa_id, status, at, raw)
          VALUES (?, NULL, 'echo', 'business', ?, ?, ?, ?, 'sent', ?, ?)
          ON CONFLICT(wa_id) DO NOTHING
          """,
        arguments: [
          id, e.type, e.type, e.text, e.id, e.at.timeIntervalSince1970, e.raw.jsonText,
        ])
    }
  }
}
