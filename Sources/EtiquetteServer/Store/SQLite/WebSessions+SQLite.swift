import Foundation
import GRDB

// The web inbox's tables (migration "web-sessions-v1"): `web_invitations`, `web_accounts`,
// `web_sessions`.
extension SQLiteStore: WebSessionStore {
  /// How long an invitation is valid: a week.
  public static let invitationLifetime: Double = 7 * 24 * 3600

  /// Issues a one-time invitation for `email`, valid `validFor` seconds, and returns its token
  /// (only its hash is stored): what `etiquette member invite` prints inside a URL.
  public func inviteMember(_ email: String, validFor: Double) throws -> String {
    let token = MemberToken.generate()
    let now = clock.seconds
    try pool.write { db in
      try db.execute(
        sql: """
          INSERT INTO web_invitations (token_hash, email, expires_at, created_at)
          VALUES (?, ?, ?, ?)
          """,
        arguments: [MemberToken.hash(token), email, now + validFor, now])
    }
    return token
  }

  func storeInvitation(email: String, tokenHash: String, expiresAt: Double) async throws {
    let now = clock.seconds
    try await pool.write { db in
      try db.execute(
        sql: """
          INSERT INTO web_invitations (token_hash, email, expires_at, created_at)
          VALUES (?, ?, ?, ?)
          """,
        arguments: [tokenHash, email, expiresAt, now])
    }
  }

  func invitedMember(tokenHash: String, now: Double) async throws -> String? {
    try await pool.read { db in
      try String.fetchOne(
        db,
        sql: """
          SELECT email FROM web_invitations
          WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
          """,
        arguments: [tokenHash, now])
    }
  }

  func acceptInvitation(tokenHash: String, passwordHash: String, now: Double) async throws
    -> String?
  {
    try await pool.write { db in
      // The UPDATE is the check: two submissions of one invitation cannot both use it.
      guard
        let email = try String.fetchOne(
          db,
          sql: """
            UPDATE web_invitations SET used_at = ?
            WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
            RETURNING email
            """,
          arguments: [now, tokenHash, now])
      else { return nil }
      try db.execute(
        sql: """
          INSERT INTO web_accounts (email, password_hash, updated_at) VALUES (?, ?, ?)
          ON CONFLICT(email) DO UPDATE SET password_hash = excluded.password_hash,
            updated_at = excluded.updated_at
          """,
        arguments: [email, passwordHash, now])
      // A new password ends the sessions opened with the old one.
      try db.execute(sql: "DELETE FROM web_sessions WHERE email = ?", arguments: [email])
      return email
    }
  }

  func passwordHash(email: String) async throws -> String? {
    try await pool.read { db in
      try String.fetchOne(
        db, sql: "SELECT password_hash FROM web_accounts WHERE email = ?", arguments: [email])
    }
  }

  func isRevoked(email: String) async throws -> Bool {
    try await pool.read { db in
      try Bool.fetchOne(
        db,
        sql: "SELECT EXISTS (SELECT 1 FROM members WHERE email = ? AND revoked_at IS NOT NULL)",
        arguments: [email]) ?? false
    }
  }

  func storeSession(idHash: String, email: String, now: Double) async throws {
    try await pool.write { db in
      try db.execute(
        sql: """
          INSERT INTO web_sessions (id_hash, email, created_at, last_seen_at) VALUES (?, ?, ?, ?)
          """,
        arguments: [idHash, email, now, now])
    }
  }

  func sessionMember(idHash: String, now: Double, idleSince: Double, touch: Bool) async throws
    -> String?
  {
    try await pool.write { db in
      guard
        let row = try Row.fetchOne(
          db,
          sql: """
            SELECT s.email, s.last_seen_at,
              EXISTS (SELECT 1 FROM members m WHERE m.email = s.email
                AND m.revoked_at IS NOT NULL) AS revoked
            FROM web_sessions s WHERE s.id_hash = ?
            """,
          arguments: [idHash])
      else { return nil }
      let lastSeen: Double = row["last_seen_at"]
      let revoked: Bool = row["revoked"]
      guard lastSeen >= idleSince, !revoked else {
        try db.execute(sql: "DELETE FROM web_sessions WHERE id_hash = ?", arguments: [idHash])
        return nil
      }
      if touch {
        try db.execute(
          sql: "UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ?",
          arguments: [now, idHash])
      }
      return row["email"]
    }
  }

  func deleteSession(idHash: String) async throws {
    try await pool.write { db in
      try db.execute(sql: "DELETE FROM web_sessions WHERE id_hash = ?", arguments: [idHash])
    }
  }

  func deleteSessions(email: String) async throws {
    try await pool.write { db in
      try db.execute(sql: "DELETE FROM web_sessions WHERE email = ?", arguments: [email])
    }
  }

  func conversationPreviews(ids: [String]) async throws -> [String: ConversationPreview] {
    guard !ids.isEmpty else { return [:] }
    return try await pool.read { db in
      let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT m.conversation_id, m.direction, m.author, m.text, m.at,
            (SELECT MAX(i.at) FROM messages i
              WHERE i.conversation_id = m.conversation_id AND i.direction = 'in') AS customer_at
          FROM messages m
          WHERE m.id IN (SELECT MAX(id) FROM messages
            WHERE conversation_id IN (\(placeholders)) GROUP BY conversation_id)
          """,
        arguments: StatementArguments(ids))
      var previews: [String: ConversationPreview] = [:]
      for row in rows {
        previews[row["conversation_id"]] = ConversationPreview(
          direction: row["direction"], author: row["author"], text: row["text"], at: row["at"],
          customerAt: row["customer_at"])
      }
      return previews
    }
  }
}
