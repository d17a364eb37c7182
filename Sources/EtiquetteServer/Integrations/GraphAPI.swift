import AsyncHTTPClient
import EtiquetteEngine
import Foundation
import NIOCore
import NIOHTTP1

/// The few WhatsApp Cloud API (Graph API) shapes Etiquette uses, and how it reads their answers.
///
/// Shapes as Meta documents them (read through the `search` tool, docs and pages corpora):
/// - Send: `POST /{phone_number_id}/messages` with `{"messaging_product": "whatsapp",
///   "recipient_type": "individual", "to": …, "type": "text", "text": {"body": …}}`, answered
///   `{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid…"}]}`
///   (api-evangelist whatsapp-cloud-api-send-message-{request,response}-schema.json).
/// - Errors: `{"error": {"message": "(#130429) Rate limit hit", "type", "code": 130429,
///   "error_data": {"messaging_product", "details"}, "error_subcode", "fbtrace_id"}}`; Meta
///   advises handling by `code` and `details`, the title being the message without `(#code)`
///   (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes, as mirrored).
/// - Media: `GET /{media_id}` answers `{"messaging_product", "url", "mime_type", "sha256",
///   "file_size", "id"}` (`file_size` is a string in practice); the url expires after about
///   five minutes and needs the same bearer token (docs.kapso.ai get-media-url, Meta's Media
///   reference as mirrored by support.chatarchitect.com).
enum GraphAPI {
  /// Codes Meta documents as temporary (throughput, pair rate limit, service downtime,
  /// "temporarily unavailable"), worth retrying even when the HTTP status is a 400.
  static let transientCodes: Set<Int> = [1, 2, 4, 80007, 130429, 131056, 133004]

  /// The body of a text message to one contact.
  static func textMessage(to recipient: String, body: String) -> [UInt8] {
    let message: JSONValue = .object([
      "messaging_product": .string("whatsapp"),
      "recipient_type": .string("individual"),
      "to": .string(recipient),
      "type": .string("text"),
      "text": .object(["preview_url": .bool(false), "body": .string(body)]),
    ])
    return Array(JSONLine.encode(message).utf8)
  }

  /// `to` for a conversation: the phone's digits (Meta wants no `+`), else the user id.
  static func recipient(phone: String?, userID: String?) -> String? {
    if let phone {
      let digits = phone.filter(\.isNumber)
      if !digits.isEmpty, digits.allSatisfy(\.isASCII) { return digits }
    }
    if let userID, !userID.isEmpty { return userID }
    return nil
  }

  /// A failure as stored on a message (`errors` column, a one-element array) in the shape of
  /// Meta's own `statuses[].errors`, so webhook failures and API failures read alike.
  struct Failure: Sendable, Hashable, Error {
    var code: Int?
    var title: String
    var message: String?
    var details: String?
    var httpStatus: Int?
    var traceID: String?

    var json: JSONValue {
      var object: [String: JSONValue] = ["title": .string(title)]
      if let code { object["code"] = .number(Double(code)) }
      if let message { object["message"] = .string(message) }
      if let details { object["error_data"] = .object(["details": .string(details)]) }
      if let httpStatus { object["http_status"] = .number(Double(httpStatus)) }
      if let traceID { object["fbtrace_id"] = .string(traceID) }
      return .object(object)
    }

    /// `[{…}]`, the text stored in `messages.errors`.
    var stored: String { JSONLine.encode(JSONValue.array([json])) }

    /// Reads a Graph API error body; nil when the body is not one.
    static func graph(_ body: [UInt8], httpStatus: Int) -> Failure? {
      guard let json = try? JSONValue.parse(bytes: body),
        let error = json["error"], case .object = error
      else { return nil }
      var code: Int?
      if case .number(let n)? = error["code"] { code = Int(exactly: n) }
      let message = error["message"]?.stringValue
      let title =
        error["error_user_title"]?.stringValue
        ?? message.map(stripCode) ?? "Graph API error \(code.map(String.init) ?? "")"
      return Failure(
        code: code, title: title, message: message,
        details: error["error_data"]?["details"]?.stringValue
          ?? error["error_user_msg"]?.stringValue,
        httpStatus: httpStatus, traceID: error["fbtrace_id"]?.stringValue)
    }

