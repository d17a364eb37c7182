import EtiquetteEngine
import Foundation
import GRDB

/// The durable outbox of outbound webhooks: one `webhook_deliveries` row per (event,
/// subscription), written in the transaction that saved the step which caused the event.
///
/// A row is `pending` until the receiver answers 2xx (`delivered`) or the delivery is given up
/// (`failed`, the dead letter: after `max_attempts`, on 410 Gone, or when its subscription is no
/// longer configured). The row's id is the `Idempotency-Key`, so every retry — including one
/// after a crash — carries the same key and receivers can drop duplicates.
enum WebhookOutbox {

  /// Derives the step's events, matches them against every subscription and inserts one row
  /// per match, in the caller's transaction; the worker is woken after the commit.
  /// Deliveries of one subscription about one conversation are sent one at a time, in order.
  static func orderingKey(subscription: String, conversation: String) -> String {
    "webhook:\(subscription):\(conversation)"
  }

  static func enqueue(_ effects: StepEffects, in db: Database, hub: IntegrationHub) throws {
    let subscriptions = hub.configuration.webhooks
    guard !subscriptions.isEmpty else { return }
    let events = WebhookEvent.derive(from: effects, aiConfigured: hub.configuration.ai != nil)
    var matched: [(WebhookEvent, [ServerConfiguration.WebhookSubscription])] = []
    for event in events {
      let receivers = subscriptions.filter { event.matches($0, labels: effects.document.labels) }
      if !receivers.isEmpty { matched.append((event, receivers)) }
    }
    guard !matched.isEmpty else { return }
    let payload = try payload(for: effects, in: db)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let now = hub.clock.seconds
    let conversation = effects.after.id
    for (event, receivers) in matched {
      let body = try encoder.encode(event.body(payload: payload))
      for subscription in receivers {
        let id = UUID().uuidString.lowercased()
        try db.executeCached(
          sql: """
            INSERT INTO webhook_deliveries (id, subscription, conversation_id, event_type,
              event_id, body, next_attempt_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            id, subscription.name, conversation, event.type.rawValue, event.id, body, now, now,
            now,
          ])
        try SQLiteStore.enqueueJob(
          db, .webhookDelivery, subject: id,
          orderingKey: orderingKey(subscription: subscription.name, conversation: conversation),
          runAt: now, now: now, bell: hub.jobs)
      }
    }
  }

  /// The integration payload after the step, with each label's stored reason: the engine's
  /// conversation only knows the reasons of labels added by this step (earlier ones are loaded
  /// without provenance), while `conversation_labels` has them all, this step's included.
  static func payload(for effects: StepEffects, in db: Database) throws -> IntegrationPayload {
    var payload = IntegrationPayload(
      effects.after, ruleSet: effects.rules.ruleSet, sources: effects.rules.sources)
    var stored: [String: LabelReasonDocument] = [:]
    let decoder = JSONDecoder()
    for row in try Row.fetchAll(
      db.cachedStatement(
        sql: "SELECT label, reason FROM conversation_labels WHERE conversation_id = ?"),
      arguments: [effects.after.id])
    {
      let text: String = row["reason"]
      if let reason = try? decoder.decode(LabelReasonDocument.self, from: Data(text.utf8)) {
        stored[row["label"]] = reason
      }
    }
    for index in payload.labels.indices {
      if let reason = stored[payload.labels[index].name] {
        payload.labels[index].reason = reason
      }
    }
    // Meta's webhook gives no size: it is known once the media worker has stored the file
    // (attachments of earlier messages, usually), so fill in what the store knows by then.
    for index in payload.attachments.indices where payload.attachments[index].size == nil {
      let url = payload.attachments[index].url
      guard let marker = url.range(of: "/v1/media/") else { continue }
      let id = String(url[marker.upperBound...])
      if let row = try Row.fetchOne(
        db.cachedStatement(
          sql: "SELECT size, mime_type FROM media WHERE id = ? AND status = 'stored'"),
        arguments: [id])
      {
        payload.attachments[index].size = row["size"]
        if payload.attachments[index].type == nil {
          payload.attachments[index].type = row["mime_type"]
        }
      }
    }
    return payload
  }
}
