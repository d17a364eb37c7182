import Foundation
import Logging
import PostgresNIO

// TEST ONLY: what the step and intake tests read back from a store, and the faults they
// inject, in PostgreSQL (the SQLite twins are in `Store/SQLite/StepTestSupport+SQLite.swift`).
// Here because this folder is the only code that imports PostgresNIO.

/// TEST ONLY: what a conversation's steps stored, in a form both stores give alike (no row ids,
/// which differ between stores).
struct StoredStepSnapshot: Sendable, Equatable {
  /// Label name → stored reason (JSON).
  var labels: [String: String] = [:]
  /// "step|rule set version|action", in step order.
  var decisions: [String] = []
  /// "direction|author|text", in transcript order.
  var transcript: [String] = []
  /// "kind|ordering key" of the conversation's jobs, in queue order.
  var jobs: [String] = []
  /// "member|reason", oldest first.
  var notifications: [String] = []
  /// "step|line", in step order.
  var stepInputs: [String] = []
  /// "kind|version|status" of the AI requests, oldest first.
  var aiRequests: [String] = []
  /// "author|status" of the replies (`out` messages), oldest first.
  var replyStatuses: [String] = []
}

extension PostgresStore {
  /// TEST ONLY: every conversation id, oldest first.
  func conversationIDs() async throws -> [String] {
    var ids: [String] = []
    for try await id in try await client.query(
      "SELECT id FROM conversations ORDER BY created_at, id", logger: logger
    ).decode(String.self) {
      ids.append(id)
    }
    return ids
  }

  /// TEST ONLY: what the conversation's steps stored.
  func stepSnapshot(conversation id: String) async throws -> StoredStepSnapshot {
    var snapshot = StoredStepSnapshot()
    for try await (label, reason) in try await client.query(
      "SELECT label, reason FROM conversation_labels WHERE conversation_id = \(id)",
      logger: logger
    ).decode((String, String).self) {
      snapshot.labels[label] = reason
    }
    for try await (step, version, action) in try await client.query(
      """
      SELECT step, rule_set_version, action FROM decisions WHERE conversation_id = \(id)
      ORDER BY step
      """, logger: logger
    ).decode((Int, String, String?).self) {
      snapshot.decisions.append("\(step)|\(version)|\(action ?? "")")
    }
    for try await (direction, author, text) in try await client.query(
      """
      SELECT direction, author, text FROM messages WHERE conversation_id = \(id)
      ORDER BY seq NULLS LAST, id
      """, logger: logger
    ).decode((String, String, String).self) {
      snapshot.transcript.append("\(direction)|\(author)|\(text)")
    }
    // The jobs of the conversation: by ordering key, or by what they work on.
    for try await (kind, key) in try await client.query(
      """
      SELECT j.kind, j.ordering_key FROM jobs j
      WHERE j.ordering_key LIKE '%' || \(id)
        OR (j.kind = 'media_download' AND j.subject IN
          (SELECT m.id FROM media m WHERE m.conversation_id = \(id)))
      ORDER BY j.id
      """, logger: logger
    ).decode((String, String?).self) {
      snapshot.jobs.append("\(kind)|\(key ?? "")")
    }
    for try await (member, reason) in try await client.query(
      "SELECT member, reason FROM notifications WHERE conversation_id = \(id) ORDER BY id",
      logger: logger
    ).decode((String, String).self) {
      snapshot.notifications.append("\(member)|\(reason)")
    }
    for try await (step, line) in try await client.query(
      "SELECT step, line FROM step_inputs WHERE conversation_id = \(id) ORDER BY step",
      logger: logger
    ).decode((Int, String).self) {
      snapshot.stepInputs.append("\(step)|\(line)")
    }
    for try await (kind, version, status) in try await client.query(
      "SELECT kind, version, status FROM ai_requests WHERE conversation_id = \(id) ORDER BY id",
      logger: logger
    ).decode((String, Int, String).self) {
      snapshot.aiRequests.append("\(kind)|\(version)|\(status)")
    }
    for try await (author, status) in try await client.query(
      """
      SELECT author, status FROM messages WHERE conversation_id = \(id) AND direction = 'out'
      ORDER BY seq
      """, logger: logger
    ).decode((String, String?).self) {
      snapshot.replyStatuses.append("\(author)|\(status ?? "")")
    }
    return snapshot
  }

