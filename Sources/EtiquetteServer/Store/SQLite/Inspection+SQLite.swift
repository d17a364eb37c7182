import EtiquetteEngine
import Foundation
import GRDB

/// `StoreInspection` on a SQLite file: reads only, through any GRDB reader (the store's pool,
/// or a read-only connection beside a server running in another process).
struct SQLiteInspection: StoreInspection {
  let reader: any DatabaseReader

  func counts() async throws -> StoreCounts {
    try await reader.read { db in
      func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
      return StoreCounts(
        webhooks: try count("SELECT COUNT(*) FROM webhooks"),
        unprocessedWebhooks: try count("SELECT COUNT(*) FROM webhooks WHERE processed_at IS NULL"),
        conversations: try count("SELECT COUNT(*) FROM conversations"),
        steps: try count("SELECT COALESCE(SUM(step_count), 0) FROM conversations"),
        messages: try count("SELECT COUNT(*) FROM messages"),
        decisions: try count("SELECT COUNT(*) FROM decisions"),
        eventAnswers: try count("SELECT COUNT(*) FROM event_requests"),
        earlyStatuses: try count("SELECT COUNT(*) FROM pending_statuses"),
        searchedMessages: try count("SELECT COUNT(*) FROM search WHERE kind = 'message'"),
        searchedNames: try count("SELECT COUNT(*) FROM search WHERE kind = 'name'"))
    }
  }

  func conversations() async throws -> [InspectedConversation] {
    try await reader.read { db in
      var labels: [String: [String]] = [:]
      for row in try Row.fetchAll(
        db, sql: "SELECT conversation_id, label FROM conversation_labels ORDER BY rowid")
      {
        labels[row["conversation_id"], default: []].append(row["label"])
      }
      return try Row.fetchAll(
        db,
        sql: """
          SELECT id, phone, user_id, name, step_count, held_triggers FROM conversations
          ORDER BY id
          """
      ).map { row in
        let held: String = row["held_triggers"]
        return InspectedConversation(
          id: row["id"], phone: row["phone"], userID: row["user_id"], name: row["name"],
          stepCount: row["step_count"], labels: labels[row["id"]] ?? [],
          heldTriggers: (try? JSONDecoder().decode([String].self, from: Data(held.utf8))) ?? [])
      }
    }
  }

  /// The conversation the store files a message from `phone` into.
  func conversationID(forPhone phone: String) async throws -> String? {
    try await reader.read { db in
      try ConversationRecords.owner(
        of: ConversationRecords.contactKeys(
          phone: ConversationRecords.normalizePhone(phone), userID: nil), in: db)
    }
  }

  func conversation(id: String, rules: LoadedRules) async throws -> Conversation? {
    try await reader.read { db in
      try ConversationRecords.load(db, id: id, rules: rules)?.conversation
    }
  }

