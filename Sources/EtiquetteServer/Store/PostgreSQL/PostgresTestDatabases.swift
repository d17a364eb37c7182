import Foundation
import Logging
import PostgresNIO

// TEST ONLY: databases of their own for the tests that run against a real PostgreSQL server,
// so that they run in parallel without seeing each other's rows. Here rather than in the test
// target because this folder is the only code that imports PostgresNIO.

extension PostgresStore {
  /// TEST ONLY: a new empty database on the server `address` points at (whose own database is
  /// only used to connect); returns the address of the new database. `icuLocale` (letters and
  /// `-` only, e.g. `en-US`) orders its text by that locale, as a production database may.
  static func createTestDatabase(on address: PostgresAddress, icuLocale: String? = nil)
    async throws -> PostgresAddress
  {
    var created = address
    created.database =
      "etq_test_"
      + UUID().uuidString.replacingOccurrences(of: "-", with: "")
      .lowercased()
    let name = created.database
    var locale = ""
    if let icuLocale, !icuLocale.isEmpty,
      icuLocale.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-") })
    {
      locale = " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '\(icuLocale)'"
    }
    let options = locale
    try await withAdministration(address) { connection, logger in
      // A name cannot be a bind parameter; it is ours, made of [a-z0-9_] only (and the
      // locale of letters and dashes).
      try await connection.query(
        PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)\(options)"), logger: logger)
    }
    return created
  }

  /// TEST ONLY: drops a database `createTestDatabase` made, closing its sessions.
  static func dropTestDatabase(_ database: PostgresAddress, administration: PostgresAddress)
    async throws
  {
    let name = database.database
    guard name.hasPrefix("etq_test_"), name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
    else { return }
    try await withAdministration(administration) { connection, logger in
      try await connection.query(
        PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
    }
  }

  private static func withAdministration(
    _ address: PostgresAddress, _ body: (PostgresConnection, Logger) async throws -> Void
  ) async throws {
    let logger = Logger(label: "etiquette.postgres.tests")
    let connection = try await PostgresConnection.connect(
      configuration: .init(
        host: address.host, port: address.port, username: address.user,
        password: address.password, database: address.database, tls: .disable),
      id: 0, logger: logger)
    do {
      try await body(connection, logger)
    } catch {
      try? await connection.close()
      throw PostgresStoreError.readable(error)
    }
    try await connection.close()
  }
}

extension PostgresAddress {
  /// TEST ONLY: the address as a `db` URL, password included (the test server's roles have
  /// none), without TLS (the test server has none).
  var url: String {
    var text = "postgres://\(user)"
    if let password {
      text += ":" + (password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
    }
    return text + "@\(host):\(port)/\(database)?sslmode=disable"
  }
}

extension PostgresStore {
  /// TEST ONLY: ends the sessions listening for jobs on this database (every instance's), as a
  /// network failure or a PostgreSQL restart would; returns how many it ended.
  func terminateJobListeners() async throws -> Int {
    let rows = try await client.query(
      """
      SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND query ILIKE 'LISTEN%'
      """, logger: logger)
    var ended = 0
    for try await terminated in rows.decode(Bool.self) where terminated { ended += 1 }
    return ended
  }
}

extension PostgresStore {
  /// TEST ONLY: the WhatsApp ids of the messages of every stored webhook, in arrival order
  /// (the order their bodies were committed in, across instances).
  func webhookArrivalOrder() async throws -> [String] {
    var ids: [String] = []
    let rows = try await client.query(
      "SELECT body FROM webhooks ORDER BY arrival", logger: logger)
    for try await body in rows.decode(ByteBuffer.self) {
      let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))
      let entries = (object as? [String: Any])?["entry"] as? [[String: Any]] ?? []
      for entry in entries {
        for change in entry["changes"] as? [[String: Any]] ?? [] {
          let value = change["value"] as? [String: Any]
          for message in value?["messages"] as? [[String: Any]] ?? [] {
            if let id = message["id"] as? String { ids.append(id) }
          }
        }
      }
    }
    return ids
  }
}
