import Foundation

/// Where the store lives: an SQLite file (the embedded default) or a PostgreSQL database that
/// several instances share. `--db` and the configuration's `db` take either: a path, or a
/// `postgres://user@host:port/database` URL.
///
/// Its description never shows a password, so it can go into logs and error messages as it is.
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
  case sqlite(path: String)
  case postgres(PostgresAddress)

  /// Reads `--db`: a `postgres://` or `postgresql://` URL, or else a file path. The password
  /// comes from `ETIQUETTE_DB_PASSWORD` in `environment` when it is set, else from the URL, so
  /// a configuration file can name the database without holding its secret.
  public init(_ text: String, environment: [String: String] = [:]) throws(DatabaseLocationError) {
    let lowered = text.lowercased()
    guard lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") else {
      guard !text.isEmpty else { throw DatabaseLocationError("db must not be empty") }
      self = .sqlite(path: text)
      return
    }
    self = .postgres(try PostgresAddress(url: text, environment: environment))
  }

  public var description: String {
    switch self {
    case .sqlite(let path): path
    case .postgres(let address): address.description
    }
  }
}

/// A PostgreSQL server and database, with the credentials to reach it.
public struct PostgresAddress: Sendable, Hashable, CustomStringConvertible {
  /// How the connection is encrypted: libpq's `sslmode` values that mean something here.
  public enum TransportSecurity: String, Sendable, Hashable, CaseIterable {
    /// Plain TCP: a loopback or a private network.
    case disable
    /// TLS when the server offers it (libpq's default).
    case prefer
    /// TLS or no connection.
    case require
  }

  public var host: String
  public var port: Int
  public var user: String
  /// Never part of `description`.
  public var password: String?
  public var database: String
  public var security: TransportSecurity

  public init(
    host: String, port: Int = 5432, user: String, password: String? = nil, database: String,
    security: TransportSecurity = .prefer
  ) {
    self.host = host
    self.port = port
    self.user = user
    self.password = password
    self.database = database
    self.security = security
  }

  init(url text: String, environment: [String: String]) throws(DatabaseLocationError) {
    // The text may hold a password: no message below quotes it.
    guard let components = URLComponents(string: text), let host = components.host,
      !host.isEmpty
    else {
      throw DatabaseLocationError(
        "db is not a valid postgres://user@host:port/database URL (the URL is not shown: it "
          + "may hold a password)")
    }
    guard let user = components.percentEncodedUser?.removingPercentEncoding, !user.isEmpty else {
      throw DatabaseLocationError("db: the PostgreSQL URL names no user (postgres://USER@host/db)")
    }
    let database = String(components.percentEncodedPath.dropFirst()).removingPercentEncoding ?? ""
    guard !database.isEmpty, !database.contains("/") else {
      throw DatabaseLocationError(
        "db: the PostgreSQL URL names no database (postgres://user@host:port/DATABASE)")
    }
    let port = components.port ?? 5432
    guard (1...65_535).contains(port) else {
      throw DatabaseLocationError("db: the PostgreSQL port must be between 1 and 65535")
    }
    var security = TransportSecurity.prefer
    for item in components.queryItems ?? [] {
      guard item.name == "sslmode" else {
        throw DatabaseLocationError(
          "db: unknown PostgreSQL URL parameter \"\(item.name)\" (known: sslmode)")
      }
      guard let mode = item.value.flatMap(TransportSecurity.init(rawValue:)) else {
        throw DatabaseLocationError(
          "db: sslmode must be one of "
            + TransportSecurity.allCases.map(\.rawValue).joined(separator: ", "))
      }
      security = mode
    }
    let fromEnvironment = environment["ETIQUETTE_DB_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
    self.init(
      host: host, port: port, user: user,
      password: fromEnvironment ?? components.percentEncodedPassword?.removingPercentEncoding,
      database: database, security: security)
  }

  /// The URL without its password (`postgres://user@host:port/database`).
  public var description: String {
    var text = "postgres://\(user)@\(host):\(port)/\(database)"
    if security != .prefer { text += "?sslmode=\(security.rawValue)" }
    return text
  }
}

/// Why `db` could not be read; its message never quotes a password.
public struct DatabaseLocationError: Error, CustomStringConvertible, Sendable, Equatable {
  public var description: String
  init(_ description: String) { self.description = description }
}

extension DatabaseLocation {
  /// Opens the store's members (migrating its schema), runs `body`, and closes it: what
  /// `etiquette member` does on either store.
  public func withMemberDirectory<Value: Sendable>(
    clock: WallClock = .system, _ body: (any MemberDirectory) async throws -> Value
  ) async throws -> Value {
    switch self {
    case .sqlite(let path):
      return try await body(SQLiteStore(path: path, clock: clock))
    case .postgres(let address):
      let store = try await PostgresStore.open(address, clock: clock, maximumConnections: 2)
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
