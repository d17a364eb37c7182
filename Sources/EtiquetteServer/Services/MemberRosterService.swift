import EtiquetteChecker
import Foundation

/// The console's « Membres » (issue 17): the members named in the rules and the AI agents of
/// the configuration, with their sign-in records and API tokens; invite, revoke, issue a
/// token. The same store calls as `etiquette member` and the sign-in pages: an invitation is
/// `SignInService.invite`, a token `MemberDirectory.addMember` (which, as `member add` does,
/// lifts a revocation), a revocation `MemberDirectory.revokeMember`.
struct MemberRosterService: Sendable {
  let rules: RuleHolder
  /// API tokens and their revocations.
  let directory: any MemberDirectory
  /// Invitations and sessions.
  let signIn: SignInService
  /// nil when the store keeps no sign-in records to read (only SQLite serves the inbox).
  let activity: (any MemberActivityStore)?
  /// The configuration's `ai_agents`: accounts with a token, in no team.
  let aiAgents: [String]
  let clock: WallClock
  /// E-mails invitations; nil when the configuration has no `smtp` section.
  var mailer: SMTPMailer? = nil

  struct Account: Sendable {
    var email: String
    /// The teams naming the member (none for an AI agent).
    var teams: [String]
    var activity: MemberActivity?
    /// The member's token row: nil when no token was ever issued.
    var token: MemberRow?
    var isRevoked: Bool { token?.revokedAt != nil }
  }

  struct Roster: Sendable {
    var members: [Account]
    var agents: [Account]
  }

  func roster() async throws -> Roster {
    let ruleSet = rules.current.ruleSet
    let tokens = Dictionary(
      try await directory.members().map { ($0.email, $0) }, uniquingKeysWith: { $1 })
    let records = try await activity?.memberActivity(now: clock.seconds) ?? [:]
    func account(_ email: String, teams: [String]) -> Account {
      Account(email: email, teams: teams, activity: records[email], token: tokens[email])
    }
    return Roster(
      members: ruleSet.members.map { member in
        account(member.email, teams: member.teams.map { ruleSet[$0].name })
      },
      agents: aiAgents.map { account($0, teams: []) })
  }

  enum Outcome: Sendable {
    /// The one-time invitation token (the URL's last part), and whether it was e-mailed.
    case invited(token: String, mail: Mailing)
    /// The new API token, shown once.
    case issued(token: String)
    case revoked
    /// The member is revoked: an invitation would give a session refused at once.
    case revokedAlready
    /// Revoking oneself would end the very session that asks.
    case selfRevocation
    /// Neither a member of the rules nor an AI agent of the configuration.
    case unknown
  }

  /// What became of an invitation's e-mail.
  enum Mailing: Sendable, Equatable {
    case notConfigured
    case sent
    /// The SMTP error, the server's reply when it gave one.
    case failed(String)
  }

  static func invitationLink(base: String, token: String) -> String {
    base + "/invitation/" + token
  }

  func isMember(_ email: String) -> Bool { rules.current.ruleSet.member(email) != nil }

  /// Creates the invitation and, with SMTP configured, e-mails its link. The send is awaited
  /// (each step bounded by `smtp.timeout_seconds`) so the page can say whether it went out;
  /// the link is shown either way, so a failed send never loses the invitation.
  func invite(_ email: String, linkBase: String, by manager: String) async throws -> Outcome {
    guard isMember(email) else { return .unknown }
    if try await directory.members().contains(where: { $0.email == email && $0.revokedAt != nil }) {
      return .revokedAlready
    }
    guard let token = try await signIn.invite(email) else { return .unknown }
    guard let mailer, let from = mailer.relay.from else {
      return .invited(token: token, mail: .notConfigured)
    }
    do {
      let message = try InvitationMail(
        link: Self.invitationLink(base: linkBase, token: token), invitedBy: manager,
        expiresAt: clock.now().addingTimeInterval(SignInService.invitationLifetime)
      ).message(from: from, to: email, date: clock.now())
      try await mailer.send(message)
      return .invited(token: token, mail: .sent)
    } catch {
      return .invited(token: token, mail: .failed("\(error)"))
    }
  }

  /// A new API token for a member or an AI agent, replacing any previous one.
  func issueToken(_ email: String) async throws -> Outcome {
    guard isMember(email) || aiAgents.contains(email) else { return .unknown }
    return .issued(token: try await directory.addMember(email))
  }

  /// Ends the account's sessions and disables its token: at their next request, a signed-in
  /// member is signed out (`SignInService.member` reads the revocation), and sign-in refuses
  /// them until a new token is issued.
  func revoke(_ email: String, by manager: String) async throws -> Outcome {
    guard isMember(email) || aiAgents.contains(email) else { return .unknown }
    guard email != manager else { return .selfRevocation }
    // A revocation is kept on the token's row: a member who never had a token gets one that
    // is never shown, revoked at once, so their sessions and sign-in are refused too.
    if try await !directory.members().contains(where: { $0.email == email }) {
      _ = try await directory.addMember(email)
    }
    _ = try await directory.revokeMember(email)
    // After the revocation, not before: no session opened in between can outlive it.
    try await signIn.store.deleteSessions(email: email)
    return .revoked
  }
}

/// The invitation e-mail, in French: who invites, the one-time link, how long it is valid.
struct InvitationMail: Sendable {
  var link: String
  var invitedBy: String
  var expiresAt: Date

  static let subject = "Invitation à la boîte de réception Etiquette"

  var body: String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "fr_FR")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "d MMMM yyyy 'à' HH:mm"
    let days = Int(SignInService.invitationLifetime / 86_400)
    return """
      Bonjour,

      \(invitedBy) vous invite à rejoindre la boîte de réception Etiquette.

      Pour choisir votre mot de passe et vous connecter, ouvrez ce lien :
      \(link)

      Ce lien ne sert qu’une fois ; il est valable \(days) jours, jusqu’au \
      \(formatter.string(from: expiresAt)) (UTC).

      Si vous n’attendiez pas cette invitation, ignorez ce message.
      """
  }

  func message(from: String, to: String, date: Date) throws -> MailMessage {
    try MailMessage(
      from: from, to: to, subject: Self.subject, body: body, date: date,
      messageID: UUID().uuidString.lowercased() + "@" + MailAddress.domain(of: from))
  }
}
