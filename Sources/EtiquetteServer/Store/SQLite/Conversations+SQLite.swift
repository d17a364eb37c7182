import EtiquetteEngine
import Foundation
import GRDB

/// Conversations as the services read and change them. Every change is one write transaction
/// that loads the conversation, runs the engine step, saves it and records its effects
/// (`ConversationRecords.apply`); the access decision runs inside it, on the stored labels, so
/// labels cannot change between the check and the action.
extension SQLiteStore {
  /// The stored label names of a conversation, or nil when there is no such conversation.
  static func storedLabels(_ db: Database, conversation id: String) throws -> [String]? {
    guard
      try Int.fetchOne(
        db.cachedStatement(sql: "SELECT 1 FROM conversations WHERE id = ?"), arguments: [id])
        != nil
    else { return nil }
    return try ConversationQueries.labels(db, id: id)
  }

  func conversationPage(member: String, query: ConversationListQuery, rules: LoadedRules)
    async throws -> ConversationPage
  {
    try await pool.read { db in
      try ConversationQueries.list(db, member: member, query: query, rules: rules)
    }
  }

  func conversationCount(
    member: String, query: ConversationListQuery, rules: LoadedRules, limit: Int
  ) async throws -> Int {
    try await pool.read { db in
      try ConversationQueries.count(db, member: member, query: query, rules: rules, limit: limit)
    }
  }

  /// The conversation as `member` sees it, or nil when it does not exist or `mayView` refuses
  /// its stored labels.
  func conversationDetail(
    id: String, member: String, rules: LoadedRules,
    mayView: @escaping @Sendable ([String]) -> Bool
  ) async throws -> ConversationDetail? {
    try await pool.read { db -> ConversationDetail? in
      guard let labels = try Self.storedLabels(db, conversation: id), mayView(labels) else {
        return nil
      }
      return try ConversationQueries.detail(db, id: id, member: member, ruleSet: rules.ruleSet)
    }
  }

  /// One step on an existing conversation: `prepare` sees the stored labels (nil: no such
  /// conversation), may refuse by throwing, and returns the step with the members a note
  /// mentions.
  func applyStep(
    to id: String, rules: LoadedRules, hub: IntegrationHub?,
    prepare: @escaping @Sendable ([String]?) throws -> (Step, mentions: [String])
  ) async throws -> StepRecord {
    let cache = conversationCache
    return try await pool.write { db -> StepRecord in
      let (step, mentions) = try prepare(try Self.storedLabels(db, conversation: id))
      let (conversation, decision, document) = try ConversationRecords.apply(
        step, to: id, in: db, rules: rules, extras: EntryExtras(), mentions: mentions,
        cache: cache, hub: hub)
      return StepRecord(
        step: step, conversation: conversation, decision: decision, document: document)
    }
  }

  /// Marks the conversation read (every line) or unread (the last line new again) for
  /// `member`, after `authorize` accepted its stored labels; returns the unread count.
  func markRead(
    conversation id: String, member: String, read: Bool, hub: IntegrationHub?,
    authorize: @escaping @Sendable ([String]?) throws -> Void
  ) async throws -> Int {
    try await pool.write { db -> Int in
      try authorize(try Self.storedLabels(db, conversation: id))
      let total =
        try Int.fetchOne(
          db, sql: "SELECT transcript_count FROM conversations WHERE id = ?", arguments: [id]) ?? 0
      let count = read ? total : max(0, total - 1)
      try db.execute(
        sql: """
          INSERT INTO read_state (conversation_id, member, read_count) VALUES (?, ?, ?)
          ON CONFLICT(conversation_id, member) DO UPDATE SET read_count = excluded.read_count
          """, arguments: [id, member, count])
      if let hub {
        LiveEvents.readStateChanged(
          conversation: id, member: member, unreadCount: total - count, in: db, hub: hub)
      }
      return total - count
    }
  }

