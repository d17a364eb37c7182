import AsyncHTTPClient
import Crypto
import EtiquetteEngine
import Foundation
import GRDB
import Logging
import NIOCore

extension MediaDownloads {
  /// Records a media id announced by a webhook, in the webhook's transaction.
  static func record(
    _ media: WhatsAppPayload.MediaReference, conversation: String, whatsappID: String,
    at now: Double, in db: Database, hub: IntegrationHub?
  ) throws {
    try db.executeCached(
      sql: """
        INSERT OR IGNORE INTO media (id, conversation_id, message_wa_id, kind, declared_mime,
          declared_sha256, status, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)
        """,
      arguments: [
        media.id, conversation, whatsappID, media.kind, media.mimeType, media.sha256, now, now,
      ])
    if db.changesCount > 0, let hub {
      try SQLiteStore.enqueueJob(
        db, .mediaDownload, subject: media.id, orderingKey: nil, runAt: now, now: now,
        bell: hub.jobs)
    }
  }
}

/// The inbound media queue (`media` rows, `pending` until downloaded) and what the media route
/// reads of it.
extension SQLiteStore {
  func pendingMedia(id: String) async throws -> MediaDownloads.Pending? {
    try await pool.read { db in
      try Row.fetchOne(
        db,
        sql: """
          SELECT id, kind, declared_mime, declared_sha256, attempts FROM media
          WHERE id = ? AND status = 'pending'
          """, arguments: [id]
      ).map { row in
        MediaDownloads.Pending(
          id: row["id"], kind: row["kind"], declaredMime: row["declared_mime"],
          declaredSHA256: row["declared_sha256"], attempts: row["attempts"])
      }
    }
  }

  func recordMediaAttempt(_ record: MediaAttemptRecord, attempts: Int, job: Job, at now: Double)
    async throws -> Bool
  {
    let bell = bell
    let id = job.subject
    return try await pool.write { db in
      let held: Bool =
        switch record {
        case .retry(_, let next): try Self.retryJob(db, job, runAt: next, now: now, bell: bell)
        case .stored, .failed: try Self.finishJob(db, job, bell: bell)
        }
      guard held else { return false }
      switch record {
      case .stored(let file):
        try db.execute(
          sql: """
            UPDATE media SET status = 'stored', mime_type = ?, size = ?, sha256 = ?, file = ?,
              error = NULL, attempts = ?, next_attempt_at = NULL, updated_at = ?
            WHERE id = ?
            """,
          arguments: [file.mimeType, file.size, file.sha256, file.file, attempts, now, id])
      case .retry(let reason, let next):
        try db.execute(
          sql: """
            UPDATE media SET error = ?, attempts = ?, next_attempt_at = ?, updated_at = ?
            WHERE id = ?
            """, arguments: [reason, attempts, next, now, id])
      case .failed(let reason):
        try db.execute(
          sql: """
            UPDATE media SET status = 'failed', error = ?, attempts = ?, next_attempt_at = NULL,
              updated_at = ?
            WHERE id = ?
            """, arguments: [reason, attempts, now, id])
      }
      return true
    }
  }

  /// A media row with the stored labels of its conversation, or nil; `mayView` (given the
  /// labels) decides in the same read whether the caller may see it.
  func media(id: String, mayView: @escaping @Sendable ([String]) -> Bool) async throws
    -> StoredMedia?
  {
    try await pool.read { db -> StoredMedia? in
      guard
        let row = try Row.fetchOne(
          db,
          sql: "SELECT status, mime_type, size, sha256, file, error, kind, conversation_id "
            + "FROM media WHERE id = ?", arguments: [id])
      else { return nil }
      guard mayView(try ConversationQueries.labels(db, id: row["conversation_id"])) else {
        return nil
      }
      return StoredMedia(
        status: row["status"], mimeType: row["mime_type"], size: row["size"],
        sha256: row["sha256"], content: (row["file"] as String?).map(StoredMedia.Content.file),
        error: row["error"], kind: row["kind"])
    }
  }
}
