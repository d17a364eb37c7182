import Foundation
import Hummingbird

/// One outbox row as `GET /v1/webhooks/deliveries` lists it.
struct WebhookDeliveryDocument: Codable, Sendable {
  /// The delivery id, also its `Idempotency-Key`.
  var id: String
  var subscription: String
  var event: String
  var eventId: String
  var conversation: String
  /// `pending`, `delivered` or `failed`.
  var status: String
  var attempts: Int
  var lastStatus: Int?
  var lastError: String?
  var createdAt: String
  var updatedAt: String
  /// For a pending delivery: when the next attempt is due.
  var nextAttemptAt: String?
  var deliveredAt: String?
}

struct WebhookDeliveryPage: Codable, Sendable {
  var deliveries: [WebhookDeliveryDocument]
  var nextCursor: String?
}

extension InboxServer {
  func registerWebhookRoutes(on r: inout RouteRecorder) {
    r.add(.get, "/v1/webhooks/deliveries") { request, _ in try await listDeliveries(request) }
    r.add(.post, "/v1/webhooks/deliveries/{id}/replay") { request, context in
      try await replayDelivery(request, id: context.parameters.get("id") ?? "")
    }
  }

  /// Deliveries are about every conversation (ids, event types, receivers' errors, and a replay
  /// re-sends a conversation's payload), so only a member who may manage EVERY conversation
  /// (`can manage all`) sees them; a manager limited to some labels may not.
  func authenticateManager(_ request: Request, to purpose: String) async throws -> String {
    let member = try await authenticate(request)
    let ruleSet = rules.current.ruleSet
    let managesAll =
      ruleSet.member(member)?.teams.contains { team in
        ruleSet[team].grants.contains { grant in
          guard grant.level == .manage, case .all = grant.scope else { return false }
          return true
        }
      } ?? false
    guard managesAll else {
      throw APIError.forbidden("\(purpose) needs `can manage all` (every conversation)")
    }
    return member
  }

  /// `GET /v1/webhooks/deliveries?status=&subscription=&conversation=&limit=&cursor=`, newest
  /// first.
  func listDeliveries(_ request: Request) async throws -> Response {
    _ = try await authenticateManager(request, to: "listing webhook deliveries")
    let q = request.uri.queryParameters
    var filter = DeliveryFilter()
    if let status = q["status"].map(String.init) {
      guard ["pending", "delivered", "failed"].contains(status) else {
        throw APIError.badRequest("\"status\" must be pending, delivered or failed")
      }
      filter.status = status
    }
    filter.subscription = q["subscription"].map(String.init)
    filter.conversation = q["conversation"].map(String.init)
    var limit = 50
    if let text = q["limit"] {
      guard let value = Int(text), (1...500).contains(value) else {
        throw APIError.badRequest("\"limit\" must be an integer from 1 to 500")
      }
      limit = value
    }
    if let cursor = q["cursor"] {
      guard let before = Int64(cursor), before > 0 else {
        throw APIError.badRequest("invalid cursor")
      }
      filter.before = before
    }
    filter.limit = limit + 1
    let rows = try await store.webhookDeliveries(filter)
    let page = rows.prefix(limit)
    let next: String? = rows.count > limit ? page.last.map { String($0.seq) } : nil
    return JSONResponse.make(
      WebhookDeliveryPage(deliveries: page.map(\.document), nextCursor: next))
  }

  /// `POST /v1/webhooks/deliveries/{id}/replay`: a dead letter goes back to pending, its
  /// attempts reset; it keeps its id, so the receiver sees the same `Idempotency-Key`.
  func replayDelivery(_ request: Request, id: String) async throws -> Response {
    let member = try await authenticateManager(request, to: "replaying a webhook delivery")
    let document: WebhookDeliveryDocument
    switch try await store.replayDelivery(id: id) {
    case .notFound: throw APIError.notFound("no such webhook delivery")
    case .notFailed(let status):
      throw APIError(
        status: .conflict, code: "not_failed",
        message: "the delivery is \(status); only a failed delivery can be replayed")
    case .replayed(let replayed): document = replayed
    }
    logger.info("webhook delivery \(id) replayed by \(member)")
    return JSONResponse.make(document)
  }
}
