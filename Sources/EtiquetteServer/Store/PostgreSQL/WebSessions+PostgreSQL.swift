import Foundation
import PostgresNIO

/// The web inbox's sign-in records in PostgreSQL (`web_invitations`, `web_accounts`,
/// `web_sessions`): SQLite's statements, with the one check-then-write each method does made
/// safe between instances by the statement itself or a row lock.
extension PostgresStore: WebSessionStore {
  func storeInvitation(email: String, tokenHash: String, expiresAt: Double) async throws {
    try await client.query(
      """
      INSERT INTO web_invitations (token_hash, email, expires_at, created_at)
      VALUES (\(tokenHash), \(email), \(expiresAt), \(clock.seconds))
      """, logger: logger)
  }

  func invitedMember(tokenHash: String, now: Double) async throws -> String? {
    for try await email in try await client.query(
      """
      SELECT email FROM web_invitations
      WHERE token_hash = \(tokenHash) AND used_at IS NULL AND expires_at > \(now)
      """, logger: logger
    ).decode(String.self) {
      return email
    }
    return nil
  }

  func acceptInvitation(tokenHash: String, passwordHash: String, now: Double) async throws
    -> String?
  {
    let logger = logger
    return try await transaction { connection, _ -> String? in
      // The UPDATE is the check: two submissions of one invitation (on two instances) cannot
      // both use it.
      var used: String?
      for try await email in try await connection.query(
        """
        UPDATE web_invitations SET used_at = \(now)
        WHERE token_hash = \(tokenHash) AND used_at IS NULL AND expires_at > \(now)
        RETURNING email
        """, logger: logger
      ).decode(String.self) {
        used = email
      }
      guard let email = used else { return nil }
      try await connection.query(
        """
        INSERT INTO web_accounts (email, password_hash, updated_at)
        VALUES (\(email), \(passwordHash), \(now))
        ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash,
          updated_at = excluded.updated_at
        """, logger: logger)
      // A new password ends the sessions opened with the old one.
      try await connection.query(
        "DELETE FROM web_sessions WHERE email = \(email)", logger: logger)
      return email
    }
  }

  func passwordHash(email: String) async throws -> String? {
    for try await hash in try await client.query(
      "SELECT password_hash FROM web_accounts WHERE email = \(email)", logger: logger
    ).decode(String.self) {
      return hash
    }
    return nil
  }

  func isRevoked(email: String) async throws -> Bool {
    for try await revoked in try await client.query(
      "SELECT EXISTS (SELECT 1 FROM members WHERE email = \(email) AND revoked_at IS NOT NULL)",
      logger: logger
    ).decode(Bool.self) {
      return revoked
    }
    return false
  }

  func storeSession(idHash: String, email: String, now: Double) async throws {
    try await client.query(
      """
      INSERT INTO web_sessions (id_hash, email, created_at, last_seen_at)
      VALUES (\(idHash), \(email), \(now), \(now))
      """, logger: logger)
  }

  func sessionMember(idHash: String, now: Double, idleSince: Double, touch: Bool) async throws
    -> String?
  {
    let logger = logger
    return try await transaction { connection, _ -> String? in
      var session: (email: String, lastSeen: Double, revoked: Bool)?
      // Locked: an expiry and a touch on two instances do not interleave.
      for try await (email, lastSeen, revoked) in try await connection.query(
        """
        SELECT s.email, s.last_seen_at,
          EXISTS (SELECT 1 FROM members m WHERE m.email = s.email AND m.revoked_at IS NOT NULL)
        FROM web_sessions s WHERE s.id_hash = \(idHash) FOR UPDATE OF s
        """, logger: logger
      ).decode((String, Double, Bool).self) {
        session = (email, lastSeen, revoked)
      }
      guard let session else { return nil }
      guard session.lastSeen >= idleSince, !session.revoked else {
        try await connection.query(
          "DELETE FROM web_sessions WHERE id_hash = \(idHash)", logger: logger)
        return nil
      }
      if touch {
        try await connection.query(
          "UPDATE web_sessions SET last_seen_at = \(now) WHERE id_hash = \(idHash)",
          logger: logger)
      }
      return session.email
    }
  }

  func deleteSession(idHash: String) async throws {
    try await client.query("DELETE FROM web_sessions WHERE id_hash = \(idHash)", logger: logger)
  }

  func deleteSessions(email: String) async throws {
    try await client.query("DELETE FROM web_sessions WHERE email = \(email)", logger: logger)
  }

  func conversationPreviews(ids: [String]) async throws -> [String: ConversationPreview] {
    guard !ids.isEmpty else { return [:] }
    var previews: [String: ConversationPreview] = [:]
    for try await row in try await client.query(
      """
      SELECT m.conversation_id, m.direction, m.author, m.text, m.at,
        (SELECT MAX(i.at) FROM messages i
          WHERE i.conversation_id = m.conversation_id AND i.direction = 'in')
      FROM messages m
      WHERE m.id IN (SELECT MAX(id) FROM messages
        WHERE conversation_id = ANY(\(ids)) GROUP BY conversation_id)
      """, logger: logger)
    {
      let (conversation, direction, author, text, at, customerAt) = try row.decode(
        (String, String, String, String, Double, Double?).self)
      previews[conversation] = ConversationPreview(
        direction: direction, author: author, text: text, at: at, customerAt: customerAt)
    }
    return previews
  }
}

/// The members page's reading of the sign-in records; nothing is written here.
extension PostgresStore: MemberActivityStore {
  func memberActivity(now: Double) async throws -> [String: MemberActivity] {
    let logger = logger
    return try await readSnapshot { connection in
      var activity: [String: MemberActivity] = [:]
      // `a.updated_at` without grouping: `email` is the accounts' key.
      for try await (email, signedInAt, lastSeenAt) in try await connection.query(
        """
        SELECT a.email, GREATEST(a.updated_at, COALESCE(MAX(s.created_at), 0)),
          MAX(s.last_seen_at)
        FROM web_accounts a LEFT JOIN web_sessions s ON s.email = a.email
        GROUP BY a.email
        """, logger: logger
      ).decode((String, Double?, Double?).self) {
        activity[email, default: MemberActivity()].signedInAt = signedInAt
        activity[email, default: MemberActivity()].lastSeenAt = lastSeenAt
      }
      for try await (email, expiresAt) in try await connection.query(
        """
        SELECT email, MAX(expires_at) FROM web_invitations
        WHERE used_at IS NULL AND expires_at > \(now) GROUP BY email
        """, logger: logger
      ).decode((String, Double?).self) {
        activity[email, default: MemberActivity()].invitationExpiresAt = expiresAt
      }
      return activity
    }
  }
}
