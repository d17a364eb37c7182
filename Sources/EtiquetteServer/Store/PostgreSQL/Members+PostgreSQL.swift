import Foundation
import PostgresNIO

/// Members, their API tokens (hashes only) and their invitations to the web inbox, in
/// PostgreSQL: what `etiquette member` manages.
extension PostgresStore: MemberDirectory {
  /// Issues a new token for the member (replacing any previous one) and returns it; only its
  /// hash is stored. One upsert: two instances adding the same member leave one row.
  public func addMember(_ email: String) async throws -> String {
    let token = MemberToken.generate()
    let hash = MemberToken.hash(token)
    let now = clock.seconds
    try await client.query(
      """
      INSERT INTO members (email, token_hash, created_at, revoked_at)
      VALUES (\(email), \(hash), \(now), NULL)
      ON CONFLICT (email) DO UPDATE SET token_hash = excluded.token_hash,
        created_at = excluded.created_at, revoked_at = NULL
      """, logger: logger)
    return token
  }

  public func members() async throws -> [MemberRow] {
    var rows: [MemberRow] = []
    for try await (email, createdAt, revokedAt) in try await client.query(
      "SELECT email, created_at, revoked_at FROM members ORDER BY email", logger: logger
    ).decode((String, Double, Double?).self) {
      rows.append(
        MemberRow(
          email: email, createdAt: Date(timeIntervalSince1970: createdAt),
          revokedAt: revokedAt.map(Date.init(timeIntervalSince1970:))))
    }
    return rows
  }

  /// Returns false when the email has no active token.
  public func revokeMember(_ email: String) async throws -> Bool {
    let revoked = try await client.query(
      """
      UPDATE members SET revoked_at = \(clock.seconds)
      WHERE email = \(email) AND revoked_at IS NULL RETURNING email
      """, logger: logger)
    for try await _ in revoked.decode(String.self) { return true }
    return false
  }

  /// The email of an active token's member.
  public func member(forToken token: String) async throws -> String? {
    let hash = MemberToken.hash(token)
    for try await email in try await client.query(
      "SELECT email FROM members WHERE token_hash = \(hash) AND revoked_at IS NULL",
      logger: logger
    ).decode(String.self) {
      return email
    }
    return nil
  }

  /// Issues a one-time invitation for `email`, valid `validFor` seconds, and returns its token
  /// (only its hash is stored).
  public func inviteMember(_ email: String, validFor: Double) async throws -> String {
    let token = MemberToken.generate()
    let now = clock.seconds
    try await client.query(
      """
      INSERT INTO web_invitations (token_hash, email, expires_at, created_at)
      VALUES (\(MemberToken.hash(token)), \(email), \(now + validFor), \(now))
      """, logger: logger)
    return token
  }
}