    /// `(#131047) Re-engagement message` → `Re-engagement message`.
    static func stripCode(_ message: String) -> String {
      guard message.hasPrefix("(#"), let close = message.firstIndex(of: ")") else {
        return message
      }
      return message[message.index(after: close)...].trimmingCharacters(in: .whitespaces)
    }

    static func local(_ title: String, httpStatus: Int? = nil) -> Failure {
      Failure(code: nil, title: title, message: nil, details: nil, httpStatus: httpStatus)
    }
  }

  /// One Graph API call with the bearer token, the connection and the whole answer bounded
  /// by `timeout` seconds: its status, headers and body (at most 1 MB, more than any JSON
  /// answer of the Graph API; media files are streamed elsewhere).
  static func call(
    _ request: HTTPClientRequest, token: String, http: HTTPClient, timeout: Double
  ) async throws -> (status: Int, headers: HTTPHeaders, body: [UInt8]) {
    var request = request
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    let snapshot = request
    return try await Deadline.run(seconds: timeout) {
      let response = try await http.execute(
        snapshot, timeout: .milliseconds(Int64(timeout * 1000)))
      let body = try await response.body.collect(upTo: 1024 * 1024)
      return (Int(response.status.code), response.headers, Array(body.readableBytesView))
    }
  }

  /// What to do after one call.
  enum Verdict: Sendable {
    /// Try again: after `retryAfter` seconds when the server said so, else after a backoff.
    case retry(Failure, retryAfter: Double?)
    case permanent(Failure)
  }

  /// Classifies a non-2xx answer: 429, 5xx and Meta's temporary codes are retried; every
  /// other 4xx is permanent (the same request would fail the same way).
  static func verdict(status: Int, headers: HTTPHeaders, body: [UInt8], now: Date)
    -> Verdict
  {
    let failure =
      Failure.graph(body, httpStatus: status)
      ?? .local("the Graph API answered HTTP \(status)", httpStatus: status)
    if status == 429 || status >= 500 || (failure.code.map(transientCodes.contains) ?? false) {
      return .retry(failure, retryAfter: retryAfter(headers.first(name: "Retry-After"), now: now))
    }
    return .permanent(failure)
  }

  /// `Retry-After` as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
  static func retryAfter(_ value: String?, now: Date) -> Double? {
    guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
      return nil
    }
    if let seconds = Double(value), seconds.isFinite, seconds >= 0 { return seconds }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    guard let date = formatter.date(from: value) else { return nil }
    return max(0, date.timeIntervalSince(now))
  }

  /// The delay before the next attempt: the server's Retry-After when given (capped at an
  /// hour, so a bogus header cannot park a message for days), else the backoff.
  static func delay(
    attempt: Int, retryAfter: Double?, policy: ServerConfiguration.DeliveryPolicy
  ) -> Double {
    if let retryAfter { return min(retryAfter, 3600) }
    return Backoff(policy).delay(attempt: attempt)
  }

  /// `graph_base` joined with path components, each percent-encoded.
  static func url(_ base: String, _ components: String...) -> String {
    var result = base
    while result.hasSuffix("/") { result.removeLast() }
    for component in components {
      result += "/" + MediaDownloads.pathComponent(component)
    }
    return result
  }

  /// A readable sentence for a transport error (timeout, refused connection …).
  static func describe(_ error: any Error) -> String {
    switch error {
    // AsyncHTTPClient retries a refused connection until the deadline: both read alike.
    case is Deadline.Exceeded: "the Graph API could not be reached or did not answer in time"
    case let error as HTTPClientError where error == .deadlineExceeded:
      "the Graph API could not be reached or did not answer in time"
    default: "the Graph API could not be reached (\(error))"
    }
  }
}

/// Runs an operation with a deadline covering all of it (AsyncHTTPClient's deadline covers
/// the response head only, not a streamed body).
enum Deadline {
  struct Exceeded: Error, CustomStringConvertible {
    var description: String { "deadline exceeded" }
  }

  static func run<T: Sendable>(
    seconds: Double, _ operation: @escaping @Sendable () async throws -> T
  ) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
      group.addTask { try await operation() }
      group.addTask {
        try await Task.sleep(for: .milliseconds(Int64(max(0.001, seconds) * 1000)))
        return nil
      }
      defer { group.cancelAll() }
      guard case let value?? = try await group.next() else { throw Exceeded() }
      return value
    }
  }
}
