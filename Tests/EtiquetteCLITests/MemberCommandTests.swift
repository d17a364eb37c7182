import Foundation
import Testing

@testable import EtiquetteServer

/// `etiquette member add|list|revoke` on a real database file.
@Suite struct MemberCommandTests {
  @Test func tokensAreCreatedListedAndRevoked() throws {
    let directory = try CommandRunner.temporaryDirectory()
    let db = directory + "/inbox.db"
    let rules = CommandRunner.repositoryRoot + "/rules/"
    let added = try CommandRunner.run(
      ["member", "add", "bruno@exemple.fr", "--rules", rules, "--db", db])
    #expect(added.status == 0, "\(added.stderr)")
    let token = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(token.count >= 32, "a long random token is printed once")
    #expect(added.stderr.contains("shown only this once"))

    let stranger = try CommandRunner.run(
      ["member", "add", "inconnu@exemple.fr", "--rules", rules, "--db", db])
    #expect(stranger.status == 2)
    #expect(stranger.stderr.contains("\"inconnu@exemple.fr\" is in no team of"))
    #expect(stranger.stderr.contains("--ai-agent"))

    let list = try CommandRunner.run(["member", "list", "--db", db])
    #expect(list.stdout == "bruno@exemple.fr\tactive\n")
    let revoked = try CommandRunner.run(["member", "revoke", "bruno@exemple.fr", "--db", db])
    #expect(revoked.stdout == "revoked bruno@exemple.fr\n")
    #expect(try CommandRunner.run(["member", "list", "--db", db]).stdout.contains("revoked"))
    #expect(
      try CommandRunner.run(["member", "revoke", "bruno@exemple.fr", "--db", db]).status == 2)
  }

  /// An external AI agent answers through the API with a token of its own; it belongs to no
  /// team, so the server configuration's `ai_agents` vouches for it instead.
  @Test func aiAgentTokensNeedTheConfiguration() throws {
    let directory = try CommandRunner.temporaryDirectory()
    let db = directory + "/inbox.db"
    let config = directory + "/etiquette.json"
    try #"{"ai_agents": ["agent@ia.exemple.fr"]}"#.write(
      toFile: config, atomically: true, encoding: .utf8)
    let added = try CommandRunner.run(
      ["member", "add", "agent@ia.exemple.fr", "--ai-agent", "--config", config, "--db", db])
    #expect(added.status == 0, "\(added.stderr)")
    #expect(!added.stdout.isEmpty)
    let unlisted = try CommandRunner.run(
      ["member", "add", "autre@ia.exemple.fr", "--ai-agent", "--config", config, "--db", db])
    #expect(unlisted.status == 2)
    #expect(unlisted.stderr.contains("is not listed in ai_agents of \(config)"))
  }
}

/// The same commands on a PostgreSQL database (issue 15), and `serve` refusing it for now.
@Suite struct PostgresMemberCommandTests {
  /// `ETIQUETTE_TEST_POSTGRES_URL`, the tests' server (see the server tests' `TestPostgres`).
  static let server: PostgresAddress? = {
    let environment = ProcessInfo.processInfo.environment
    guard let text = environment["ETIQUETTE_TEST_POSTGRES_URL"],
      case .postgres(let address) = try? DatabaseLocation(text, environment: environment)
    else { return nil }
    return address
  }()

  @Test(
    .enabled(
      if: server != nil,
      "ETIQUETTE_TEST_POSTGRES_URL is unset: `etiquette member` was tested on SQLite only"))
  func tokensAreCreatedListedAndRevokedInPostgres() async throws {
    let server = try #require(Self.server)
    let database = try await PostgresStore.createTestDatabase(on: server)
    do {
      try Self.manageMembers(in: database)
    } catch {
      try? await PostgresStore.dropTestDatabase(database, administration: server)
      throw error
    }
    try await PostgresStore.dropTestDatabase(database, administration: server)
  }

  static func manageMembers(in database: PostgresAddress) throws {
    let rules = CommandRunner.repositoryRoot + "/rules/"
    // The password travels in the environment; the URL names none.
    let db = database.description
    let environment = database.password.map { ["ETIQUETTE_DB_PASSWORD": $0] } ?? [:]
    let added = try CommandRunner.run(
      ["member", "add", "bruno@exemple.fr", "--rules", rules, "--db", db],
      environment: environment)
    #expect(added.status == 0, "\(added.stderr)")
    #expect(added.stdout.trimmingCharacters(in: .whitespacesAndNewlines).count >= 32)
    let list = try CommandRunner.run(["member", "list", "--db", db], environment: environment)
    #expect(list.stdout == "bruno@exemple.fr\tactive\n", "\(list.stderr)")
    let invited = try CommandRunner.run(
      ["member", "invite", "bruno@exemple.fr", "--rules", rules, "--db", db],
      environment: environment)
    #expect(invited.status == 0 && invited.stdout.contains("/invitation/etq_"), "\(invited.stderr)")
    let revoked = try CommandRunner.run(
      ["member", "revoke", "bruno@exemple.fr", "--db", db], environment: environment)
    #expect(revoked.stdout == "revoked bruno@exemple.fr\n", "\(revoked.stderr)")
    #expect(
      try CommandRunner.run(["member", "list", "--db", db], environment: environment).stdout
        == "bruno@exemple.fr\trevoked\n")
  }

  @Test func anUnreachableDatabaseIsReportedWithoutItsPassword() throws {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let result = try CommandRunner.run([
      "member", "list", "--db", "postgres://inbox:hunter2@127.0.0.1:1/etiquette",
    ])
    #expect(result.status == 2)
    #expect(result.stderr.contains("postgres://inbox@127.0.0.1:1/etiquette"), "\(result.stderr)")
    #expect(!result.stderr.contains("hunter2"))
  }

  @Test func serveReportsAnUnreachablePostgresWithoutItsPassword() throws {
    let result = try CommandRunner.run(
      [
        "serve", "--rules", CommandRunner.repositoryRoot + "/rules/", "--db",
        "postgres://inbox@127.0.0.1:1/etiquette",
      ], environment: ["ETIQUETTE_DB_PASSWORD": "hunter2"])
    #expect(result.status == 1)
    #expect(
      result.stderr.contains(
        "error: cannot connect to the PostgreSQL database postgres://inbox@127.0.0.1:1/etiquette"),
      "\(result.stderr)")
    #expect(!result.stderr.contains("hunter2"))
  }
}
