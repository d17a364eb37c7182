import EtiquetteEngine
import Foundation
import Logging
import PostgresNIO

/// One transaction of engine steps on PostgreSQL: its connection, and what it leaves for its
/// end (the live events, stored last, see `PostgresStore.storeLiveEvents`) and for after its
/// commit (this instance's bell, for the jobs it enqueued).
///
/// Live events are collected rather than stored at once because storing them takes the live
/// events' lock, held to the commit: a transaction that took it before its last conversation
/// lock could wait for a conversation whose holder waits for the live lock (a deadlock). A
/// transaction of several steps (a webhook of several customers) stores them all at its end.
final class StepWrites: @unchecked Sendable {
  let connection: PostgresConnection
  let logger: Logger
  // Guards `live` and `kinds`: the body may be called from child tasks.
  private let lock = NSLock()
  private var live: [(events: [LiveEvent], audience: StoredLiveAudience)] = []
  private var kinds: Set<JobKind> = []
  private var savepoints = 0

  init(connection: PostgresConnection, logger: Logger) {
    self.connection = connection
    self.logger = logger
  }

  /// Events to store at the end of the transaction (kept only if the enclosing savepoints are
  /// released).
  func publish(_ events: [LiveEvent], to audience: StoredLiveAudience) {
    guard !events.isEmpty else { return }
    lock.withLock { live.append((events, audience)) }
  }

  /// Adds a job in this transaction (see `PostgresStore.enqueueJob`); this instance's bell
  /// rings for its kind after the commit.
  @discardableResult
  func enqueueJob(
    _ kind: JobKind, subject: String, orderingKey: String?, runAt: Double, now: Double
  ) async throws -> Bool {
    let added = try await PostgresStore.enqueueJob(
      connection, kind, subject: subject, orderingKey: orderingKey, runAt: runAt, now: now,
      logger: logger)
    if added { ring(kind) }
    return added
  }

  /// Rings the bell for `kind` after the commit (a spurious ring after a rolled-back savepoint
  /// only wakes a worker that then finds nothing).
  func ring(_ kind: JobKind) {
    _ = lock.withLock { kinds.insert(kind) }
  }

  /// Runs `body` in a savepoint: an error rolls back what it wrote, and forgets the live events
  /// it collected, and reaches the caller; the transaction goes on.
  func savepoint<Value>(_ body: () async throws -> Value) async throws -> Value {
    let (name, mark) = lock.withLock {
      savepoints += 1
      return ("step_\(savepoints)", live.count)
    }
    try await connection.query(PostgresQuery(unsafeSQL: "SAVEPOINT \(name)"), logger: logger)
    do {
      let value = try await body()
      try await connection.query(
        PostgresQuery(unsafeSQL: "RELEASE SAVEPOINT \(name)"), logger: logger)
      return value
    } catch {
      try await connection.query(
        PostgresQuery(unsafeSQL: "ROLLBACK TO SAVEPOINT \(name)"), logger: logger)
      try await connection.query(
        PostgresQuery(unsafeSQL: "RELEASE SAVEPOINT \(name)"), logger: logger)
      lock.withLock { live.removeSubrange(min(mark, live.count)...) }
      throw error
    }
  }

  /// Stores the collected live events (the last statements of the transaction) and leaves the
  /// bell to ring after the commit.
  fileprivate func finish(now: Double, bell: JobBell, after: AfterCommit) async throws {
    let (changes, rung) = lock.withLock { (live, kinds) }
    try await PostgresStore.storeLiveEvents(changes, on: connection, now: now, logger: logger)
    after.ring(bell, rung)
  }
}

extension PostgresStore {
  /// A transaction of engine steps (see `StepWrites`): `body` writes, then the live events are
  /// stored, the transaction commits, and this instance's bell rings for the jobs added.
  func stepTransaction<Value: Sendable>(_ body: @Sendable (StepWrites) async throws -> Value)
    async throws -> Value
  {
    let logger = logger
    let clock = clock
    let bell = bell
    return try await transaction { connection, after in
      let writes = StepWrites(connection: connection, logger: logger)
      let value = try await body(writes)
      try await writes.finish(now: clock.seconds, bell: bell, after: after)
      return value
    }
  }

  /// Takes the conversation's lock until the commit: the steps of one conversation run one at
  /// a time across instances, each on the state the previous one committed (the engine's
  /// `version` and transcript order depend on it). The key is a 64-bit hash of the id.
  ///
  /// INVARIANT: only the intake (and a retry of failed messages, which holds the intake's lock
  /// alone) takes several conversation locks in one transaction, and intake transactions at
  /// once hold webhooks whose ordering keys are disjoint — every key of a conversation, a
  /// status's message (`Intake+PostgreSQL.swift`) — so they never wait for each other's
  /// conversations; every other transaction takes one. Should two still deadlock (on rows
  /// outside those keys), PostgreSQL rolls one back with 40P01, which no savepoint keeps
  /// (`isTransient`): the whole transaction ends and its webhooks are claimed again.
  static func lockConversation(_ id: String, writes: StepWrites) async throws {
    try await writes.connection.query(
      "SELECT pg_advisory_xact_lock(hashtextextended(\(id), 0))", logger: writes.logger)
  }
}
