import EtiquetteEngine
import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode (tables in `Migrations.swift`). Every write
/// goes through GRDB's single writer, which is what keeps the messages of a conversation in
/// arrival order.
public final class SQLiteStore: Sendable {
  let pool: DatabasePool
  /// The writer's in-memory engine state of hot conversations (see `ConversationCache`).
  let conversationCache = ConversationCache()
  /// Wakes the workers after a commit that made jobs claimable (see `JobBell`).
  let bell = JobBell()
  /// What every stored timestamp reads.
  public let clock: WallClock

  public init(path: String, clock: WallClock = .system) throws {
    self.clock = clock
    var configuration = Configuration()
    configuration.prepareDatabase { db in
      // NORMAL is durable in WAL mode across process crashes (only a power loss can lose the
      // last transactions), and much faster than FULL.
      try db.execute(sql: "PRAGMA synchronous = NORMAL")
      try db.execute(sql: "PRAGMA foreign_keys = ON")
      // Statement journals (a savepoint's: the intake runs one per webhook) in memory: on disk
      // they cost a write system call per page the savepoint changes (seen with strace: two
      // thirds of the writer's writes), and they are never needed after a crash.
      try db.execute(sql: "PRAGMA temp_store = MEMORY")
    }
    configuration.busyMode = .timeout(10)
    pool = try DatabasePool(path: path, configuration: configuration)
    try Self.migrator.migrate(pool)
  }

  // MARK: - Webhooks

  /// Commits raw bodies in one transaction (group commit: one WAL append for the webhooks that
  /// arrived together) and returns their ids, in the order given; only then may their 200s go
  /// out.
  public func storeWebhooks(_ bodies: [[UInt8]]) async throws -> [Int64] {
    let clock = clock
    return try await pool.write { db in
      try Self.insertWebhooks(bodies, in: db, now: clock.seconds)
    }
  }

  static func insertWebhooks(_ bodies: [[UInt8]], in db: Database, now: Double) throws
    -> [Int64]
  {
    let insert = try db.cachedStatement(
      sql: "INSERT INTO webhooks (received_at, body) VALUES (?, ?)")
    return try bodies.map { body in
      try insert.execute(arguments: [now, Data(body)])
      return db.lastInsertedRowID
    }
  }

  // MARK: - Members

  /// Issues a new token for the member (replacing any previous one) and returns it; only its
  /// hash is stored.
  public func addMember(_ email: String) throws -> String {
    let token = MemberToken.generate()
    try pool.write { db in
      try db.execute(
        sql: """
          INSERT INTO members (email, token_hash, created_at, revoked_at) VALUES (?, ?, ?, NULL)
          ON CONFLICT(email) DO UPDATE SET token_hash = excluded.token_hash,
            created_at = excluded.created_at, revoked_at = NULL
          """,
        arguments: [email, MemberToken.hash(token), clock.seconds])
    }
    return token
  }

  public func members() throws -> [MemberRow] {
    try pool.read { db in
      try Row.fetchAll(db, sql: "SELECT * FROM members ORDER BY email").map { row in
        MemberRow(
          email: row["email"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
          revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
      }
    }
  }

  /// Returns false when the email has no active token.
  public func revokeMember(_ email: String) throws -> Bool {
    try pool.write { db in
      try db.execute(
        sql: "UPDATE members SET revoked_at = ? WHERE email = ? AND revoked_at IS NULL",
        arguments: [clock.seconds, email])
      return db.changesCount > 0
    }
  }

  /// The email of an active token's member.
  public func member(forToken token: String) async throws -> String? {
    let hash = MemberToken.hash(token)
    return try await pool.read { db in
      try String.fetchOne(
        db, sql: "SELECT email FROM members WHERE token_hash = ? AND revoked_at IS NULL",
        arguments: [hash])
    }
  }
}
