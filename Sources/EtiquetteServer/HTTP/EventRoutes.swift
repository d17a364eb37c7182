import Crypto
import Foundation
import Hummingbird

extension InboxServer {
  /// `POST /v1/events`: `{"contact": {"phone" | "user_id", "name"?}, "event": NAME,
  /// "fields": {…}}` with an integration key. The event and its fields are checked against the
  /// rules' declaration; an `Idempotency-Key` seen before returns the first answer unchanged
  /// when the body is the same, and 422 when it is not (a key reused for another event would
  /// otherwise drop that event behind a 200). An empty key is no key.
  func receiveEvent(_ request: Request) async throws -> Response {
    guard let key = Self.bearerToken(request),
      configuration.integrationKeys.contains(where: { Self.constantTimeEqual($0, key) })
    else { throw APIError.unauthorized("a valid integration key is required") }
    let idempotencyKey = request.headers.first {
      $0.name.canonicalName == "idempotency-key"
    }.map { $0.value.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
    let bytes = Array(try await request.body.collect(upTo: 1024 * 1024).readableBytesView)
    let bodyHash = SHA256.hash(data: bytes).hexString
    let body = try Self.jsonObject(bytes)
    let (status, text) = try await events.submit(
      body, idempotencyKey: idempotencyKey, bodySHA256: bodyHash)
    return JSONResponse.text(
      text, status: HTTPResponse.Status(code: status), contentType: "application/json")
  }

}
