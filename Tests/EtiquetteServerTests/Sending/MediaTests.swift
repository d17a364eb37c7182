import EtiquetteEngine
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// Inbound media resolved and downloaded from a real (loopback) fake Graph API, and served by
/// `GET /v1/media/{id}`.
@Suite struct MediaTests {
  typealias S = SendingSupport

  /// A JPEG-looking payload; the content does not matter, its bytes and hash do.
  static let picture: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + (0..<3000).map { UInt8($0 % 251) }

  struct Setup: Sendable {
    var harness: ServerHarness
    var directory: URL
    var base: String
    var graph: GraphScript
  }

  func withMedia(
    maxAttempts: Int = 4, maxBytes: Int = 1024 * 1024,
    _ body: @Sendable (Setup, any TestClientProtocol) async throws -> Void
  ) async throws {
    let graph = FakeGraph()
    try await graph.run { base in
      let (harness, directory) = try await S.harness(
        base: base, maxAttempts: maxAttempts, maxBytes: maxBytes)
      let workers = harness.server.startIntegrations()
      do {
        try await harness.test { client in
          try await body(
            Setup(harness: harness, directory: directory, base: base, graph: graph.script),
            client)
        }
      } catch {
        await workers.stop()
        throw error
      }
      await workers.stop()
    }
  }

  /// Scripts the Graph API's metadata for `mediaID` and the file behind it.
  static func script(
    _ setup: Setup, mediaID: String, mime: String = "image/jpeg", sha256: String? = nil,
    size: Int? = nil, file: GraphReply, before: [GraphReply] = []
  ) async {
    var metadata: [String: JSONValue] = [
      "messaging_product": .string("whatsapp"), "id": .string(mediaID),
      "url": .string("\(setup.base)/files/\(mediaID)"), "mime_type": .string(mime),
      "sha256": .string(sha256 ?? S.sha256Hex(picture)),
    ]
    if let size { metadata["file_size"] = .string(String(size)) }
    await setup.graph.script(
      media: mediaID, before + [.json(200, JSONLine.encode(JSONValue.object(metadata)))])
    await setup.graph.script(file: mediaID, [file])
  }

  static func jpeg(_ bytes: [UInt8] = picture, type: String = "image/jpeg") -> GraphReply {
    GraphReply(status: 200, headers: ["Content-Type": type], body: bytes)
  }

  /// Posts an image message carrying `mediaID`; returns the conversation id.
  static func receive(
    _ setup: Setup, _ client: any TestClientProtocol, mediaID: String,
    kind: String = "image", mime: String = "image/jpeg", phone: String = "33611111111"
  ) async throws -> String {
    let status = try await ServerHarness.post(
      client,
      webhook: S.mediaWebhook(
        from: phone, id: "wamid.in.\(mediaID)", kind: kind, mediaID: mediaID, mime: mime,
        sha256: S.sha256Base64(picture)))
    #expect(status == .ok)
    return try await setup.harness.inspect.media(id: mediaID)?.conversationID ?? ""
  }

  static func settled(_ setup: Setup, _ id: String) async throws -> InspectedMedia {
    try await S.eventually {
      let row = try await setup.harness.inspect.media(id: id)
      return row?.status == "pending" ? nil : row
    }
  }

  static func get(
    _ client: any TestClientProtocol, _ id: String, bearer: String?
  ) async throws -> (HTTPResponse.Status, HTTPFields, [UInt8]) {
    var headers = HTTPFields()
    if let bearer { headers[.authorization] = "Bearer \(bearer)" }
    return try await client.execute(uri: "/v1/media/\(id)", method: .get, headers: headers) {
      ($0.status, $0.headers, Array($0.body.readableBytesView))
    }
  }

