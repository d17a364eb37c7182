import EtiquetteEngine
import Foundation
import Logging
import PostgresNIO

/// Every instance's live events, published to this instance's streams.
///
/// A change's events are rows of `live_events`, stored in the change's transaction by whichever
/// instance made it (`storeLiveEvents`); the `NOTIFY` at its commit carries the row's `seq`
/// only. Each instance — the one that made the change included, so there is one path — reads
/// the rows after the last `seq` it published, in `seq` order, and publishes them to its
/// members with the rules it serves. `seq`s commit in increasing order (they are taken under a
/// lock held to the commit), so reading "after the last one seen" never skips a row.
extension PostgresStore {
  /// How long published events are kept, for streams that resume after a reconnect.
  static let liveEventRetention: Double = 3_600

  /// Starts relaying live events and following the served rules, on the news the store's
  /// listener hears; both stop when the store closes.
  func serve(_ instance: ServedInstance) {
    instance.live.numberChanges(after: UInt64(max(0, liveEventsBefore)))
    let relay = LiveRelay(
      store: self, live: instance.live, rules: instance.rules, logger: instance.logger)
    let follower = RulesFollower(store: self, instance: instance)
    news.connect(live: { relay.run.trigger() }, rules: { follower.run.trigger() })
    // What was committed since the store opened, and the rules recorded before this start.
    relay.run.trigger()
    follower.run.trigger()
  }
}

/// A body run again whenever triggered, never twice at once: triggers that arrive while it
/// runs make one more run (a burst of `NOTIFY`s is one catch-up, not a pile of tasks).
final class CoalescedRun: @unchecked Sendable {
  // Guards `running` and `again`.
  private let lock = NSLock()
  private var running = false
  private var again = false
  private let body: @Sendable () async -> Void

  init(_ body: @escaping @Sendable () async -> Void) { self.body = body }

  func trigger() {
    let start = lock.withLock {
      if running {
        again = true
        return false
      }
      running = true
      return true
    }
    guard start else { return }
    Task {
      repeat {
        lock.withLock { again = false }
        await body()
      } while lock.withLock {
        if again { return true }
        running = false
        return false
      }
    }
  }
}

/// The relay's state: the last `seq` published to this instance's streams.
private final class LiveRelay: Sendable {
  let store: PostgresStore
  let live: LiveStream
  let rules: RuleHolder
  let logger: Logger
  let last: LastSeq
  /// Catch-ups one at a time, so events are published once each and in order.
  let run: CoalescedRun

  init(store: PostgresStore, live: LiveStream, rules: RuleHolder, logger: Logger) {
    self.store = store
    self.live = live
    self.rules = rules
    self.logger = logger
    // Events committed before the store opened are not replayed to streams that did not
    // exist; every later one is, however late this relay starts.
    let last = LastSeq(store.liveEventsBefore)
    self.last = last
    run = CoalescedRun { [store, live, rules, logger] in
      do {
        // Nobody listens here: the rows are counted, not read (`LiveStream.
        // recordUnpublishedChanges`); someone who subscribed meanwhile gets them read.
        if live.subscriberCount == 0 {
          let (newest, changes) = try await store.liveEventSummary(after: last.value)
          guard let newest else { return }
          if live.recordUnpublishedChanges(changes, through: UInt64(newest)) {
            last.value = newest
            return
          }
        }
        while true {
          let rows = try await store.liveEvents(after: last.value, limit: 500)
          for row in rows {
            last.value = row.seq
            Self.publish(row, live: live, rules: rules)
          }
          if rows.count < 500 { break }
        }
      } catch {
        // The next notification, or the listener's catch-up after it reconnects, tries again.
        logger.warning("live events: \(PostgresStoreError.readable(error))")
      }
    }
  }

  private static func publish(
    _ row: PostgresStore.LiveEventRow, live: LiveStream, rules: RuleHolder
  ) {
    live.publish(
      row.events, to: row.audience.live(rules.current), countsAsChange: row.countsAsChange,
      position: UInt64(row.seq))
  }
}

extension StoredLiveAudience {
  /// The audience with the rules this instance serves.
  func live(_ loaded: LoadedRules) -> LiveAudience {
    switch self {
    case .member(let member): .member(member)
    case .viewers(let before, let after):
      .viewers(
        engine: loaded.engine,
        before: before.map { ConversationService.labelIDs($0, ruleSet: loaded.ruleSet) },
        after: ConversationService.labelIDs(after, ruleSet: loaded.ruleSet))
    }
  }
}

