import AsyncHTTPClient
import EtiquetteChecker
import EtiquetteEngine
import Foundation
import GRDB
import Logging
import NIOCore

extension AIConnector {
  /// Without an endpoint but with AI agents (`ai_agents`), the request is recorded as
  /// `awaiting_agent`: it is what lets an agent's token answer this conversation at this
  /// version, and nothing else (an agent is no team member and may view no conversation).
  static func enqueue(_ effects: StepEffects, in db: Database, hub: IntegrationHub) throws {
    let endpoint = hub.configuration.ai != nil
    guard endpoint || !hub.configuration.aiAgents.isEmpty else { return }
    guard let (kind, version) = AIConnector.request(for: effects.decision) else { return }
    let now = hub.clock.seconds
    let id = try Int64.fetchOne(
      db.cachedStatement(
        sql: """
          INSERT INTO ai_requests (conversation_id, kind, version, status, attempts,
            next_attempt_at, created_at, updated_at)
          VALUES (?, ?, ?, ?, 0, ?, ?, ?) RETURNING id
          """),
      arguments: [
        effects.after.id, kind, version, endpoint ? "pending" : "awaiting_agent", now, now, now,
      ])
    guard endpoint, let id else { return }
    try SQLiteStore.enqueueJob(
      db, .aiRequest, subject: String(id), orderingKey: orderingKey(effects.after.id), runAt: now,
      now: now, bell: hub.jobs)
  }

  /// The integration payload of a conversation as stored, with the stored label reasons (the
  /// engine state keeps only which labels are there).
  static func payload(_ db: Database, id: String, rules: LoadedRules) throws
    -> (Conversation, IntegrationPayload)?
  {
    guard let loaded = try ConversationRecords.load(db, id: id, rules: rules) else { return nil }
    var payload = IntegrationPayload(
      loaded.conversation, ruleSet: rules.ruleSet, sources: rules.sources)
    var reasons: [String: LabelReasonDocument] = [:]
    for row in try Row.fetchAll(
      db, sql: "SELECT label, reason FROM conversation_labels WHERE conversation_id = ?",
      arguments: [id])
    {
      let text: String = row["reason"]
      if let reason = try? JSONDecoder().decode(LabelReasonDocument.self, from: Data(text.utf8)) {
        reasons[row["label"]] = reason
      }
    }
    for index in payload.labels.indices {
      if let reason = reasons[payload.labels[index].name] {
        payload.labels[index].reason = reason
      }
    }
    return (loaded.conversation, payload)
  }
}

/// The AI connector's queue (`ai_requests`) and drafts (`ai_suggestions`).
extension SQLiteStore {
  func aiRequest(job: Job, now: Double) async throws -> AIRequest? {
    let bell = bell
    return try await pool.write { db -> AIRequest? in
      guard
        let row = try Row.fetchOne(
          db, sql: "SELECT * FROM ai_requests WHERE id = ? AND status = 'pending'",
          arguments: [job.subject])
      else {
        _ = try Self.finishJob(db, job, bell: bell)
        return nil
      }
      let request = AIRequest(
        id: row["id"], conversation: row["conversation_id"], kind: row["kind"],
        version: row["version"], attempts: row["attempts"])
      let newer =
        try Int.fetchOne(
          db,
          sql: """
            SELECT 1 FROM ai_requests WHERE conversation_id = ? AND kind = ? AND id > ?
              AND status = 'pending'
            """, arguments: [request.conversation, request.kind, request.id]) != nil
      guard newer else { return request }
      guard try Self.finishJob(db, job, bell: bell) else { return nil }
      try db.execute(
        sql: "UPDATE ai_requests SET status = 'superseded', updated_at = ? WHERE id = ?",
        arguments: [now, request.id])
      return nil
    }
  }

  func aiPayload(conversation id: String, rules: LoadedRules) async throws
    -> (Conversation, IntegrationPayload)?
  {
    try await pool.read { db in try AIConnector.payload(db, id: id, rules: rules) }
  }

  /// The connector's answer as an engine step, and the request's outcome, in one transaction.
  func applyAIConnectorReply(
    _ step: Step, request: AIRequest, job: Job, rules: LoadedRules, hub: IntegrationHub
  ) async throws -> Decision? {
    let cache = conversationCache
    let bell = bell
    return try await pool.write { db -> Decision? in
      guard try Self.finishJob(db, job, bell: bell) else { return nil }
      let (_, decision, _) = try ConversationRecords.apply(
        step, to: request.conversation, in: db, rules: rules, extras: EntryExtras(),
        cache: cache, hub: hub)
      let accepted = decision.aiReply == .accepted
      try Self.updateAIRequest(
        db, request.id, status: accepted ? "accepted" : "discarded",
        error: accepted ? nil : AIConnector.discardReason(decision.aiReply),
        at: hub.clock.seconds)
      return decision
    }
  }

