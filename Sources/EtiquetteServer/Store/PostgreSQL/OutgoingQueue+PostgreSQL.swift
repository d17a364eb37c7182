import EtiquetteEngine
import Foundation
import PostgresNIO

/// The outgoing queue (`messages` with direction `out`, status `queued`) as the sender uses it,
/// in PostgreSQL: the same rows and outcomes as SQLite's (`OutgoingMessages.swift`).
extension PostgresStore: OutgoingQueue {
  func outgoingMessage(id: Int64) async throws -> OutgoingSender.Outgoing? {
    let rows = try await client.query(
      """
      SELECT m.id, m.conversation_id, m.text, m.send_attempts, c.phone, c.user_id
      FROM messages m JOIN conversations c ON c.id = m.conversation_id
      WHERE m.id = \(id) AND m.direction = 'out' AND m.status = 'queued'
      """, logger: logger)
    for try await (id, conversation, text, attempts, phone, userID) in rows.decode(
      (Int64, String, String, Int, String?, String?).self)
    {
      return OutgoingSender.Outgoing(
        id: id, conversation: conversation, text: text,
        recipient: GraphAPI.recipient(phone: phone, userID: userID), attempts: attempts)
    }
    return nil
  }

  /// Records an attempt's outcome on the reply's row (only while it is still `queued`: a
  /// takeover may have withdrawn it meanwhile); members watching, on every instance, see the
  /// tick change.
  func recordSendAttempt(
    _ record: SendAttemptRecord, attempts: Int, job: Job, rules: LoadedRules,
    hub: IntegrationHub
  ) async throws -> Bool {
    let bell = bell
    let logger = logger
    let now = clock.seconds
    let id = Int64(job.subject) ?? 0
    return try await transaction { connection, after in
      let held: Bool =
        switch record {
        case .retry(_, let next):
          try await Self.retryJob(connection, job, runAt: next, now: now, logger: logger)
        case .sent, .failed: try await Self.finishJob(connection, job, logger: logger)
        }
      guard held else { return false }
      if case .retry = record {
        after.ring(bell, [job.kind])
      } else if job.orderingKey != nil {
        // The conversation's next reply may go.
        after.ring(bell, [job.kind])
      }
      var changed: [Int64] = []
      switch record {
      case .sent(let whatsappID):
        let sent = try await Self.markSent(
          id, whatsappID: whatsappID, attempts: attempts, on: connection, logger: logger)
        if sent.changed { changed.append(id) }
        if let kept = sent.whatsappID {
          changed += try await Self.applyPendingStatuses(
            whatsappID: kept, on: connection, logger: logger)
        }
      case .retry(let errors, let next):
        // Still `queued`: the last transient error is shown so a stuck reply explains itself.
        try await connection.query(
          """
          UPDATE messages SET errors = \(errors), send_attempts = \(attempts),
            next_attempt_at = \(next)
          WHERE id = \(id) AND status = 'queued'
          """, logger: logger)
      case .failed(let errors):
        let rows = try await connection.query(
          """
          UPDATE messages SET status = 'failed', errors = \(errors), send_attempts = \(attempts),
            next_attempt_at = NULL
          WHERE id = \(id) AND status = 'queued' RETURNING id
          """, logger: logger)
        for try await failed in rows.decode(Int64.self) { changed.append(failed) }
      }
      try await Self.storeStatusEvents(
        of: changed, on: connection, now: now, logger: logger)
      return true
    }
  }

  // MARK: - Inside the transaction of an attempt

