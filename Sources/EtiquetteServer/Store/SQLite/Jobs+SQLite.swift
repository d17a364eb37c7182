import Foundation
import GRDB

/// The job queue in SQLite: one `jobs` row per piece of work to do later, written in the
/// transaction that decided it (with the delivery, the queued reply, the media, the AI
/// request it works on), claimed with a lease, and deleted in the transaction that records its
/// outcome. Rows exist only for live work (pending or leased): a job that failed for good is
/// deleted too, its reason kept on the row it worked on.
extension SQLiteStore {
  var jobBell: JobBell { bell }

  func claimJobs(
    _ kinds: Set<JobKind>, owner: String, now: Double, leaseUntil: Double, limit: Int
  ) async throws -> [Job] {
    guard !kinds.isEmpty, limit > 0 else { return [] }
    let names = kinds.map(\.rawValue).sorted()
    let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
    var values: [(any DatabaseValueConvertible)?] = [owner, leaseUntil, now]
    values += names.map { $0 as (any DatabaseValueConvertible)? }
    values += [now, now, limit]
    let arguments = StatementArguments(values)
    let sql = """
      UPDATE jobs SET status = 'leased', lease_owner = ?, lease_expires_at = ?,
        claims = claims + 1, updated_at = ?
      WHERE id IN (
        SELECT j.id FROM jobs j
        WHERE j.kind IN (\(placeholders)) AND j.run_at <= ?
          AND (j.status = 'pending' OR j.lease_expires_at <= ?)
          AND (j.ordering_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM jobs older WHERE older.ordering_key = j.ordering_key
              AND older.id < j.id))
        ORDER BY j.id LIMIT ?)
      RETURNING id, kind, subject, ordering_key, claims, lease_owner
      """
    let finalArguments = arguments
    return try await pool.write { db in
      try Row.fetchAll(db, sql: sql, arguments: finalArguments).compactMap { row -> Job? in
        guard let kind = JobKind(rawValue: row["kind"]) else { return nil }
        return Job(
          id: row["id"], kind: kind, subject: row["subject"], orderingKey: row["ordering_key"],
          claims: row["claims"], owner: row["lease_owner"])
      }.sorted { $0.id < $1.id }
    }
  }

  func nextJobDue(_ kinds: Set<JobKind>, after now: Double) async throws -> Double? {
    guard !kinds.isEmpty else { return nil }
    let names = kinds.map(\.rawValue).sorted()
    let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
    let finalArguments = StatementArguments(names.map { $0 as (any DatabaseValueConvertible)? })
    return try await pool.read { db in
      try Double.fetchOne(
        db,
        sql: """
          SELECT MIN(CASE WHEN j.status = 'leased' THEN j.lease_expires_at ELSE j.run_at END)
          FROM jobs j
          WHERE j.kind IN (\(placeholders))
            AND (j.ordering_key IS NULL OR NOT EXISTS (
              SELECT 1 FROM jobs older WHERE older.ordering_key = j.ordering_key
                AND older.id < j.id))
          """, arguments: finalArguments)
    }.flatMap { $0 > now ? $0 : now }
  }

  func finishJob(_ job: Job) async throws {
    let bell = bell
    _ = try await pool.write { db in try Self.finishJob(db, job, bell: bell) }
  }

  func releaseJobs(owner: String) async throws {
    let bell = bell
    try await pool.write { db in
      let kinds = try String.fetchAll(
        db,
        sql: """
          UPDATE jobs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL
          WHERE lease_owner = ? AND status = 'leased' RETURNING kind
          """, arguments: [owner])
      let released = Set(kinds.compactMap(JobKind.init(rawValue:)))
      db.afterNextTransaction { _ in bell.ring(released) }
    }
  }

  func scheduleJob(_ kind: JobKind, subject: String, orderingKey: String?, at time: Double)
    async throws
  {
    let bell = bell
    let now = clock.seconds
    try await pool.write { db in
      guard
        try Int.fetchOne(
          db, sql: "SELECT 1 FROM jobs WHERE kind = ? AND subject = ?",
          arguments: [kind.rawValue, subject]) == nil
      else { return }
      try Self.enqueueJob(
        db, kind, subject: subject, orderingKey: orderingKey, runAt: time, now: now, bell: bell)
    }
  }

  // MARK: - Inside the transactions of the domain

  /// Adds a job in the caller's transaction; the workers of its kind are woken after the
  /// commit.
  static func enqueueJob(
    _ db: Database, _ kind: JobKind, subject: String, orderingKey: String?, runAt: Double,
    now: Double, bell: JobBell
  ) throws {
    try db.executeCached(
      sql: """
        INSERT INTO jobs (kind, subject, ordering_key, run_at, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?)
        """, arguments: [kind.rawValue, subject, orderingKey, runAt, now, now])
    db.afterNextTransaction { _ in bell.ring([kind]) }
  }

  /// The job done (or failed for good): deleted, which lets the next job of its ordering key
  /// run. False when the worker no longer holds the lease.
  static func finishJob(_ db: Database, _ job: Job, bell: JobBell) throws -> Bool {
    try db.executeCached(
      sql: "DELETE FROM jobs WHERE id = ? AND lease_owner = ? AND status = 'leased'",
      arguments: [job.id, job.owner])
    guard db.changesCount > 0 else { return false }
    if job.orderingKey != nil {
      db.afterNextTransaction { _ in bell.ring([job.kind]) }
    }
    return true
  }

  /// The job pending again, due at `runAt`, its lease given back. False when the worker no
  /// longer holds the lease.
  static func retryJob(_ db: Database, _ job: Job, runAt: Double, now: Double, bell: JobBell)
    throws -> Bool
  {
    try db.executeCached(
      sql: """
        UPDATE jobs SET status = 'pending', run_at = ?, lease_owner = NULL,
          lease_expires_at = NULL, updated_at = ?
        WHERE id = ? AND lease_owner = ? AND status = 'leased'
        """, arguments: [runAt, now, job.id, job.owner])
    guard db.changesCount > 0 else { return false }
    db.afterNextTransaction { _ in bell.ring([job.kind]) }
    return true
  }
}
