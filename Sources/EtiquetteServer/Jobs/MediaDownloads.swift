import AsyncHTTPClient
import Crypto
import EtiquetteEngine
import Foundation
import Logging
import NIOCore

/// Inbound WhatsApp media: recorded at intake (a `media` row per media id, status `pending`),
/// then resolved and downloaded by this worker into `media.directory`, and served by
/// `GET /v1/media/{id}`.
///
/// One download: `GET {graph_base}/{media_id}` (bearer) → `{url, mime_type, sha256,
/// file_size}`; then `GET url` (bearer), streamed to a temporary file, aborted as soon as it
/// passes `media.max_bytes`; the answer's Content-Type must agree with the metadata and be a
/// type WhatsApp allows for the message's type; the SHA-256 must match; only then is the file
/// renamed into place. The stored name is derived from the media id by hashing, so no part of
/// a path ever comes from outside.
struct MediaDownloads: Sendable {
  let store: any InboxStore
  let hub: IntegrationHub
  let whatsapp: ServerConfiguration.WhatsAppSending
  let storage: ServerConfiguration.MediaStorage
  let logger: Logger
  var concurrency = 2

  // MARK: - Intake

  /// A URL path component: unreserved characters kept, everything else percent-encoded.
  static func pathComponent(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
  }

  /// The stored file's name: a hash of the media id, never a path given from outside.
  static func fileName(mediaID: String) -> String {
    SHA256.hash(data: Array("etiquette-media:\(mediaID)".utf8))
      .hexString
  }

  // MARK: - Content types

  /// `Audio/OGG; codecs=opus` → `audio/ogg`.
  static func baseType(_ contentType: String?) -> String? {
    guard let contentType else { return nil }
    let base = contentType.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
    let trimmed = base.trimmingCharacters(in: .whitespaces).lowercased()
    return trimmed.isEmpty ? nil : trimmed
  }

  /// The types WhatsApp's "supported media types" table lists per message type.
  static let allowedTypes: [String: Set<String>] = [
    "image": ["image/jpeg", "image/png"],
    "sticker": ["image/webp"],
    "audio": ["audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg", "audio/opus"],
    "video": ["video/mp4", "video/3gpp", "video/3gp"],
    "document": [
      "text/plain", "application/pdf", "application/msword", "application/vnd.ms-excel",
      "application/vnd.ms-powerpoint",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ],
  ]

  /// Types a browser would run if served from this origin: never stored.
  static let activeTypes: Set<String> = [
    "text/html", "application/xhtml+xml", "image/svg+xml", "text/javascript",
    "application/javascript", "text/xml", "application/xml",
  ]

  /// Customers can send any file as a document, so beyond the listed types a document may be
  /// any other `application/*` or `text/*` type that is not active content.
  static func isAllowed(_ type: String, kind: String) -> Bool {
    if allowedTypes[kind]?.contains(type) == true { return true }
    guard kind == "document", !activeTypes.contains(type) else { return false }
    return type.hasPrefix("application/") || type.hasPrefix("text/")
  }

  // MARK: - The worker

  struct Pending: Sendable {
    var id: String
    var kind: String
    var declaredMime: String?
    var declaredSHA256: String?
    var attempts: Int
  }

  struct Stored: Sendable {
    var mimeType: String
    var size: Int
    var sha256: String
    /// The file's name in `directory` (see `fileName`).
    var file: String
    /// Where the worker left the file (`media.directory`): SQLite serves it from there, while
    /// PostgreSQL copies it into the database, which every instance serves from, and removes
    /// it.
    var directory: String

    var path: String { URL(fileURLWithPath: directory).appendingPathComponent(file).path }
  }

  enum Outcome: Sendable {
    case stored(Stored)
    case retry(String, retryAfter: Double?)
    case failed(String)
  }

  func worker() -> JobWorker {
    JobWorker(
      name: "media", kinds: [.mediaDownload], store: store, clock: hub.clock, logger: logger,
      concurrency: concurrency,
      // Metadata, then the transfer: each within its own deadline (see `download`).
      lease: 2 * whatsapp.retry.timeout + Double(storage.maxBytes) / 1_000_000 + 5
    ) { job in
      await attempt(job)
    }
  }

