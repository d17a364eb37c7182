import EtiquetteChecker
import EtiquetteDiagnostics
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The admin console's rule editor (issue 17): `/app/rules` shows the rule files; « Vérifier »
/// checks a draft with the code of `etiquette check`, « Formater » formats it with the code of
/// `etiquette fmt`, « Essayer » runs a message through it, « Lancer les tests » runs its test
/// blocks, « Publier » (PublishRoutes.swift) writes it. Plain forms without JavaScript; with
/// it, CodeMirror (Debian's libjs-codemirror 5) highlights Etiquette, and the same routes
/// answer JSON for diagnostics as you type. Only for members who may manage every
/// conversation; 403 for every other member.
extension WebInbox {
  var drafts: RuleDraftService { RuleDraftService(rules: rules) }

  func registerConsole(on router: Router<Context>) {
    registerTrial(on: router)
    registerPublishing(on: router)
    router.get("/app/rules") { request, _ in
      try await console(request) { member, session, renderer in
        let first = try drafts.files().first ?? ""
        let query = Self.query(request)
        let name = query.first("file") ?? first
        guard let text = try drafts.text(of: name) else {
          return page(renderer.messagePage(renderer.text.notFound), .notFound)
        }
        var state = EditorState(file: name, text: text, base: try drafts.diskDigest())
        state.notice = try await publishedNotice(query, renderer.text.publishing)
        return try editorPage(renderer, member, session, state)
      }
    }
    // « Nouveau fichier »: an empty editor for a name the rules directory may take; the file
    // exists once published.
    router.get("/app/rules/new") { request, _ in
      try await console(request) { member, session, renderer in
        var name = (Self.query(request).first("name") ?? "").trimmingCharacters(in: .whitespaces)
        if !name.isEmpty && !name.hasSuffix(".etq") { name += ".etq" }
        if try drafts.files().contains(name) {
          return redirect("/app/rules?file=" + WebRenderer.queryEscaped(name))
        }
        guard drafts.isDirectory, RuleDraftService.isRuleFileName(name) else {
          return page(
            renderer.messagePage(renderer.text.publishing.invalidName), .unprocessableContent)
        }
        var state = EditorState(file: name, text: "", base: try drafts.diskDigest())
        state.notice = renderer.text.publishing.newFile
        return try editorPage(renderer, member, session, state)
      }
    }
    router.post("/app/rules/check") { request, _ in
      try await draft(request) { member, session, renderer, state, _ in
        var state = state
        guard
          let document = try await onDrafts({ [state] in
            try $0.check(state.file, text: state.text)
          })
        else { return nil }
        if Self.wantsJSON(request) { return json(document) }
        state.diagnostics = document
        return try editorPage(renderer, member, session, state)
      }
    }
    router.post("/app/rules/format") { request, _ in
      try await draft(request) { member, session, renderer, state, _ in
        var state = state
        guard try drafts.draftFiles(state.file, text: state.text) != nil else { return nil }
        let formatted = try await onDrafts { [state] in $0.format(state.file, text: state.text) }
        switch formatted {
        case .formatted(let result): state.text = result
        case .syntaxErrors(let document): state.diagnostics = document
        }
        if Self.wantsJSON(request) {
          return json(
            FormatAnswer(
              text: state.diagnostics == nil ? state.text : nil, diagnostics: state.diagnostics))
        }
        return try editorPage(renderer, member, session, state)
      }
    }
  }

  func registerTrial(on router: Router<Context>) {
    router.post("/app/rules/try") { request, _ in
      try await draft(request) { member, session, renderer, state, form in
        var state = state
        let input = trialInput(form, &state)
        guard
          let trial = try await onDrafts({ [state] in
            try $0.trial(state.file, text: state.text, input: input)
          })
        else { return nil }
        if Self.wantsJSON(request) { return json(trial) }
        state.diagnostics = trial.diagnostics
        state.trial = trial
        return try editorPage(renderer, member, session, state)
      }
    }
    // « Enregistrer comme test »: the draft gains a test block pinning what it decided for the
    // message, and the draft's tests run; nothing is written before « Publier ».
    router.post("/app/rules/save-test") { request, _ in
      try await draft(request) { member, session, renderer, state, form in
        var state = state
        let input = trialInput(form, &state)
        guard
          let saved = try await onDrafts({ [state] in
            try $0.savingTest(state.file, text: state.text, input: input)
          })
        else { return nil }
        state.text = saved.text
        state.tests = saved.run
        state.diagnostics = saved.run.diagnostics
        if saved.run.diagnostics == nil {
          state.notice = renderer.text.publishing.testSaved.replacingOccurrences(
            of: "{file}", with: state.file)
        }
        if Self.wantsJSON(request) {
          return json(SavedTestAnswer(text: saved.text, tests: saved.run))
        }
        return try editorPage(renderer, member, session, state)
      }
    }
    router.post("/app/rules/test") { request, _ in
      try await draft(request) { member, session, renderer, state, _ in
        var state = state
        guard
          let run = try await onDrafts({ [state] in try $0.runTests(state.file, text: state.text) })
        else { return nil }
        if Self.wantsJSON(request) { return json(run) }
        state.tests = run
        state.diagnostics = run.diagnostics
        return try editorPage(renderer, member, session, state)
      }
    }
  }

