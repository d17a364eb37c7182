import Foundation
import GRDB
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

  init(row: Row) {
    let formatter = Self.formatter
    func instant(_ seconds: Double) -> String {
      formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
    id = row["id"]
    subscription = row["subscription"]
    event = row["event_type"]
    eventId = row["event_id"]
    conversation = row["conversation_id"]
    status = row["status"]
    attempts = row["attempts"]
    lastStatus = row["last_status"]
    lastError = row["last_error"]
    createdAt = instant(row["created_at"])
    updatedAt = instant(row["updated_at"])
    nextAttemptAt = status == "pending" ? instant(row["next_attempt_at"]) : nil
    deliveredAt = (row["delivered_at"] as Double?).map(instant)
  }

  // Milliseconds matter here: retries are often less than a second apart. A formatter per
  // use, since a shared one would be touched by concurrent requests.
  static var formatter: ISO8601DateFormatter {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter
  }
}

struct WebhookDeliveryPage: Codable, Sendable {
  var deliveries: [WebhookDeliveryDocument]
  var nextCursor: String?
}

extension EtiquetteServer {
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
    var conditions: [String] = []
    var arguments: StatementArguments = []
    if let status = q["status"].map(String.init) {
      guard ["pending", "delivered", "failed"].contains(status) else {
        throw APIError.badRequest("\"status\" must be pending, delivered or failed")
      }
      conditions.append("status = ?")
      arguments += [status]
    }
    if let subscription = q["subscription"].map(String.init) {
      conditions.append("subscription = ?")
      arguments += [subscription]
    }
    if let conversation = q["conversation"].map(String.init) {
      conditions.append("conversation_id = ?")
      arguments += [conversation]
    }
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
      conditions.append("seq < ?")
      arguments += [before]
    }
    let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    arguments += [limit + 1]
    let finalArguments = arguments
    let rows = try await store.pool.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT seq, id, subscription, event_type, event_id, conversation_id, status, attempts,
            last_status, last_error, created_at, updated_at, next_attempt_at, delivered_at
          FROM webhook_deliveries \(filter) ORDER BY seq DESC LIMIT ?
          """, arguments: finalArguments
      ).map { (seq: $0["seq"] as Int64, document: WebhookDeliveryDocument(row: $0)) }
    }
    let page = rows.prefix(limit)
    let next: String? = rows.count > limit ? page.last.map { String($0.seq) } : nil
    return JSONResponse.make(
      WebhookDeliveryPage(deliveries: page.map(\.document), nextCursor: next))
  }

  /// `POST /v1/webhooks/deliveries/{id}/replay`: a dead letter goes back to pending, its
  /// attempts reset; it keeps its id, so the receiver sees the same `Idempotency-Key`.
  func replayDelivery(_ request: Request, id: String) async throws -> Response {
    let member = try await authenticateManager(request, to: "replaying a webhook delivery")
    let document = try await store.pool.write { db -> WebhookDeliveryDocument? in
      guard
        let status = try String.fetchOne(
          db, sql: "SELECT status FROM webhook_deliveries WHERE id = ?", arguments: [id])
      else { return nil }
      guard status == "failed" else {
        throw APIError(
          status: .conflict, code: "not_failed",
          message: "the delivery is \(status); only a failed delivery can be replayed")
      }
      let now = store.clock.seconds
      try db.execute(
        sql: """
          UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?,
            updated_at = ? WHERE id = ?
          """, arguments: [now, now, id])
      return try Row.fetchOne(
        db, sql: "SELECT * FROM webhook_deliveries WHERE id = ?", arguments: [id]
      ).map(WebhookDeliveryDocument.init(row:))
    }
    guard let document else { throw APIError.notFound("no such webhook delivery") }
    logger.info("webhook delivery \(id) replayed by \(member)")
    hub.webhookSignal.signal()
    return JSONResponse.make(document)
  }
}
