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

  /// `GET /v1/webhooks/deliveries?status=&subscription=&conversation=&limit=&cursor=`, newest
  /// first.
  func listDeliveries(_ request: Request) async throws -> Response {
    let member = try await authenticate(request)
    let page = try await deliveries.list(by: member) {
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
      (filter.limit, filter.before) = try Self.keysetPage(request)
      return filter
    }
    return JSONResponse.make(page)
  }

  /// `POST /v1/webhooks/deliveries/{id}/replay`: a dead letter goes back to pending, its
  /// attempts reset; it keeps its id, so the receiver sees the same `Idempotency-Key`.
  func replayDelivery(_ request: Request, id: String) async throws -> Response {
    let member = try await authenticate(request)
    let document = try await deliveries.replay(id, by: member)
    return JSONResponse.make(document)
  }
}
