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
}
