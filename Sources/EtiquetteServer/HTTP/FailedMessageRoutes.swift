import Foundation
import Hummingbird

extension InboxServer {
  func registerFailedMessageRoutes(on r: inout RouteRecorder) {
    r.add(.get, "/v1/messages/failed") { request, _ in try await listFailedMessages(request) }
  }

  /// `GET /v1/messages/failed?status=open|unusable|resolved&limit=&cursor=`, newest first.
  func listFailedMessages(_ request: Request) async throws -> Response {
    let member = try await authenticate(request)
    let page = try await failedMessages.list(by: member) {
      let q = request.uri.queryParameters
      var filter = MessageFailureFilter()
      if let status = q["status"].map(String.init) {
        guard ["open", "unusable", "resolved"].contains(status) else {
          throw APIError.badRequest("\"status\" must be open, unusable or resolved")
        }
        filter.status = status
      }
      if let text = q["limit"] {
        guard let value = Int(text), (1...500).contains(value) else {
          throw APIError.badRequest("\"limit\" must be an integer from 1 to 500")
        }
        filter.limit = value
      }
      if let cursor = q["cursor"] {
        guard let before = Int64(cursor), before > 0 else {
          throw APIError.badRequest("\"cursor\" must be the nextCursor of the previous page")
        }
        filter.before = before
      }
      return filter
    }
    return JSONResponse.make(page)
  }
}
