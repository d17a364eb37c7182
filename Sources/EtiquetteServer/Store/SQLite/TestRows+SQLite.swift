import Foundation
import GRDB

extension SQLiteStore {
  /// TEST ONLY: writes `rows` as they are into the tables (see `TestInboxRows`). A media's
  /// bytes are not written: the file name is its id (`media.directory` is not read here).
  func insertTestRows(_ rows: TestInboxRows) async throws {
    try await pool.write { db in
      for c in rows.conversations {
        try db.execute(
          sql: """
            INSERT INTO conversations (id, contact_id, phone, user_id, name, attributes, mode,
              assignee, presence, team, priority, priority_rank, version, step_count,
              held_triggers, transcript_count, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            c.id, c.id, c.phone, c.userID, c.name, c.attributes, c.mode, c.assignee, c.presence,
            c.team, c.priority, c.priorityRank, c.version, c.stepCount, c.heldTriggers,
            c.transcriptCount, c.createdAt, c.updatedAt,
          ])
        if let phone = c.phone {
          try db.execute(
            sql: "INSERT INTO contact_keys (key, conversation_id) VALUES (?, ?)",
            arguments: ["phone:" + phone, c.id])
        }
      }
      for l in rows.labels {
        try db.execute(
          sql: "INSERT INTO conversation_labels (conversation_id, label, reason) VALUES (?, ?, ?)",
          arguments: [l.conversation, l.label, l.reason])
      }
      for m in rows.messages {
        try db.execute(
          sql: """
            INSERT INTO messages (id, conversation_id, seq, direction, author, type, text,
              attachments, wa_id, status, errors, send_attempts, at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            m.id, m.conversation, m.seq, m.direction, m.author, m.type, m.text, m.attachments,
            m.whatsappID, m.status, m.errors, m.sendAttempts, m.at,
          ])
      }
      for n in rows.notes {
        try db.execute(
          sql: """
            INSERT INTO notes (id, conversation_id, author, text, mentions, at)
            VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [n.id, n.conversation, n.author, n.text, n.mentions, n.at])
      }
      for r in rows.readStates {
        try db.execute(
          sql: "INSERT INTO read_state (conversation_id, member, read_count) VALUES (?, ?, ?)",
          arguments: [r.conversation, r.member, r.count])
      }
      for n in rows.notifications {
        try db.execute(
          sql: """
            INSERT INTO notifications (id, member, conversation_id, reason, team, priority, text,
              created_at, read_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            n.id, n.member, n.conversation, n.reason, n.team, n.priority, n.text, n.createdAt,
            n.readAt,
          ])
      }
      for m in rows.media {
        try db.execute(
          sql: """
            INSERT INTO media (id, conversation_id, kind, status, mime_type, size, sha256, file,
              error, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            m.id, m.conversation, m.kind, m.status, m.mimeType, m.bytes?.count, m.sha256,
            m.bytes == nil ? nil : m.id, m.error, m.at, m.at,
          ])
      }
      for s in rows.suggestions {
        try db.execute(
          sql: """
            INSERT INTO ai_suggestions (id, conversation_id, version, text, created_at)
            VALUES (?, ?, ?, ?, ?)
            """, arguments: [s.id, s.conversation, s.version, s.text, s.createdAt])
      }
      for d in rows.decisions {
        try db.execute(
          sql: """
            INSERT INTO decisions (id, conversation_id, step, rule_set_version, document, at,
              action)
            VALUES (?, ?, ?, 'test', ?, ?, ?)
            """, arguments: [d.id, d.conversation, d.step, d.document, d.at, d.action])
      }
      for s in rows.stepInputs {
        try db.execute(
          sql: "INSERT INTO step_inputs (conversation_id, step, at, line) VALUES (?, ?, ?, ?)",
          arguments: [s.conversation, s.step, s.at, s.line])
      }
      for w in rows.webhooks {
        try db.execute(
          sql: "INSERT INTO webhooks (id, received_at, body, processed_at) VALUES (?, ?, ?, ?)",
          arguments: [w.id, w.at, Data(w.body.utf8), w.at])
      }
      for f in rows.failures {
        try db.execute(
          sql: """
            INSERT INTO message_failures (webhook_id, whatsapp_id, error, attempts, failed_at,
              resolved_at, retryable)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            f.webhook, f.whatsappID, f.error, f.attempts, f.failedAt, f.resolvedAt,
            f.retryable ? 1 : 0,
          ])
      }
      for s in rows.searchTexts {
        try db.execute(
          sql: "INSERT INTO search (conversation_id, kind, text) VALUES (?, ?, ?)",
          arguments: [s.conversation, s.kind, s.text])
      }
    }
  }
}