  @Test func downloadStoresTheFileAndServesItToViewersOnly() async throws {
    try await withMedia { setup, client in
      await Self.script(setup, mediaID: "7001", size: Self.picture.count, file: Self.jpeg())
      let conversation = try await Self.receive(setup, client, mediaID: "7001")
      // The transcript never carries Meta's link: the attachment is the server's own route.
      let detail = try await S.detail(setup.harness, client, conversation: conversation)
      let attachment = detail["transcript"]?.arrayValue?.first?["attachments"]?.arrayValue?.first
      #expect(attachment?["url"] == .string("\(S.publicURL)/v1/media/7001"))
      #expect(attachment?["type"] == .string("image/jpeg"))
      let row = try await Self.settled(setup, "7001")
      #expect(row.status == "stored")
      #expect(row.sha256 == S.sha256Hex(Self.picture))
      #expect(row.size == Self.picture.count)
      if TestStore.kind == .sqlite {
        let name = try #require(row.file)
        #expect(!name.contains("7001") && !name.contains("/"))
        let onDisk = try Data(contentsOf: setup.directory.appendingPathComponent(name))
        #expect(Array(onDisk) == Self.picture)
      } else {
        // PostgreSQL holds the bytes, for every instance; no file of its own.
        #expect(row.file == nil)
      }
      // Both Graph calls carried the token.
      let calls = await setup.graph.received
      #expect(calls.map(\.path) == ["/v21.0/7001", "/files/7001"])
      #expect(calls.allSatisfy { $0.authorization == "Bearer \(S.token)" })

      let manon = setup.harness.tokens["manon@exemple.fr"]
      var (status, headers, body) = try await Self.get(client, "7001", bearer: manon)
      #expect(status == .ok)
      #expect(body == Self.picture)
      #expect(headers[.contentType] == "image/jpeg")
      #expect(headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
      (status, _, body) = try await Self.get(
        client, "7001", bearer: ServerHarness.integrationKey)
      #expect(status == .ok && body == Self.picture)
      // alice may not view this conversation: the media does not exist for her.
      (status, _, _) = try await Self.get(
        client, "7001", bearer: setup.harness.tokens["alice@exemple.fr"])
      #expect(status == .notFound)
      (status, _, _) = try await Self.get(client, "7001", bearer: nil)
      #expect(status == .unauthorized)
      (status, _, _) = try await Self.get(client, "7001", bearer: "not-a-token")
      #expect(status == .unauthorized)
      (status, _, _) = try await Self.get(client, "9999", bearer: manon)
      #expect(status == .notFound)
    }
  }

