import EtiquetteSyntax
import Foundation
import Logging

/// The outbox of outbound webhooks, for managers: deliveries are about every conversation
/// (ids, event types, receivers' errors, and a replay re-sends a conversation's payload), so
/// only a member who may manage EVERY conversation (`can manage all`) reads or replays them.
struct DeliveryService: Sendable {
  let store: any InboxStore
  let rules: RuleHolder
  let logger: Logger

  /// Newest first; `filter.limit` rows at most, with the cursor of the next page. `decode`
  /// reads the filter after the access check: a member who may not list learns nothing about
  /// their query (403 before 400).
  func list(by member: String, _ decode: () throws -> DeliveryFilter) async throws
    -> WebhookDeliveryPage
  {
    try rules.current.requireManagerOfAll(member, to: "listing webhook deliveries")
    let filter = try decode()
    var query = filter
    query.limit = filter.limit + 1
    let page = keysetPage(
      try await store.webhookDeliveries(query), limit: filter.limit, key: \.seq)
    return WebhookDeliveryPage(deliveries: page.rows.map(\.document), nextCursor: page.nextCursor)
  }

  /// A dead letter back to pending, its attempts reset; it keeps its id, so the receiver sees
  /// the same `Idempotency-Key`.
  func replay(_ id: String, by member: String) async throws -> WebhookDeliveryDocument {
    try rules.current.requireManagerOfAll(member, to: "replaying a webhook delivery")
    switch try await store.replayDelivery(id: id) {
    case .notFound: throw APIError.notFound("no such webhook delivery")
    case .notFailed(let status):
      throw APIError(
        status: .conflict, code: "not_failed",
        message: "the delivery is \(status); only a failed delivery can be replayed")
    case .replayed(let document):
      logger.info("webhook delivery \(id) replayed by \(member)")
      return document
    }
  }
}

/// Each member's notifications: only their own, and only of conversations they may still
/// view.
struct NotificationService: Sendable {
  let store: any InboxStore
  let rules: RuleHolder
  let hub: IntegrationHub

  func page(member: String, unreadOnly: Bool, limit: Int, before: Int64?) async throws
    -> MemberNotifications.Page
  {
    try await store.notificationPage(
      member: member, unreadOnly: unreadOnly, limit: limit, before: before, rules: rules.current)
  }

  /// One notification (`id`) or all of the member's (`nil`) marked read; 404 for a
  /// notification that is not the member's.
  func markRead(member: String, id: Int64?) async throws -> Int {
    guard let marked = try await store.markNotificationsRead(member: member, id: id, hub: hub)
    else { throw APIError.notFound("no such notification") }
    return marked
  }
}
