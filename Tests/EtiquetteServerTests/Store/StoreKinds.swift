import Foundation
import Testing

@testable import EtiquetteServer

/// The store implementations the storage tests run against: one parameterised test, the same
/// assertions on each (not a copy of the tests per store).
///
/// PostgreSQL needs a real server: its tests read `ETIQUETTE_TEST_POSTGRES_URL`
/// (`postgres://user@127.0.0.1:port/postgres`, a role that may create databases); `.ci/run`
/// starts one and sets it. Unset, the PostgreSQL cases are left out and
/// `PostgresAvailabilityTests` says so in the test output; with `ETIQUETTE_REQUIRE_POSTGRES=1`
/// (CI) an unset or unreachable server fails instead.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
  case sqlite
  case postgres

  var testDescription: String { rawValue }

  /// The kinds this run can test.
  static var available: [StoreKind] {
    TestPostgres.address == nil ? [.sqlite] : [.sqlite, .postgres]
  }

  /// A fresh, empty store of this kind (an SQLite file, or a PostgreSQL database of its own),
  /// given to `body`, then closed and dropped.
  func withStore<Value: Sendable>(
    clock: WallClock, _ body: (any TestedStore) async throws -> Value
  ) async throws -> Value {
    switch self {
    case .sqlite:
      let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("etiquette-store-\(UUID().uuidString).db").path
      return try await body(SQLiteStore(path: path, clock: clock))
    case .postgres:
      return try await TestPostgres.withDatabase { address in
        let store = try await PostgresStore.open(
          address, clock: clock, maximumConnections: 4, connectTimeout: TestPostgres.patience)
        do {
          let value = try await body(store)
          await store.close()
          return value
        } catch {
          await store.close()
          throw error
        }
      }
    }
  }
}

/// What the storage tests call on a store: the storage interface they test, and the lease
/// checks the queue's contract tests call alone.
protocol TestedStore: MemberDirectory, JobQueue, RuleVersionStore {
  func finishJobIfLeased(_ job: Job) async throws -> Bool
  func retryJobIfLeased(_ job: Job, runAt: Double, now: Double) async throws -> Bool
}

extension SQLiteStore: TestedStore {}
extension PostgresStore: TestedStore {}

/// The PostgreSQL server of the tests, when there is one.
enum TestPostgres {
  static let variable = "ETIQUETTE_TEST_POSTGRES_URL"

  /// The server's address, or nil when the variable is unset (or not a `postgres://` URL).
  static let address: PostgresAddress? = {
    let environment = ProcessInfo.processInfo.environment
    guard let text = environment[variable], !text.isEmpty,
      case .postgres(let address) = try? DatabaseLocation(text, environment: environment)
    else { return nil }
    return address
  }()

  /// How long a test waits for a connection or the listener: the whole suite runs in
  /// parallel on two cores, where a connection that takes milliseconds alone can wait
  /// seconds for a thread; a server that is really down fails long before (refused at once).
  static let patience: Duration = .seconds(300)

  static var required: Bool {
    ProcessInfo.processInfo.environment["ETIQUETTE_REQUIRE_POSTGRES"] == "1"
  }

  /// A database of its own for `body` (created, then dropped whatever `body` does).
  static func withDatabase<Value: Sendable>(
    icuLocale: String? = nil, _ body: (PostgresAddress) async throws -> Value
  ) async throws -> Value {
    let server = try #require(address, "\(variable) is not set")
    let database = try await PostgresStore.createTestDatabase(on: server, icuLocale: icuLocale)
    do {
      let value = try await body(database)
      try await PostgresStore.dropTestDatabase(database, administration: server)
      return value
    } catch {
      try? await PostgresStore.dropTestDatabase(database, administration: server)
      throw error
    }
  }
}

/// Says in the test output whether the PostgreSQL cases ran.
@Suite struct PostgresAvailabilityTests {
  @Test(
    .enabled(
      if: TestPostgres.address != nil || TestPostgres.required,
      """
      ETIQUETTE_TEST_POSTGRES_URL is unset: the storage tests ran on SQLite only (.ci/run \
      starts a PostgreSQL server and runs them on both)
      """))
  func thePostgresServerOfTheTestsIsReachable() async throws {
    try #require(
      TestPostgres.address != nil,
      "ETIQUETTE_REQUIRE_POSTGRES=1 but ETIQUETTE_TEST_POSTGRES_URL is unset")
    let members = try await TestPostgres.withDatabase { address in
      let store = try await PostgresStore.open(
        address, clock: .fixed(Date(timeIntervalSince1970: 0)),
        connectTimeout: TestPostgres.patience)
      let members = try await store.members()
      await store.close()
      return members
    }
    #expect(members.isEmpty)
  }
}