  /// The reply `sent` with its WhatsApp id, if still queued; says whether it changed and
  /// which id it kept. An id already stored elsewhere would break the UNIQUE key: the send is
  /// kept, the id dropped (status webhooks for it then match the other row, as in SQLite).
  fileprivate static func markSent(
    _ id: Int64, whatsappID: String?, attempts: Int, on connection: PostgresConnection,
    logger: Logger
  ) async throws -> (changed: Bool, whatsappID: String?) {
    func update(_ kept: String?) async throws -> Bool {
      let rows = try await connection.query(
        """
        UPDATE messages SET status = 'sent', wa_id = \(kept), errors = NULL,
          send_attempts = \(attempts), next_attempt_at = NULL
        WHERE id = \(id) AND status = 'queued' RETURNING id
        """, logger: logger)
      var changed = false
      for try await _ in rows.decode(Int64.self) { changed = true }
      return changed
    }
    guard let whatsappID else { return (try await update(nil), nil) }
    let existing = try await connection.query(
      "SELECT 1 FROM messages WHERE wa_id = \(whatsappID)", logger: logger)
    var taken = false
    for try await _ in existing.decode(Int32.self) { taken = true }
    if !taken {
      // The check sees committed rows only: another instance may commit that id meanwhile
      // (an echo of the same message). The update then fails, and the savepoint lets the
      // send be recorded without the id rather than roll it back — its job would send a
      // message WhatsApp already has a second time.
      try await connection.query("SAVEPOINT sent_with_id", logger: logger)
      do {
        let changed = try await update(whatsappID)
        try await connection.query("RELEASE SAVEPOINT sent_with_id", logger: logger)
        return (changed, whatsappID)
      } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
        try await connection.query("ROLLBACK TO SAVEPOINT sent_with_id", logger: logger)
      }
    }
    return (try await update(nil), nil)
  }

  /// Applies the statuses that arrived before the send recorded `whatsappID` (as SQLite's
  /// `OutgoingMessages.applyPendingStatuses`); returns the message whose status they changed,
  /// once per change.
  fileprivate static func applyPendingStatuses(
    whatsappID: String, on connection: PostgresConnection, logger: Logger
  ) async throws -> [Int64] {
    // No rowid here: arrival order is the order they were received in (then Meta's time).
    // Only the rank decides which status stays, so the order matters only for the events.
    let rows = try await connection.query(
      """
      DELETE FROM pending_statuses WHERE wa_id = \(whatsappID)
      RETURNING status, errors, received_at, at
      """, logger: logger)
    var pending: [(status: String, errors: String?, receivedAt: Double, at: Double)] = []
    for try await (status, errors, receivedAt, at) in rows.decode(
      (String, String?, Double, Double).self)
    {
      pending.append((status, errors, receivedAt, at))
    }
    pending.sort { ($0.receivedAt, $0.at) < ($1.receivedAt, $1.at) }
    var changed: [Int64] = []
    for status in pending {
      if let id = try await updateStatus(
        whatsappID: whatsappID, status: status.status, errors: status.errors, on: connection,
        logger: logger)
      {
        changed.append(id)
      }
    }
    return changed
  }

  /// A status moves a sent message forward, never back (`OutgoingMessages.rank`); returns the
  /// message when it changed. The row is locked: a status webhook on another instance waits,
  /// then compares with this one's outcome.
  fileprivate static func updateStatus(
    whatsappID: String, status: String, errors: String?, on connection: PostgresConnection,
    logger: Logger
  ) async throws -> Int64? {
    let rows = try await connection.query(
      """
      SELECT id, status FROM messages WHERE wa_id = \(whatsappID)
        AND direction IN ('out', 'echo')
      FOR UPDATE
      """, logger: logger)
    var found: (id: Int64, status: String?)?
    for try await (id, current) in rows.decode((Int64, String?).self) { found = (id, current) }
    guard let found, let new = OutgoingMessages.rank(status),
      new > (OutgoingMessages.rank(found.status) ?? -1)
    else { return nil }
    let kept = status == "failed" ? errors : nil
    try await connection.query(
      """
      UPDATE messages SET status = \(status), errors = COALESCE(\(kept), errors)
      WHERE id = \(found.id)
      """, logger: logger)
    return found.id
  }

  /// The `message.status` events of these messages (all of one conversation: the attempt's),
  /// for the members of every instance who may view the conversation with its stored labels.
  /// Last in the transaction (`storeLiveEvents` holds its lock to the commit).
  fileprivate static func storeStatusEvents(
    of messages: [Int64], on connection: PostgresConnection, now: Double, logger: Logger
  ) async throws {
    guard !messages.isEmpty else { return }
    var events: [LiveEvent] = []
    var conversation: String?
    for message in messages {
      let rows = try await connection.query(
        "SELECT conversation_id, status, errors FROM messages WHERE id = \(message)",
        logger: logger)
      for try await (id, status, errors) in rows.decode((String, String?, String?).self) {
        conversation = id
        events.append(
          LiveEvents.messageStatusEvent(
            conversation: id, message: message, status: status, errors: errors))
      }
    }
    guard let conversation else { return }
    try await storeLiveEvents(
      events, to: viewersAudience(of: conversation, on: connection, logger: logger),
      on: connection, now: now, logger: logger)
  }
}

extension PostgresStore {
  /// Who may receive an event about a conversation that no step changes (a status, a
  /// suggestion): the viewers of its stored labels, by name, which each instance resolves with
  /// its rules (`StoredLiveAudience`).
  static func viewersAudience(
    of conversation: String, on connection: PostgresConnection, logger: Logger
  ) async throws -> StoredLiveAudience {
    let rows = try await connection.query(
      """
      SELECT label FROM conversation_labels WHERE conversation_id = \(conversation)
      ORDER BY label
      """, logger: logger)
    var labels: [String] = []
    for try await label in rows.decode(String.self) { labels.append(label) }
    return .viewers(before: labels, after: labels)
  }
}