/// The relay's last published `seq` (read and written by its one run at a time).
final class LastSeq: @unchecked Sendable {
  private let lock = NSLock()
  private var seq: Int64
  init(_ seq: Int64) { self.seq = seq }
  var value: Int64 {
    get { lock.withLock { seq } }
    set { lock.withLock { seq = newValue } }
  }
}

extension PostgresStore {
  /// Rows a resuming stream may replay at most; a longer absence reloads instead.
  static let liveBacklogLimit = 10_000

  func liveBacklog(after last: UInt64, for member: String, rules: LoadedRules) async throws
    -> [(id: UInt64, frame: String)]?
  {
    let position = Int64(clamping: LiveEventID.position(of: last))
    var bounds: (Int64?, Int64?) = (nil, nil)
    for try await row in try await client.query(
      "SELECT MIN(seq), MAX(seq) FROM live_events", logger: logger
    ).decode((Int64?, Int64?).self) {
      bounds = row
    }
    // Complete only while the row of the last event seen is kept (older ones go first).
    guard let oldest = bounds.0, let newest = bounds.1, oldest <= position, position <= newest
    else { return nil }
    var frames: [(id: UInt64, frame: String)] = []
    var after = position - 1
    var read = 0
    while true {
      let rows = try await liveEvents(after: after, limit: 500)
      for row in rows {
        frames += LiveStream.frames(
          row.events, at: UInt64(row.seq), for: member, audience: row.audience.live(rules)
        ).filter { $0.id > last }
      }
      read += rows.count
      guard let newest = rows.last?.seq, rows.count == 500 else { break }
      guard read < Self.liveBacklogLimit else { return nil }
      after = newest
    }
    return frames
  }

  struct LiveEventRow: Sendable {
    var seq: Int64
    var audience: StoredLiveAudience
    var events: [LiveEvent]
    var countsAsChange: Bool
  }

  /// The rows after `seq`, oldest first; a row that cannot be read (written by a newer
  /// version) is skipped with a log line rather than stopping every stream.
  func liveEvents(after seq: Int64, limit: Int) async throws -> [LiveEventRow] {
    let rows = try await client.query(
      """
      SELECT seq, audience, events, counts_as_change FROM live_events
      WHERE seq > \(seq) ORDER BY seq LIMIT \(limit)
      """, logger: logger)
    var found: [LiveEventRow] = []
    let decoder = JSONDecoder()
    for try await (seq, audience, events, countsAsChange) in rows.decode(
      (Int64, String, String, Bool).self)
    {
      guard
        let audience = try? decoder.decode(StoredLiveAudience.self, from: Data(audience.utf8)),
        let events = try? decoder.decode([StoredLiveEvent].self, from: Data(events.utf8))
      else {
        logger.warning("live events: row \(seq) cannot be read; skipped")
        continue
      }
      found.append(
        LiveEventRow(
          seq: seq, audience: audience, events: events.map(\.event),
          countsAsChange: countsAsChange))
    }
    if let newest = found.last?.seq { try await pruneLiveEvents(after: seq, through: newest) }
    return found
  }

  /// The newest row after `seq` (nil: none) and how many of the rows after it count as
  /// changes: what the relay records when nobody listens to this instance.
  func liveEventSummary(after seq: Int64) async throws -> (newest: Int64?, changes: Int) {
    var summary: (Int64?, Int64) = (nil, 0)
    for try await row in try await client.query(
      """
      SELECT MAX(seq), COUNT(*) FILTER (WHERE counts_as_change) FROM live_events
      WHERE seq > \(seq)
      """, logger: logger
    ).decode((Int64?, Int64).self) {
      summary = row
    }
    if let newest = summary.0 { try await pruneLiveEvents(after: seq, through: newest) }
    return (summary.0, Int(summary.1))
  }

  /// Now and then (a relay's catch-up that passes a thousandth `seq`), the events older than
  /// the retention go.
  private func pruneLiveEvents(after seq: Int64, through newest: Int64) async throws {
    guard newest / 1_000 > seq / 1_000 else { return }
    let cutoff = clock.seconds - Self.liveEventRetention
    try await client.query("DELETE FROM live_events WHERE at < \(cutoff)", logger: logger)
  }
}
