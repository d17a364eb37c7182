import EtiquetteChecker
import EtiquetteEngine
import Foundation
import Logging
import PostgresNIO

/// Every integration's share of a step, written in the step's transaction: what SQLite's
/// `IntegrationHub.record(_:in:)` writes (outbox rows, queued replies' jobs, AI requests,
/// member notifications), with the same payloads (built by the store-neutral code), and the
/// step's live events stored for every instance.
extension PostgresStore {
  static func recordEffects(_ effects: StepEffects, _ writes: StepWrites, hub: IntegrationHub?)
    async throws
  {
    if let hub {
      try await enqueueDeliveries(effects, writes, hub: hub)
      try await enqueueReplies(effects, writes, hub: hub)
      try await enqueueAIRequest(effects, writes, hub: hub)
      try await recordNotifications(effects, writes, hub: hub)
    }
    // Stored even when nobody listens here, and without a hub: another instance's members
    // may be connected.
    let ruleSet = effects.rules.ruleSet
    func names(_ labels: Set<LabelID>) -> [String] { labels.map { ruleSet[$0].name }.sorted() }
    let before = effects.before.conversation
    writes.publish(
      LiveEvents.events(of: effects),
      to: .viewers(
        before: before.stepCount == 0 ? nil : names(before.labelSet),
        after: names(effects.after.labelSet)))
  }

  // MARK: - Outbound webhooks (`WebhookOutbox`)

  static func enqueueDeliveries(_ effects: StepEffects, _ writes: StepWrites, hub: IntegrationHub)
    async throws
  {
    let subscriptions = hub.configuration.webhooks
    guard !subscriptions.isEmpty else { return }
    let events = WebhookEvent.derive(from: effects, aiConfigured: hub.configuration.ai != nil)
    var matched: [(WebhookEvent, [ServerConfiguration.WebhookSubscription])] = []
    for event in events {
      let receivers = subscriptions.filter { event.matches($0, labels: effects.document.labels) }
      if !receivers.isEmpty { matched.append((event, receivers)) }
    }
    guard !matched.isEmpty else { return }
    let payload = try await deliveryPayload(for: effects, writes)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let now = hub.clock.seconds
    let conversation = effects.after.id
    for (event, receivers) in matched {
      let body = try encoder.encode(event.body(payload: payload))
      for subscription in receivers {
        let id = UUID().uuidString.lowercased()
        try await writes.connection.query(
          """
          INSERT INTO webhook_deliveries (id, subscription, conversation_id, event_type,
            event_id, body, next_attempt_at, created_at, updated_at)
          VALUES (\(id), \(subscription.name), \(conversation), \(event.type.rawValue),
            \(event.id), \(body), \(now), \(now), \(now))
          """, logger: writes.logger)
        try await writes.enqueueJob(
          .webhookDelivery, subject: id,
          orderingKey: WebhookOutbox.orderingKey(
            subscription: subscription.name, conversation: conversation),
          runAt: now, now: now)
      }
    }
  }

  /// The integration payload after the step with every label's stored reason, and the sizes
  /// of media already downloaded (see `WebhookOutbox.payload`).
  static func deliveryPayload(for effects: StepEffects, _ writes: StepWrites) async throws
    -> IntegrationPayload
  {
    var payload = IntegrationPayload(
      effects.after, ruleSet: effects.rules.ruleSet, sources: effects.rules.sources)
    let stored = try await labelReasons(writes, conversation: effects.after.id)
    for index in payload.labels.indices {
      if let reason = stored[payload.labels[index].name] {
        payload.labels[index].reason = reason
      }
    }
    for index in payload.attachments.indices where payload.attachments[index].size == nil {
      let url = payload.attachments[index].url
      guard let marker = url.range(of: "/v1/media/") else { continue }
      let id = String(url[marker.upperBound...])
      for try await (size, mimeType) in try await writes.connection.query(
        "SELECT size, mime_type FROM media WHERE id = \(id) AND status = 'stored'",
        logger: writes.logger
      ).decode((Int?, String?).self) {
        payload.attachments[index].size = size
        if payload.attachments[index].type == nil {
          payload.attachments[index].type = mimeType
        }
      }
    }
    return payload
  }

  /// The stored reason of each label of a conversation, by label name.
  static func labelReasons(_ writes: StepWrites, conversation id: String) async throws
    -> [String: LabelReasonDocument]
  {
    var stored: [String: LabelReasonDocument] = [:]
    let decoder = JSONDecoder()
    for try await (label, reason) in try await writes.connection.query(
      "SELECT label, reason FROM conversation_labels WHERE conversation_id = \(id)",
      logger: writes.logger
    ).decode((String, String).self) {
      if let document = try? decoder.decode(LabelReasonDocument.self, from: Data(reason.utf8)) {
        stored[label] = document
      }
    }
    return stored
  }

  // MARK: - Replies to send (`OutgoingMessages`)

