import EtiquetteEngine
import Foundation
import Logging
import PostgresNIO

/// What a transaction leaves to do once it has committed, and only then: SQLite's
/// `db.afterNextTransaction`. Ringing this instance's job bell, counting a change for the live
/// stream — never for a rollback.
final class AfterCommit: @unchecked Sendable {
  // Guards `actions`: a transaction's body may add from child tasks.
  private let lock = NSLock()
  private var actions: [@Sendable () -> Void] = []

  func add(_ action: @escaping @Sendable () -> Void) { lock.withLock { actions.append(action) } }

  /// Rings `bell` for `kinds` after the commit (the jobs the transaction enqueued).
  func ring(_ bell: JobBell, _ kinds: Set<JobKind>) {
    guard !kinds.isEmpty else { return }
    add { bell.ring(kinds) }
  }

  fileprivate func run() {
    for action in lock.withLock({ actions }) { action() }
  }
}

/// Who may receive a stored live event, in terms every instance can read: label names, which
/// each instance resolves with the rules it serves (`LiveAudience` holds an `Engine`).
enum StoredLiveAudience: Sendable, Hashable, Codable {
  case member(String)
  /// The labels of the conversation before the step (nil for a conversation the step created)
  /// and after it.
  case viewers(before: [String]?, after: [String])
}

extension PostgresStore {
  /// Runs `body` in one transaction on one pooled connection, then (only once committed) the
  /// actions it left in its `AfterCommit`. An error thrown by `body` rolls back and reaches the
  /// caller as it was thrown (an `APIError` of an access check stays one), unlike
  /// `PostgresConnection.withTransaction`, which wraps it.
  func transaction<Value: Sendable>(
    _ body: @Sendable (PostgresConnection, AfterCommit) async throws -> Value
  ) async throws -> Value {
    let after = AfterCommit()
    let value = try await client.withConnection { connection in
      try await connection.query("BEGIN", logger: logger)
      let value: Value
      do {
        value = try await body(connection, after)
      } catch {
        // A rollback that fails leaves the connection to the pool, which closes a broken one.
        _ = try? await connection.query("ROLLBACK", logger: logger)
        throw error
      }
      try await connection.query("COMMIT", logger: logger)
      return value
    }
    after.run()
    return value
  }

  /// The `NOTIFY` channel of live events; the payload is the event row's `seq`.
  static let liveChannel = "etiquette_live"

  /// The key of the transaction lock under which live events take their `seq`, held to the
  /// commit ("ETQL"): seqs then commit in increasing order, so a reader that has seen seq N
  /// never later finds a smaller one — which is what lets a stream resume from
  /// `Last-Event-ID` on any instance.
  static let liveEventLock: Int64 = 0x4554_514C

  /// Stores the live events of a change in the caller's transaction (one row, for every
  /// instance's streams) and notifies every instance at the commit. Call it last in the
  /// transaction: the lock it takes is held until the commit.
  static func storeLiveEvents(
    _ events: [LiveEvent], to audience: StoredLiveAudience, countsAsChange: Bool = true,
    on connection: PostgresConnection, now: Double, logger: Logger
  ) async throws {
    try await storeLiveEvents(
      [(events, audience)], countsAsChange: countsAsChange, on: connection, now: now,
      logger: logger)
  }

  /// The live events of several changes (a transaction of several steps), each to its
  /// audience, in one statement: rows in the order given.
  static func storeLiveEvents(
    _ changes: [(events: [LiveEvent], audience: StoredLiveAudience)],
    countsAsChange: Bool = true, on connection: PostgresConnection, now: Double, logger: Logger
  ) async throws {
    var audiences: [String] = []
    var rows: [String] = []
    let encoder = JSONEncoder()
    for (events, audience) in changes where !events.isEmpty {
      let encodedAudience = String(decoding: try encoder.encode(audience), as: UTF8.self)
      // A row's events take the ids of its `seq` (`LiveEventID`): at most `perPosition` a row.
      var remaining = events[...]
      while !remaining.isEmpty {
        let chunk = remaining.prefix(LiveEventID.perPosition)
        remaining = remaining.dropFirst(chunk.count)
        audiences.append(encodedAudience)
        rows.append(
          String(decoding: try encoder.encode(chunk.map(StoredLiveEvent.init)), as: UTF8.self))
      }
    }
    guard !rows.isEmpty else { return }
    for try await _ in try await connection.execute(
      StoreLiveEventsStatement(
        now: now, countsAsChange: countsAsChange, audiences: audiences, rows: rows),
      logger: logger)
    {}
  }
}

/// `storeLiveEvents`' statement, prepared once per connection (every step's transaction runs
/// it). `nextval` in the select list of a sorted query runs after the sort: seqs in row order.
/// The live-event lock is a materialized row every inserted row is joined with, so it is held
/// before the first `nextval` without a round trip of its own.
private struct StoreLiveEventsStatement: PostgresPreparedStatement {
  typealias Row = ()
  var now: Double
  var countsAsChange: Bool
  var audiences: [String]
  var rows: [String]

  static let sql = """
    WITH locked AS MATERIALIZED (
      SELECT pg_advisory_xact_lock(\(PostgresStore.liveEventLock))::text AS done),
    stored AS (
      INSERT INTO live_events (seq, at, audience, events, counts_as_change)
      SELECT nextval('live_event_seq'), $1, r.audience, r.events, $2
      FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS r(audience, events, n), locked
      ORDER BY r.n
      RETURNING seq)
    SELECT pg_notify('\(PostgresStore.liveChannel)', seq::text) FROM stored
    """

  func makeBindings() throws -> PostgresBindings {
    var bindings = PostgresBindings(capacity: 4)
    bindings.append(now)
    bindings.append(countsAsChange)
    bindings.append(audiences)
    bindings.append(rows)
    return bindings
  }

  func decodeRow(_ row: PostgresRow) throws {}
}

/// A `LiveEvent` as stored in `live_events.events`.
struct StoredLiveEvent: Codable, Sendable {
  var type: String
  var conversation: String?
  var data: String

  init(_ event: LiveEvent) {
    type = event.type
    conversation = event.conversation
    data = event.data
  }

  var event: LiveEvent { LiveEvent(stored: self) }
}

extension LiveEvent {
  /// An event read back from `live_events` (its data is already the encoded JSON).
  fileprivate init(stored: StoredLiveEvent) {
    type = stored.type
    conversation = stored.conversation
    data = stored.data
  }
}
