import EtiquetteDiagnostics
import EtiquetteEngine
import Foundation
import Synchronization

/// The Etiquette language server: reads LSP messages, keeps the workspace's rule sets checked,
/// and answers each feature from the real parser, checker, formatter and test runner.
///
/// Messages are handled one at a time, in the order they arrive, on this actor. Diagnostics are
/// published after a pause in typing (``debounce``); a newer change cancels the pending check.
public actor LanguageServer {
  /// How long the server waits after a change before checking and publishing diagnostics.
  public let debounce: Duration
  /// The clock the debounce pause is measured on; tests pass one they advance by hand.
  private let clock: any Clock<Duration>
  private let writer: FrameWriter
  /// Requests cancelled by `$/cancelRequest`; the reading thread fills it as soon as the
  /// notification arrives, so a request still queued behind slow work is answered as cancelled.
  private let cancelled: CancelledRequests

  var workspace = Workspace()
  private var analyses: [String: RuleSetAnalysis] = [:]
  private var staleRoots = Set<String>()
  /// What was last published for each URI, so unchanged files are not sent again.
  private var published: [String: [LSPDiagnostic]] = [:]
  /// Results of `etiquette.runTest`, by absolute path then test name; cleared by any change.
  var testResults: [String: [String: RuleTestResult]] = [:]

  private var initialized = false
  private var shutdownRequested = false
  private var codeLensRefresh = false
  private var nextRequestID = 0
  private var generation = 0
  private var pendingCheck: Task<Void, Never>?

  /// The command code lenses send to run one `test` block.
  public static let runTestCommand = "etiquette.runTest"

  init(
    writer: FrameWriter, cancelled: CancelledRequests, debounce: Duration,
    clock: any Clock<Duration>
  ) {
    self.writer = writer
    self.cancelled = cancelled
    self.debounce = debounce
    self.clock = clock
  }

  // MARK: Running

  /// Serves one client until `exit` or the end of the input; returns the process exit status
  /// (0 after `shutdown` then `exit`, 1 otherwise, as the protocol asks).
  public static func serve(
    input: FileHandle, output: FileHandle, debounce: Duration = .milliseconds(150),
    clock: any Clock<Duration> = ContinuousClock()
  ) async -> Int32 {
    let cancelled = CancelledRequests()
    let server = LanguageServer(
      writer: FrameWriter(handle: output), cancelled: cancelled, debounce: debounce, clock: clock)
    let reader = FrameReader(handle: input)
    let (frames, continuation) = AsyncStream.makeStream(of: Frame.self)
    // Reads block: a thread of their own keeps the cooperative pool free.
    let thread = Thread {
      while let frame = reader.next() {
        if case .message(let data) = frame { cancelled.noteIfCancellation(data) }
        continuation.yield(frame)
      }
      continuation.finish()
    }
    thread.start()
    for await frame in frames {
      if let status = await server.receive(frame) { return status }
    }
    return await server.shutdownRequested ? 0 : 1
  }

  /// Handles one frame; returns an exit status when the client asked the server to exit.
  func receive(_ frame: Frame) -> Int32? {
    switch frame {
    case .malformed(let header):
      respond(
        nil,
        error: ResponseError(
          .parseError, "frame without a valid Content-Length header: \(header.prefix(80))"))
      return nil
    case .message(let data):
      guard let message = try? JSONDecoder().decode(IncomingMessage.self, from: data) else {
        respond(nil, error: ResponseError(.parseError, "the message is not a JSON-RPC object"))
        return nil
      }
      guard let method = message.method else {
        // A response to one of the server's own requests (code lens refresh): nothing to do.
        return nil
      }
      if let id = message.id {
        handleRequest(id: id, method: method, data: data)
        return nil
      }
      return handleNotification(method: method, data: data)
    }
  }

  private func handleRequest(id: RequestID, method: String, data: Data) {
    if cancelled.take(id) {
      respond(id, error: ResponseError(.requestCancelled, "cancelled"))
      return
    }
    if !initialized, method != "initialize" {
      respond(id, error: ResponseError(.serverNotInitialized, "initialize first"))
      return
    }
    if shutdownRequested {
      respond(id, error: ResponseError(.invalidRequest, "the server is shutting down"))
      return
    }
    do {
      respond(id, result: try answer(method: method, data: data))
    } catch {
      respond(id, error: error)
    }
  }

  /// The result of one request; JSON `null` when there is nothing to show.
  private func answer(method: String, data: Data) throws(ResponseError) -> (
    any Encodable & Sendable
  )? {
    switch method {
    case "initialize": return initialize(try params(InitializeParams.self, data))
    case "shutdown":
      shutdownRequested = true
      return nil
    case "textDocument/hover":
      let p = try params(TextDocumentPositionParams.self, data)
      return at(p.textDocument.uri, p.position) { HoverFeature.hover($0, $1, $2) }
    case "textDocument/definition":
      let p = try params(TextDocumentPositionParams.self, data)
      return at(p.textDocument.uri, p.position) { NavigationFeature.definition($0, $1, $2) }
        ?? [Location]()
    case "textDocument/references":
      let p = try params(ReferenceParams.self, data)
      let declarations = p.context?.includeDeclaration ?? true
      return at(p.textDocument.uri, p.position) {
        NavigationFeature.references($0, $1, $2, includeDeclaration: declarations)
      } ?? [Location]()
    case "textDocument/completion":
      let p = try params(TextDocumentPositionParams.self, data)
      return at(p.textDocument.uri, p.position) { CompletionFeature.complete($0, $1, $2) }
        ?? CompletionList(items: [])
    case "textDocument/prepareRename":
      let p = try params(TextDocumentPositionParams.self, data)
      return try atThrowing(p.textDocument.uri, p.position, RenameFeature.prepare)
    case "textDocument/rename":
      let p = try params(RenameParams.self, data)
      let newName = p.newName
      return try atThrowing(p.textDocument.uri, p.position) {
        (analysis, file, offset) throws(ResponseError) in
        try RenameFeature.rename(analysis, file, offset, to: newName)
      }
    case "textDocument/formatting":
      let p = try params(DocumentFormattingParams.self, data)
      guard let (analysis, file) = document(p.textDocument.uri) else { return [TextEdit]() }
      return FormattingFeature.format(analysis, file)
    case "textDocument/rangeFormatting":
      throw ResponseError(.requestFailed, "only whole documents are formatted")
    case "textDocument/codeAction":
      let p = try params(CodeActionParams.self, data)
      guard let (analysis, file) = document(p.textDocument.uri) else { return [CodeAction]() }
      return CodeActionFeature.actions(analysis, file, range: p.range)
    case "textDocument/documentSymbol":
      let p = try params(DocumentFormattingParams.self, data)
      guard let (analysis, file) = document(p.textDocument.uri) else { return [DocumentSymbol]() }
      return SymbolFeature.documentSymbols(analysis, file)
    case "workspace/symbol":
      let p = try params(WorkspaceSymbolParams.self, data)
      return allAnalyses().flatMap { SymbolFeature.workspaceSymbols($0, query: p.query) }
    case "textDocument/semanticTokens/full":
      let p = try params(DocumentFormattingParams.self, data)
      guard let (analysis, file) = document(p.textDocument.uri) else {
        return SemanticTokens(data: [])
      }
      return SemanticTokenFeature.tokens(analysis, file)
    case "textDocument/codeLens":
      let p = try params(DocumentFormattingParams.self, data)
      guard let (analysis, file) = document(p.textDocument.uri) else { return [CodeLens]() }
      let path = analysis.path(of: file.id) ?? ""
      return TestLensFeature.lenses(analysis, file, results: testResults[path] ?? [:])
    case "workspace/executeCommand":
      return try execute(try params(ExecuteCommandParams.self, data))
    default:
      throw ResponseError(.methodNotFound, "unknown method \(method)")
    }
  }

  private func handleNotification(method: String, data: Data) -> Int32? {
    switch method {
    case "exit":
      return shutdownRequested ? 0 : 1
    case "initialized", "$/cancelRequest", "$/setTrace", "workspace/didChangeConfiguration":
      break
    case "textDocument/didOpen":
      guard let p = try? params(DidOpenTextDocumentParams.self, data) else { break }
      workspace.openDocument(
        uri: p.textDocument.uri, version: p.textDocument.version, text: p.textDocument.text)
      changed(path: Workspace.path(of: p.textDocument.uri))
    case "textDocument/didChange":
      guard let p = try? params(DidChangeTextDocumentParams.self, data) else { break }
      workspace.change(
        uri: p.textDocument.uri, version: p.textDocument.version, changes: p.contentChanges)
      changed(path: Workspace.path(of: p.textDocument.uri))
    case "textDocument/didClose":
      guard let p = try? params(DidCloseTextDocumentParams.self, data) else { break }
      workspace.closeDocument(uri: p.textDocument.uri)
      changed(path: Workspace.path(of: p.textDocument.uri))
    case "textDocument/didSave":
      break
    case "workspace/didChangeWatchedFiles":
      // Another program changed rule files: read them again unless the editor has them open.
      guard let p = try? params(DidChangeWatchedFilesParams.self, data) else { break }
      for change in p.changes where change.uri.hasSuffix(".etq") {
        let path = Workspace.path(of: change.uri)
        guard !workspace.isOpen(path) else { continue }
        workspace.reload(path: path)
        changed(path: path)
      }
    default:
      // Unknown notifications are ignored, as the protocol asks (no response may be sent).
      break
    }
    return nil
  }

  // MARK: Lifecycle

  private func initialize(_ p: InitializeParams) -> InitializeResult {
    initialized = true
    var roots = (p.workspaceFolders ?? []).map { Workspace.path(of: $0.uri) }
    if roots.isEmpty, let uri = p.rootUri { roots = [Workspace.path(of: uri)] }
    if roots.isEmpty, let path = p.rootPath { roots = [path] }
    for root in roots { workspace.addRoot(root) }
    staleRoots.formUnion(workspace.roots)
    if case .object(let capabilities) = p.capabilities,
      case .object(let workspaceCapabilities) = capabilities["workspace"],
      case .object(let codeLens) = workspaceCapabilities["codeLens"],
      case .bool(true) = codeLens["refreshSupport"]
    {
      codeLensRefresh = true
    }
    let capabilities = ServerCapabilities(
      completionProvider: .init(triggerCharacters: ["\"", ".", " "]),
      codeActionProvider: .init(codeActionKinds: ["quickfix"]),
      semanticTokensProvider: .init(
        legend: .init(tokenTypes: SemanticTokenFeature.tokenTypes, tokenModifiers: [])),
      executeCommandProvider: .init(commands: [Self.runTestCommand]))
    return InitializeResult(
      capabilities: capabilities, serverInfo: .init(name: "etiquette", version: "0.1.0"))
  }

  // MARK: Analyses

  /// Marks a file's rule set stale and schedules a check after the debounce pause; a newer
  /// change cancels the pending one, so only the last text is checked.
  private func changed(path: String) {
    if let root = workspace.root(of: path) {
      staleRoots.insert(root)
      testResults = testResults.filter { workspace.root(of: $0.key) != root }
    }
    generation += 1
    let current = generation
    pendingCheck?.cancel()
    let pause = debounce
    let clock = clock
    pendingCheck = Task {
      try? await Self.sleep(for: pause, on: clock)
      guard !Task.isCancelled else { return }
      self.publishDiagnostics(generation: current)
    }
  }

  private static func sleep<C: Clock<Duration>>(for pause: Duration, on clock: C) async throws {
    try await clock.sleep(for: pause)
  }

  private func publishDiagnostics(generation expected: Int) {
    guard expected == generation else { return }
    publishAll()
  }

  /// Checks stale rule sets and publishes every file whose diagnostics changed (open files
  /// always, so the editor knows its version was checked).
  func publishAll() {
    for analysis in allAnalyses() {
      let byFile = DiagnosticFeature.diagnostics(analysis, testResults: testResults)
      for (index, path) in analysis.paths.enumerated() {
        let uri = workspace.uri(ofPath: path)
        let diagnostics = byFile[SourceFileID(index)] ?? []
        if published[uri] == diagnostics, !workspace.isOpen(path) { continue }
        published[uri] = diagnostics
        notify(
          "textDocument/publishDiagnostics",
          PublishDiagnosticsParams(
            uri: uri, version: workspace.version(ofPath: path), diagnostics: diagnostics))
      }
    }
  }

  /// The analysis of a folder, checked again when one of its files changed since.
  func analysis(root: String) -> RuleSetAnalysis {
    if let cached = analyses[root], !staleRoots.contains(root) { return cached }
    let files = workspace.files(inRoot: root).map { path in
      (path: path, uri: workspace.uri(ofPath: path), bytes: workspace.bytes(ofPath: path) ?? [])
    }
    let analysis = RuleSetAnalysis(root: root, files: files, previous: analyses[root])
    analyses[root] = analysis
    staleRoots.remove(root)
    return analysis
  }

  func allAnalyses() -> [RuleSetAnalysis] {
    workspace.roots.map { analysis(root: $0) }
  }

  /// The analysis and file of a document, nil for a URI outside the workspace.
  func document(_ uri: String) -> (RuleSetAnalysis, SourceFile)? {
    let path = Workspace.path(of: uri)
    guard let root = workspace.root(of: path) else { return nil }
    let analysis = analysis(root: root)
    guard let file = analysis.file(ofPath: path) else { return nil }
    return (analysis, file)
  }

  private func at<T>(
    _ uri: String, _ position: Position, _ body: (RuleSetAnalysis, SourceFile, Int) -> T?
  ) -> T? {
    guard let (analysis, file) = document(uri) else { return nil }
    return body(analysis, file, file.offset(of: position))
  }

  private func atThrowing<T>(
    _ uri: String, _ position: Position,
    _ body: (RuleSetAnalysis, SourceFile, Int) throws(ResponseError) -> T?
  ) throws(ResponseError) -> T? {
    guard let (analysis, file) = document(uri) else { return nil }
    return try body(analysis, file, file.offset(of: position))
  }

  // MARK: Commands

  private func execute(_ p: ExecuteCommandParams) throws(ResponseError) -> (
    any Encodable & Sendable
  )? {
    guard p.command == Self.runTestCommand else {
      throw ResponseError(.invalidParams, "unknown command \(p.command)")
    }
    guard let arguments = p.arguments, arguments.count == 2,
      case .string(let uri) = arguments[0], case .string(let name) = arguments[1]
    else {
      throw ResponseError(.invalidParams, "\(Self.runTestCommand) takes a URI and a test name")
    }
    guard let (analysis, file) = document(uri) else {
      throw ResponseError(.invalidParams, "\(uri) is not in the workspace")
    }
    let outcome = try TestLensFeature.run(analysis, file: file, test: name)
    let path = Workspace.path(of: uri)
    testResults[path, default: [:]][name] = outcome
    publishAll()
    if codeLensRefresh { request("workspace/codeLens/refresh") }
    return TestLensFeature.Summary(passed: outcome.passed, failures: outcome.failures.count)
  }

  // MARK: Writing

  private func params<P: Decodable>(_ type: P.Type, _ data: Data) throws(ResponseError) -> P {
    do {
      return try JSONDecoder().decode(ParamsEnvelope<P>.self, from: data).params
    } catch {
      throw ResponseError(.invalidParams, "invalid params: \(error)")
    }
  }

  private func respond(
    _ id: RequestID?, result: (any Encodable & Sendable)? = nil, error: ResponseError? = nil
  ) {
    send(ResponseMessage(id: id, result: result, error: error))
  }

  private func notify<P: Encodable>(_ method: String, _ params: P) {
    send(OutgoingMessage(method: method, params: params))
  }

  private func request(_ method: String) {
    nextRequestID += 1
    send(
      OutgoingMessage<JSONValue>(
        id: .string("etiquette-\(nextRequestID)"), method: method, params: nil))
  }

  private func send(_ message: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    guard let body = try? encoder.encode(message) else { return }
    writer.write(body)
  }
}

/// Request ids named by `$/cancelRequest`, shared between the reading thread and the server.
final class CancelledRequests: Sendable {
  private let ids = Mutex(Set<RequestID>())

  /// Records the id of a `$/cancelRequest` notification; other messages are left alone.
  func noteIfCancellation(_ data: Data) {
    // Cheap test first: most messages are not cancellations. (Not the whole method name: a
    // JSON encoder may write its slash as `\/`.)
    guard data.count < 4096, let text = String(data: data, encoding: .utf8),
      text.contains("cancelRequest"),
      let message = try? JSONDecoder().decode(ParamsEnvelope<CancelParams>.self, from: data),
      let header = try? JSONDecoder().decode(IncomingMessage.self, from: data),
      header.method == "$/cancelRequest", header.id == nil
    else { return }
    _ = ids.withLock { $0.insert(message.params.id) }
  }

  /// Whether the request was cancelled (forgetting it).
  func take(_ id: RequestID) -> Bool {
    ids.withLock { $0.remove(id) != nil }
  }
}