  func messages(inConversation conversation: String?) async throws -> [InspectedMessage] {
    try await reader.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT id, conversation_id, seq, direction, author, type, wire_type, text, wa_id,
            status, errors, send_attempts, at
          FROM messages WHERE ?1 IS NULL OR conversation_id = ?1 ORDER BY id
          """, arguments: [conversation]
      ).map { row in
        InspectedMessage(
          id: row["id"], conversationID: row["conversation_id"], seq: row["seq"],
          direction: row["direction"], author: row["author"], type: row["type"],
          wireType: row["wire_type"], text: row["text"], whatsappID: row["wa_id"],
          status: row["status"], errors: row["errors"], sendAttempts: row["send_attempts"],
          at: Date(timeIntervalSince1970: row["at"]))
      }
    }
  }

  func decisions(inConversation conversation: String?) async throws -> [InspectedDecision] {
    try await reader.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT conversation_id, step, rule_set_version, document FROM decisions
          WHERE ?1 IS NULL OR conversation_id = ?1 ORDER BY id
          """, arguments: [conversation]
      ).map { row in
        InspectedDecision(
          conversationID: row["conversation_id"], step: row["step"],
          ruleSetVersion: row["rule_set_version"], document: row["document"])
      }
    }
  }

  func notifications() async throws -> [InspectedNotification] {
    try await reader.read { db in
      try Row.fetchAll(
        db, sql: "SELECT member, conversation_id, reason FROM notifications ORDER BY id"
      ).map { row in
        InspectedNotification(
          member: row["member"], conversationID: row["conversation_id"], reason: row["reason"])
      }
    }
  }

  func deliveries() async throws -> [InspectedDelivery] {
    try await reader.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT seq, id, subscription, conversation_id, event_type, event_id, body, status,
            attempts, last_status, last_error
          FROM webhook_deliveries ORDER BY seq
          """
      ).map { row in
        InspectedDelivery(
          seq: row["seq"], id: row["id"], subscription: row["subscription"],
          conversationID: row["conversation_id"], eventType: row["event_type"],
          eventID: row["event_id"], body: row["body"], status: row["status"],
          attempts: row["attempts"], lastStatus: row["last_status"], lastError: row["last_error"])
      }
    }
  }

  func media(id: String) async throws -> InspectedMedia? {
    try await reader.read { db in
      try Row.fetchOne(
        db,
        sql: """
          SELECT id, conversation_id, status, attempts, mime_type, size, sha256, file, error
          FROM media WHERE id = ?
          """, arguments: [id]
      ).map { row in
        InspectedMedia(
          id: row["id"], conversationID: row["conversation_id"], status: row["status"],
          attempts: row["attempts"], mimeType: row["mime_type"], size: row["size"],
          sha256: row["sha256"], file: row["file"], error: row["error"])
      }
    }
  }

  func aiRequests() async throws -> [InspectedAIRequest] {
    try await reader.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT id, conversation_id, kind, version, status, attempts, error
          FROM ai_requests ORDER BY id
          """
      ).map { row in
        InspectedAIRequest(
          id: row["id"], conversationID: row["conversation_id"], kind: row["kind"],
          version: row["version"], status: row["status"], attempts: row["attempts"],
          error: row["error"])
      }
    }
  }

  func messageFailures() async throws -> [InspectedMessageFailure] {
    try await reader.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT whatsapp_id, error, retryable, attempts, resolved_at
          FROM message_failures ORDER BY rowid
          """
      ).map { row in
        InspectedMessageFailure(
          whatsappID: row["whatsapp_id"], error: row["error"], retryable: row["retryable"],
          attempts: row["attempts"],
          resolvedAt: (row["resolved_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
      }
    }
  }

  func webhooks() async throws -> [InspectedWebhook] {
    try await reader.read { db in
      try Row.fetchAll(db, sql: "SELECT id, body, processed_at, error FROM webhooks ORDER BY id")
        .map { row in
          InspectedWebhook(
            id: row["id"], body: row["body"],
            processedAt: (row["processed_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            error: row["error"])
        }
    }
  }
}

extension SQLiteStore {
  /// What this store holds, read-only (for tests and diagnostics).
  var inspection: SQLiteInspection { SQLiteInspection(reader: pool) }

  /// What the store file at `path` holds, opened without this process's server: read-only
  /// beside a server that runs in another process, or after it stopped.
  static func inspection(ofDatabaseAt path: String, readOnly: Bool = true) throws
    -> SQLiteInspection
  {
    var configuration = Configuration()
    configuration.readonly = readOnly
    return SQLiteInspection(reader: try DatabaseQueue(path: path, configuration: configuration))
  }

  /// SQLite's plan for removing a contact's name from the search index: the index must be
  /// reached by key, never scanned (a diagnostic of this store only).
  func nameEntryDeletionPlan(conversation id: String) throws -> [String] {
    try pool.read { db in
      try Row.fetchAll(
        db, sql: "EXPLAIN QUERY PLAN " + ConversationRecords.deleteNameEntry, arguments: [id]
      ).map { $0["detail"] as String }
    }
  }
}

// MARK: - Faults and back-dating, for tests only

extension SQLiteStore {
  /// TEST ONLY: a store file as releases before `contact-keys-v1` could leave it, with two
  /// conversations for one phone (written by two racing writers, or by hand): the older one's
  /// id first. Open it with a server afterwards to run the later migrations.
  static func makeStoreWithDuplicateContact(at path: String, phone: String) throws
    -> (older: String, younger: String)
  {
    let queue = try DatabaseQueue(path: path)
    try migrator.migrate(queue, upTo: "jobs-v1")
    return try queue.write { db in
      let ids = ["c-older", "c-younger"]
      for (offset, id) in ids.enumerated() {
        try db.execute(
          sql: """
            INSERT INTO conversations (id, contact_id, phone, name, mode, presence, priority,
              priority_rank, version, step_count, created_at, updated_at)
            VALUES (?, ?, ?, ?, 'ai', 'active', 'normal', 1, 0, 0, ?, ?)
            """,
          arguments: [id, phone, phone, "Doublon \(offset)", 1000 + offset, 1000 + offset])
      }
      return (ids[0], ids[1])
    }
  }

  /// TEST ONLY: makes every insert of the incoming message `whatsappID` fail (as a full disk or
  /// a bug would), until `removeInjectedFaults()`; a test checks that the messages around it
  /// are kept and that it is applied once the fault is gone.
  func injectMessageInsertFault(whatsappID: String) async throws {
    // A trigger takes no parameters: the id is quoted as an SQL string literal.
    let literal = "'" + whatsappID.replacingOccurrences(of: "'", with: "''") + "'"
    try await pool.write { db in
      try db.execute(
        sql: """
          CREATE TRIGGER injected_fault BEFORE INSERT ON messages WHEN NEW.wa_id = \(literal)
          BEGIN SELECT RAISE(ABORT, 'injected failure'); END
          """)
    }
  }

  /// TEST ONLY: removes the fault of `injectMessageInsertFault`.
  func removeInjectedFaults() async throws {
    try await pool.write { db in try db.execute(sql: "DROP TRIGGER IF EXISTS injected_fault") }
  }

  /// TEST ONLY: gives the delivery `seq` a status and the instant it last changed, as if it
  /// had been finished long ago; the sweep's retention is tested without waiting for days.
  func backdateDelivery(seq: Int64, status: String, updatedAt: Double) async throws {
    try await pool.write { db in
      try db.execute(
        sql: "UPDATE webhook_deliveries SET status = ?, updated_at = ? WHERE seq = ?",
        arguments: [status, updatedAt, seq])
    }
  }
}

extension SQLiteStore {
  /// TEST ONLY: stores `names` as the conversation's held triggers, as a version of the store
  /// from before triggers were named by their clause's text wrote them (by position).
  func storeHeldTriggers(_ names: [String], conversation id: String) async throws {
    let text = String(decoding: try JSONEncoder().encode(names), as: UTF8.self)
    try await pool.write { db in
      try db.execute(
        sql: "UPDATE conversations SET held_triggers = ? WHERE id = ?", arguments: [text, id])
    }
  }
}

// MARK: - The job queue's lease check, for its contract tests only

extension SQLiteStore {
  /// TEST ONLY: finishes `job` in a transaction of its own and says whether the worker still
  /// held its lease. In the server this check runs inside the transaction that records the
  /// job's outcome (`record…` methods); the queue's contract tests call it alone.
  func finishJobIfLeased(_ job: Job) async throws -> Bool {
    let bell = bell
    return try await pool.write { db in try Self.finishJob(db, job, bell: bell) }
  }

  /// TEST ONLY: puts `job` back to run at `runAt`, in a transaction of its own; false when the
  /// worker no longer held its lease (its outcome is then not recorded).
  func retryJobIfLeased(_ job: Job, runAt: Double, now: Double) async throws -> Bool {
    let bell = bell
    return try await pool.write { db in
      try Self.retryJob(db, job, runAt: runAt, now: now, bell: bell)
    }
  }
}