  /// TEST ONLY: how many webhooks are stored, and how many of them are not processed yet.
  func webhookCounts() async throws -> (stored: Int, pending: Int) {
    for try await counts in try await client.query(
      "SELECT COUNT(*), COUNT(*) FILTER (WHERE processed_at IS NULL) FROM webhooks",
      logger: logger
    ).decode((Int, Int).self) {
      return counts
    }
    return (0, 0)
  }

  /// TEST ONLY: the webhooks' ids in arrival order.
  func webhookIDsByArrival() async throws -> [Int64] {
    var ids: [Int64] = []
    for try await id in try await client.query(
      "SELECT id FROM webhooks ORDER BY arrival", logger: logger
    ).decode(Int64.self) {
      ids.append(id)
    }
    return ids
  }

  /// TEST ONLY: the pending webhooks a processing transaction may claim now, by arrival.
  func claimableWebhooks() async throws -> [Int64] {
    var ids: [Int64] = []
    for try await id in try await client.query(
      PostgresQuery(
        unsafeSQL: "SELECT w.id FROM webhooks w WHERE \(Self.claimable) ORDER BY w.arrival"),
      logger: logger
    ).decode(Int64.self) {
      ids.append(id)
    }
    return ids
  }

  /// TEST ONLY: the stored messages' WhatsApp ids, and what kept failures say.
  func messageFailureErrors() async throws -> [String: String] {
    var errors: [String: String] = [:]
    for try await (id, error, resolved) in try await client.query(
      "SELECT whatsapp_id, error, resolved_at FROM message_failures", logger: logger
    ).decode((String, String, Double?).self) {
      errors[id] = resolved == nil ? error : "resolved"
    }
    return errors
  }

  /// TEST ONLY: inserting the message with this WhatsApp id fails from now on (after its step
  /// wrote its labels), until `removeInjectedFaults`.
  func injectMessageInsertFault(whatsappID: String) async throws {
    // A trigger takes no parameters: the id is quoted as an SQL string literal.
    let literal = "'" + whatsappID.replacingOccurrences(of: "'", with: "''") + "'"
    try await client.query(
      PostgresQuery(
        unsafeSQL: """
          CREATE OR REPLACE FUNCTION injected_message_fault() RETURNS trigger AS $$
          BEGIN
            IF NEW.wa_id = \(literal) THEN RAISE EXCEPTION 'injected failure'; END IF;
            RETURN NEW;
          END $$ LANGUAGE plpgsql
          """), logger: logger)
    try await client.query(
      """
      CREATE TRIGGER injected_message_fault BEFORE INSERT ON messages
      FOR EACH ROW EXECUTE FUNCTION injected_message_fault()
      """, logger: logger)
  }

  /// TEST ONLY: every decision insert fails from now on (the last write of a step, after its
  /// labels and transcript), until `removeInjectedDecisionFault`.
  func injectDecisionInsertFault() async throws {
    try await client.query(
      """
      CREATE OR REPLACE FUNCTION injected_decision_fault() RETURNS trigger AS $$
      BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql
      """, logger: logger)
    try await client.query(
      """
      CREATE TRIGGER injected_decision_fault BEFORE INSERT ON decisions
      FOR EACH ROW EXECUTE FUNCTION injected_decision_fault()
      """, logger: logger)
  }

  /// TEST ONLY: removes the fault of `injectMessageInsertFault`.
  func removeInjectedFaults() async throws {
    try await client.query(
      "DROP TRIGGER IF EXISTS injected_message_fault ON messages", logger: logger)
  }

  /// TEST ONLY: removes the fault of `injectDecisionInsertFault`.
  func removeInjectedDecisionFault() async throws {
    try await client.query(
      "DROP TRIGGER IF EXISTS injected_decision_fault ON decisions", logger: logger)
  }
}

extension PostgresStore {
  /// TEST ONLY: gives the delivery `seq` a status and the instant it last changed, as if it
  /// had been finished long ago (see `SQLiteStore.backdateDelivery`).
  func backdateDelivery(seq: Int64, status: String, updatedAt: Double) async throws {
    try await client.query(
      "UPDATE webhook_deliveries SET status = \(status), updated_at = \(updatedAt) WHERE seq = \(seq)",
      logger: logger)
  }

  /// TEST ONLY: stores `names` as the conversation's held triggers, as an older version wrote
  /// them (see `SQLiteStore.storeHeldTriggers`).
  func storeHeldTriggers(_ names: [String], conversation id: String) async throws {
    let text = String(decoding: try JSONEncoder().encode(names), as: UTF8.self)
    try await client.query(
      "UPDATE conversations SET held_triggers = \(text) WHERE id = \(id)", logger: logger)
  }
}