  /// A job for each reply the step queued, after withdrawing queued AI replies when a person
  /// took the conversation (see `OutgoingMessages.enqueue`).
  static func enqueueReplies(_ effects: StepEffects, _ writes: StepWrites, hub: IntegrationHub)
    async throws
  {
    if try await withdrawAIReplies(effects, writes) > 0 {
      // The replies behind the withdrawn ones may go now.
      writes.ring(.whatsappSend)
    }
    let appended = effects.after.transcript.dropFirst(effects.before.transcriptCount)
    let now = hub.clock.seconds
    for (row, entry) in zip(effects.messageRows, appended) {
      guard case .agent = entry.author else { continue }
      try await writes.enqueueJob(
        .whatsappSend, subject: String(row),
        orderingKey: OutgoingMessages.orderingKey(effects.after.id), runAt: now, now: now)
    }
  }

  /// A takeover always wins over an AI reply not sent yet: withdrawn with the reason, and its
  /// pending job deleted (see `OutgoingMessages.withdrawAIReplies`).
  @discardableResult
  static func withdrawAIReplies(_ effects: StepEffects, _ writes: StepWrites) async throws -> Int {
    let after = effects.after
    guard after.mode != .ai || after.assignee != nil else { return 0 }
    let reason = GraphAPI.Failure(
      title: "withdrawn: a person took over the conversation before this AI reply was sent")
    var withdrawn: [String] = []
    for try await id in try await writes.connection.query(
      """
      UPDATE messages SET status = 'discarded', errors = \(reason.stored), next_attempt_at = NULL
      WHERE conversation_id = \(after.id) AND direction = 'out' AND author = \(Engine.aiAuthor)
        AND status = 'queued'
      RETURNING id
      """, logger: writes.logger
    ).decode(Int64.self) {
      withdrawn.append(String(id))
    }
    if !withdrawn.isEmpty {
      try await writes.connection.query(
        """
        DELETE FROM jobs WHERE kind = 'whatsapp_send' AND subject = ANY(\(withdrawn))
          AND status = 'pending'
        """, logger: writes.logger)
    }
    return withdrawn.count
  }

  // MARK: - AI requests (`AIConnector.enqueue`)

  static func enqueueAIRequest(_ effects: StepEffects, _ writes: StepWrites, hub: IntegrationHub)
    async throws
  {
    let endpoint = hub.configuration.ai != nil
    guard endpoint || !hub.configuration.aiAgents.isEmpty else { return }
    guard let (kind, version) = AIConnector.request(for: effects.decision) else { return }
    let now = hub.clock.seconds
    let status = endpoint ? "pending" : "awaiting_agent"
    var id: Int64?
    for try await inserted in try await writes.connection.query(
      """
      INSERT INTO ai_requests (conversation_id, kind, version, status, attempts,
        next_attempt_at, created_at, updated_at)
      VALUES (\(effects.after.id), \(kind), \(version), \(status), 0, \(now), \(now), \(now))
      RETURNING id
      """, logger: writes.logger
    ).decode(Int64.self) {
      id = inserted
    }
    guard endpoint, let id else { return }
    try await writes.enqueueJob(
      .aiRequest, subject: String(id), orderingKey: AIConnector.orderingKey(effects.after.id),
      runAt: now, now: now)
  }

  // MARK: - Member notifications (`MemberNotifications.record`)

  static func recordNotifications(
    _ effects: StepEffects, _ writes: StepWrites, hub: IntegrationHub
  ) async throws {
    let pending = MemberNotifications.pending(effects)
    guard !pending.isEmpty else { return }
    let now = hub.clock.seconds
    let conversation = effects.after.id
    let priority = effects.after.priority.rawValue
    for item in pending {
      for try await id in try await writes.connection.query(
        """
        INSERT INTO notifications (member, conversation_id, reason, team, priority, text,
          created_at)
        VALUES (\(item.member), \(conversation), \(item.reason), \(item.team), \(priority),
          \(item.text), \(now))
        RETURNING id
        """, logger: writes.logger
      ).decode(Int64.self) {
        let document = MemberNotifications.Document(
          id: id, conversation: conversation, reason: item.reason, team: item.team,
          priority: priority, text: item.text,
          createdAt: Instant.format(Date(timeIntervalSince1970: now)), readAt: nil)
        writes.publish(
          [
            LiveEvent(
              "notification.created", conversation: conversation,
              data: MemberNotifications.Event(conversation: conversation, notification: document))
          ], to: .member(item.member))
      }
    }
  }

  // MARK: - Delivery statuses (`LiveEvents.messageStatusChanged`)

  /// A message's delivery status changed: the members who may view its conversation see it
  /// (stored for every instance, published after the commit). `messageID` is `messages.id`.
  static func publishStatusChange(messageID: Int64, _ writes: StepWrites) async throws {
    var found: (String, String?, String?)?
    for try await row in try await writes.connection.query(
      "SELECT conversation_id, status, errors FROM messages WHERE id = \(messageID)",
      logger: writes.logger
    ).decode((String, String?, String?).self) {
      found = row
    }
    guard let (conversation, status, errorsText) = found else { return }
    let errors = errorsText.flatMap {
      try? JSONValue.parse(bytes: $0.utf8)
    }
    let labels = try await storedLabels(writes, conversation: conversation) ?? []
    writes.publish(
      [
        LiveEvent(
          "message.status", conversation: conversation,
          data: LiveEvents.StatusEvent(
            conversation: conversation, message: messageID, status: status, errors: errors))
      ], to: .viewers(before: labels, after: labels))
  }
}
