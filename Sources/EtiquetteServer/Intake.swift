import EtiquetteEngine
import Foundation
import GRDB

extension Store {
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
            let counts = try Self.process(
              payload, in: db, rules: loaded, now: clock.seconds, cache: cache, hub: hub)
            metrics.record(messages: counts.messages, decisions: counts.decisions)
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
  }

  /// One webhook body: new messages become engine steps; redeliveries (a WhatsApp id already
  /// stored) change nothing; statuses update the message they are about. `now` stamps what
  /// is stored for later (media to download, statuses ahead of their message).
  static func process(
    _ payload: WhatsAppPayload, in db: Database, rules: LoadedRules, now: Double,
    cache: ConversationCache? = nil, hub: IntegrationHub? = nil
  ) throws -> (messages: Int, decisions: Int) {
    var messages = 0
    // Attachment URLs point at this server's own authenticated route, never at Meta's links
    // (they expire within minutes); without a hub (tests of the store alone) they are relative.
    let mediaBase = (hub?.configuration.baseURL ?? "") + "/v1/media/"
    for m in payload.messages {
      guard
        try Int.fetchOne(
          db.cachedStatement(sql: "SELECT 1 FROM messages WHERE wa_id = ?"), arguments: [m.id])
          == nil
      else { continue }
      let id = try ConversationRecords.findOrCreate(
        db, phone: m.contact.phone, userID: m.contact.userID, name: m.contact.name,
        rules: rules, at: m.at)
      let update = ContactUpdate(
        id: m.contact.userID, phone: ConversationRecords.normalizePhone(m.contact.phone),
        name: m.contact.name)
      var message = m.message
      if let media = m.media {
        let placeholder = WhatsAppPayload.placeholderURL(mediaID: media.id)
        message.attachments = message.attachments.map { attachment in
          guard attachment.url == placeholder else { return attachment }
          var attachment = attachment
          attachment.url = mediaBase + MediaDownloads.pathComponent(media.id)
          return attachment
        }
      }
      let step = Step(.message(message), at: m.at, contact: update)
      _ = try ConversationRecords.apply(
        step, to: id, in: db, rules: rules,
        extras: EntryExtras(
          whatsappID: m.id, wireType: m.wireType, contextID: m.contextID,
          raw: JSONLine.encode(m.raw)), cache: cache, hub: hub)
      if let media = m.media {
        try MediaDownloads.record(
          media, conversation: id, whatsappID: m.id, at: now, in: db, hub: hub)
      }
      messages += 1
    }
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
          """,
        arguments: [
          id, e.type, e.type, e.text, e.id, e.at.timeIntervalSince1970, JSONLine.encode(e.raw),
        ])
    }
    return (messages, messages)
  }
}
