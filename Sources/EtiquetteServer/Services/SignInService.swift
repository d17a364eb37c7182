import Crypto
import Foundation

/// Signing in to the web inbox: invitations, passwords, sessions and their CSRF tokens.
///
/// A session is valid while its member is in a team of the current rules and not revoked
/// (`etiquette member revoke`), and while it is used at least every `idleLimit` seconds; each
/// request checks all three, so a member removed from the rules loses access at their next
/// request. Sessions are stored as the SHA-256 of their cookie.
struct SignInService: Sendable {
  let store: any WebSessionStore
  let rules: RuleHolder
  let clock: WallClock
  /// How long a session survives unused.
  var idleLimit: Double = 8 * 3600
  /// How long an invitation is valid.
  static let invitationLifetime = SQLiteStore.invitationLifetime
  /// PBKDF2 rounds for new passwords (tests lower them; the stored text keeps its own).
  var passwordRounds = MemberPassword.defaultRounds
  let throttle: SignInThrottle

  init(store: any WebSessionStore, rules: RuleHolder, clock: WallClock) {
    self.store = store
    self.rules = rules
    self.clock = clock
    throttle = SignInThrottle(clock: clock)
  }

  enum Outcome: Sendable, Equatable {
    /// The session's cookie value.
    case signedIn(session: String)
    case refused
    /// Too many failures for this account or address: try again later.
    case throttled
    case passwordTooShort
    case invitationInvalid
  }

  func isMember(_ email: String) -> Bool { rules.current.ruleSet.member(email) != nil }

  /// A one-time invitation token (what the URL carries) for a member of the rules.
  func invite(_ email: String) async throws -> String? {
    guard isMember(email) else { return nil }
    let token = MemberToken.generate()
    try await store.storeInvitation(
      email: email, tokenHash: MemberToken.hash(token),
      expiresAt: clock.seconds + Self.invitationLifetime)
    return token
  }

  func invitedMember(token: String) async throws -> String? {
    guard
      let email = try await store.invitedMember(
        tokenHash: MemberToken.hash(token), now: clock.seconds), isMember(email)
    else { return nil }
    return email
  }

  /// Sets the password an invitation asks for and opens a session.
  func acceptInvitation(token: String, password: String) async throws -> Outcome {
    guard password.count >= MemberPassword.minimumLength else { return .passwordTooShort }
    guard try await invitedMember(token: token) != nil else { return .invitationInvalid }
    let stored = try MemberPassword.hash(password, rounds: passwordRounds)
    guard
      let email = try await store.acceptInvitation(
        tokenHash: MemberToken.hash(token), passwordHash: stored, now: clock.seconds)
    else { return .invitationInvalid }
    return .signedIn(session: try await openSession(for: email))
  }

  /// Checks a password; failures count against the account and the address.
  func signIn(email: String, password: String, address: String) async throws -> Outcome {
    let keys = ["account:" + email.lowercased(), "address:" + address]
    guard throttle.allows(keys) else { return .throttled }
    let stored = try await store.passwordHash(email: email)
    // An unknown e-mail costs the same KDF as a known one: timing tells nothing.
    let matches = MemberPassword.verify(password, against: stored ?? Self.decoy(passwordRounds))
    guard stored != nil, matches, isMember(email), try await !store.isRevoked(email: email)
    else {
      throttle.recordFailure(keys)
      return .refused
    }
    throttle.reset("account:" + email.lowercased())
    return .signedIn(session: try await openSession(for: email))
  }

  private func openSession(for email: String) async throws -> String {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let session = "ets_" + bytes.hexString
    try await store.storeSession(
      idHash: MemberToken.hash(session), email: email, now: clock.seconds)
    return session
  }

  /// The member of a session cookie, or nil: unknown, idle too long, revoked, or no longer in
  /// the rules (its sessions then end). `touch`: the request is the member's doing, so the idle
  /// time starts again (the live stream checks without touching: an open tab is not activity).
  func member(session: String, touch: Bool = true) async throws -> String? {
    let now = clock.seconds
    guard
      let email = try await store.sessionMember(
        idHash: MemberToken.hash(session), now: now, idleSince: now - idleLimit, touch: touch)
    else { return nil }
    guard isMember(email) else {
      try await store.deleteSessions(email: email)
      return nil
    }
    return email
  }

  func signOut(session: String) async throws {
    try await store.deleteSession(idHash: MemberToken.hash(session))
  }

  /// The CSRF token of a session: derived from the cookie (which a page of another site
  /// cannot read), so nothing more is stored.
  static func csrfToken(session: String) -> String {
    SHA256.hash(data: Data(("csrf:" + session).utf8)).hexString
  }

  static func isValidCSRF(_ submitted: String?, session: String) -> Bool {
    guard let submitted else { return false }
    return InboxServer.constantTimeEqual(submitted, csrfToken(session: session))
  }

  /// A stored hash no password matches, verified for unknown e-mails at the cost of a real one.
  static func decoy(_ rounds: Int) -> String {
    "pbkdf2-sha256$\(rounds)$00000000000000000000000000000000$" + String(repeating: "0", count: 64)
  }
}

/// Failed sign-ins per account and per address over a sliding window: past the limit, sign-in
/// is refused without checking the password, which bounds online guessing.
final class SignInThrottle: @unchecked Sendable {
  /// Failures allowed per key in `window` seconds (an address may hold several members).
  let limits: (account: Int, address: Int) = (5, 20)
  let window: Double = 15 * 60
  let clock: WallClock
  // NSLock rather than `Mutex`: the package still supports macOS 14. INVARIANT: `table` is
  // read and written under `lock` only.
  private let lock = NSLock()
  private var table: [String: [Double]] = [:]

  init(clock: WallClock) { self.clock = clock }

  func allows(_ keys: [String]) -> Bool {
    let since = clock.seconds - window
    return lock.withLock {
      keys.allSatisfy { key in
        let recent = (table[key] ?? []).filter { $0 > since }
        table[key] = recent
        return recent.count < (key.hasPrefix("account:") ? limits.account : limits.address)
      }
    }
  }

  func recordFailure(_ keys: [String]) {
    let now = clock.seconds
    lock.withLock {
      for key in keys { table[key, default: []].append(now) }
    }
  }

  func reset(_ key: String) {
    _ = lock.withLock { table.removeValue(forKey: key) }
  }
}