  func attempt(_ job: Job) async {
    let item: Pending
    do {
      guard let pending = try await store.pendingMedia(id: job.subject) else {
        try await store.finishJob(job)
        return
      }
      item = pending
    } catch {
      logger.error("media \(job.subject) unreadable: \(error)")
      return
    }
    let outcome = await download(item)
    // Stopped mid-download: nothing is recorded, the next run starts it again.
    if Task.isCancelled { return }
    let attempts = item.attempts + 1
    let policy = whatsapp.retry
    let now = hub.clock.seconds
    do {
      let record: MediaAttemptRecord
      switch outcome {
      case .stored(let file): record = .stored(file)
      case .retry(let reason, let retryAfter) where attempts < policy.maxAttempts:
        let delay = GraphAPI.delay(attempt: attempts, retryAfter: retryAfter, policy: policy)
        record = .retry(reason, nextAttemptAt: now + delay)
      case .retry(let reason, _), .failed(let reason): record = .failed(reason)
      }
      guard try await store.recordMediaAttempt(record, attempts: attempts, job: job, at: now)
      else {
        logger.warning("media \(item.id): the download outlived its lease")
        return
      }
    } catch {
      logger.error("media \(item.id): could not record the outcome: \(error)")
      return
    }
    switch outcome {
    case .stored: break
    case .retry(let reason, _) where attempts < policy.maxAttempts:
      logger.info("media \(item.id): \(reason); will retry")
    case .retry(let reason, _), .failed(let reason):
      logger.warning("media \(item.id) not downloaded: \(reason)")
    }
  }

  /// What the Graph API says about a media id.
  struct Metadata: Sendable {
    var url: String
    var mimeType: String?
    var sha256: String?
    var fileSize: Int?
  }

  func download(_ item: Pending) async -> Outcome {
    let metadata: Metadata
    switch await resolve(item) {
    case .failure(let outcome): return outcome
    case .success(let value): metadata = value
    }
    if let size = metadata.fileSize, size > storage.maxBytes {
      return .failed(
        "the file is \(size) bytes, more than media.max_bytes (\(storage.maxBytes))")
    }
    guard let expected = Self.baseType(metadata.mimeType ?? item.declaredMime) else {
      return .failed("the Graph API gave no mime_type for this media")
    }
    guard Self.isAllowed(expected, kind: item.kind) else {
      return .failed("\(expected) is not a type WhatsApp allows for \(item.kind) messages")
    }
    return await fetchFile(
      item, url: metadata.url, expectedType: expected,
      expectedSHA256: metadata.sha256 ?? item.declaredSHA256)
  }

  enum Resolution: Sendable {
    case success(Metadata)
    case failure(Outcome)
  }

