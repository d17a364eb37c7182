import EtiquetteEngine
import EtiquetteTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// A server on the example rules with a fresh SQLite file, members with tokens, and helpers to
/// post signed webhooks.
struct ServerHarness {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures")
  static let secret = "test-app-secret"
  static let integrationKey = "test-integration-key"
  static let members = [
    "alice@exemple.fr", "bruno@exemple.fr", "chloe@exemple.fr", "dev@exemple.fr",
    "manon@exemple.fr", "audit@exemple.fr",
  ]

  let directory: URL
  let server: InboxServer
  var tokens: [String: String] = [:]
  /// Closes the server's store when the last copy of the harness goes (PostgreSQL: its
  /// connections), since a test ends without a teardown.
  private let closer: StoreCloser

  /// `configure` adjusts the configuration last (webhook subscriptions, a fake Graph API …).
  /// The server's clock starts at `TestClock.start` unless the test pins `clock`: a test whose
  /// outcome depends on the hour (routing `when not during "bureau"`) passes its own instant.
  ///
  /// The store is the one `TestStore.kind` names: an SQLite file, or with
  /// `ETIQUETTE_TEST_STORE=postgres` a PostgreSQL database of its own — one per database
  /// path, so two harnesses given the same path (a restart) share it.
  init(
    rulesDirectory: String? = nil, databasePath: String? = nil,
    clock: WallClock = .starting(at: TestClock.start),
    configure: (inout ServerConfiguration) -> Void = { _ in }
  ) async throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etiquette-server-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    var configuration = ServerConfiguration()
    configuration.rulesDirectory =
      rulesDirectory ?? Self.fixtures.appendingPathComponent("rules").path
    configuration.databasePath =
      databasePath ?? directory.appendingPathComponent("etiquette.db").path
    configuration.whatsappAppSecret = Self.secret
    configuration.whatsappVerifyToken = "verify-me"
    configuration.integrationKeys = [Self.integrationKey]
    configuration.rulesPollInterval = nil
    configure(&configuration)
    configuration.databasePath = try await TestStore.database(for: configuration.databasePath)
    // Hundreds of servers at once on one PostgreSQL server: a few connections each (one
    // listens), and the patience of a loaded machine.
    configuration.databasePoolSize = 3
    configuration.databaseConnectTimeout = TestPostgres.patience
    server = try await InboxServer.open(configuration: configuration, clock: clock)
    closer = StoreCloser(server)
    for member in Self.members { tokens[member] = try await server.store.addMember(member) }
  }

  /// Runs `body` with a client of the server (in-process by default, `.live` for a socket):
  /// every response it receives is checked against the OpenAPI document.
  @discardableResult
  func test<Value>(
    _ setup: TestingSetup = .router,
    _ body: @Sendable (any TestClientProtocol) async throws -> Value
  ) async throws -> Value {
    try await Self.test(server.makeApplication(), setup, body)
  }

  /// The same for the application of a server the test built itself.
  @discardableResult
  static func test<Value>(
    _ application: some ApplicationProtocol, _ setup: TestingSetup = .router,
    _ body: @Sendable (any TestClientProtocol) async throws -> Value
  ) async throws -> Value {
    try await application.test(setup) { client in
      try await body(ContractCheckedClient(base: client))
    }
  }

  static func fixture(_ file: String) throws -> [String: JSONValue] {
    let data = try Data(
      contentsOf: fixtures.appendingPathComponent("whatsapp").appendingPathComponent(file))
    guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: data) else {
      return [:]
    }
    return object
  }

  static func encode(_ value: JSONValue) -> [UInt8] {
    Array(JSONLine.encode(value).utf8)
  }

  /// One request to the API through a test client: the status and the JSON body.
  static func send(
    _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String,
    headers: HTTPFields, json: String? = nil
  ) async throws -> (HTTPResponse.Status, JSONValue) {
    try await client.execute(
      uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }
    ) { ($0.status, ServerHarness.json($0)) }
  }

  /// A text message webhook from a phone number.
  static func textWebhook(
    from phone: String, id: String, text: String, name: String = "Client", at: Int = 1_764_064_800
  ) -> [UInt8] {
    let message: JSONValue = .object([
      "from": .string(phone), "id": .string(id), "timestamp": .string(String(at)),
      "type": .string("text"), "text": .object(["body": .string(text)]),
    ])
    return messageWebhook(from: phone, name: name, message: message)
  }

  /// The webhook Meta sends for one incoming `message` from a phone number.
  static func messageWebhook(from phone: String, name: String, message: JSONValue) -> [UInt8] {
    let value: JSONValue = .object([
      "messaging_product": .string("whatsapp"),
      "contacts": .array([
        .object(["profile": .object(["name": .string(name)]), "wa_id": .string(phone)])
      ]),
      "messages": .array([message]),
    ])
    return webhook(value: value)
  }

  /// The envelope Meta wraps one change's `value` in.
  static func webhook(value: JSONValue) -> [UInt8] {
    encode(
      .object([
        "object": .string("whatsapp_business_account"),
        "entry": .array([
          .object([
            "id": .string("1"),
            "changes": .array([.object(["field": .string("messages"), "value": value])]),
          ])
        ]),
      ]))
  }

  /// A copy of the fixture rules in a folder of its own, for tests that edit and reload them:
  /// the folder, the file and the text it starts with.
  static func editableRules() throws -> (directory: URL, file: URL, text: String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etiquette-rules-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let file = directory.appendingPathComponent("rules.etq")
    let text = try String(
      contentsOf: fixtures.appendingPathComponent("rules/complete.etq"), encoding: .utf8)
    try text.write(to: file, atomically: true, encoding: .utf8)
    return (directory, file, text)
  }

  static func signedHeaders(_ body: [UInt8], secret: String = secret) -> HTTPFields {
    var headers = HTTPFields()
    headers[HTTPField.Name("X-Hub-Signature-256")!] =
      WebhookSignature.header(body: body, secret: secret)
    headers[.contentType] = "application/json"
    return headers
  }

  func auth(_ member: String) -> HTTPFields {
    var headers = HTTPFields()
    headers[.authorization] = "Bearer \(tokens[member] ?? "none")"
    headers[.contentType] = "application/json"
    return headers
  }

  @discardableResult
  static func post(_ client: any TestClientProtocol, webhook body: [UInt8]) async throws
    -> HTTPResponse.Status
  {
    try await client.execute(
      uri: "/webhooks/whatsapp", method: .post, headers: signedHeaders(body),
      body: ByteBuffer(bytes: body)
    ) { $0.status }
  }

  static func json(_ response: TestResponse) -> JSONValue {
    (try? JSONDecoder().decode(JSONValue.self, from: Data(response.body.readableBytesView)))
      ?? .null
  }

  func list(_ client: any TestClientProtocol, as member: String, query: String = "")
    async throws -> [JSONValue]
  {
    try await client.execute(
      uri: "/v1/conversations" + query, method: .get, headers: auth(member)
    ) { response in
      #expect(response.status == .ok)
      return Self.json(response)["conversations"]?.arrayValue ?? []
    }
  }

  /// What the server's store holds, read-only: tests check stored facts through it, never
  /// with SQL.
  var inspect: any StoreInspection { server.store.storeInspection }
}

