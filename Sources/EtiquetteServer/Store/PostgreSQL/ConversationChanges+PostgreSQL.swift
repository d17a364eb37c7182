import EtiquetteEngine
import Foundation
import Logging
import PostgresNIO

/// The `ConversationStore` methods that change conversations, on PostgreSQL: each one
/// transaction that takes the conversation's lock, runs the access decision on the stored
/// labels, applies the engine step and writes its effects (`stepTransaction`).
extension PostgresStore {
  /// One step on an existing conversation: `prepare` sees the stored labels (nil: no such
  /// conversation), may refuse by throwing, and returns the step with the members a note
  /// mentions.
  func applyStep(
    to id: String, rules: LoadedRules, hub: IntegrationHub?,
    prepare: @escaping @Sendable ([String]?) throws -> (Step, mentions: [String])
  ) async throws -> StepRecord {
    try await stepTransaction { writes in
      // Locked before the labels are read: they cannot change between the check and the step.
      try await Self.lockConversation(id, writes: writes)
      let (step, mentions) = try prepare(try await Self.storedLabels(writes, conversation: id))
      let (conversation, decision, document) = try await Self.apply(
        step, to: id, writes, rules: rules, extras: EntryExtras(), mentions: mentions, hub: hub)
      return StepRecord(
        step: step, conversation: conversation, decision: decision, document: document)
    }
  }

  /// An integration event for a contact (found or created), with its idempotency key: the
  /// answer first given to the key when the body is the same, `.keyReused` when it is not.
  func applyEvent(
    _ submission: EventSubmission, rules: LoadedRules, hub: IntegrationHub?,
    answer: @escaping @Sendable (_ conversation: String, DecisionDocument) -> String
  ) async throws -> EventOutcome {
    let now = clock
    return try await stepTransaction { writes -> EventOutcome in
      // The key is claimed by an insert its primary key guards: of two requests racing with
      // one key (two instances), the second's insert waits for the first's commit, is refused,
      // and reads the first one's answer — never both applied.
      if let key = submission.idempotencyKey {
        var claimed = false
        for try await _ in try await writes.connection.query(
          """
          INSERT INTO event_requests (idempotency_key, status, response, at, body_sha256)
          VALUES (\(key), 0, '', \(now.seconds), \(submission.bodySHA256))
          ON CONFLICT (idempotency_key) DO NOTHING RETURNING 1
          """, logger: writes.logger
        ).decode(Int32.self) {
          claimed = true
        }
        if !claimed {
          var stored: (Int, String, String?)?
          for try await row in try await writes.connection.query(
            """
            SELECT status, response, body_sha256 FROM event_requests
            WHERE idempotency_key = \(key)
            """, logger: writes.logger
          ).decode((Int, String, String?).self) {
            stored = row
          }
          if let (status, response, digest) = stored {
            if let digest, digest != submission.bodySHA256 { return .keyReused }
            return .answered(status: status, body: response)
          }
        }
      }
      let contact = submission.contact
      let id = try await Self.findOrCreate(
        writes, phone: contact.phone, userID: contact.userID, name: contact.name, rules: rules,
        at: now.now())
      let update =
        submission.attributes.isEmpty ? nil : ContactUpdate(attributes: submission.attributes)
      let step = Step(.event(submission.event), at: now.now(), contact: update)
      let document = try await Self.apply(
        step, to: id, writes, rules: rules, extras: EntryExtras(), hub: hub
      ).2
      let response = answer(id, document)
      if let key = submission.idempotencyKey {
        try await writes.connection.query(
          """
          UPDATE event_requests SET status = 200, response = \(response)
          WHERE idempotency_key = \(key)
          """, logger: writes.logger)
      }
      return .applied(status: 200, body: response)
    }
  }

  /// An external AI agent's reply, accepted only where the engine asked the AI for a reply at
  /// that version (a recorded request); nil otherwise.
  func applyAgentAIReply(
    _ step: Step, conversation id: String, version: Int, rules: LoadedRules, hub: IntegrationHub
  ) async throws -> (Decision, DecisionDocument)? {
    try await stepTransaction { writes -> (Decision, DecisionDocument)? in
      try await Self.lockConversation(id, writes: writes)
      var requested = false
      for try await _ in try await writes.connection.query(
        """
        SELECT 1 FROM ai_requests
        WHERE conversation_id = \(id) AND version = \(version) AND kind = 'reply' LIMIT 1
        """, logger: writes.logger
      ).decode(Int32.self) {
        requested = true
      }
      guard requested else { return nil }
      let (_, decision, document) = try await Self.apply(
        step, to: id, writes, rules: rules, extras: EntryExtras(), hub: hub)
      return (decision, document)
    }
  }

