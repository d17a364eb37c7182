import Foundation
import GRDB

// The members page's reading of `web_accounts`, `web_sessions` and `web_invitations`
// (migration "web-sessions-v1"); nothing is written here.
extension SQLiteStore: MemberActivityStore {
  func memberActivity(now: Double) async throws -> [String: MemberActivity] {
    try await pool.read { db in
      var activity: [String: MemberActivity] = [:]
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT a.email, MAX(a.updated_at, COALESCE(MAX(s.created_at), 0)) AS signed_in_at,
            MAX(s.last_seen_at) AS last_seen_at
          FROM web_accounts a LEFT JOIN web_sessions s ON s.email = a.email
          GROUP BY a.email
          """)
      {
        activity[row["email"], default: MemberActivity()].signedInAt = row["signed_in_at"]
        activity[row["email"], default: MemberActivity()].lastSeenAt = row["last_seen_at"]
      }
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT email, MAX(expires_at) AS expires_at FROM web_invitations
          WHERE used_at IS NULL AND expires_at > ? GROUP BY email
          """,
        arguments: [now])
      {
        activity[row["email"], default: MemberActivity()].invitationExpiresAt = row["expires_at"]
      }
      return activity
    }
  }
}
