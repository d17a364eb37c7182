import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL schema, as one ordered list of named migrations: each runs once, in its own
/// transaction, and is recorded in `schema_migrations`. Never edit a migration that shipped;
/// add one.
///
/// Timestamps are Unix seconds in `DOUBLE PRECISION`, as SQLite's `REAL`: the same clock values
/// go in and come out of both stores, so the services and their tests see no difference.
extension PostgresStore {
  struct Migration: Sendable {
    var name: String
    /// One statement each: the extended protocol runs one statement per query.
    var statements: [String]
  }

  static let migrations: [Migration] = [
    Migration(
      name: "members-v1",
      statements: [
        """
        CREATE TABLE members (
          email TEXT PRIMARY KEY,
          token_hash TEXT NOT NULL UNIQUE,
          created_at DOUBLE PRECISION NOT NULL,
          revoked_at DOUBLE PRECISION
        )
        """,
        // The web inbox's invitations: `etiquette member invite` writes them.
        """
        CREATE TABLE web_invitations (
          token_hash TEXT PRIMARY KEY,
          email TEXT NOT NULL,
          expires_at DOUBLE PRECISION NOT NULL,
          used_at DOUBLE PRECISION,
          created_at DOUBLE PRECISION NOT NULL
        )
        """,
      ]),
    Migration(
      name: "jobs-v1",
      statements: [
        // INVARIANT: a row exists only while its work is live (pending or leased), so
        // (kind, subject) is unique: scheduling twice is an `ON CONFLICT DO NOTHING`, not a
        // check-then-insert two instances could both pass.
        """
        CREATE TABLE jobs (
          id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          kind TEXT NOT NULL,
          subject TEXT NOT NULL,
          ordering_key TEXT,
          status TEXT NOT NULL DEFAULT 'pending',
          claims BIGINT NOT NULL DEFAULT 0,
          run_at DOUBLE PRECISION NOT NULL,
          lease_owner TEXT,
          lease_expires_at DOUBLE PRECISION,
          created_at DOUBLE PRECISION NOT NULL,
          updated_at DOUBLE PRECISION NOT NULL,
          UNIQUE (kind, subject)
        )
        """,
        "CREATE INDEX jobs_due ON jobs (kind, run_at)",
        // The claim's "no older job of this key" test.
        "CREATE INDEX jobs_ordering ON jobs (ordering_key, id) WHERE ordering_key IS NOT NULL",
        "CREATE INDEX jobs_owner ON jobs (lease_owner) WHERE lease_owner IS NOT NULL",
      ]),
    // Full-text search (`Search+PostgreSQL.swift`).
    searchMigration,
    // The admin console's published rule versions (`RuleVersions+PostgreSQL.swift`): every
    // instance reads one history. The files are one JSON text (`jsonb` refuses `\u0000`,
    // which a rule file may hold).
    Migration(
      name: "rule-versions-v1",
      statements: [
        """
        CREATE TABLE rule_versions (
          number BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          author TEXT NOT NULL,
          at DOUBLE PRECISION NOT NULL,
          message TEXT NOT NULL,
          digest TEXT NOT NULL,
          files TEXT NOT NULL
        )
        """
      ]),
    // The inbox: conversations, intake, queues, sessions, live events
    // (`InboxTables+PostgreSQL.swift`).
    inboxMigration,
    // `seq` orders where SQLite reads by rowid (`History+PostgreSQL.swift`).
    readOrderMigration,
    // Each webhook's customers, so that the intake orders per customer (`Intake+PostgreSQL`).
    intakeOrderMigration,
  ]

  /// The key of the session advisory lock held while migrating ("ETQM"): instances starting
  /// together wait for the first one's migrations instead of racing to create the same tables.
  static let migrationLock: Int64 = 0x4554_514D

  /// Applies the migrations not yet recorded, under the migration lock (a session lock: the
  /// server releases it if this connection dies).
  static func migrate(on connection: PostgresConnection, clock: WallClock, logger: Logger)
    async throws
  {
    try await connection.query("SELECT pg_advisory_lock(\(migrationLock))", logger: logger)
    do {
      try await applyMigrations(on: connection, clock: clock, logger: logger)
    } catch {
      _ = try? await connection.query(
        "SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
      throw error
    }
    try await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
  }

  private static func applyMigrations(
    on connection: PostgresConnection, clock: WallClock, logger: Logger
  ) async throws {
    try await connection.query(
      """
      CREATE TABLE IF NOT EXISTS schema_migrations (
        name TEXT PRIMARY KEY,
        applied_at DOUBLE PRECISION NOT NULL
      )
      """, logger: logger)
    var applied = Set<String>()
    for try await name in try await connection.query(
      "SELECT name FROM schema_migrations", logger: logger
    ).decode(String.self) {
      applied.insert(name)
    }
    let now = clock.seconds
    for migration in migrations where !applied.contains(migration.name) {
      try await connection.withTransaction(logger: logger) { connection in
        for statement in migration.statements {
          try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
        try await connection.query(
          "INSERT INTO schema_migrations (name, applied_at) VALUES (\(migration.name), \(now))",
          logger: logger)
      }
      logger.info("PostgreSQL migration \(migration.name) applied")
    }
  }
}
