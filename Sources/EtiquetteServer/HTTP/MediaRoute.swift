import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension InboxServer {
  func registerSendingRoutes(on r: inout RouteRecorder) {
    r.add(.get, "/v1/media/{id}") { request, context in try await getMedia(request, context) }
  }

  /// `GET /v1/media/{id}`: the downloaded file, for a member who may view its conversation
  /// (404 otherwise, as for the conversation itself) or for an integration key (automation
  /// platforms fetching the attachment URLs of a webhook payload).
  ///
  /// Not downloaded yet: 409 `media_not_ready` with `Retry-After` (or 503 when sending is not
  /// configured, since nothing will download it); failed for good: 410 `media_unavailable`
  /// with the reason. Files are never fetched on demand: the request would hold a client for a
  /// Graph API round trip, and the worker already retries.
  func getMedia(_ request: Request, _ context: Context) async throws -> Response {
    guard let token = Self.bearerToken(request) else { throw APIError.unauthorized() }
    let integration = configuration.integrationKeys.contains {
      Self.constantTimeEqual($0, token)
    }
    var member: String?
    if !integration {
      guard let email = try await store.member(forToken: token) else {
        throw APIError.unauthorized()
      }
      member = email
    }
    let raw = context.parameters.get("id") ?? ""
    return try await mediaFile(id: raw.removingPercentEncoding ?? raw, viewer: member, context)
  }

  /// The media's file for `viewer` (nil: an integration key), or the API error that says why
  /// not; the API's route and the web inbox's (session cookie) both answer with it.
  ///
  /// `aac`: the AAC rendition of an Ogg voice note (`VoiceNoteRendition`), 404 when there is
  /// none to make (not Ogg audio, or ffmpeg missing): the page then plays the original.
  func mediaFile(
    id: String, viewer member: String?, aac: Bool = false, _ context: some RequestContext
  ) async throws -> Response {
    let row = try await conversations.media(id: id, viewer: member)
    switch row.status {
    case "stored":
      if case .stored(let load)? = row.content {
        return try await Self.storedMedia(
          row, load: load, aac: aac, cache: configuration.media.directory)
      }
      var name = ""
      if case .file(let file)? = row.content { name = file }
      var path = URL(fileURLWithPath: configuration.media.directory, isDirectory: true)
        .appendingPathComponent(name).path
      guard FileManager.default.fileExists(atPath: path) else {
        throw APIError(
          status: .gone, code: "media_unavailable",
          message: "the stored file of this media is missing from media.directory")
      }
      var type = row.mimeType ?? "application/octet-stream"
      if aac {
        guard row.kind == "audio", type.hasPrefix("audio/ogg"), !name.isEmpty else {
          throw APIError.notFound("this media has no AAC rendition")
        }
        do {
          path = try await VoiceNoteRendition.installed.rendition(of: path)
        } catch {
          throw APIError.notFound("no AAC rendition of this voice note: \(error)")
        }
        type = "audio/mp4"
      }
      let body = try await FileIO().loadFile(path: path, context: context)
      var headers: HTTPFields = [
        .contentType: type,
        .cacheControl: "private, max-age=86400",
        // Served from the API's origin: browsers must not guess a more dangerous type.
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        .contentDisposition: row.kind == "document" ? "attachment" : "inline",
      ]
      if !aac, let size = row.size { headers[.contentLength] = String(size) }
      if !aac, let sha = row.sha256 { headers[.eTag] = "\"\(sha)\"" }
      return Response(status: .ok, headers: headers, body: body)
    case "failed":
      throw APIError(
        status: .gone, code: "media_unavailable",
        message: "this media could not be downloaded from WhatsApp: "
          + (row.error ?? "unknown reason"))
    default:
      guard configuration.whatsapp != nil else {
        throw APIError(
          status: .serviceUnavailable, code: "not_configured",
          message: "this media is not downloaded: media downloads need `whatsapp` configured")
      }
      var error = APIError(
        status: .conflict, code: "media_not_ready",
        message: "this media is still being downloaded from WhatsApp; retry shortly")
      if let reason = row.error {
        error.details.lastError = reason
      }
      var response = error.response
      response.headers[.retryAfter] = "5"
      return response
    }
  }
}

extension InboxServer {
  /// A media whose bytes the store holds (PostgreSQL): served from memory. Its AAC rendition
  /// is made from a copy of the bytes in this instance's `cache` directory, named by their
  /// SHA-256 (so a voice note is rendered once per instance, whoever downloaded it), and kept
  /// there beside the copy.
  static func storedMedia(
    _ row: StoredMedia, load: @Sendable () async throws -> Data?, aac: Bool, cache: String
  ) async throws -> Response {
    if aac {
      guard row.kind == "audio", row.mimeType?.hasPrefix("audio/ogg") == true,
        let sha = row.sha256, sha.allSatisfy(\.isHexDigit)
      else { throw APIError.notFound("this media has no AAC rendition") }
      let folder = URL(fileURLWithPath: cache, isDirectory: true)
        .appendingPathComponent("renditions", isDirectory: true)
      let source = folder.appendingPathComponent(sha + ".ogg").path
      if !FileManager.default.fileExists(atPath: source + ".m4a") {
        guard let bytes = try await load() else {
          throw APIError(
            status: .gone, code: "media_unavailable",
            message: "the stored bytes of this media are missing from the store")
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try bytes.write(to: URL(fileURLWithPath: source), options: .atomic)
      }
      let rendition: String
      do {
        rendition = try await VoiceNoteRendition.installed.rendition(of: source)
      } catch {
        throw APIError.notFound("no AAC rendition of this voice note: \(error)")
      }
      let body = try Data(contentsOf: URL(fileURLWithPath: rendition))
      return Response(
        status: .ok,
        headers: [
          .contentType: "audio/mp4", .cacheControl: "private, max-age=86400",
          HTTPField.Name("X-Content-Type-Options")!: "nosniff", .contentDisposition: "inline",
          .contentLength: String(body.count),
        ], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
    guard let bytes = try await load() else {
      throw APIError(
        status: .gone, code: "media_unavailable",
        message: "the stored bytes of this media are missing from the store")
    }
    var headers: HTTPFields = [
      .contentType: row.mimeType ?? "application/octet-stream",
      .cacheControl: "private, max-age=86400",
      // Served from the API's origin: browsers must not guess a more dangerous type.
      HTTPField.Name("X-Content-Type-Options")!: "nosniff",
      .contentDisposition: row.kind == "document" ? "attachment" : "inline",
      .contentLength: String(bytes.count),
    ]
    if let sha = row.sha256 { headers[.eTag] = "\"\(sha)\"" }
    return Response(
      status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
  }
}

/// What the media route reads of a `media` row.
struct StoredMedia: Sendable {
  /// Where a downloaded media's bytes are.
  enum Content: Sendable {
    /// A file of `media.directory`, by name (SQLite: `media.file`).
    case file(String)
    /// In the store itself (PostgreSQL's `media_chunks`, which every instance reads), loaded
    /// when served; nil when the store has none.
    case stored(@Sendable () async throws -> Data?)
  }

  var status: String
  var mimeType: String?
  var size: Int?
  var sha256: String?
  var content: Content?
  var error: String?
  var kind: String
}