  // MARK: - Labels renamed by the rules (`was "Old"`)

  func storedLabelCounts() async throws -> [String: Int] {
    var counts: [String: Int] = [:]
    for try await (label, count) in try await client.query(
      "SELECT label, COUNT(*) FROM conversation_labels GROUP BY label", logger: logger
    ).decode((String, Int).self) {
      counts[label] = count
    }
    return counts
  }

  /// Moves the labels stored under each former name to its new name, with their reasons and
  /// held triggers, in one transaction (see `SQLiteStore.renameStoredLabels`).
  func renameStoredLabels(_ renames: [String: String]) async throws -> [String: Int] {
    guard !renames.isEmpty else { return [:] }
    return try await transaction { connection, _ in
      // Under the intake's lock: the intake updates many conversations in one transaction,
      // and so does a rename; two such transactions locking rows in different orders could
      // deadlock. (A member's step holds one conversation and waits for nothing the rename
      // holds.)
      try await connection.query(
        "SELECT pg_advisory_xact_lock(\(Self.intakeLock))", logger: logger)
      var moved: [String: Int] = [:]
      for (old, new) in renames.sorted(by: { $0.key < $1.key }) {
        var count = 0
        for try await n in try await connection.query(
          "SELECT COUNT(*) FROM conversation_labels WHERE label = \(old)", logger: logger
        ).decode(Int.self) {
          count = n
        }
        moved[old] = count
        // A conversation that carries both names keeps the new one (and its reason).
        try await connection.query(
          """
          DELETE FROM conversation_labels WHERE label = \(old) AND conversation_id IN
            (SELECT conversation_id FROM conversation_labels WHERE label = \(new))
          """, logger: logger)
        // The reason names its label: renamed in Swift (a reason that is not a JSON object is
        // kept as it is, as SQLite's `json_valid` test does).
        var reasons: [(String, String)] = []
        for try await (conversation, reason) in try await connection.query(
          "SELECT conversation_id, reason FROM conversation_labels WHERE label = \(old)",
          logger: logger
        ).decode((String, String).self) {
          reasons.append((conversation, Self.reason(reason, renamedTo: new)))
        }
        for (conversation, reason) in reasons {
          try await connection.query(
            """
            UPDATE conversation_labels SET label = \(new), reason = \(reason)
            WHERE conversation_id = \(conversation) AND label = \(old)
            """, logger: logger)
        }
      }
      // Held triggers named by their label, or naming it (see `SQLiteStore`).
      let prefixes = renames.flatMap { old, new in
        [("when|\(old)|", "when|\(new)|"), ("remove when|\(old)|", "remove when|\(new)|")]
      }
      let references = renames.map { old, new in ("label \"\(old)\"", "label \"\(new)\"") }
      var updates: [(String, String)] = []
      for try await (id, text) in try await connection.query(
        "SELECT id, held_triggers FROM conversations WHERE held_triggers <> '[]'",
        logger: logger
      ).decode((String, String).self) {
        guard let names = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
          continue
        }
        let renamed = names.map { name in
          var name = name
          for (old, new) in prefixes where name.hasPrefix(old) {
            name = new + name.dropFirst(old.count)
          }
          for (old, new) in references where name.contains(old) {
            name = name.replacingOccurrences(of: old, with: new)
          }
          return name
        }
        guard renamed != names else { continue }
        updates.append((id, Self.storedJSON(renamed.sorted())))
      }
      for (id, held) in updates {
        try await connection.query(
          "UPDATE conversations SET held_triggers = \(held) WHERE id = \(id)", logger: logger)
      }
      return moved
    }
  }

  /// A stored label reason with its `label` member set to `name`; unchanged when it is not a
  /// JSON object.
  static func reason(_ text: String, renamedTo name: String) -> String {
    guard
      case .object(var members)? = try? JSONDecoder().decode(
        JSONValue.self, from: Data(text.utf8))
    else { return text }
    members["label"] = .string(name)
    return storedJSON(JSONValue.object(members))
  }
}
