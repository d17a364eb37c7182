import EtiquetteEngine
import Foundation
import GRDB

/// Outgoing WhatsApp messages: every `messages` row with direction `out` and status `queued`
/// (agent replies, accepted AI replies) is sent by `OutgoingSender` through the Cloud API;
/// delivery statuses from the webhook move it forward (`sent` → `delivered` → `read`), never
/// back.
///
/// The queue IS the `messages` table: the reply is committed with its decision (status
/// `queued`), so a crash never loses one; the worker records each attempt on the row.
enum OutgoingMessages {

  /// A job for each reply the step queued (whether or not sending is configured: replies
  /// queued before `whatsapp` was configured are sent once it is).
  static func enqueue(_ effects: StepEffects, in db: Database, hub: IntegrationHub) throws {
    if try withdrawAIReplies(effects, in: db) > 0 {
      // The replies behind the withdrawn ones may go now.
      let bell = hub.jobs
      db.afterNextTransaction { _ in bell.ring([.whatsappSend]) }
    }
    // The replies this step queued: its appended lines written by an agent or the AI (saved
    // as `queued`, see `ConversationRecords.save`) — known from the step, no query.
    let appended = effects.after.transcript.dropFirst(effects.before.transcriptCount)
    let now = hub.clock.seconds
    for (row, entry) in zip(effects.messageRows, appended) {
      guard case .agent = entry.author else { continue }
      try SQLiteStore.enqueueJob(
        db, .whatsappSend, subject: String(row), orderingKey: orderingKey(effects.after.id),
        runAt: now, now: now, bell: hub.jobs)
    }
  }

  /// A conversation's replies are sent one at a time, in order.
  static func orderingKey(_ conversation: String) -> String { "send:\(conversation)" }

  /// A takeover always wins, also over an AI reply the engine accepted but the sender has not
  /// sent yet (it may be waiting out a 429): once the AI may no longer answer, the
  /// conversation's queued AI replies are withdrawn (status `discarded`, with the reason), in
  /// the transaction of the step that took the conversation from the AI.
  @discardableResult
  static func withdrawAIReplies(_ effects: StepEffects, in db: Database) throws -> Int {
    let after = effects.after
    guard after.mode != .ai || after.assignee != nil else { return 0 }
    let reason = GraphAPI.Failure(
      title: "withdrawn: a person took over the conversation before this AI reply was sent")
    let withdrawn = try Int64.fetchAll(
      db.cachedStatement(
        sql: """
          UPDATE messages SET status = 'discarded', errors = ?, next_attempt_at = NULL
          WHERE conversation_id = ? AND direction = 'out' AND author = ? AND status = 'queued'
          RETURNING id
          """), arguments: [reason.stored, after.id, Engine.aiAuthor])
    // Their jobs go too: a withdrawn reply waiting out a 429 must not hold back the human's
    // replies behind it (the conversation's ordering key). A job in flight finds the reply
    // no longer queued and finishes.
    for id in withdrawn {
      try db.executeCached(
        sql: """
          DELETE FROM jobs WHERE kind = 'whatsapp_send' AND subject = ? AND status = 'pending'
          """, arguments: [String(id)])
    }
    return withdrawn.count
  }

  /// The order statuses move in; a status never replaces a later one (Meta's webhooks may
  /// arrive out of order: a `delivered` after the `read`). `failed` beats `sent` (Meta sends it
  /// instead of `delivered`) but not a `delivered` or `read` already seen.
  static func rank(_ status: String?) -> Int? {
    switch status {
    case "queued": 0
    case "sent": 10
    case "failed": 15
    case "delivered": 20
    case "read": 30
    case "played": 40
    default: nil
    }
  }

  /// A status webhook: updates the message it names, or keeps it for a moment when that
  /// message's send has not recorded its WhatsApp id yet (Meta's `sent` can beat the answer).
  static func applyStatus(
    _ status: String, errors: [JSONValue], whatsappID: String, at: Date, receivedAt now: Double,
    in db: Database,
    changed: ((Int64) throws -> Void)? = nil
  ) throws {
    let errorsText = errors.isEmpty ? nil : JSONLine.encode(JSONValue.array(errors))
    guard rank(status) != nil else { return }
    if try !update(
      whatsappID: whatsappID, status: status, errors: errorsText, in: db, changed: changed)
    {
      // Statuses of messages sent by other tools on the same number never match: keep them
      // an hour at most.
      try db.executeCached(
        sql: "DELETE FROM pending_statuses WHERE received_at < ?", arguments: [now - 3600])
      try db.executeCached(
        sql: """
          INSERT INTO pending_statuses (wa_id, status, errors, at, received_at)
          VALUES (?, ?, ?, ?, ?)
          """,
        arguments: [whatsappID, status, errorsText, at.timeIntervalSince1970, now])
    }
  }