  /// An integration event for a contact (found or created), with its idempotency key: the
  /// answer first given to the key when the body is the same, `.keyReused` when it is not.
  func applyEvent(
    _ submission: EventSubmission, rules: LoadedRules, hub: IntegrationHub?,
    answer: @escaping @Sendable (_ conversation: String, DecisionDocument) -> String
  ) async throws -> EventOutcome {
    let now = clock
    return try await pool.write { db -> EventOutcome in
      // The key is claimed before the event is applied, by an insert its primary key guards:
      // of two requests racing with one key (two processes), one applies the event and the
      // other, refused, reads the first one's answer — never both applied.
      if let key = submission.idempotencyKey {
        let claimed = try Int.fetchOne(
          db,
          sql: """
            INSERT INTO event_requests (idempotency_key, status, response, at, body_sha256)
            VALUES (?, 0, '', ?, ?) ON CONFLICT(idempotency_key) DO NOTHING RETURNING 1
            """, arguments: [key, now.seconds, submission.bodySHA256])
        if claimed == nil,
          let row = try Row.fetchOne(
            db,
            sql: "SELECT status, response, body_sha256 FROM event_requests "
              + "WHERE idempotency_key = ?", arguments: [key])
        {
          if let stored = row["body_sha256"] as String?, stored != submission.bodySHA256 {
            return .keyReused
          }
          return .answered(status: row["status"], body: row["response"])
        }
      }
      let contact = submission.contact
      let id = try ConversationRecords.findOrCreate(
        db, phone: contact.phone, userID: contact.userID, name: contact.name, rules: rules,
        at: now.now())
      let update =
        submission.attributes.isEmpty ? nil : ContactUpdate(attributes: submission.attributes)
      let step = Step(.event(submission.event), at: now.now(), contact: update)
      let document = try ConversationRecords.apply(
        step, to: id, in: db, rules: rules, extras: EntryExtras(), hub: hub
      ).2
      let response = answer(id, document)
      if let key = submission.idempotencyKey {
        try db.execute(
          sql: "UPDATE event_requests SET status = 200, response = ? WHERE idempotency_key = ?",
          arguments: [response, key])
      }
      return .applied(status: 200, body: response)
    }
  }
}

// MARK: - Labels renamed by the rules (`was "Old"`)

extension SQLiteStore {
  func storedLabelCounts() async throws -> [String: Int] {
    try await pool.read { db in
      var counts: [String: Int] = [:]
      for row in try Row.fetchAll(
        db, sql: "SELECT label, COUNT(*) AS n FROM conversation_labels GROUP BY label")
      {
        counts[row["label"]] = row["n"]
      }
      return counts
    }
  }

  func renameStoredLabels(_ renames: [String: String]) async throws -> [String: Int] {
    guard !renames.isEmpty else { return [:] }
    return try await pool.write { db in
      var moved: [String: Int] = [:]
      for (old, new) in renames.sorted(by: { $0.key < $1.key }) {
        moved[old] =
          try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM conversation_labels WHERE label = ?",
            arguments: [old]) ?? 0
        // A conversation that carries both names keeps the new one (and its reason).
        try db.execute(
          sql: """
            DELETE FROM conversation_labels WHERE label = ?1 AND conversation_id IN
              (SELECT conversation_id FROM conversation_labels WHERE label = ?2)
            """, arguments: [old, new])
        try db.execute(
          sql: """
            UPDATE conversation_labels SET label = ?2,
              reason = CASE WHEN json_valid(reason) THEN json_set(reason, '$.label', ?2)
                ELSE reason END
            WHERE label = ?1
            """, arguments: [old, new])
      }
      for row in try Row.fetchAll(
        db, sql: "SELECT id, held_triggers FROM conversations WHERE held_triggers != '[]'")
      {
        guard let renamed = StoredLabelRenames.heldTriggers(row["held_triggers"], renames: renames)
        else { continue }
        try db.execute(
          sql: "UPDATE conversations SET held_triggers = ? WHERE id = ?",
          arguments: [renamed, row["id"] as String])
      }
      return moved
    }
  }
}
