import AsyncHTTPClient
import EtiquetteEngine
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import EtiquetteServer

/// What a loopback AI endpoint received: the JSON bodies and `Authorization` headers.
actor AIPeerLog {
  private(set) var calls: [JSONValue] = []
  private(set) var authorizations: [String?] = []

  /// Records a call and returns its 1-based number.
  func record(_ body: JSONValue, authorization: String?) -> Int {
    calls.append(body)
    authorizations.append(authorization)
    return calls.count
  }
}

/// Holds callers until the test opens it (an AI call kept in flight).
actor Gate {
  private var isOpen = false
  private var waiters: [CheckedContinuation<Void, Never>] = []

  func wait() async {
    if isOpen { return }
    await withCheckedContinuation { waiters.append($0) }
  }

  func open() {
    isOpen = true
    for waiter in waiters { waiter.resume() }
    waiters = []
  }
}

enum RealtimeSupport {
  static let rulesHumanFirst = ServerHarness.fixtures.appendingPathComponent("ai")
    .appendingPathComponent("human-first").path

  /// Runs `body` with a real AI endpoint on a loopback port: `answer(n)` gives the status and
  /// body of the n-th call. `body` gets the endpoint's URL.
  static func withAIPeer(
    _ answer: @escaping @Sendable (Int) async -> (HTTPResponse.Status, String),
    _ body: @Sendable (String, AIPeerLog) async throws -> Void
  ) async throws {
    let log = AIPeerLog()
    let router = Router()
    router.post("/ai") { request, _ -> Response in
      let buffer = try await request.body.collect(upTo: 10_000_000)
      let json =
        (try? JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView)))
        ?? .null
      let n = await log.record(json, authorization: request.headers[.authorization])
      let (status, text) = await answer(n)
      return Response(
        status: status, headers: [.contentType: "application/json"],
        body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
    try await Application(router: router).test(.live) { client in
      let port = try #require(client.port)
      try await body("http://localhost:\(port)/ai", log)
    }
  }

  /// Runs `body` with the server's integration workers started, and stops them after.
  static func withWorkers(
    _ harness: ServerHarness, _ body: () async throws -> Void
  ) async throws {
    let workers = harness.server.startIntegrations()
    do {
      try await body()
    } catch {
      await workers.stop()
      throw error
    }
    await workers.stop()
  }

  /// Posts a customer's text message and returns its conversation id.
  static func converse(
    _ harness: ServerHarness, _ client: any TestClientProtocol, phone: String, text: String,
    at: Int = 1_764_064_800
  ) async throws -> String {
    let body = ServerHarness.textWebhook(
      from: phone, id: "wamid.\(UUID().uuidString)", text: text, at: at)
    #expect(try await ServerHarness.post(client, webhook: body) == .ok)
    return try await harness.inspect.conversationID(forPhone: "+" + phone) ?? ""
  }
}

/// One Server-Sent Event as a client parses it.
struct SSEEvent: Sendable {
  var id: Int?
  var event: String
  var data: JSONValue
  var conversation: String? { data["conversation"]?.stringValue }
}

/// What a stream client has read so far.
actor SSELog {
  private(set) var events: [SSEEvent] = []
  private(set) var comments: [String] = []
  private(set) var ended = false

  func add(frame: String) {
    var id: Int?
    var event = "message"
    var data = ""
    for line in frame.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix(":") {
        comments.append(String(line.dropFirst()).trimmingCharacters(in: .whitespaces))
      } else if line.hasPrefix("id: ") {
        id = Int(line.dropFirst(4))
      } else if line.hasPrefix("event: ") {
        event = String(line.dropFirst(7))
      } else if line.hasPrefix("data: ") {
        data += line.dropFirst(6)
      }
    }
    guard !data.isEmpty else { return }
    let json = (try? JSONDecoder().decode(JSONValue.self, from: Data(data.utf8))) ?? .null
    events.append(SSEEvent(id: id, event: event, data: json))
  }

  func end() { ended = true }
}

/// A member's `GET /v1/stream` over a real socket (AsyncHTTPClient, streamed body).
struct SSEClient: Sendable {
  let log = SSELog()
  let task: Task<Void, Never>
  let status: Int
  let contentType: String?

  static func connect(port: Int, token: String, lastEventID: String? = nil) async throws
    -> SSEClient
  {
    var request = HTTPClientRequest(url: "http://localhost:\(port)/v1/stream")
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
    // The stream's body never ends: the contract checks its status and content type.
    OpenAPIContract.check(
      .init(
        method: "GET", uri: "/v1/stream", status: Int(response.status.code),
        headers: OpenAPIContract.fields(response.headers), body: nil))
    let client = SSEClient(
      response: response, status: Int(response.status.code),
      contentType: response.headers.first(name: "content-type"))
    _ = await eventually { await client.events("ready").count == 1 }
    return client
  }

  private init(response: HTTPClientResponse, status: Int, contentType: String?) {
    let log = log
    self.status = status
    self.contentType = contentType
    task = Task {
      var buffer = ""
      do {
        for try await chunk in response.body {
          buffer += String(buffer: chunk)
          while let end = buffer.range(of: "\n\n") {
            let frame = String(buffer[..<end.lowerBound])
            buffer.removeSubrange(..<end.upperBound)
            await log.add(frame: frame)
          }
        }
      } catch {}
      await log.end()
    }
  }

  func events(_ type: String? = nil, conversation: String? = nil) async -> [SSEEvent] {
    await log.events.filter {
      (type == nil || $0.event == type) && (conversation == nil || $0.conversation == conversation)
    }
  }

  /// Waits until an event of `type` (about `conversation`) has arrived.
  @discardableResult
  func waitFor(_ type: String, conversation: String? = nil, count: Int = 1) async throws -> Bool {
    await eventually {
      await events(type, conversation: conversation).count >= count
    }
  }

  func close() { task.cancel() }
}