  /// `GET {graph_base}/{media_id}?phone_number_id=…`.
  func resolve(_ item: Pending) async -> Resolution {
    let phone = MediaDownloads.pathComponent(whatsapp.phoneNumberID)
    let request = HTTPClientRequest(
      url: GraphAPI.url(whatsapp.graphBase, item.id) + "?phone_number_id=\(phone)")
    do {
      let (status, headers, body) = try await GraphAPI.call(
        request, token: whatsapp.accessToken, http: hub.http, timeout: whatsapp.retry.timeout)
      guard (200..<300).contains(status) else {
        switch GraphAPI.verdict(
          status: status, headers: headers, body: body, now: hub.clock.now())
        {
        case .retry(let failure, let retryAfter):
          return .failure(.retry("media lookup: \(failure.title)", retryAfter: retryAfter))
        case .permanent(let failure):
          return .failure(
            .failed(
              "media lookup: \(failure.code.map { "#\($0) " } ?? "")\(failure.title)"))
        }
      }
      guard let json = try? JSONValue.parse(bytes: body),
        let url = json["url"]?.stringValue, !url.isEmpty
      else {
        return .failure(.retry("the media lookup answered without a url", retryAfter: nil))
      }
      var size: Int?
      switch json["file_size"] {
      case .string(let text)?: size = Int(text)
      case .number(let n)?: size = Int(exactly: n)
      default: size = nil
      }
      return .success(
        Metadata(
          url: url, mimeType: json["mime_type"]?.stringValue,
          sha256: json["sha256"]?.stringValue, fileSize: size))
    } catch {
      return .failure(.retry(GraphAPI.describe(error), retryAfter: nil))
    }
  }

  /// Why a streamed download stopped.
  enum DownloadStop: Error {
    case tooBig(Int)
    case status(Int, retryAfter: Double?)
    case contentType(String?)
    case file(String)
  }

  func fetchFile(_ item: Pending, url: String, expectedType: String, expectedSHA256: String?)
    async -> Outcome
  {
    let directory = URL(fileURLWithPath: storage.directory, isDirectory: true)
    let name = Self.fileName(mediaID: item.id)
    let partial = directory.appendingPathComponent(".\(name).partial")
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      return .retry("cannot create media.directory \(directory.path): \(error)", retryAfter: nil)
    }
    var request = HTTPClientRequest(url: url)
    request.headers.add(name: "Authorization", value: "Bearer \(whatsapp.accessToken)")
    let snapshot = request
    let http = hub.http
    let limit = storage.maxBytes
    let timeout = whatsapp.retry.timeout
    // The whole transfer's deadline: the timeout plus one second per megabyte allowed, so a
    // slow but moving download of a large file is not cut, and a stalled one is.
    let deadline = timeout + Double(limit) / 1_000_000
    defer { try? FileManager.default.removeItem(at: partial) }
    do {
      let (size, digest, contentType) = try await Deadline.run(seconds: deadline) {
        let response = try await http.execute(
          snapshot, timeout: .milliseconds(Int64(timeout * 1000)))
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
          throw DownloadStop.status(
            status,
            retryAfter: GraphAPI.retryAfter(
              response.headers.first(name: "Retry-After"), now: hub.clock.now()))
        }
        let contentType = Self.baseType(response.headers.first(name: "Content-Type"))
        guard contentType == expectedType else { throw DownloadStop.contentType(contentType) }
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init),
          length > limit
        {
          throw DownloadStop.tooBig(length)
        }
        guard FileManager.default.createFile(atPath: partial.path, contents: nil),
          let handle = FileHandle(forWritingAtPath: partial.path)
        else { throw DownloadStop.file("cannot write \(partial.path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        var total = 0
        for try await chunk in response.body {
          total += chunk.readableBytes
          // Stop reading as soon as the limit is passed, whatever Content-Length claimed.
          if total > limit { throw DownloadStop.tooBig(total) }
          let bytes = Data(chunk.readableBytesView)
          hasher.update(data: bytes)
          try handle.write(contentsOf: bytes)
        }
        try handle.synchronize()
        return (total, Array(hasher.finalize()), contentType ?? expectedType)
      }
      let hex = digest.hexString
      if let expected = expectedSHA256?.trimmingCharacters(in: .whitespaces), !expected.isEmpty,
        expected.lowercased() != hex, expected != Data(digest).base64EncodedString()
      {
        // A transfer corrupted on the way is worth another try; a lasting mismatch ends failed.
        return .retry(
          "the file's SHA-256 (\(hex)) does not match the announced \(expected)",
          retryAfter: nil)
      }
      let final = directory.appendingPathComponent(name)
      try? FileManager.default.removeItem(at: final)
      try FileManager.default.moveItem(at: partial, to: final)
      return .stored(
        Stored(
          mimeType: contentType, size: size, sha256: hex, file: name,
          directory: directory.path))
    } catch DownloadStop.tooBig(let size) {
      return .failed(
        "the file is larger than media.max_bytes (\(limit)): \(size) bytes or more")
    } catch DownloadStop.contentType(let type) {
      return .failed(
        "the download's Content-Type \(type ?? "(none)") does not agree with the announced "
          + expectedType)
    } catch DownloadStop.status(let status, let retryAfter) {
      // Meta's media URLs expire within minutes: an answer like 401, 403 or 404 is retried,
      // and the next attempt asks the Graph API for a fresh URL.
      return .retry("the media download answered HTTP \(status)", retryAfter: retryAfter)
    } catch DownloadStop.file(let reason) {
      return .retry(reason, retryAfter: nil)
    } catch {
      return .retry("media download: \(GraphAPI.describe(error))", retryAfter: nil)
    }
  }
}
