import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteSyntax
import Foundation

/// The view models of the console's « Accès » and « Membres » pages (`access.mustache`,
/// `conversation-access.mustache`, `members.mustache`). Stored properties only: the templates
/// read values by reflection.
extension WebRenderer {
  /// The pages' own catalogue, in the language of the rest of the page.
  var accessText: AccessPageText { text.language == "en" ? .english : .french }

  // MARK: - « Accès »

  /// One member's access in one cell or line: the level's word, a class for its colour, and
  /// the engine's reason.
  struct AccessCell {
    var level: String
    var levelClass: String
    var why: String
  }

  struct AccessRow {
    var member: String
    var teams: String
    var cells: [AccessCell]
  }

  struct AccessMatrixPage {
    var head: Head
    var t: WebText
    var a: AccessPageText
    var nav = ConsoleNav(access: true)
    var member: String
    var columns: [String]
    var rows: [AccessRow]
    var version: String
  }

  func accessMatrixPage(member: String, _ matrix: AccessReportService.Matrix, rulesPath: String)
    -> String
  {
    let a = accessText
    return render(
      "access",
      AccessMatrixPage(
        head: head(text.accessTitle), t: text, a: a, member: member,
        columns: matrix.columns.map { $0.label?.name ?? a.unlabelledColumn },
        rows: matrix.rows.map { row in
          AccessRow(
            member: row.member.email,
            teams: row.member.teams.map { matrix.rules.ruleSet[$0].name }.joined(separator: ", "),
            cells: row.cells.map { accessCell($0, rules: matrix.rules, rulesPath: rulesPath) })
        },
        version: a.rulesVersion.replacingOccurrences(of: "{version}", with: matrix.rules.version)))
  }

  func accessCell(
    _ access: AccessReportService.MemberAccess, rules: LoadedRules, rulesPath: String
  ) -> AccessCell {
    let a = accessText
    let (word, level): (String, String) =
      switch access.level {
      case .manage: (a.levelManage, "manage")
      case .reply: (a.levelReply, "reply")
      case .view: (a.levelView, "view")
      case nil: (a.levelNone, "none")
      }
    return AccessCell(
      level: word, levelClass: level,
      why: accessReason(access.answer, rules: rules, rulesPath: rulesPath))
  }

  /// The engine's reason, in words: the grant that allows, or why nothing does.
  func accessReason(_ answer: AccessAnswer, rules: LoadedRules, rulesPath: String) -> String {
    let a = accessText
    if let grant = answer.grant { return grantLine(grant, rules: rules, rulesPath: rulesPath) }
    switch answer.denial {
    case .notCovered(let grants):
      return a.notCovered.replacingOccurrences(
        of: "{grants}",
        with: grants.map { grantLine($0, rules: rules, rulesPath: rulesPath) }
          .joined(separator: " ; "))
    case .noGrant: return a.noGrant
    case .unknownMember, nil: return a.unknownMember
    }
  }

  /// « équipe « Superviseurs » : can manage all (teams.etq:19) »: the team, the `can …` line
  /// as written (on one line), where it is written relative to the rules directory.
  func grantLine(_ reference: GrantReference, rules: LoadedRules, rulesPath: String) -> String {
    let span = reference.grant.span
    // No-break spaces inside the guillemets and before the colon, as French sets them: a
    // narrow cell never starts a line with « » or :.
    let team = "\(accessText.teamsWord) «\u{A0}\(rules.ruleSet[reference.team].name)\u{A0}»"
    guard let file = rules.sources[span.file] else { return team }
    let written = file.text(of: span).split(whereSeparator: \.isWhitespace).joined(separator: " ")
    let location = Self.relative(file.path, to: rulesPath) + ":\(file.line(ofOffset: span.start))"
    let colon = text.language == "fr" ? "\u{A0}:" : ":"
    return "\(team)\(colon) \(written) (\(location))"
  }

  // MARK: - « Qui peut voir cette conversation ? »

  struct MemberAccessLine {
    var member: String
    var access: AccessCell
  }

  struct ConversationAccessPage {
    var head: Head
    var t: WebText
    var a: AccessPageText
    var nav = ConsoleNav(access: true)
    var member: String
    var contact: String
    var labels: [String]
    var hasLabels: Bool
    var back: String
    var lines: [MemberAccessLine]
  }

  func conversationAccessPage(
    member: String, _ access: AccessReportService.ConversationAccess, rulesPath: String
  ) -> String {
    let labels = access.detail.labels.map(\.name)
    return render(
      "conversation-access",
      ConversationAccessPage(
        head: head(accessText.whoMayView), t: text, a: accessText, member: member,
        contact: contactName(access.detail.contact), labels: labels, hasLabels: !labels.isEmpty,
        back: "/app/conversations/" + Self.pathEscaped(access.detail.id),
        lines: access.members.map {
          MemberAccessLine(
            member: $0.member, access: accessCell($0, rules: access.rules, rulesPath: rulesPath))
        }))
  }

