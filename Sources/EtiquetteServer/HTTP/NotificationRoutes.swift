import Foundation
import Hummingbird

extension InboxServer {
  func registerNotificationRoutes(on r: inout RouteRecorder) {
    r.add(.get, "/v1/notifications") { request, _ in try await listNotifications(request) }
    r.add(.post, "/v1/notifications/read-all") { request, _ in
      try await markNotificationsRead(request, id: nil)
    }
    r.add(.post, "/v1/notifications/{id}/read") { request, context in
      let raw = context.parameters.get("id") ?? ""
      guard let id = Int64(raw) else { throw APIError.notFound("no such notification") }
      return try await markNotificationsRead(request, id: id)
    }
  }

  func listNotifications(_ request: Request) async throws -> Response {
    let member = try await authenticate(request)
    let q = request.uri.queryParameters
    var unreadOnly = false
    if let unread = q["unread"] {
      guard unread == "true" || unread == "false" else {
        throw APIError.badRequest("\"unread\" must be true or false")
      }
      unreadOnly = unread == "true"
    }
    var limit = 50
    if let text = q["limit"] {
      guard let value = Int(text), (1...200).contains(value) else {
        throw APIError.badRequest("\"limit\" must be an integer from 1 to 200")
      }
      limit = value
    }
    var before: Int64?
    if let text = q["before"] {
      guard let value = Int64(text) else {
        throw APIError.badRequest("\"before\" must be a notification id")
      }
      before = value
    }
    return JSONResponse.make(
      try await notifications.page(
        member: member, unreadOnly: unreadOnly, limit: limit, before: before))
  }

  /// One notification (`id`) or all of the member's (`nil`) marked read.
  func markNotificationsRead(_ request: Request, id: Int64?) async throws -> Response {
    let member = try await authenticate(request)
    return JSONResponse.make(
      MarkedAnswer(marked: try await notifications.markRead(member: member, id: id)))
  }
}
