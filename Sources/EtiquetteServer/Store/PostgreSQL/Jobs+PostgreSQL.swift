import Foundation
import PostgresNIO

/// The job queue in PostgreSQL: the same rows and contract as SQLite's (`Jobs+SQLite.swift`),
/// made safe for several instances by the statements themselves. A claim takes its rows with
/// `FOR UPDATE SKIP LOCKED` (two instances claiming at once get different jobs, neither
/// waits), a lease is checked in the `WHERE` of the statement that ends it, and every commit
/// that makes jobs claimable sends a `NOTIFY` (its payload the job's kind) that rings the bell
/// of every instance.
extension PostgresStore: JobQueue {
  var jobBell: JobBell { bell }

  func claimJobs(
    _ kinds: Set<JobKind>, owner: String, now: Double, leaseUntil: Double, limit: Int
  ) async throws -> [Job] {
    guard !kinds.isEmpty, limit > 0 else { return [] }
    let names = kinds.map(\.rawValue).sorted()
    // A job waits while an older one of its key exists (pending, leased, or retrying). A head
    // that another instance is claiming right now is locked and skipped; its followers are
    // not eligible since the head still exists.
    let rows = try await client.query(
      """
      WITH due AS (
        SELECT j.id FROM jobs j
        WHERE j.kind = ANY(\(names)) AND j.run_at <= \(now)
          AND (j.status = 'pending' OR j.lease_expires_at <= \(now))
          AND (j.ordering_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM jobs older WHERE older.ordering_key = j.ordering_key
              AND older.id < j.id))
        ORDER BY j.id LIMIT \(limit)
        FOR UPDATE SKIP LOCKED)
      UPDATE jobs SET status = 'leased', lease_owner = \(owner), lease_expires_at = \(leaseUntil),
        claims = jobs.claims + 1, updated_at = \(now)
      FROM due WHERE jobs.id = due.id
      RETURNING jobs.id, jobs.kind, jobs.subject, jobs.ordering_key, jobs.claims,
        jobs.lease_owner
      """, logger: logger)
    var jobs: [Job] = []
    for try await (id, kind, subject, orderingKey, claims, leaseOwner) in rows.decode(
      (Int64, String, String, String?, Int64, String).self)
    {
      guard let kind = JobKind(rawValue: kind) else { continue }
      jobs.append(
        Job(
          id: id, kind: kind, subject: subject, orderingKey: orderingKey, claims: Int(claims),
          owner: leaseOwner))
    }
    return jobs.sorted { $0.id < $1.id }
  }

  func nextJobDue(_ kinds: Set<JobKind>, after now: Double) async throws -> Double? {
    guard !kinds.isEmpty else { return nil }
    let names = kinds.map(\.rawValue).sorted()
    let rows = try await client.query(
      """
      SELECT MIN(CASE WHEN j.status = 'leased' THEN j.lease_expires_at ELSE j.run_at END)
      FROM jobs j
      WHERE j.kind = ANY(\(names))
        AND (j.ordering_key IS NULL OR NOT EXISTS (
          SELECT 1 FROM jobs older WHERE older.ordering_key = j.ordering_key
            AND older.id < j.id))
      """, logger: logger)
    for try await due in rows.decode(Double?.self) {
      return due.map { max($0, now) }
    }
    return nil
  }

  func finishJob(_ job: Job) async throws {
    _ = try await client.withConnection { connection in
      try await Self.finishJob(connection, job, logger: logger)
    }
    if job.orderingKey != nil { bell.ring([job.kind]) }
  }

  func releaseJobs(owner: String) async throws {
    let rows = try await client.query(
      """
      WITH released AS (
        UPDATE jobs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL
        WHERE lease_owner = \(owner) AND status = 'leased' RETURNING kind)
      SELECT DISTINCT kind, pg_notify(\(Self.jobChannel), kind)::text FROM released
      """, logger: logger)
    var released = Set<JobKind>()
    for try await (kind, _) in rows.decode((String, String).self) {
      if let kind = JobKind(rawValue: kind) { released.insert(kind) }
    }
    bell.ring(released)
  }

