import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Publishing from the console (issue 17, part 4): « Publier » writes the draft through
/// `RulePublisher` (one at a time, refused when the files changed since the draft was opened,
/// refused with errors, reloaded by the server's one reload path); the history lists every
/// version, compares any two and goes back to any one — itself a new version.
extension WebInbox {
  func registerPublishing(on router: Router<Context>) {
    router.post("/app/rules/publish") { request, _ in
      try await publishing(request) { state, _ in
        try drafts.draftFiles(state.file, text: state.text).map { ($0, state.file) }
      }
    }
    // Renaming and deleting a file are publications of their own: the rest must check without
    // the file (or under its new name), and the history keeps them.
    router.post("/app/rules/rename") { request, _ in
      try await publishing(request) { state, form in
        var name = (form.first("new_name") ?? "").trimmingCharacters(in: .whitespaces)
        if !name.hasSuffix(".etq") { name += ".etq" }
        guard drafts.isDirectory, RuleDraftService.isRuleFileName(name),
          var files = try drafts.draftFiles(state.file, text: state.text),
          !files.contains(where: { $0.name == name })
        else { return nil }
        files = files.map { $0.name == state.file ? PublishedFile(name: name, text: $0.text) : $0 }
        return (files, name)
      }
    }
    router.post("/app/rules/delete") { request, _ in
      try await publishing(request) { state, _ in
        let files = try drafts.tree()
        guard drafts.isDirectory, files.count > 1, files.contains(where: { $0.name == state.file })
        else { return nil }
        let rest = files.filter { $0.name != state.file }
        return (rest, rest.first?.name ?? "")
      }
    }

    router.get("/app/rules/history") { request, _ in
      try await console(request) { member, session, renderer in
        let query = Self.query(request)
        let from = query.first("from").flatMap { Int64($0) }
        let to = query.first("to").flatMap { Int64($0) }
        return try await historyPage(
          renderer, member, session, from: from, to: to,
          notice: try await publishedNotice(query, renderer.text.publishing))
      }
    }
    router.post("/app/rules/history/:number/rollback") { request, context in
      // A form of two hidden fields: a few hundred bytes.
      let buffer = try await request.body.collect(upTo: 16 * 1024)
      let form = FormFields(String(buffer: buffer))
      return try await console(request) { member, session, renderer in
        guard SignInService.isValidCSRF(form.first("csrf"), session: session) else {
          return refusedForm(request)
        }
        let text = renderer.text.publishing
        guard let number = context.parameters.get("number").flatMap({ Int64($0) }),
          let version = try await versions.ruleVersion(number: number)
        else { return page(renderer.messagePage(text.unknownVersion), .notFound) }
        let message = text.rollbackMessage.replacingOccurrences(of: "{n}", with: "\(number)")
        let problem: String
        var status = HTTPResponse.Status.unprocessableContent
        switch try await publisher.publish(
          version.files, base: form.first("base") ?? "", author: member, message: message)
        {
        case .published(let published, let git):
          return redirect(
            "/app/rules/history?published=\(published.number)" + Self.gitQuery(git))
        case .changedOnDisk:
          problem = text.changedOnDiskTitle + " — " + text.changedOnDisk
          status = .conflict
        case .unchanged: problem = text.unchanged
        case .refused: problem = text.refusedErrors
        case .reloadRefused(let failure):
          problem = text.reloadRefused.replacingOccurrences(of: "{reason}", with: failure.message)
        }
        return try await historyPage(
          renderer, member, session, from: nil, to: nil, problem: problem, status: status)
      }
    }
  }

  /// A publication from the editor's form: `files` gives the rule files to publish and the
  /// file to show afterwards (nil: 404). Refused without a message.
  func publishing(
    _ request: Request,
    _ files: @escaping (EditorState, FormFields) throws -> ([PublishedFile], String)?
  ) async throws -> Response {
    try await draft(request) { member, session, renderer, state, form in
      var state = state
      let text = renderer.text.publishing
      let message = state.publishMessage.trimmingCharacters(in: .whitespacesAndNewlines)
      guard !message.isEmpty else {
        state.problem = text.needsMessage
        return try editorPage(renderer, member, session, state, status: .unprocessableContent)
      }
      guard let (files, shown) = try files(state, form) else { return nil }
      switch try await publisher.publish(files, base: state.base, author: member, message: message)
      {
      case .published(let version, let git):
        return redirect(
          "/app/rules?file=\(WebRenderer.queryEscaped(shown))&published=\(version.number)"
            + Self.gitQuery(git))
      case .changedOnDisk(let current, let digest):
        return page(
          renderer.changedOnDiskPage(
            member: member, csrf: SignInService.csrfToken(session: session), state: state,
            current: current, digest: digest), .conflict)
      case .unchanged:
        state.problem = text.unchanged
      case .refused(let diagnostics):
        state.problem = text.refusedErrors
        state.diagnostics = diagnostics
      case .reloadRefused(let failure):
        state.problem = text.reloadRefused.replacingOccurrences(
          of: "{reason}", with: failure.message)
      }
      return try editorPage(renderer, member, session, state, status: .unprocessableContent)
    }
  }

  /// The history, newest first, with the comparison of `from` and `to` when both are given.
  func historyPage(
    _ renderer: WebRenderer, _ member: String, _ session: String, from: Int64?, to: Int64?,
    notice: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok
  ) async throws -> Response {
    let list = try await versions.ruleVersions(limit: 200)
    var comparison: WebRenderer.ComparisonView?
    if let from, let to {
      guard let old = try await versions.ruleVersion(number: from),
        let new = try await versions.ruleVersion(number: to)
      else {
        return page(renderer.messagePage(renderer.text.publishing.unknownVersion), .notFound)
      }
      comparison = renderer.comparison(
        title: "\(renderer.text.publishing.version) \(from) → \(to)", old: old.files,
        new: new.files)
    }
    // The files on disk: what a rollback is based on, and the version now serving.
    let digest = try drafts.diskDigest()
    return page(
      renderer.historyPage(
        member: member, csrf: SignInService.csrfToken(session: session),
        base: digest, versions: list, served: digest,
        from: from ?? (list.count > 1 ? list[1].number : nil), to: to ?? list.first?.number,
        comparison: comparison, notice: notice, problem: problem), status)
  }

  /// `published=N` (and `commit=…`) after a redirect: what the page says about it.
  func publishedNotice(_ query: FormFields, _ text: PublishingText) async throws -> String? {
    guard let number = query.first("published").flatMap({ Int64($0) }),
      try await versions.ruleVersion(number: number) != nil
    else { return nil }
    var notice = text.published.replacingOccurrences(of: "{n}", with: "\(number)")
    switch query.first("commit") {
    case nil: break
    case "failed":
      notice += " " + text.gitFailed.replacingOccurrences(of: "{reason}", with: "git")
    case let hash?:
      notice += " " + text.committed.replacingOccurrences(of: "{hash}", with: hash)
    }
    return notice
  }

  static func gitQuery(_ git: RulePublisher.GitRecord) -> String {
    switch git {
    case .notARepository: ""
    case .committed(let hash): "&commit=" + WebRenderer.queryEscaped(hash)
    case .failed: "&commit=failed"
    }
  }
}
