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
  static func registerMigrations(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("sending-v1") { db in
      try db.execute(
        sql: """
          ALTER TABLE messages ADD COLUMN send_attempts INTEGER NOT NULL DEFAULT 0;
          ALTER TABLE messages ADD COLUMN next_attempt_at REAL;
          CREATE INDEX messages_outgoing ON messages(conversation_id, id)
            WHERE direction = 'out' AND status = 'queued';
          CREATE TABLE pending_statuses (
            wa_id TEXT NOT NULL,
            status TEXT NOT NULL,
            errors TEXT,
            at REAL NOT NULL,
            received_at REAL NOT NULL
          );
          CREATE INDEX pending_statuses_wa ON pending_statuses(wa_id);
          CREATE INDEX pending_statuses_age ON pending_statuses(received_at);
          CREATE TABLE media (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            message_wa_id TEXT,
            kind TEXT NOT NULL,
            declared_mime TEXT,
            declared_sha256 TEXT,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL,
            mime_type TEXT,
            size INTEGER,
            sha256 TEXT,
            file TEXT,
            error TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
          );
          CREATE INDEX media_pending ON media(next_attempt_at) WHERE status = 'pending';
          """)
    }
  }

  /// Wakes the sender after the commit when the step queued a reply.
  static func enqueue(_ effects: StepEffects, in db: Database, hub: IntegrationHub) throws {
    try withdrawAIReplies(effects, in: db)
    guard hub.configuration.whatsapp != nil, !effects.messageRows.isEmpty else { return }
    let placeholders = Array(repeating: "?", count: effects.messageRows.count)
      .joined(separator: ", ")
    let queued =
      try Int.fetchOne(
        db,
        sql: """
          SELECT COUNT(*) FROM messages
          WHERE direction = 'out' AND status = 'queued' AND id IN (\(placeholders))
          """, arguments: StatementArguments(effects.messageRows)) ?? 0
    guard queued > 0 else { return }
    let signal = hub.sendingSignal
    db.afterNextTransaction { _ in signal.signal() }
  }

  /// A takeover always wins, also over an AI reply the engine accepted but the sender has not
  /// sent yet (it may be waiting out a 429): once the AI may no longer answer, the
  /// conversation's queued AI replies are withdrawn (status `discarded`, with the reason), in
  /// the transaction of the step that took the conversation from the AI.
  static func withdrawAIReplies(_ effects: StepEffects, in db: Database) throws {
    let after = effects.after
    guard after.mode != .ai || after.assignee != nil else { return }
    let reason = GraphAPI.Failure(
      title: "withdrawn: a person took over the conversation before this AI reply was sent")
    try db.executeCached(
      sql: """
        UPDATE messages SET status = 'discarded', errors = ?, next_attempt_at = NULL
        WHERE conversation_id = ? AND direction = 'out' AND author = ? AND status = 'queued'
        """, arguments: [reason.stored, after.id, Engine.aiAuthor])
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

extension EtiquetteServer {
  func registerSendingRoutes(on r: inout RouteRecorder) {
    r.add(.get, "/v1/media/{id}") { request, context in try await getMedia(request, context) }
  }

  /// The sender and the media downloader; nil (messages stay `queued`, media `pending`) when
  /// `whatsapp` is not configured.
  func startSendingWorker() -> Task<Void, Never>? {
    guard let whatsapp = configuration.whatsapp else { return nil }
    let sender = OutgoingSender(
      store: store, hub: hub, rules: rules, whatsapp: whatsapp, logger: logger)
    let downloader = MediaDownloads(
      store: store, hub: hub, whatsapp: whatsapp, storage: configuration.media, logger: logger)
    return Task {
      // The hub has one signal for this worker: the sender wakes on it and passes the wake
      // on to the downloader, so new media (recorded at intake) start at once too.
      let mediaSignal = WakeSignal()
      await withTaskGroup(of: Void.self) { group in
        group.addTask { await sender.run(wakingAlso: mediaSignal) }
        group.addTask { await downloader.run(signal: mediaSignal) }
      }
    }
  }
}