  /// The conversation pane's link to « Qui peut voir cette conversation ? », for members the
  /// console admits (its gate: `can manage all`); nil for others.
  func conversationAccessLink(conversation id: String, member: String, rules: LoadedRules)
    -> ViewLink?
  {
    guard rules.managesAll(member) else { return nil }
    return ViewLink(
      name: accessText.whoMayView,
      href: "/app/conversations/" + Self.pathEscaped(id) + "/access", current: false, count: nil)
  }

  // MARK: - « Membres »

  /// What a members form did, for the page that answers it.
  struct RosterNotice {
    var message: String?
    /// The invitation link or API token, shown once.
    var secret: String?
    var secretLabel: String?
    var secretNote: String?
    var isLink = false
    /// The action was refused (422).
    var refused = false
    /// The action was done but something went wrong (the invitation's e-mail failed).
    var failed = false
    /// Stored, not computed: the template engine reads stored properties only.
    var isProblem = false

    init(
      _ outcome: MemberRosterService.Outcome, email: String, invitationBase: String,
      text a: AccessPageText
    ) {
      func say(_ template: String) -> String {
        template.replacingOccurrences(of: "{email}", with: email)
      }
      switch outcome {
      case .invited(let token, let mail):
        secret = MemberRosterService.invitationLink(base: invitationBase, token: token)
        secretLabel = say(a.invitationLink)
        isLink = true
        switch mail {
        case .notConfigured:
          message = say(a.invitationSent)
          secretNote = a.noMail
        case .sent:
          message = say(a.invitationMailed)
          secretNote = a.mailedNote
        case .failed(let error):
          message = say(a.mailFailed).replacingOccurrences(of: "{error}", with: error)
          secretNote = a.mailFailedNote
          failed = true
        }
      case .issued(let token):
        secret = token
        secretLabel = say(a.tokenIssued)
        secretNote = a.tokenOnce
      case .revoked: message = say(a.revoked)
      case .revokedAlready:
        message = say(a.inviteRevoked)
        refused = true
      case .selfRevocation:
        message = a.revokeSelf
        refused = true
      case .unknown:
        message = say(a.unknownAccount)
        refused = true
      }
      isProblem = refused || failed
    }
  }

  struct AccountLine {
    var email: String
    var teams: String
    var web: [String]
    var token: String
    var revoked: Bool
    var mayInvite: Bool
    var mayRevoke: Bool
  }

  struct MembersPage {
    var head: Head
    var t: WebText
    var a: AccessPageText
    var nav = ConsoleNav(members: true)
    var csrf: String
    var member: String
    var notice: RosterNotice?
    var members: [AccountLine]
    var agents: [AccountLine]
    var hasAgents: Bool
  }

  func membersPage(
    member: String, csrf: String, roster: MemberRosterService.Roster, notice: RosterNotice?
  ) -> String {
    let a = accessText
    func line(_ account: MemberRosterService.Account, agent: Bool) -> AccountLine {
      var web: [String] = []
      if !agent {
        let activity = account.activity
        web.append(
          activity?.signedInAt.map { a.signedIn.replacingOccurrences(of: "{date}", with: date($0)) }
            ?? a.neverSignedIn)
        if let seen = activity?.lastSeenAt {
          web.append(a.lastSeen.replacingOccurrences(of: "{date}", with: date(seen)))
        }
        if let expires = activity?.invitationExpiresAt {
          web.append(a.invitationPending.replacingOccurrences(of: "{date}", with: date(expires)))
        }
      }
      let token: String
      if let revoked = account.token?.revokedAt {
        token = a.revokedOn.replacingOccurrences(
          of: "{date}", with: date(revoked.timeIntervalSince1970))
      } else if let issued = account.token?.createdAt {
        token = a.tokenActive.replacingOccurrences(
          of: "{date}", with: date(issued.timeIntervalSince1970))
      } else {
        token = a.tokenNone
      }
      return AccountLine(
        email: account.email, teams: account.teams.joined(separator: ", "), web: web,
        token: token, revoked: account.isRevoked, mayInvite: !agent && !account.isRevoked,
        mayRevoke: account.email != member && !account.isRevoked)
    }
    return render(
      "members",
      MembersPage(
        head: head(text.membersTitle), t: text, a: a, csrf: csrf, member: member,
        notice: notice, members: roster.members.map { line($0, agent: false) },
        agents: roster.agents.map { line($0, agent: true) }, hasAgents: !roster.agents.isEmpty))
  }

  /// « 02/12/2026 10:00 » in the office's zone (see `zone`).
  func date(_ seconds: Double) -> String {
    let parts = calendar.dateComponents(
      [.day, .month, .year, .hour, .minute], from: Date(timeIntervalSince1970: seconds))
    return String(
      format: "%02d/%02d/%04d %02d:%02d", parts.day ?? 0, parts.month ?? 0, parts.year ?? 0,
      parts.hour ?? 0, parts.minute ?? 0)
  }
}
