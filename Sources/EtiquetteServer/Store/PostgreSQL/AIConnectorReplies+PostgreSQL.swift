import EtiquetteEngine
import Foundation
import PostgresNIO

/// The AI connector's reads and its reply as a step (`AIConnector+SQLite.swift`): the payload
/// it is sent, and its answer applied as an engine step in the transaction that finishes its
/// job — a worker that lost its lease applies nothing.
extension PostgresStore: AIRequestQueue {
  func aiPayload(conversation id: String, rules: LoadedRules) async throws
    -> (Conversation, IntegrationPayload)?
  {
    try await stepTransaction { writes -> (Conversation, IntegrationPayload)? in
      guard let loaded = try await Self.load(writes, id: id, rules: rules) else { return nil }
      var payload = IntegrationPayload(
        loaded.conversation, ruleSet: rules.ruleSet, sources: rules.sources)
      var reasons: [String: LabelReasonDocument] = [:]
      for try await (label, reason) in try await writes.connection.query(
        "SELECT label, reason FROM conversation_labels WHERE conversation_id = \(id)",
        logger: writes.logger
      ).decode((String, String).self) {
        if let document = try? JSONDecoder().decode(
          LabelReasonDocument.self, from: Data(reason.utf8))
        {
          reasons[label] = document
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

  func applyAIConnectorReply(
    _ step: Step, request: AIRequest, job: Job, rules: LoadedRules, hub: IntegrationHub
  ) async throws -> Decision? {
    let decision = try await stepTransaction { writes -> Decision? in
      guard try await Self.finishJob(writes.connection, job, logger: writes.logger) else {
        return nil
      }
      let (_, decision, _) = try await Self.apply(
        step, to: request.conversation, writes, rules: rules, extras: EntryExtras(), hub: hub)
      let accepted = decision.aiReply == .accepted
      try await Self.updateAIRequest(
        writes.connection, request.id, status: accepted ? "accepted" : "discarded",
        error: accepted ? nil : AIConnector.discardReason(decision.aiReply),
        at: hub.clock.seconds, logger: writes.logger)
      return decision
    }
    // The next request of the conversation may run.
    if decision != nil, job.orderingKey != nil { bell.ring([job.kind]) }
    return decision
  }
}
