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
      (filter.limit, filter.before) = try Self.keysetPage(request)
      return filter
    }
    return JSONResponse.make(page)
  }
}