/// Polls `condition` every 20 ms, `seconds × 50` times at most; true when it held. The budget
/// counts polls, not the wall clock: with hundreds of tests sharing two cooperative threads a
/// task can wait a minute for its turn, and a wall-clock deadline then expired before the
/// condition was looked at again (a flake seen in CI). A condition that holds returns at once.
func eventually(
  within seconds: Double = 60, _ condition: () async throws -> Bool
) async rethrows -> Bool {
  for _ in 0..<Int(seconds * 50) {
    if try await condition() { return true }
    try? await Task.sleep(for: .milliseconds(20))
  }
  return try await condition()
}

/// Closes a server's store once nothing holds the harness any more.
private final class StoreCloser: Sendable {
  let server: InboxServer
  init(_ server: InboxServer) { self.server = server }
  deinit {
    let server = server
    Task { await server.close() }
  }
}

/// The store the server tests run on: SQLite unless `ETIQUETTE_TEST_STORE=postgres`, which
/// `.ci/run` sets for its second run of the suite (with `ETIQUETTE_TEST_POSTGRES_URL`): the same
/// tests, every one, on each store.
enum TestStore {
  static let kind: StoreKind =
    ProcessInfo.processInfo.environment["ETIQUETTE_TEST_STORE"] == "postgres" ? .postgres : .sqlite

  /// What the server's `db` is for a test's database path: the path itself on SQLite; on
  /// PostgreSQL the URL of a database made for that path (the same one for the same path).
  static func database(for path: String) async throws -> String {
    guard kind == .postgres, !path.hasPrefix("postgres://"), !path.hasPrefix("postgresql://")
    else { return path }
    return try await databases.database(for: path)
  }

  private static let databases = Databases()

  private actor Databases {
    private var made: [String: Task<String, any Error>] = [:]

    func database(for path: String) async throws -> String {
      if let task = made[path] { return try await task.value }
      let task = Task {
        let server = try #require(
          TestPostgres.address, "ETIQUETTE_TEST_STORE=postgres needs ETIQUETTE_TEST_POSTGRES_URL")
        return try await PostgresStore.createTestDatabase(on: server).url
      }
      made[path] = task
      return try await task.value
    }
  }
}

/// What tests do to a store besides using it, on either store: faults, rows from the past.
protocol TestFaults: Sendable {
  func injectMessageInsertFault(whatsappID: String) async throws
  func removeInjectedFaults() async throws
  func backdateDelivery(seq: Int64, status: String, updatedAt: Double) async throws
  func storeHeldTriggers(_ names: [String], conversation id: String) async throws
}

extension SQLiteStore: TestFaults {}
extension PostgresStore: TestFaults {}

extension InboxServer {
  /// The store's test hooks, whichever it is.
  var faults: any TestFaults {
    guard let store = store as? any TestFaults else { fatalError("no test hooks on this store") }
    return store
  }

  /// The intake's conversation cache, whichever the store.
  var conversationCache: ConversationCache {
    if let store = store as? PostgresStore { return store.conversationCache }
    return sqlite.conversationCache
  }

  /// The SQLite store behind the storage interface, for tests that inject faults or read a
  /// diagnostic of SQLite itself.
  var sqlite: SQLiteStore {
    guard let store = store as? SQLiteStore else { fatalError("the test server runs on SQLite") }
    return store
  }
}
