import Foundation
import NIOCore
import PostgresNIO

extension PostgresStore {
  /// TEST ONLY: writes `rows` as they are into the tables (see `TestInboxRows`), in one
  /// transaction; a media's bytes go to `media_chunks`, in parts of at most 1,000 bytes (so a
  /// test sees them joined in order).
  func insertTestRows(_ rows: TestInboxRows) async throws {
    let logger = logger
    try await transaction { connection, _ in
      for c in rows.conversations {
        try await connection.query(
          """
          INSERT INTO conversations (id, contact_id, phone, user_id, name, attributes, mode,
            assignee, presence, team, priority, priority_rank, version, step_count,
            held_triggers, transcript_count, created_at, updated_at)
          VALUES (\(c.id), \(c.id), \(c.phone), \(c.userID), \(c.name), \(c.attributes),
            \(c.mode), \(c.assignee), \(c.presence), \(c.team), \(c.priority), \(c.priorityRank),
            \(c.version), \(c.stepCount), \(c.heldTriggers), \(c.transcriptCount), \(c.createdAt),
            \(c.updatedAt))
          """, logger: logger)
        if let phone = c.phone {
          try await connection.query(
            "INSERT INTO contact_keys (key, conversation_id) VALUES (\("phone:" + phone), \(c.id))",
            logger: logger)
        }
      }
      for l in rows.labels {
        try await connection.query(
          """
          INSERT INTO conversation_labels (conversation_id, label, reason)
          VALUES (\(l.conversation), \(l.label), \(l.reason))
          """, logger: logger)
      }
      for m in rows.messages {
        try await connection.query(
          """
          INSERT INTO messages (id, conversation_id, seq, direction, author, type, text,
            attachments, wa_id, status, errors, send_attempts, at)
          VALUES (\(m.id), \(m.conversation), \(m.seq), \(m.direction), \(m.author), \(m.type),
            \(m.text), \(m.attachments), \(m.whatsappID), \(m.status), \(m.errors),
            \(m.sendAttempts), \(m.at))
          """, logger: logger)
      }
      for n in rows.notes {
        try await connection.query(
          """
          INSERT INTO notes (id, conversation_id, author, text, mentions, at)
          VALUES (\(n.id), \(n.conversation), \(n.author), \(n.text), \(n.mentions), \(n.at))
          """, logger: logger)
      }
      for r in rows.readStates {
        try await connection.query(
          """
          INSERT INTO read_state (conversation_id, member, read_count)
          VALUES (\(r.conversation), \(r.member), \(r.count))
          """, logger: logger)
      }
      for n in rows.notifications {
        try await connection.query(
          """
          INSERT INTO notifications (id, member, conversation_id, reason, team, priority, text,
            created_at, read_at)
          VALUES (\(n.id), \(n.member), \(n.conversation), \(n.reason), \(n.team), \(n.priority),
            \(n.text), \(n.createdAt), \(n.readAt))
          """, logger: logger)
      }
      for m in rows.media {
        try await connection.query(
          """
          INSERT INTO media (id, conversation_id, kind, status, mime_type, size, sha256, error,
            created_at, updated_at)
          VALUES (\(m.id), \(m.conversation), \(m.kind), \(m.status), \(m.mimeType),
            \(m.bytes?.count), \(m.sha256), \(m.error), \(m.at), \(m.at))
          """, logger: logger)
        guard let bytes = m.bytes else { continue }
        var part = 0
        var start = bytes.startIndex
        while start < bytes.endIndex {
          let end = min(start + 1_000, bytes.endIndex)
          let chunk = ByteBuffer(bytes: bytes[start..<end])
          try await connection.query(
            "INSERT INTO media_chunks (media_id, part, bytes) VALUES (\(m.id), \(part), \(chunk))",
            logger: logger)
          part += 1
          start = end
        }
      }
      for s in rows.suggestions {
        try await connection.query(
          """
          INSERT INTO ai_suggestions (id, conversation_id, version, text, created_at)
          VALUES (\(s.id), \(s.conversation), \(s.version), \(s.text), \(s.createdAt))
          """, logger: logger)
      }
      for d in rows.decisions {
        try await connection.query(
          """
          INSERT INTO decisions (id, conversation_id, step, rule_set_version, document, at,
            action)
          VALUES (\(d.id), \(d.conversation), \(d.step), 'test', \(d.document), \(d.at),
            \(d.action))
          """, logger: logger)
      }
      for s in rows.stepInputs {
        try await connection.query(
          """
          INSERT INTO step_inputs (conversation_id, step, at, line)
          VALUES (\(s.conversation), \(s.step), \(s.at), \(s.line))
          """, logger: logger)
      }
      for w in rows.webhooks {
        try await connection.query(
          """
          INSERT INTO webhooks (id, arrival, received_at, body, processed_at)
          VALUES (\(w.id), \(w.id), \(w.at), \(ByteBuffer(string: w.body)), \(w.at))
          """, logger: logger)
      }
      for f in rows.failures {
        try await connection.query(
          """
          INSERT INTO message_failures (webhook_id, whatsapp_id, error, attempts, failed_at,
            resolved_at, retryable)
          VALUES (\(f.webhook), \(f.whatsappID), \(f.error), \(f.attempts), \(f.failedAt),
            \(f.resolvedAt), \(f.retryable ? 1 : 0))
          """, logger: logger)
      }
      for s in rows.searchTexts {
        try await Self.indexForSearch(
          connection, conversation: s.conversation, kind: s.kind, text: s.text, logger: logger)
      }
    }
  }
}

extension PostgresStore {
  /// TEST ONLY: the live events stored so far, oldest first: who they are for, the events as
  /// JSON, and whether they count as a change of the inbox.
  func storedLiveEventsForTests() async throws
    -> [(audience: String, events: String, countsAsChange: Bool)]
  {
    var stored: [(audience: String, events: String, countsAsChange: Bool)] = []
    for try await (audience, events, change) in try await client.query(
      "SELECT audience, events, counts_as_change FROM live_events ORDER BY seq", logger: logger
    ).decode((String, String, Bool).self) {
      stored.append((audience, events, change))
    }
    return stored
  }
}