  func scheduleJob(_ kind: JobKind, subject: String, orderingKey: String?, at time: Double)
    async throws
  {
    let now = clock.seconds
    let added = try await client.withConnection { connection in
      try await Self.enqueueJob(
        connection, kind, subject: subject, orderingKey: orderingKey, runAt: time, now: now,
        logger: logger)
    }
    if added { bell.ring([kind]) }
  }

  // MARK: - Inside the transactions of the domain

  /// Adds a job on the caller's connection (in its transaction, if any) unless a live one has
  /// the same kind and subject; true when added. Every instance's workers of its kind are
  /// woken at the commit (`NOTIFY` is delivered then, and not at all on a rollback); the
  /// caller rings its own bell after its commit.
  ///
  /// INVARIANT: jobs of one ordering key are enqueued under that key's lock (the
  /// conversation's step lock), so their ids, which decide the order, follow commit order.
  static func enqueueJob(
    _ connection: PostgresConnection, _ kind: JobKind, subject: String, orderingKey: String?,
    runAt: Double, now: Double, logger: Logger
  ) async throws -> Bool {
    let rows = try await connection.query(
      """
      WITH added AS (
        INSERT INTO jobs (kind, subject, ordering_key, run_at, created_at, updated_at)
        VALUES (\(kind.rawValue), \(subject), \(orderingKey), \(runAt), \(now), \(now))
        ON CONFLICT (kind, subject) DO NOTHING RETURNING kind)
      SELECT pg_notify(\(jobChannel), kind)::text FROM added
      """, logger: logger)
    for try await _ in rows.decode(String.self) { return true }
    return false
  }

  /// The job done (or failed for good): deleted, which lets the next job of its ordering key
  /// run (and tells the other instances so). False when the worker no longer holds the lease.
  static func finishJob(_ connection: PostgresConnection, _ job: Job, logger: Logger)
    async throws -> Bool
  {
    let notify = job.orderingKey != nil
    let rows = try await connection.query(
      """
      WITH done AS (
        DELETE FROM jobs WHERE id = \(job.id) AND lease_owner = \(job.owner)
          AND status = 'leased' RETURNING kind)
      SELECT CASE WHEN \(notify) THEN pg_notify(\(jobChannel), kind)::text ELSE '' END
      FROM done
      """, logger: logger)
    for try await _ in rows.decode(String.self) { return true }
    return false
  }

  /// The job pending again, due at `runAt`, its lease given back. False when the worker no
  /// longer holds the lease.
  static func retryJob(
    _ connection: PostgresConnection, _ job: Job, runAt: Double, now: Double, logger: Logger
  ) async throws -> Bool {
    let rows = try await connection.query(
      """
      WITH retried AS (
        UPDATE jobs SET status = 'pending', run_at = \(runAt), lease_owner = NULL,
          lease_expires_at = NULL, updated_at = \(now)
        WHERE id = \(job.id) AND lease_owner = \(job.owner) AND status = 'leased'
        RETURNING kind)
      SELECT pg_notify(\(jobChannel), kind)::text FROM retried
      """, logger: logger)
    for try await _ in rows.decode(String.self) { return true }
    return false
  }
}

// MARK: - The job queue's lease check, for its contract tests only

extension PostgresStore {
  /// TEST ONLY: finishes `job` in a transaction of its own and says whether the worker still
  /// held its lease (see `SQLiteStore.finishJobIfLeased`).
  func finishJobIfLeased(_ job: Job) async throws -> Bool {
    let finished = try await client.withConnection { connection in
      try await Self.finishJob(connection, job, logger: logger)
    }
    if finished, job.orderingKey != nil { bell.ring([job.kind]) }
    return finished
  }

  /// TEST ONLY: puts `job` back to run at `runAt`; false when the worker no longer held its
  /// lease.
  func retryJobIfLeased(_ job: Job, runAt: Double, now: Double) async throws -> Bool {
    let retried = try await client.withConnection { connection in
      try await Self.retryJob(connection, job, runAt: runAt, now: now, logger: logger)
    }
    if retried { bell.ring([job.kind]) }
    return retried
  }
}