  @Test func fileLargerThanTheLimitIsAbortedWhileStreaming() async throws {
    try await withMedia(maxBytes: 2000) { setup, client in
      // The metadata claims a small size and the stream has no Content-Length: only counting
      // the bytes as they arrive can stop it.
      var big = Self.jpeg()
      big.chunked = true
      await Self.script(setup, mediaID: "7002", size: 100, file: big)
      _ = try await Self.receive(setup, client, mediaID: "7002")
      let row = try await Self.settled(setup, "7002")
      #expect(row.status == "failed")
      #expect(row.error?.contains("media.max_bytes") == true)
      #expect(row.file == nil)
      let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: setup.directory.path))
      #expect(leftovers ?? [] == [])
      let (status, _, body) = try await Self.get(
        client, "7002", bearer: setup.harness.tokens["manon@exemple.fr"])
      #expect(status == .gone)
      #expect(String(decoding: body, as: UTF8.self).contains("media.max_bytes"))
    }
  }

  @Test func announcedSizeAboveTheLimitIsNotDownloaded() async throws {
    try await withMedia(maxBytes: 2000) { setup, client in
      await Self.script(setup, mediaID: "7003", size: 5_000_000, file: Self.jpeg())
      _ = try await Self.receive(setup, client, mediaID: "7003")
      let row = try await Self.settled(setup, "7003")
      #expect(row.status == "failed")
      #expect(await setup.graph.received.map(\.path) == ["/v21.0/7003"])
    }
  }

  @Test func contentTypeThatDisagreesIsRefused() async throws {
    try await withMedia { setup, client in
      await Self.script(
        setup, mediaID: "7004", file: Self.jpeg(Array("<script>".utf8), type: "text/html"))
      _ = try await Self.receive(setup, client, mediaID: "7004")
      let row = try await Self.settled(setup, "7004")
      #expect(row.status == "failed")
      #expect(row.error?.contains("Content-Type text/html") == true)
    }
  }

  @Test func typeNotAllowedForTheMessageTypeIsRefused() async throws {
    try await withMedia { setup, client in
      // An "image" whose metadata says PDF: WhatsApp never sends that as an image.
      await Self.script(
        setup, mediaID: "7005", mime: "application/pdf",
        file: Self.jpeg(type: "application/pdf"))
      _ = try await Self.receive(setup, client, mediaID: "7005")
      let row = try await Self.settled(setup, "7005")
      #expect(row.status == "failed")
      #expect(row.error?.contains("not a type WhatsApp allows") == true)
      #expect(await setup.graph.received.count == 1)
    }
  }

  @Test func shaMismatchIsRetriedThenFails() async throws {
    try await withMedia(maxAttempts: 2) { setup, client in
      await Self.script(
        setup, mediaID: "7006", sha256: S.sha256Hex([1, 2, 3]), file: Self.jpeg())
      _ = try await Self.receive(setup, client, mediaID: "7006")
      let row = try await Self.settled(setup, "7006")
      #expect(row.status == "failed")
      #expect(row.error?.contains("SHA-256") == true)
      #expect(row.attempts == 2)
      let files = (try? FileManager.default.contentsOfDirectory(atPath: setup.directory.path))
      #expect(files ?? [] == [])
    }
  }

  @Test func graphDownThenUpIsRetriedAndAnswers409Meanwhile() async throws {
    try await withMedia { setup, client in
      await Self.script(
        setup, mediaID: "7007", file: Self.jpeg(),
        before: [
          .json(503, "maintenance", headers: ["Retry-After": "1"]),
          .json(500, #"{"error":{"message":"(#1) An unknown error occurred","code":1}}"#),
        ])
      _ = try await Self.receive(setup, client, mediaID: "7007")
      let manon = setup.harness.tokens["manon@exemple.fr"]
      let (status, headers, body) = try await Self.get(client, "7007", bearer: manon)
      #expect(status == .conflict)
      #expect(headers[.retryAfter] == "5")
      #expect(String(decoding: body, as: UTF8.self).contains("media_not_ready"))
      let row = try await Self.settled(setup, "7007")
      #expect(row.status == "stored")
      #expect(row.attempts == 3)
      let (after, _, bytes) = try await Self.get(client, "7007", bearer: manon)
      #expect(after == .ok && bytes == Self.picture)
    }
  }

  @Test func expiredLinkIsResolvedAgain() async throws {
    try await withMedia { setup, client in
      await Self.script(setup, mediaID: "7008", file: Self.jpeg())
      await setup.graph.script(
        file: "7008", [.json(404, #"{"error":"expired"}"#), Self.jpeg()])
      _ = try await Self.receive(setup, client, mediaID: "7008")
      let row = try await Self.settled(setup, "7008")
      #expect(row.status == "stored")
      #expect(
        await setup.graph.received.map(\.path)
          == ["/v21.0/7008", "/files/7008", "/v21.0/7008", "/files/7008"])
    }
  }

  @Test func voiceNoteWithCodecParameterIsAccepted() async throws {
    try await withMedia { setup, client in
      await Self.script(
        setup, mediaID: "7009", mime: "audio/ogg; codecs=opus",
        file: Self.jpeg(type: "audio/ogg; codecs=opus"))
      _ = try await Self.receive(
        setup, client, mediaID: "7009", kind: "audio", mime: "audio/ogg; codecs=opus")
      let row = try await Self.settled(setup, "7009")
      #expect(row.status == "stored")
      #expect(row.mimeType == "audio/ogg")
    }
  }

  @Test func contentTypeRules() {
    #expect(MediaDownloads.baseType("Audio/OGG; codecs=opus") == "audio/ogg")
    #expect(MediaDownloads.isAllowed("image/jpeg", kind: "image"))
    #expect(!MediaDownloads.isAllowed("image/webp", kind: "image"))
    #expect(MediaDownloads.isAllowed("image/webp", kind: "sticker"))
    #expect(MediaDownloads.isAllowed("application/zip", kind: "document"))
    #expect(!MediaDownloads.isAllowed("text/html", kind: "document"))
    #expect(!MediaDownloads.isAllowed("image/svg+xml", kind: "document"))
    #expect(MediaDownloads.fileName(mediaID: "../../etc/passwd").allSatisfy { $0.isHexDigit })
  }
}
