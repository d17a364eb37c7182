import Crypto
import EtiquetteEngine
import EtiquetteTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// One scripted answer of the fake Graph API.
struct GraphReply: Sendable {
  var status: Int
  var headers: [String: String] = [:]
  var body: [UInt8]
  /// Seconds to wait before answering (a slow Graph API).
  var delay: Double = 0
  /// Sent in chunks without Content-Length, as a streamed download.
  var chunked = false

  static func json(_ status: Int, _ text: String, headers: [String: String] = [:]) -> GraphReply {
    var all = headers
    all["Content-Type"] = "application/json"
    return GraphReply(status: status, headers: all, body: Array(text.utf8))
  }

  static func fixture(_ status: Int, _ file: String, headers: [String: String] = [:]) throws
    -> GraphReply
  {
    let url = ServerHarness.fixtures.appendingPathComponent("graph").appendingPathComponent(file)
    return .json(status, try String(contentsOf: url, encoding: .utf8), headers: headers)
  }

  static func sent(_ id: String) -> GraphReply {
    .json(200, #"{"messaging_product":"whatsapp","messages":[{"id":"\#(id)"}]}"#)
  }
}

/// What the fake Graph API received.
struct GraphRequest: Sendable {
  var method: String
  var path: String
  var authorization: String?
  var body: JSONValue
  /// When the request arrived (elapsed time only: gaps between requests).
  var at: ContinuousClock.Instant
}

/// Scripts and records the fake Graph API.
actor GraphScript {
  private(set) var received: [GraphRequest] = []
  /// Answers to `POST …/messages`, in order; when empty, a success with `wamid.fake.N`.
  var sendReplies: [GraphReply] = []
  /// Answers to `GET /{media_id}` per id; the last one repeats.
  var mediaReplies: [String: [GraphReply]] = [:]
  /// Answers to `GET /files/{name}`; the last one repeats.
  var fileReplies: [String: [GraphReply]] = [:]
  private var sends = 0

  func script(sends replies: [GraphReply]) { sendReplies += replies }
  func script(media id: String, _ replies: [GraphReply]) { mediaReplies[id] = replies }
  func script(file name: String, _ replies: [GraphReply]) { fileReplies[name] = replies }

  func send(_ request: GraphRequest) -> GraphReply {
    received.append(request)
    sends += 1
    return sendReplies.isEmpty ? .sent("wamid.fake.\(sends)") : sendReplies.removeFirst()
  }

  func media(_ id: String, _ request: GraphRequest) -> GraphReply {
    received.append(request)
    return Self.next(&mediaReplies, id)
  }

  func file(_ name: String, _ request: GraphRequest) -> GraphReply {
    received.append(request)
    return Self.next(&fileReplies, name)
  }

  private static func next(_ table: inout [String: [GraphReply]], _ key: String) -> GraphReply {
    guard var queue = table[key], let first = queue.first else {
      return .json(404, #"{"error":{"message":"(#100) Invalid parameter","code":100}}"#)
    }
    if queue.count > 1 {
      queue.removeFirst()
      table[key] = queue
    }
    return first
  }

  /// The texts of the messages sent, in the order received (retries included).
  func sentTexts() -> [String] {
    received.filter { $0.method == "POST" }.compactMap { $0.body["text"]?["body"]?.stringValue }
  }
}

/// A Graph API on loopback (an in-process Hummingbird app on port 0) that the server's
/// workers call over real HTTP: `{base}/v21.0/{phone}/messages`, `{base}/v21.0/{media id}`
/// and `{base}/files/{name}` for the media links it hands out.
struct FakeGraph {
  let script = GraphScript()

  func run(_ body: @Sendable (_ base: String) async throws -> Void) async throws {
    let router = Router()
    let script = script
    router.post("/v21.0/:id/messages") { request, context in
      let received = try await Self.received(request, context)
      return try await Self.answer(await script.send(received))
    }
    router.get("/v21.0/:id") { request, context in
      let received = try await Self.received(request, context)
      return try await Self.answer(
        await script.media(context.parameters.get("id") ?? "", received))
    }
    router.get("/files/:name") { request, context in
      let received = try await Self.received(request, context)
      return try await Self.answer(
        await script.file(context.parameters.get("name") ?? "", received))
    }
    let app = Application(
      router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    try await app.test(.live) { client in
      let port = try #require(client.port)
      try await body("http://127.0.0.1:\(port)")
    }
  }

  static func received(_ request: Request, _ context: BasicRequestContext) async throws
    -> GraphRequest
  {
    let buffer = try await request.body.collect(upTo: 1024 * 1024)
    let body =
      (try? JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView))) ?? .null
    return GraphRequest(
      method: request.method.rawValue, path: request.uri.path,
      authorization: request.headers[.authorization], body: body, at: ContinuousClock.now)
  }

  static func answer(_ reply: GraphReply) async throws -> Response {
    if reply.delay > 0 { try await Task.sleep(for: .milliseconds(Int(reply.delay * 1000))) }
    var headers = HTTPFields()
    for (name, value) in reply.headers {
      if let field = HTTPField.Name(name) { headers[field] = value }
    }
    let status = HTTPResponse.Status(code: reply.status)
    guard reply.chunked else {
      return Response(
        status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
    }
    let bytes = reply.body
    return Response(
      status: status, headers: headers,
      body: ResponseBody { writer in
        for start in stride(from: 0, to: bytes.count, by: 512) {
          try await writer.write(
            ByteBuffer(bytes: bytes[start..<min(start + 512, bytes.count)]))
        }
        try await writer.finish(nil)
      })
  }
}

/// Helpers shared by the sending and media tests.
enum SendingSupport {
  static let token = "graph-test-token"
  static let phoneNumberID = "1122334455667"
  static let publicURL = "https://inbox.example.test"

  /// A harness whose WhatsApp sending points at `base`, with fast retries.
  static func harness(
    base: String, maxAttempts: Int = 5, maxBytes: Int = 1024 * 1024, timeout: Double = 60,
    clock: WallClock = .starting(at: TestClock.start)
  ) async throws -> (ServerHarness, URL) {
    let media = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etiquette-media-\(UUID().uuidString)")
    let harness = try await ServerHarness(clock: clock) { configuration in
      var whatsapp = ServerConfiguration.WhatsAppSending(
        graphBase: base + "/v21.0", phoneNumberID: phoneNumberID, accessToken: token)
      whatsapp.retry.maxAttempts = maxAttempts
      whatsapp.retry.initialBackoff = 0.05
      whatsapp.retry.maxBackoff = 0.2
      whatsapp.retry.timeout = timeout
      configuration.whatsapp = whatsapp
      configuration.publicURL = publicURL
      configuration.media.directory = media.path
      configuration.media.maxBytes = maxBytes
    }
    return (harness, media)
  }

  /// Polls `probe` until it returns a value, `seconds × 50` times at most, 20 ms apart (polls,
  /// not the wall clock: see `eventually(within:_:)`; a passing probe returns at once).
  static func eventually<T>(
    _ seconds: Double = 60, _ probe: () async throws -> T?,
    sourceLocation: SourceLocation = #_sourceLocation
  ) async throws -> T {
    for _ in 0..<Int(seconds * 50) {
      if let value = try await probe() { return value }
      try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("condition not reached within \(seconds) s", sourceLocation: sourceLocation)
    throw CancellationError()
  }

  static func status(_ harness: ServerHarness, message id: Int64) async throws -> String? {
    try await harness.inspect.message(id: id)?.status
  }

  /// The ids of the conversation's replies, oldest first.
  static func replies(_ harness: ServerHarness, conversation: String) async throws -> [Int64] {
    try await harness.inspect.messages(inConversation: conversation).filter {
      $0.direction == "out"
    }
    .map(\.id)
  }

  static func reply(
    _ harness: ServerHarness, _ client: any TestClientProtocol, conversation: String,
    text: String, as member: String = "manon@exemple.fr"
  ) async throws {
    let status = try await client.execute(
      uri: "/v1/conversations/\(conversation)/messages", method: .post,
      headers: harness.auth(member),
      body: ByteBuffer(string: JSONLine.encode(["text": text]))
    ) { $0.status }
    #expect(status == .created)
  }

  static func detail(
    _ harness: ServerHarness, _ client: any TestClientProtocol, conversation: String,
    as member: String = "manon@exemple.fr"
  ) async throws -> JSONValue {
    try await client.execute(
      uri: "/v1/conversations/\(conversation)", method: .get, headers: harness.auth(member)
    ) { response in
      #expect(response.status == .ok)
      return ServerHarness.json(response)
    }
  }

  /// A status webhook from `message_status.json` (`sent`, `delivered`, `read`, `failed`) about
  /// the message `whatsappID`.
  static func statusWebhook(_ name: String, whatsappID: String) throws -> [UInt8] {
    let fixture = try #require(try ServerHarness.fixture("message_status.json")[name])
    let text = JSONLine.encode(fixture).replacingOccurrences(
      of: "wamid.xyzxyz", with: whatsappID)
    return Array(text.utf8)
  }

  /// A media message webhook (`image`, `document` …) from a phone number.
  static func mediaWebhook(
    from phone: String, id: String, kind: String, mediaID: String, mime: String,
    sha256: String?
  ) -> [UInt8] {
    var media: [String: JSONValue] = ["id": .string(mediaID), "mime_type": .string(mime)]
    if let sha256 { media["sha256"] = .string(sha256) }
    let message: JSONValue = .object([
      "from": .string(phone), "id": .string(id), "timestamp": .string("1764064800"),
      "type": .string(kind), kind: .object(media),
    ])
    return ServerHarness.messageWebhook(from: phone, name: "Client", message: message)
  }

  static func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
  }

  static func sha256Base64(_ bytes: [UInt8]) -> String {
    Data(SHA256.hash(data: bytes)).base64EncodedString()
  }
}
