import EtiquetteDiagnostics
import EtiquetteEngine
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The console's impact replay (issue 17): what a draft would change in the stored
/// conversations of a period, before it is published.
///
/// - `POST /app/rules/impact` with the editor's draft (`file`, `text`, `csrf`) and optionally
///   `from` and `to` (dates `YYYY-MM-DD`, both included; the last 7 days by default) starts a
///   replay: 303 to its page, or 202 with its JSON (`id`, `status`, …) for a script. A draft
///   with errors replays nothing: 422 with its diagnostics (the editor page without script).
/// - `GET /app/rules/impact/:id`: the progress, then the result; the page refreshes itself
///   (`<meta http-equiv=refresh>`) while the replay runs; JSON with `Accept: application/json`.
/// - `POST /app/rules/impact/:id/cancel` (`csrf`): stops it.
///
/// Like every console route, for members who may manage every conversation (403 otherwise);
/// a replay is its member's own (404 to anyone else).
extension WebInbox {
  func registerImpact(on router: Router<Context>) {
    router.post("/app/rules/impact") { request, _ in
      try await draft(request) { member, session, renderer, state, form in
        try await startImpact(
          request, member: member, session: session, renderer: renderer, state: state,
          form: form)
      }
    }
    router.get("/app/rules/impact/:id") { request, context in
      try await console(request) { member, session, renderer in
        guard let job = impacts.job(context.parameters.get("id") ?? "", member: member) else {
          return page(renderer.messagePage(renderer.text.notFound), .notFound)
        }
        if Self.wantsJSON(request) { return impactJSON(job.snapshot(), .ok) }
        return try await impactPage(renderer, member: member, session: session, job.snapshot())
      }
    }
    router.post("/app/rules/impact/:id/cancel") { request, context in
      let form = try await Self.form(request)
      return try await console(request) { member, session, renderer in
        guard SignInService.isValidCSRF(form["csrf"], session: session) else {
          return refusedForm(request)
        }
        let id = context.parameters.get("id") ?? ""
        guard let job = impacts.job(id, member: member) else {
          return page(renderer.messagePage(renderer.text.notFound), .notFound)
        }
        job.requestCancel()
        if Self.wantsJSON(request) { return impactJSON(job.snapshot(), .ok) }
        return redirect("/app/rules/impact/" + id)
      }
    }
  }

  private func startImpact(
    _ request: Request, member: String, session: String, renderer: WebRenderer,
    state: EditorState, form: FormFields
  ) async throws -> Response? {
    let words = ImpactText.forLanguage(renderer.text.language)
    guard let period = impactPeriod(from: form.first("from"), to: form.first("to"), renderer)
    else {
      if Self.wantsJSON(request) {
        return impactJSON(["error": words.badPeriod], .unprocessableContent)
      }
      return page(renderer.messagePage(words.badPeriod, back: "/app/rules"), .unprocessableContent)
    }
    guard
      let compiled = try await onDrafts({ [state] in try $0.compiled(state.file, text: state.text) }
      )
    else { return nil }
    guard let matcher = compiled.matcher, !compiled.hasErrors else {
      var state = state
      state.diagnostics = drafts.diagnostics(compiled)
      if Self.wantsJSON(request) {
        return impactJSON(
          ImpactRefusal(diagnostics: state.diagnostics ?? drafts.diagnostics(compiled)),
          .unprocessableContent)
      }
      return try editorPage(renderer, member, session, state, status: .unprocessableContent)
    }
    let rulesPath = rules.path
    let snapshot = impacts.start(
      member: member, draft: compiled, matcher: matcher, period: period,
      relative: { WebRenderer.relative($0, to: rulesPath) })
    if Self.wantsJSON(request) { return impactJSON(snapshot, .accepted) }
    return redirect("/app/rules/impact/" + snapshot.id)
  }

  /// A draft with errors: nothing replayed.
  struct ImpactRefusal: Encodable {
    var diagnostics: DiagnosticJSON.Document
  }

  /// `[from, to)` from two days of the console's zone (`to` included); the last 7 days by the
  /// clock when neither is given; nil when they do not read as dates or are out of order.
  func impactPeriod(from: String?, to: String?, _ renderer: WebRenderer) -> RuleImpacts.Period? {
    let from = from.flatMap { $0.isEmpty ? nil : $0 }
    let to = to.flatMap { $0.isEmpty ? nil : $0 }
    let now = clock.now()
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = renderer.zone
    func day(_ text: String) -> Date? {
      let parts = text.split(separator: "-").compactMap { Int($0) }
      guard parts.count == 3, text.count == 10 else { return nil }
      let components = DateComponents(year: parts[0], month: parts[1], day: parts[2])
      guard components.isValidDate(in: calendar) else { return nil }
      return calendar.date(from: components)
    }
    let end: Date
    if let to {
      guard let last = day(to), let next = calendar.date(byAdding: .day, value: 1, to: last)
      else { return nil }
      end = next
    } else {
      // Up to now, and the step taken at this very instant.
      end = now.addingTimeInterval(0.001)
    }
    let start: Date
    if let from {
      guard let first = day(from) else { return nil }
      start = first
    } else {
      start = end.addingTimeInterval(-RuleImpacts.defaultPeriod)
    }
    guard start < end else { return nil }
    return RuleImpacts.Period(from: start, to: end)
  }