  /// Returns false when no sent message has this WhatsApp id.
  @discardableResult
  static func update(
    whatsappID: String, status: String, errors: String?, in db: Database,
    changed: ((Int64) throws -> Void)? = nil
  ) throws -> Bool {
    guard
      let row = try Row.fetchOne(
        db.cachedStatement(
          sql: """
            SELECT id, status FROM messages WHERE wa_id = ? AND direction IN ('out', 'echo')
            """),
        arguments: [whatsappID])
    else { return false }
    let id: Int64 = row["id"]
    guard let new = rank(status), new > (rank(row["status"] as String?) ?? -1) else { return true }
    try db.executeCached(
      sql: "UPDATE messages SET status = ?, errors = COALESCE(?, errors) WHERE id = ?",
      arguments: [status, status == "failed" ? errors : nil, id])
    // Members watching the conversation see the tick change (live stream).
    try changed?(id)
    return true
  }

  /// Applies the statuses that arrived before the send recorded `whatsappID`.
  static func applyPendingStatuses(
    whatsappID: String, in db: Database, changed: ((Int64) throws -> Void)? = nil
  ) throws {
    let rows = try Row.fetchAll(
      db, sql: "SELECT status, errors FROM pending_statuses WHERE wa_id = ? ORDER BY rowid",
      arguments: [whatsappID])
    for row in rows {
      try update(
        whatsappID: whatsappID, status: row["status"], errors: row["errors"] as String?, in: db,
        changed: changed)
    }
    try db.execute(sql: "DELETE FROM pending_statuses WHERE wa_id = ?", arguments: [whatsappID])
  }
}

/// The outgoing queue (`messages` with direction `out`, status `queued`) as the sender uses it.
extension SQLiteStore {
  func outgoingMessage(id: Int64) async throws -> OutgoingSender.Outgoing? {
    try await pool.read { db in
      try Row.fetchOne(
        db,
        sql: """
          SELECT m.id, m.conversation_id, m.text, m.send_attempts, c.phone, c.user_id
          FROM messages m JOIN conversations c ON c.id = m.conversation_id
          WHERE m.id = ? AND m.direction = 'out' AND m.status = 'queued'
          """, arguments: [id]
      ).map { row in
        OutgoingSender.Outgoing(
          id: row["id"], conversation: row["conversation_id"], text: row["text"],
          recipient: GraphAPI.recipient(phone: row["phone"], userID: row["user_id"]),
          attempts: row["send_attempts"])
      }
    }
  }

  /// Records an attempt's outcome on the reply's row (only while it is still `queued`: a
  /// takeover may have withdrawn it meanwhile); members watching see the tick change.
  func recordSendAttempt(
    _ record: SendAttemptRecord, attempts: Int, job: Job, rules: LoadedRules,
    hub: IntegrationHub
  ) async throws -> Bool {
    let bell = bell
    let now = clock.seconds
    let id = Int64(job.subject) ?? 0
    return try await pool.write { db in
      func changed(_ id: Int64) throws {
        try LiveEvents.messageStatusChanged(messageID: id, in: db, rules: rules, hub: hub)
      }
      let held: Bool =
        switch record {
        case .retry(_, let next): try Self.retryJob(db, job, runAt: next, now: now, bell: bell)
        case .sent, .failed: try Self.finishJob(db, job, bell: bell)
        }
      guard held else { return false }
      switch record {
      case .sent(let whatsappID):
        // A WhatsApp id already stored elsewhere would break the UNIQUE key: keep the send,
        // drop the id (status webhooks for it then match the other row, as before).
        let taken =
          try whatsappID.map {
            try Int.fetchOne(db, sql: "SELECT 1 FROM messages WHERE wa_id = ?", arguments: [$0])
              != nil
          } ?? false
        try db.execute(
          sql: """
            UPDATE messages SET status = 'sent', wa_id = ?, errors = NULL, send_attempts = ?,
              next_attempt_at = NULL
            WHERE id = ? AND status = 'queued'
            """, arguments: [taken ? nil : whatsappID, attempts, id])
        if db.changesCount > 0 { try changed(id) }
        if let whatsappID, !taken {
          try OutgoingMessages.applyPendingStatuses(
            whatsappID: whatsappID, in: db, changed: changed)
        }
      case .retry(let errors, let next):
        // Still `queued`: the last transient error is shown so a stuck reply explains itself.
        try db.execute(
          sql: """
            UPDATE messages SET errors = ?, send_attempts = ?, next_attempt_at = ?
            WHERE id = ? AND status = 'queued'
            """, arguments: [errors, attempts, next, id])
      case .failed(let errors):
        try db.execute(
          sql: """
            UPDATE messages SET status = 'failed', errors = ?, send_attempts = ?,
              next_attempt_at = NULL
            WHERE id = ? AND status = 'queued'
            """, arguments: [errors, attempts, id])
        if db.changesCount > 0 { try changed(id) }
      }
      return true
    }
  }
}