  /// A draft for the humans, published to the conversation's viewers after the commit.
  func storeAISuggestion(
    _ text: String, request: AIRequest, job: Job, rules: LoadedRules, hub: IntegrationHub
  ) async throws -> Bool {
    let bell = bell
    return try await pool.write { db in
      guard try Self.finishJob(db, job, bell: bell) else { return false }
      let now = hub.clock.now()
      let id = try Int64.fetchOne(
        db,
        sql: """
          INSERT INTO ai_suggestions (conversation_id, request_id, version, text, created_at)
          VALUES (?, ?, ?, ?, ?) RETURNING id
          """,
        arguments: [
          request.conversation, request.id, request.version, text, now.timeIntervalSince1970,
        ])
      let suggestion = AISuggestion(
        id: id ?? 0, text: text, version: request.version,
        createdAt: Instant.format(now))
      try Self.updateAIRequest(
        db, request.id, status: "suggested", error: nil, at: now.timeIntervalSince1970)
      try LiveEvents.publishToViewers(
        LiveEvent(
          "ai.suggestion", conversation: request.conversation,
          data: AISuggestionEvent(conversation: request.conversation, suggestion: suggestion)),
        conversation: request.conversation, in: db, rules: rules, hub: hub)
      return true
    }
  }

  /// A failed call: `pending` again at `nextAttemptAt`, or `failed` after the last attempt.
  func recordAIAttempt(
    _ request: AIRequest, job: Job, last: Bool, attempts: Int, error: String,
    nextAttemptAt: Double, at now: Double
  ) async throws -> Bool {
    let bell = bell
    return try await pool.write { db in
      let held =
        last
        ? try Self.finishJob(db, job, bell: bell)
        : try Self.retryJob(db, job, runAt: nextAttemptAt, now: now, bell: bell)
      guard held else { return false }
      try db.execute(
        sql: """
          UPDATE ai_requests SET status = ?, attempts = ?, error = ?, next_attempt_at = ?,
            updated_at = ?
          WHERE id = ?
          """,
        arguments: [last ? "failed" : "pending", attempts, error, nextAttemptAt, now, request.id])
      return true
    }
  }

  /// The request's final status; `called` counts the call that produced it as an attempt.
  func finishAIRequest(
    _ request: AIRequest, job: Job, status: String, error: String?, called: Bool,
    at now: Double
  ) async throws -> Bool {
    let bell = bell
    return try await pool.write { db in
      guard try Self.finishJob(db, job, bell: bell) else { return false }
      try Self.updateAIRequest(
        db, request.id, status: status, error: error, called: called, at: now)
      return true
    }
  }

  static func updateAIRequest(
    _ db: Database, _ id: Int64, status: String, error: String?, called: Bool = true,
    at now: Double
  ) throws {
    try db.execute(
      sql: """
        UPDATE ai_requests SET status = ?, attempts = attempts + ?, error = ?, updated_at = ?
        WHERE id = ?
        """, arguments: [status, called ? 1 : 0, error, now, id])
  }

  /// The AI's drafts of a conversation, newest first, after `authorize` accepted the
  /// conversation's stored labels (nil: no such conversation) in the same read.
  func aiSuggestions(
    conversation id: String, authorize: @escaping @Sendable ([String]?) throws -> Void
  ) async throws -> [AISuggestion] {
    try await pool.read { db -> [AISuggestion] in
      try authorize(try Self.storedLabels(db, conversation: id))
      return try Row.fetchAll(
        db,
        sql: """
          SELECT id, text, version, created_at FROM ai_suggestions WHERE conversation_id = ?
          ORDER BY id DESC LIMIT 20
          """, arguments: [id]
      ).map { row in
        AISuggestion(
          id: row["id"], text: row["text"], version: row["version"],
          createdAt: Instant.format(Date(timeIntervalSince1970: row["created_at"])))
      }
    }
  }

  /// An external AI agent's reply (`POST …/ai-replies`), accepted only where the engine asked
  /// the AI for a reply at that version (a recorded request); nil otherwise.
  func applyAgentAIReply(
    _ step: Step, conversation id: String, version: Int, rules: LoadedRules, hub: IntegrationHub
  ) async throws -> (Decision, DecisionDocument)? {
    let cache = conversationCache
    return try await pool.write { db -> (Decision, DecisionDocument)? in
      guard
        try Int.fetchOne(
          db,
          sql: """
            SELECT 1 FROM ai_requests WHERE conversation_id = ? AND version = ? AND kind = 'reply'
            """, arguments: [id, version]) != nil
      else { return nil }
      let (_, decision, document) = try ConversationRecords.apply(
        step, to: id, in: db, rules: rules, extras: EntryExtras(), cache: cache, hub: hub)
      return (decision, document)
    }
  }
}