  func impactJSON(_ value: some Encodable, _ status: HTTPResponse.Status) -> Response {
    var response = json(value)
    response.status = status
    return response
  }

  func impactPage(
    _ renderer: WebRenderer, member: String, session: String, _ snapshot: ImpactJob.Snapshot
  ) async throws -> Response {
    // Examples by the contact's name, read through the inbox's own access check: a
    // conversation the member may not open (now) is not linked, whatever the replay found.
    var names: [String: String] = [:]
    let examples = (snapshot.result?.groups ?? []).flatMap { $0.effects.flatMap(\.examples) }
    for id in Set(examples).sorted().prefix(200) {
      if let detail = try? await pages.conversations.detail(member: member, id: id) {
        names[id] = renderer.contactName(detail.contact)
      }
    }
    return page(
      renderer.impactPage(
        member: member, csrf: SignInService.csrfToken(session: session), snapshot,
        names: names), .ok)
  }
}

extension WebRenderer {
  struct ImpactPage {
    var head: Head
    var t: WebText
    var nav = ConsoleNav(rules: true)
    var member: String
    var csrf: String
    var title: String
    var period: String
    /// While the replay runs: the page reloads itself every second.
    var refresh: Bool
    var status: String
    var progress: Progress?
    var cancel: Cancel?
    var capped: String?
    var failed: String?
    var summary: String?
    var groups: [Group]
    var back: String
  }

  struct Progress {
    var done: Int
    var total: Int
  }

  struct Cancel {
    var action: String
    var label: String
  }

  struct Group {
    var cause: String
    var location: String?
    var effects: [Effect]
  }

  struct Effect {
    var sentence: String
    var examplesLabel: String
    var hasExamples: Bool
    var examples: [ViewLink]
    var hidden: String?
  }

  /// `/app/rules/impact/:id`: the replay's progress, then what would change.
  func impactPage(
    member: String, csrf: String, _ snapshot: ImpactJob.Snapshot, names: [String: String]
  ) -> String {
    let words = ImpactText.forLanguage(text.language)
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: text.language == "en" ? "en_GB" : "fr_FR")
    formatter.timeZone = zone
    formatter.dateStyle = .medium
    formatter.timeStyle = .short
    func date(_ iso: String) -> String { Instant.parse(iso).map(formatter.string) ?? iso }
    let numbers: [String: String] = [
      "done": "\(snapshot.done)", "total": snapshot.total.map(String.init) ?? "…",
      "available": snapshot.available.map(String.init) ?? "…",
    ]
    let status: String
    switch snapshot.status {
    case .running:
      status = ImpactText.fill(snapshot.total == nil ? words.counting : words.running, numbers)
    case .cancelled: status = ImpactText.fill(words.cancelled, numbers)
    case .failed: status = words.failed
    case .finished:
      let result = snapshot.result
      status =
        result?.changedConversations == 0
        ? words.nothingChanged
        : ImpactText.fill(
          words.summary,
          [
            "steps": "\(result?.steps ?? 0)", "conversations": "\(result?.conversations ?? 0)",
            "n": "\(result?.changedConversations ?? 0)",
          ])
    }
    let groups = (snapshot.result?.groups ?? []).map { group in
      Group(
        cause: words.cause(group.cause), location: group.cause.location,
        effects: group.effects.map { effect in
          Effect(
            sentence: words.sentence(effect, cause: group.cause),
            examplesLabel: words.examples,
            hasExamples: effect.examples.contains { names[$0] != nil },
            examples: effect.examples.compactMap { id in
              names[id].map {
                ViewLink(
                  name: $0, href: "/app/conversations/" + Self.pathEscaped(id), current: false,
                  count: nil)
              }
            },
            hidden: effect.hidden == 0
              ? nil
              : ImpactText.fill(
                effect.hidden == 1 ? words.hidden.one : words.hidden.many,
                ["n": "\(effect.hidden)"])
          )
        })
    }
    let running = snapshot.status == .running
    return render(
      "impact",
      ImpactPage(
        head: head(words.title), t: text, member: member, csrf: csrf, title: words.title,
        period: ImpactText.fill(
          words.period, ["from": date(snapshot.from), "to": date(snapshot.to)]),
        refresh: running, status: status,
        progress: running ? snapshot.total.map { Progress(done: snapshot.done, total: $0) } : nil,
        cancel: running
          ? Cancel(action: "/app/rules/impact/\(snapshot.id)/cancel", label: words.cancel) : nil,
        capped: snapshot.capped ? ImpactText.fill(words.capped, numbers) : nil,
        failed: snapshot.error, summary: nil, groups: groups, back: words.backToEditor))
  }
}
