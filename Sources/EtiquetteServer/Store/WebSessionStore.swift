import Foundation

/// The web inbox's sign-in records: one-time invitations, members' password hashes and
/// server-side sessions. Every secret is stored as a hash (a token's SHA-256, a password's
/// KDF output), so a copy of the database signs nobody in.
protocol WebSessionStore: Sendable {
  /// Stores an invitation; `tokenHash` is the SHA-256 of the token the URL carries.
  func storeInvitation(email: String, tokenHash: String, expiresAt: Double) async throws
  /// The member an unused, unexpired invitation is for.
  func invitedMember(tokenHash: String, now: Double) async throws -> String?
  /// Uses the invitation (once) and sets the member's password in one transaction: nil when
  /// the invitation is unknown, used or expired.
  func acceptInvitation(tokenHash: String, passwordHash: String, now: Double) async throws
    -> String?
  /// The stored KDF output of a member's password.
  func passwordHash(email: String) async throws -> String?
  /// True when the member's API token was revoked (`etiquette member revoke`): that ends
  /// their web access too.
  func isRevoked(email: String) async throws -> Bool
  func storeSession(idHash: String, email: String, now: Double) async throws
  /// The member of a live session, whose idle time starts again at `now` when `touch`; nil (and
  /// the session deleted) when it was last used before `idleSince` or its member was revoked.
  func sessionMember(idHash: String, now: Double, idleSince: Double, touch: Bool) async throws
    -> String?
  func deleteSession(idHash: String) async throws
  /// Ends every session of a member (removed from the rules).
  func deleteSessions(email: String) async throws
  /// The last line of each listed conversation, for the list's previews.
  func conversationPreviews(ids: [String]) async throws -> [String: ConversationPreview]
}

/// The last line of a conversation as the list shows it.
struct ConversationPreview: Sendable, Hashable {
  /// `in` (customer), `out` (agent or AI), `event` or `echo`.
  var direction: String
  var author: String
  var text: String
  var at: Double
  /// When the customer last wrote (seconds since 1970): WhatsApp's 24-hour window for free
  /// replies runs from there.
  var customerAt: Double?
}
