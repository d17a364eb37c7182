import EtiquetteEngine
import Foundation
import GRDB

/// The durable store: one SQLite file in WAL mode. Every write goes through GRDB's single
/// writer, which is what keeps the messages of a conversation in arrival order.
///
/// Tables: `webhooks` (raw bodies, committed before the 200), `conversations`, `messages`,
/// `conversation_labels` (with the reason as JSON), `notes`, `read_state`, `decisions` (with
/// the rule-set version), `members` (token hashes), `event_requests` (idempotency keys) and
/// `search` (FTS5 over the transcript and contact names).
public final class Store: Sendable {
  let pool: DatabasePool
  /// The writer's in-memory engine state of hot conversations (see `ConversationCache`).
  let conversationCache = ConversationCache()
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
    }
    configuration.busyMode = .timeout(10)
    pool = try DatabasePool(path: path, configuration: configuration)
    try Self.migrator.migrate(pool)
  }

  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE webhooks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            received_at REAL NOT NULL,
            body BLOB NOT NULL,
            processed_at REAL,
            error TEXT
          );
          CREATE INDEX webhooks_pending ON webhooks(id) WHERE processed_at IS NULL;
          CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            contact_id TEXT NOT NULL,
            phone TEXT,
            user_id TEXT,
            name TEXT,
            attributes TEXT NOT NULL DEFAULT '{}',
            mode TEXT NOT NULL,
            assignee TEXT,
            presence TEXT NOT NULL,
            team TEXT,
            priority TEXT NOT NULL,
            priority_rank INTEGER NOT NULL,
            version INTEGER NOT NULL,
            step_count INTEGER NOT NULL,
            last_step_time REAL,
            held_triggers TEXT NOT NULL DEFAULT '[]',
            transcript_count INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
          );
          CREATE INDEX conversations_phone ON conversations(phone);
          CREATE INDEX conversations_user ON conversations(user_id);
          CREATE INDEX conversations_updated ON conversations(updated_at, id);
          CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            seq INTEGER,
            direction TEXT NOT NULL,
            author TEXT NOT NULL,
            type TEXT,
            wire_type TEXT,
            text TEXT NOT NULL,
            attachments TEXT NOT NULL DEFAULT '[]',
            wa_id TEXT UNIQUE,
            context_id TEXT,
            status TEXT,
            errors TEXT,
            at REAL NOT NULL,
            raw TEXT
          );
          CREATE INDEX messages_conversation ON messages(conversation_id, id);
          CREATE TABLE conversation_labels (
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            label TEXT NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (conversation_id, label)
          );
          CREATE INDEX labels_by_label ON conversation_labels(label, conversation_id);
          CREATE TABLE notes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            author TEXT NOT NULL,
            text TEXT NOT NULL,
            mentions TEXT NOT NULL DEFAULT '[]',
            at REAL NOT NULL
          );
          CREATE TABLE read_state (
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            member TEXT NOT NULL,
            read_count INTEGER NOT NULL,
            PRIMARY KEY (conversation_id, member)
          );
          CREATE TABLE decisions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            step INTEGER NOT NULL,
            rule_set_version TEXT NOT NULL,
            document TEXT NOT NULL,
            at REAL NOT NULL
          );
          CREATE INDEX decisions_conversation ON decisions(conversation_id, step);
          CREATE TABLE members (
            email TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL,
            revoked_at REAL
          );
          CREATE TABLE event_requests (
            idempotency_key TEXT PRIMARY KEY,
            status INTEGER NOT NULL,
            response TEXT NOT NULL,
            at REAL NOT NULL
          );
          CREATE VIRTUAL TABLE search USING fts5(
            conversation_id UNINDEXED, kind UNINDEXED, text,
            tokenize = 'unicode61 remove_diacritics 2'
          );
          """)
    }
    // Each integration owns its tables and registers its migrations here, in a fixed order.
    WebhookOutbox.registerMigrations(&migrator)
    OutgoingMessages.registerMigrations(&migrator)
    LiveEvents.registerMigrations(&migrator)
    // The body an Idempotency-Key was first used with, so a reuse with another body is refused.
    migrator.registerMigration("event-requests-body-hash") { db in
      try db.execute(sql: "ALTER TABLE event_requests ADD COLUMN body_sha256 TEXT")
    }
    return migrator
  }

  // MARK: - Webhooks

  /// Commits the raw body; only then may the 200 go out.
  public func storeWebhook(_ body: [UInt8]) async throws -> Int64 {
    try await pool.write { db in
      try db.execute(
        sql: "INSERT INTO webhooks (received_at, body) VALUES (?, ?)",
        arguments: [clock.seconds, Data(body)])
      return db.lastInsertedRowID
    }
  }

  /// Commits several raw bodies in one transaction (group commit: one WAL append for the
  /// webhooks that arrived together) and returns their ids, in the order given.
  public func storeWebhooks(_ bodies: [[UInt8]]) async throws -> [Int64] {
    try await pool.write { db in
      let now = clock.seconds
      let insert = try db.cachedStatement(
        sql: "INSERT INTO webhooks (received_at, body) VALUES (?, ?)")
      return try bodies.map { body in
        try insert.execute(arguments: [now, Data(body)])
        return db.lastInsertedRowID
      }
    }
  }

  /// Webhook bodies not processed yet, oldest first.
  public func pendingWebhookCount() async throws -> Int {
    try await pool.read { db in
      try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhooks WHERE processed_at IS NULL") ?? 0
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

  public struct MemberRow: Sendable, Hashable {
    public var email: String
    public var createdAt: Date
    public var revokedAt: Date?
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
