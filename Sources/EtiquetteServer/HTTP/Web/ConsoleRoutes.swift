import EtiquetteDiagnostics
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The admin console's rule editor (issue 17, first slice): `/app/rules` shows the rule files;
/// « Vérifier » checks a draft with the code of `etiquette check`, « Formater » formats it with
/// the code of `etiquette fmt`. Plain forms without JavaScript; with it, CodeMirror (Debian's
/// libjs-codemirror 5) highlights Etiquette, and the same routes answer JSON for diagnostics
/// as you type. Nothing is written to disk yet: publishing is the next slice. Only for members
/// who may manage every conversation; 404 for everyone else.
extension WebInbox {
  var drafts: RuleDraftService { RuleDraftService(rules: rules) }

  func registerConsole(on router: Router<Context>) {
    registerTrial(on: router)
    router.get("/app/rules") { request, _ in
      try await console(request) { member, session, renderer in
        let first = try drafts.files().first ?? ""
        let name = Self.query(request).first("file") ?? first
        guard let text = try drafts.text(of: name) else {
          return page(renderer.messagePage(renderer.text.notFound), .notFound)
        }
        return try editorPage(renderer, member, session, file: name, text: text, diagnostics: nil)
      }
    }
    router.post("/app/rules/check") { request, _ in
      try await draft(request) { member, session, renderer, name, text, _ in
        guard let document = try drafts.check(name, text: text) else { return nil }
        if Self.wantsJSON(request) { return json(document) }
        return try editorPage(
          renderer, member, session, file: name, text: text, diagnostics: document)
      }
    }
    router.post("/app/rules/format") { request, _ in
      try await draft(request) { member, session, renderer, name, text, _ in
        guard try drafts.files().contains(name) else { return nil }
        let formatted: String
        var diagnostics: DiagnosticJSON.Document?
        switch drafts.format(name, text: text) {
        case .formatted(let result): formatted = result
        case .syntaxErrors(let document):
          formatted = text
          diagnostics = document
        }
        if Self.wantsJSON(request) {
          return json(
            FormatAnswer(text: diagnostics == nil ? formatted : nil, diagnostics: diagnostics))
        }
        return try editorPage(
          renderer, member, session, file: name, text: formatted, diagnostics: diagnostics)
      }
    }
  }

  func registerTrial(on router: Router<Context>) {
    router.post("/app/rules/try") { request, _ in
      try await draft(request) { member, session, renderer, name, text, form in
        let message = form.first("message") ?? ""
        guard
          let trial = try drafts.trial(name, text: text, message: message, at: clock.now())
        else { return nil }
        if Self.wantsJSON(request) { return json(trial) }
        return try editorPage(
          renderer, member, session, file: name, text: text, diagnostics: trial.diagnostics,
          message: message, trial: trial)
      }
    }
  }

  /// The editor's page for a draft: the files, the text, what was found or decided.
  func editorPage(
    _ renderer: WebRenderer, _ member: String, _ session: String, file: String, text: String,
    diagnostics: DiagnosticJSON.Document?, message: String = "",
    trial: RuleDraftService.Trial? = nil
  ) throws -> Response {
    page(
      try renderer.consolePage(
        member: member, csrf: SignInService.csrfToken(session: session),
        files: drafts.files(), file: file, text: text, diagnostics: diagnostics,
        message: message, trial: trial), .ok)
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

  /// A draft posted from the editor (`file`, `text`, the CSRF token); nil from `body`: 404.
  func draft(
    _ request: Request,
    _ body: (String, String, WebRenderer, String, String, FormFields) async throws -> Response?
  ) async throws -> Response {
    // A rule file of 1 MB is far beyond any real one; the limit keeps a check bounded.
    let buffer = try await request.body.collect(upTo: 1024 * 1024)
    let form = FormFields(String(buffer: buffer))
    return try await console(request) { member, session, renderer in
      guard SignInService.isValidCSRF(form.first("csrf"), session: session) else {
        return refusedForm(request)
      }
      let name = form.first("file") ?? ""
      let text = form.first("text") ?? ""
      return try await body(member, session, renderer, name, text, form)
        ?? page(renderer.messagePage(renderer.text.notFound), .notFound)
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
