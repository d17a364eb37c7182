import Foundation
import GRDB

// TEST ONLY: the SQLite twins of `Store/PostgreSQL/StepTestSupport+PostgreSQL.swift`, so that
// the step and intake tests read both stores alike.

extension SQLiteStore {
  /// TEST ONLY: every conversation id, oldest first.
  func conversationIDs() async throws -> [String] {
    try await pool.read { db in
      try String.fetchAll(db, sql: "SELECT id FROM conversations ORDER BY created_at, rowid")
    }
  }

  /// TEST ONLY: what the conversation's steps stored.
  func stepSnapshot(conversation id: String) async throws -> StoredStepSnapshot {
    try await pool.read { db in
      var snapshot = StoredStepSnapshot()
      for row in try Row.fetchAll(
        db, sql: "SELECT label, reason FROM conversation_labels WHERE conversation_id = ?",
        arguments: [id])
      {
        snapshot.labels[row["label"]] = row["reason"] as String
      }
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT step, rule_set_version, action FROM decisions WHERE conversation_id = ?
          ORDER BY step
          """, arguments: [id])
      {
        let step: Int = row["step"]
        let version: String = row["rule_set_version"]
        let action: String? = row["action"]
        snapshot.decisions.append("\(step)|\(version)|\(action ?? "")")
      }
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT direction, author, text FROM messages WHERE conversation_id = ?
          ORDER BY seq IS NULL, seq, id
          """, arguments: [id])
      {
        let direction: String = row["direction"]
        let author: String = row["author"]
        let text: String = row["text"]
        snapshot.transcript.append("\(direction)|\(author)|\(text)")
      }
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT j.kind, j.ordering_key FROM jobs j
          WHERE j.ordering_key LIKE '%' || ?1
            OR (j.kind = 'media_download' AND j.subject IN
              (SELECT m.id FROM media m WHERE m.conversation_id = ?1))
          ORDER BY j.id
          """, arguments: [id])
      {
        let kind: String = row["kind"]
        let key: String? = row["ordering_key"]
        snapshot.jobs.append("\(kind)|\(key ?? "")")
      }
      for row in try Row.fetchAll(
        db,
        sql: "SELECT member, reason FROM notifications WHERE conversation_id = ? ORDER BY id",
        arguments: [id])
      {
        let member: String = row["member"]
        let reason: String = row["reason"]
        snapshot.notifications.append("\(member)|\(reason)")
      }
      for row in try Row.fetchAll(
        db, sql: "SELECT step, line FROM step_inputs WHERE conversation_id = ? ORDER BY step",
        arguments: [id])
      {
        let step: Int = row["step"]
        let line: String = row["line"]
        snapshot.stepInputs.append("\(step)|\(line)")
      }
      for row in try Row.fetchAll(
        db,
        sql: "SELECT kind, version, status FROM ai_requests WHERE conversation_id = ? ORDER BY id",
        arguments: [id])
      {
        let kind: String = row["kind"]
        let version: Int = row["version"]
        let status: String = row["status"]
        snapshot.aiRequests.append("\(kind)|\(version)|\(status)")
      }
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT author, status FROM messages WHERE conversation_id = ? AND direction = 'out'
          ORDER BY seq
          """, arguments: [id])
      {
        let author: String = row["author"]
        let status: String? = row["status"]
        snapshot.replyStatuses.append("\(author)|\(status ?? "")")
      }
      return snapshot
    }
  }

  /// TEST ONLY: how many webhooks are stored, and how many of them are not processed yet.
  func webhookCounts() async throws -> (stored: Int, pending: Int) {
    try await pool.read { db in
      let stored = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhooks") ?? 0
      let pending =
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhooks WHERE processed_at IS NULL")
        ?? 0
      return (stored, pending)
    }
  }

  /// TEST ONLY: what kept failures say, by WhatsApp id ("resolved" once resolved).
  func messageFailureErrors() async throws -> [String: String] {
    try await pool.read { db in
      var errors: [String: String] = [:]
      for row in try Row.fetchAll(
        db, sql: "SELECT whatsapp_id, error, resolved_at FROM message_failures")
      {
        let resolved: Double? = row["resolved_at"]
        errors[row["whatsapp_id"]] = resolved == nil ? row["error"] as String : "resolved"
      }
      return errors
    }
  }

  /// TEST ONLY: every decision insert fails from now on (the last write of a step, after its
  /// labels and transcript), until `removeInjectedDecisionFault`.
  func injectDecisionInsertFault() async throws {
    try await pool.write { db in
      try db.execute(
        sql: """
          CREATE TRIGGER injected_decision_fault BEFORE INSERT ON decisions
          BEGIN SELECT RAISE(ABORT, 'injected failure'); END
          """)
    }
  }

  /// TEST ONLY: removes the fault of `injectDecisionInsertFault`.
  func removeInjectedDecisionFault() async throws {
    try await pool.write { db in
      try db.execute(sql: "DROP TRIGGER IF EXISTS injected_decision_fault")
    }
  }
}
