import Foundation
import HTTPTypes
import Hummingbird

/// The console's « Accès » and « Membres » (issue 17, parts 5 and 6): the member × label
/// matrix, « Qui peut voir cette conversation ? » and the members page. Only for members who
/// may manage every conversation (the console's gate: 403 for others, on every route and
/// method). Plain forms without JavaScript; a POST that reveals a secret (an invitation link,
/// an API token) answers with the page itself, never a redirect, so the secret stays out of
/// every URL and is shown once.
extension WebInbox {
  var accessReports: AccessReportService {
    AccessReportService(rules: rules, conversations: pages.conversations)
  }

  var roster: MemberRosterService {
    MemberRosterService(
      rules: rules, directory: pages.conversations.store, signIn: signIn,
      // The sign-in records' store: WebInbox holds it as `signIn.store`, and the SQLite store
      // (the only one serving the inbox) also reads them for this page.
      activity: signIn.store as? any MemberActivityStore,
      aiAgents: pages.conversations.hub.configuration.aiAgents, clock: clock,
      mailer: pages.conversations.hub.configuration.smtp.map { SMTPMailer(relay: $0) })
  }

  func registerAccessPages(on router: Router<Context>) {
    router.get("/app/access") { request, _ in
      try await console(request) { member, _, renderer in
        page(
          renderer.accessMatrixPage(member: member, accessReports.matrix(), rulesPath: rules.path),
          .ok)
      }
    }
    router.get("/app/conversations/:id/access") { request, context in
      let id = context.parameters.get("id") ?? ""
      return try await console(request) { member, _, renderer in
        do {
          let access = try await accessReports.conversation(id, viewer: member)
          return page(
            renderer.conversationAccessPage(member: member, access, rulesPath: rules.path), .ok)
        } catch let error as APIError {
          return errorPage(error, request)
        }
      }
    }
    router.get("/app/members") { request, _ in
      try await console(request) { member, session, renderer in
        try await membersPage(renderer, member: member, session: session, notice: nil)
      }
    }
    router.post("/app/members/invite") { request, _ in
      try await rosterAction(request) { email, manager in
        try await roster.invite(email, linkBase: invitationBase(request), by: manager)
      }
    }
    router.post("/app/members/token") { request, _ in
      try await rosterAction(request) { email, _ in try await roster.issueToken(email) }
    }
    router.post("/app/members/revoke") { request, _ in
      try await rosterAction(request) { email, manager in
        try await roster.revoke(email, by: manager)
      }
    }
  }

  /// A members form (`email`, the CSRF token): the gate first, so a member who may not manage
  /// everything learns nothing from the form's content; then the page with the outcome.
  func rosterAction(
    _ request: Request, _ act: (String, String) async throws -> MemberRosterService.Outcome
  ) async throws -> Response {
    let form = try await Self.form(request)
    return try await console(request) { member, session, renderer in
      guard SignInService.isValidCSRF(form["csrf"], session: session) else {
        return refusedForm(request)
      }
      let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
      let outcome = try await act(email, member)
      let notice = WebRenderer.RosterNotice(
        outcome, email: email, invitationBase: invitationBase(request),
        text: renderer.accessText)
      return try await membersPage(
        renderer, member: member, session: session, notice: notice,
        status: notice.refused ? .unprocessableContent : .ok)
    }
  }

  func membersPage(
    _ renderer: WebRenderer, member: String, session: String,
    notice: WebRenderer.RosterNotice?, status: HTTPResponse.Status = .ok
  ) async throws -> Response {
    page(
      renderer.membersPage(
        member: member, csrf: SignInService.csrfToken(session: session),
        roster: try await roster.roster(), notice: notice), status)
  }

  /// Where invitation links start: `public_url` when the configuration has one (what
  /// `etiquette member invite` prints); else the address the manager's browser used, which
  /// only that manager sees (and the e-mail, when SMTP is configured).
  func invitationBase(_ request: Request) -> String {
    if let publicURL = pages.conversations.hub.configuration.publicURL {
      var base = publicURL
      while base.hasSuffix("/") { base.removeLast() }
      return base
    }
    return request.head.authority.map { "http://" + $0 } ?? ""
  }
}
