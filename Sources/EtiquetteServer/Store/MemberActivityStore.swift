import Foundation

/// What the console's members page reads of the web inbox's sign-in records: whether each
/// member has signed in, and when last as far as the store still knows (a session ended by
/// sign-out or idleness is deleted with its times; the password's time stays).
protocol MemberActivityStore: Sendable {
  /// Every member with an account, an open session or a pending invitation, by e-mail.
  func memberActivity(now: Double) async throws -> [String: MemberActivity]
}

/// One member's sign-in records, in seconds since 1970.
struct MemberActivity: Sendable, Hashable {
  /// The latest sign-in known: the newest open session, or when the password was chosen (an
  /// invitation accepted signs in).
  var signedInAt: Double?
  /// The last request of a session still open.
  var lastSeenAt: Double?
  /// When the newest unused invitation expires, if one is pending.
  var invitationExpiresAt: Double?
}