  /// « Essayer »'s fields: the message and, under « Plus d'options », its type, the contact's
  /// fields, an event instead of a message, and the instant in a time zone of the rules (now
  /// by the server's clock when empty). The state keeps them as typed, for the page.
  func trialInput(_ form: FormFields, _ state: inout EditorState) -> RuleDraftService.TrialInput {
    state.message = form.first("message") ?? ""
    state.tryType = form.first("try_type") ?? "text"
    state.tryContact = form.first("try_contact") ?? ""
    state.tryEvent = (form.first("try_event") ?? "").trimmingCharacters(in: .whitespaces)
    state.tryFields = form.first("try_fields") ?? ""
    state.tryAt = form.first("try_at") ?? ""
    state.tryZone = form.first("try_zone") ?? ""
    var input = RuleDraftService.TrialInput(message: state.message, at: clock.now())
    input.type = MessageType(rawValue: state.tryType) ?? .text
    input.contact = RuleDraftService.TrialInput.fields(state.tryContact)
    input.event = state.tryEvent
    input.eventFields = RuleDraftService.TrialInput.fields(state.tryFields)
    // `datetime-local` sends minutes (`2026-12-02T21:30`), seconds when the step allows them.
    let zone = TimeZone(identifier: state.tryZone) ?? TimeZone(identifier: "UTC")!
    for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"] {
      let formatter = DateFormatter()
      formatter.locale = Locale(identifier: "en_US_POSIX")
      formatter.timeZone = zone
      formatter.dateFormat = format
      if let date = formatter.date(from: state.tryAt) {
        input.at = date
        break
      }
    }
    return input
  }

  /// `work` on the rule files, off the request threads and within the drafts' time limit
  /// (`DraftWork`).
  func onDrafts<T: Sendable>(_ work: @escaping @Sendable (RuleDraftService) throws -> T)
    async throws -> T
  {
    let drafts = drafts
    return try await publisher.work.run { try work(drafts) }
  }

  /// What the editor shows: the draft of one file, what was found or decided for it, and the
  /// digest of the files it was opened on (`base`), carried through every form so that a
  /// publication knows whether the files changed since.
  struct EditorState: Sendable {
    var file: String
    var text: String
    var base: String
    var diagnostics: DiagnosticJSON.Document?
    var message = ""
    var tryType = "text"
    var tryContact = ""
    var tryEvent = ""
    var tryFields = ""
    var tryAt = ""
    var tryZone = ""
    var trial: RuleDraftService.Trial?
    var tests: RuleDraftService.TestRun?
    var publishMessage = ""
    /// Said after an action succeeded (a version published, a test saved).
    var notice: String?
    /// Why an action was refused.
    var problem: String?
  }

  /// The editor's page for a draft: the files, the text, what was found or decided.
  func editorPage(
    _ renderer: WebRenderer, _ member: String, _ session: String, _ state: EditorState,
    status: HTTPResponse.Status = .ok
  ) throws -> Response {
    page(
      try renderer.consolePage(
        member: member, csrf: SignInService.csrfToken(session: session), files: drafts.files(),
        state: state, zones: tryZones), status)
  }

  /// The time zones « Essayer »'s instant may be read in: those of the rules' hours, then UTC.
  var tryZones: [String] {
    var zones: [String] = []
    for zone in rules.current.ruleSet.hours.map(\.zone) + ["UTC"] where !zones.contains(zone) {
      zones.append(zone)
    }
    return zones
  }

  struct SavedTestAnswer: Encodable {
    var text: String
    var tests: RuleDraftService.TestRun
  }

  struct FormatAnswer: Encodable {
    var text: String?
    var diagnostics: DiagnosticJSON.Document?
  }

  /// A console page for a member who may manage every conversation; 403 for any other member
  /// (the console is no secret: the README describes it), with what it takes.
  func console(
    _ request: Request,
    _ body: (String, String, WebRenderer) async throws -> Response
  ) async throws -> Response {
    let renderer = localized(request)
    guard let (member, session) = try await member(of: request) else { return redirect("/login") }
    guard drafts.mayEdit(member) else {
      return page(renderer.messagePage(renderer.text.consoleForbidden), .forbidden)
    }
    return try await body(member, session, renderer)
  }

  /// A draft posted from the editor (`file`, `text`, `base`, the CSRF token); nil from `body`:
  /// 404.
  func draft(
    _ request: Request,
    _ body: (String, String, WebRenderer, EditorState, FormFields) async throws -> Response?
  ) async throws -> Response {
    // A rule file of 1 MB is far beyond any real one, but a manager may paste a 10 MB one: it
    // gets an answer (diagnostics, or « too slow » from `DraftWork`'s limit), not a bare 413.
    // Past 16 MB (urlencoded), the request is refused as too large.
    let buffer = try await request.body.collect(upTo: 16 * 1024 * 1024)
    let form = FormFields(String(buffer: buffer))
    return try await console(request) { member, session, renderer in
      guard SignInService.isValidCSRF(form.first("csrf"), session: session) else {
        return refusedForm(request)
      }
      var state = EditorState(
        file: form.first("file") ?? "", text: form.first("text") ?? "",
        base: form.first("base") ?? "")
      state.publishMessage = form.first("publish_message") ?? ""
      do {
        return try await body(member, session, renderer, state, form)
          ?? page(renderer.messagePage(renderer.text.notFound), .notFound)
      } catch is DraftWork.TooSlow {
        // Said, not a 500: the draft is too big or too tangled to check in the time allowed.
        let problem = renderer.text.publishing.tooSlow
        if Self.wantsJSON(request) {
          return APIError(status: .serviceUnavailable, code: "check_too_slow", message: problem)
            .response
        }
        state.problem = problem
        return try editorPage(renderer, member, session, state, status: .serviceUnavailable)
      }
    }
  }

  static func wantsJSON(_ request: Request) -> Bool {
    request.headers[.accept]?.contains("application/json") == true
  }

  func json(_ value: some Encodable) -> Response {
    var headers = Self.securityHeaders
    headers[.contentType] = "application/json; charset=utf-8"
    headers[.cacheControl] = "no-store"
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    return Response(
      status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
  }
}
