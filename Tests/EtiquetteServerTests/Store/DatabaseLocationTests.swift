import Foundation
import Testing

@testable import EtiquetteServer

/// `--db`: a path or a PostgreSQL URL, whose password never shows.
@Suite struct DatabaseLocationTests {
  @Test(arguments: ["etiquette.db", "/var/lib/etiquette/inbox.sqlite", "postgres.db"])
  func aPathIsAnSQLiteFile(text: String) throws {
    #expect(try DatabaseLocation(text) == .sqlite(path: text))
  }

  @Test func aURLNamesTheServerAndTheDatabase() throws {
    let location = try DatabaseLocation("postgresql://inbox@db.internal:6543/etiquette")
    #expect(
      location
        == .postgres(
          PostgresAddress(host: "db.internal", port: 6543, user: "inbox", database: "etiquette")))
    #expect(location.description == "postgres://inbox@db.internal:6543/etiquette")
  }

  @Test func thePasswordComesFromTheEnvironmentFirstAndIsNeverShown() throws {
    let inURL = try DatabaseLocation("postgres://inbox:s3cr%40t@127.0.0.1/etiquette")
    guard case .postgres(let address) = inURL else {
      Issue.record("not a PostgreSQL location")
      return
    }
    #expect(address.password == "s3cr@t" && address.port == 5432)
    #expect(!inURL.description.contains("s3cr"))
    let fromEnvironment = try DatabaseLocation(
      "postgres://inbox:s3cr%40t@127.0.0.1/etiquette?sslmode=require",
      environment: ["ETIQUETTE_DB_PASSWORD": "other-secret"])
    guard case .postgres(let other) = fromEnvironment else { return }
    #expect(other.password == "other-secret" && other.security == .require)
    #expect(
      fromEnvironment.description == "postgres://inbox@127.0.0.1:5432/etiquette?sslmode=require")
  }

  @Test(arguments: [
    "postgres://inbox:hunter2@/etiquette", "postgres://:hunter2@host/etiquette",
    "postgres://inbox:hunter2@host/", "postgres://inbox:hunter2@host:99999/db",
    "postgres://inbox:hunter2@host/db?sslmode=verify-full",
    "postgres://inbox:hunter2@host/db?password=x", "postgres://inbox:hunter2@ho st/db", "",
  ])
  func aBadURLIsRefusedWithoutQuotingItsPassword(text: String) {
    #expect {
      try DatabaseLocation(text)
    } throws: { error in
      !"\(error)".contains("hunter2") && !"\(error)".isEmpty
    }
  }

  @Test func theConfigurationLogsNoPassword() {
    var configuration = ServerConfiguration()
    configuration.databasePath = "postgres://inbox:hunter2@127.0.0.1:5432/etiquette"
    configuration.apply(environment: ["ETIQUETTE_DB_PASSWORD": "from-env"])
    #expect(!configuration.description.contains("hunter2"))
    #expect(configuration.description.contains("db=postgres://inbox@127.0.0.1:5432/etiquette"))
    #expect(configuration.problems().isEmpty, "a PostgreSQL URL is a valid db")
  }
}
