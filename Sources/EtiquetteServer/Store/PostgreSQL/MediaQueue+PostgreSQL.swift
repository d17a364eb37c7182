import Foundation
import PostgresNIO

/// The inbound media queue (`media` rows, `pending` until downloaded) in PostgreSQL: the same
/// rows and outcomes as SQLite's (`MediaDownloads+SQLite.swift`), except where the bytes live.
/// Instances share no directory, so a downloaded file is copied into `media_chunks` in the
/// transaction that marks it stored (every instance serves it from there; `media.file` stays
/// null), and the worker's file is removed once committed.
extension PostgresStore: MediaQueue {
  /// The size of one `media_chunks` row: a bounded bind and a bounded read, whatever the
  /// file's size (`media.max_bytes`).
  static let mediaChunkSize = 256 * 1024

  func pendingMedia(id: String) async throws -> MediaDownloads.Pending? {
    let rows = try await client.query(
      """
      SELECT id, kind, declared_mime, declared_sha256, attempts FROM media
      WHERE id = \(id) AND status = 'pending'
      """, logger: logger)
    for try await (id, kind, declaredMime, declaredSHA256, attempts) in rows.decode(
      (String, String, String?, String?, Int).self)
    {
      return MediaDownloads.Pending(
        id: id, kind: kind, declaredMime: declaredMime, declaredSHA256: declaredSHA256,
        attempts: attempts)
    }
    return nil
  }

  func recordMediaAttempt(_ record: MediaAttemptRecord, attempts: Int, job: Job, at now: Double)
    async throws -> Bool
  {
    let bell = bell
    let logger = logger
    let id = job.subject
    return try await transaction { connection, after in
      let held: Bool =
        switch record {
        case .retry(_, let next):
          try await Self.retryJob(connection, job, runAt: next, now: now, logger: logger)
        case .stored, .failed: try await Self.finishJob(connection, job, logger: logger)
        }
      guard held else { return false }
      switch record {
      case .stored(let file):
        try await connection.query(
          """
          UPDATE media SET status = 'stored', mime_type = \(file.mimeType), size = \(file.size),
            sha256 = \(file.sha256), file = NULL, error = NULL, attempts = \(attempts),
            next_attempt_at = NULL, updated_at = \(now)
          WHERE id = \(id)
          """, logger: logger)
        try await Self.storeMediaChunks(of: id, from: file.path, on: connection, logger: logger)
        // Once committed the database has the bytes; a rollback leaves the file for the next
        // attempt (which downloads it again anyway).
        let path = file.path
        after.add { try? FileManager.default.removeItem(atPath: path) }
      case .retry(let reason, let next):
        try await connection.query(
          """
          UPDATE media SET error = \(reason), attempts = \(attempts), next_attempt_at = \(next),
            updated_at = \(now)
          WHERE id = \(id)
          """, logger: logger)
        after.ring(bell, [job.kind])
      case .failed(let reason):
        try await connection.query(
          """
          UPDATE media SET status = 'failed', error = \(reason), attempts = \(attempts),
            next_attempt_at = NULL, updated_at = \(now)
          WHERE id = \(id)
          """, logger: logger)
      }
      return true
    }
  }

  /// Copies the file at `path` into `media_chunks` (parts 0, 1, … of `mediaChunkSize` bytes; an
  /// empty file has no part), replacing any parts the media had.
  static func storeMediaChunks(
    of id: String, from path: String, on connection: PostgresConnection, logger: Logger
  ) async throws {
    try await connection.query("DELETE FROM media_chunks WHERE media_id = \(id)", logger: logger)
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw MediaChunkError.unreadable(path)
    }
    defer { try? handle.close() }
    var part: Int32 = 0
    while let bytes = try handle.read(upToCount: mediaChunkSize), !bytes.isEmpty {
      try await connection.query(
        "INSERT INTO media_chunks (media_id, part, bytes) VALUES (\(id), \(part), \(bytes))",
        logger: logger)
      part += 1
    }
  }
}

/// Why a downloaded file could not be copied into the database: the attempt is not recorded
/// (its transaction rolls back) and runs again once its lease expires.
enum MediaChunkError: Error, CustomStringConvertible {
  case unreadable(String)

  var description: String {
    switch self {
    case .unreadable(let path): "cannot read the downloaded media file \(path)"
    }
  }
}
