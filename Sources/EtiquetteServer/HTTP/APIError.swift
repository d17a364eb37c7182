import EtiquetteDiagnostics
import Foundation
import Hummingbird

/// An error answer of the API: `{"error": {"code", "message"}, …}` with its HTTP status.
struct APIError: Error {
  var status: HTTPResponse.Status
  var code: String
  var message: String
  /// What the answer says beside `error` (a refused reload's diagnostics, a media error …).
  var details = ErrorDetails()

  struct ErrorDetails: Sendable {
    var diagnostics: DiagnosticJSON.Document?
    var version: String?
    var lastError: String?
  }

  static func unauthorized(_ message: String = "a valid bearer token is required") -> APIError {
    APIError(status: .unauthorized, code: "unauthorized", message: message)
  }
  static func notFound(_ message: String = "no such conversation") -> APIError {
    APIError(status: .notFound, code: "not_found", message: message)
  }
  static func forbidden(_ message: String) -> APIError {
    APIError(status: .forbidden, code: "forbidden", message: message)
  }
  static func badRequest(_ message: String) -> APIError {
    APIError(status: .badRequest, code: "bad_request", message: message)
  }
  static func unprocessable(_ code: String, _ message: String) -> APIError {
    APIError(status: .unprocessableContent, code: code, message: message)
  }

  var response: Response {
    JSONResponse.make(
      ErrorAnswer(
        error: .init(code: code, message: message), diagnostics: details.diagnostics?.diagnostics,
        summary: details.diagnostics?.summary, version: details.version,
        lastError: details.lastError),
      status: status)
  }
}

enum JSONResponse {
  static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
    // Never a `{}` that reads as success: the client learns the answer is missing.
    guard let data = encoded(value) else {
      return Response(
        status: .internalServerError,
        headers: [.contentType: "application/json; charset=utf-8"],
        body: ResponseBody(byteBuffer: ByteBuffer(string: unencodable)))
    }
    return Response(
      status: status, headers: [.contentType: "application/json; charset=utf-8"],
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
  }

  static let unencodable =
    #"{"error":{"code":"unencodable_answer","message":"the answer could not be encoded as JSON"}}"#

  static func encoded(_ value: some Encodable) -> Data? {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return try? encoder.encode(value)
  }

  static func text(
    _ text: String, status: HTTPResponse.Status = .ok,
    contentType: String = "text/plain; charset=utf-8"
  ) -> Response {
    Response(
      status: status, headers: [.contentType: contentType],
      body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
  }
}
