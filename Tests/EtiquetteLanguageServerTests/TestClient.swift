import EtiquetteEngine
import EtiquetteLanguageServer
import Foundation
import Testing

/// An LSP client driving the server in-process through its real transport: two pipes carrying
/// `Content-Length` frames, exactly as `etiquette lsp` reads and writes them.
actor TestClient {
  private let toServer = Pipe()
  private let fromServer = Pipe()
  private var iterator: AsyncStream<JSONValue>.AsyncIterator
  private let continuation: AsyncStream<JSONValue>.Continuation
  private var buffered: [JSONValue] = []
  private var nextID = 0
  let serverTask: Task<Int32, Never>

  /// How long a wait may take before the test fails: generous, so a slow machine never fails.
  static let patience = Duration.seconds(600)

  init(debounce: Duration = .zero, clock: any Clock<Duration> = ContinuousClock()) {
    let input = toServer.fileHandleForReading
    let output = fromServer.fileHandleForWriting
    serverTask = Task {
      await LanguageServer.serve(input: input, output: output, debounce: debounce, clock: clock)
    }
    let (stream, continuation) = AsyncStream.makeStream(of: JSONValue.self)
    self.iterator = stream.makeAsyncIterator()
    self.continuation = continuation
    let reader = FrameReader(handle: fromServer.fileHandleForReading)
    let thread = Thread {
      while let frame = reader.next() {
        if case .message(let data) = frame,
          let message = try? JSONDecoder().decode(JSONValue.self, from: data)
        {
          continuation.yield(message)
        }
      }
      continuation.finish()
    }
    thread.start()
  }

  // MARK: Sending

  func sendRaw(_ bytes: Data) {
    toServer.fileHandleForWriting.write(bytes)
  }

  func sendFrame(_ body: Data) {
    var frame = Data("Content-Length: \(body.count)\r\n\r\n".utf8)
    frame.append(body)
    sendRaw(frame)
  }

  func send(_ message: JSONValue) {
    sendFrame((try? JSONEncoder().encode(message)) ?? Data())
  }

  func notify(_ method: String, _ params: JSONValue) {
    send(.object(["jsonrpc": "2.0", "method": .string(method), "params": params]))
  }

  /// Sends a request and waits for its response.
  @discardableResult
  func request(_ method: String, _ params: JSONValue = .object([:])) async throws -> JSONValue {
    nextID += 1
    let id = nextID
    send(
      .object([
        "jsonrpc": "2.0", "id": .number(Double(id)), "method": .string(method), "params": params,
      ]))
    return try await next { $0["id"] == .number(Double(id)) && $0["method"] == nil }
  }

  func closeInput() {
    try? toServer.fileHandleForWriting.close()
  }

  // MARK: Receiving

  /// The next message satisfying `predicate`; others are kept for later waits.
  func next(where predicate: @Sendable (JSONValue) -> Bool) async throws -> JSONValue {
    if let index = buffered.firstIndex(where: predicate) { return buffered.remove(at: index) }
    let continuation = self.continuation
    let watchdog = Task {
      try await Task.sleep(for: Self.patience)
      continuation.finish()
    }
    // The iterator is copied out (an actor may not call a mutating async method on its own
    // property); both copies share the stream's storage, so nothing is lost.
    var messages = iterator
    defer {
      watchdog.cancel()
      iterator = messages
    }
    while let message = await messages.next(isolation: self) {
      if predicate(message) { return message }
      buffered.append(message)
    }
    throw ClientError.noMessage
  }

  /// The diagnostics published for a URI (with a given version, when asked).
  func diagnostics(for uri: String, version: Int? = nil) async throws -> [JSONValue] {
    let message = try await next { message in
      message["method"] == .string("textDocument/publishDiagnostics")
        && message["params"]?["uri"] == .string(uri)
        && (version == nil || message["params"]?["version"] == .number(Double(version ?? 0)))
    }
    return message["params"]?["diagnostics"]?.arrayValue ?? []
  }

  func initialize(root: URL) async throws {
    try await request(
      "initialize",
      .object([
        "processId": .null, "rootUri": .string(root.absoluteString),
        "capabilities": .object([:]),
      ]))
    notify("initialized", .object([:]))
  }

  func open(_ uri: String, text: String, version: Int = 1) {
    notify(
      "textDocument/didOpen",
      .object([
        "textDocument": .object([
          "uri": .string(uri), "languageId": "etiquette", "version": .number(Double(version)),
          "text": .string(text),
        ])
      ]))
  }

  func change(_ uri: String, version: Int, range: JSONValue?, text: String) {
    var change: [String: JSONValue] = ["text": .string(text)]
    if let range { change["range"] = range }
    notify(
      "textDocument/didChange",
      .object([
        "textDocument": .object(["uri": .string(uri), "version": .number(Double(version))]),
        "contentChanges": .array([.object(change)]),
      ]))
  }

  func shutdown() async throws -> Int32 {
    try await request("shutdown", .null)
    notify("exit", .null)
    return await serverTask.value
  }

  enum ClientError: Error { case noMessage }
}

// MARK: - JSON access for assertions

extension JSONValue: ExpressibleByStringLiteral {
  public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue {
  subscript(key: String) -> JSONValue? {
    if case .object(let object) = self { return object[key] }
    return nil
  }

  subscript(index: Int) -> JSONValue? {
    if case .array(let array) = self, array.indices.contains(index) { return array[index] }
    return nil
  }

  var arrayValue: [JSONValue]? {
    if case .array(let array) = self { return array }
    return nil
  }

  var stringValue: String? {
    if case .string(let string) = self { return string }
    return nil
  }

  var intValue: Int? {
    if case .number(let number) = self { return Int(number) }
    return nil
  }

  static func position(_ line: Int, _ character: Int) -> JSONValue {
    .object(["line": .number(Double(line)), "character": .number(Double(character))])
  }

  static func document(_ uri: String, _ line: Int, _ character: Int) -> JSONValue {
    .object(["textDocument": .object(["uri": .string(uri)]), "position": position(line, character)])
  }
}

/// A folder of rule files in the temporary directory, removed by the test when done.
struct RuleFolder {
  let url: URL

  init(_ files: [String: String]) throws {
    url = FileManager.default.temporaryDirectory
      .appendingPathComponent("etiquette-lsp-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    for (name, text) in files {
      try Data(text.utf8).write(to: url.appendingPathComponent(name))
    }
  }

  /// A copy of the repository's example rules.
  static func examples() throws -> RuleFolder {
    let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("rules")
    var files: [String: String] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: rules.path)
    where name.hasSuffix(".etq") {
      files[name] = try String(contentsOf: rules.appendingPathComponent(name), encoding: .utf8)
    }
    return try RuleFolder(files)
  }

  func uri(_ name: String) -> String { url.appendingPathComponent(name).absoluteString }

  func text(_ name: String) throws -> String {
    try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
  }

  func remove() { try? FileManager.default.removeItem(at: url) }
}
