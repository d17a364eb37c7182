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

  /// Starts relaying live events and following the served rules; both stop when the store
  /// closes.
  func serve(_ instance: ServedInstance) {
    let relay = LiveRelay(
      store: self, live: instance.live, rules: instance.rules, logger: instance.logger)
    tasks.add(Task { await relay.run() })
    tasks.add(Task { await self.followServedRules(instance) })
  }
}

/// The relay's state: the last `seq` published to this instance's streams.
private final class LiveRelay: Sendable {
  let store: PostgresStore
  let live: LiveStream
  let rules: RuleHolder
  let logger: Logger
  /// Serialises catch-ups (a notification arriving while one runs queues behind it) and guards
  /// `last`, so events are published once each and in order.
  private let turn = AsyncTurn()

  init(store: PostgresStore, live: LiveStream, rules: RuleHolder, logger: Logger) {
    self.store = store
    self.live = live
    self.rules = rules
    self.logger = logger
  }

  func run() async {
    // Events committed before the store opened are not replayed to streams that did not
    // exist; every later one is, however late this listener starts.
    let first = store.liveEventsBefore
    await turn.run { _ in first }
    while !Task.isCancelled {
      do {
        try await store.client.withConnection { connection in
          try await connection.listen(on: PostgresStore.liveChannel) { notifications in
            // Rows committed while nobody listened (start, a reconnect) are read now.
            try await catchUp()
            for try await _ in notifications { try await catchUp() }
          }
        }
      } catch {
        if Task.isCancelled { return }
        logger.warning(
          "live events: listening again after \(PostgresStoreError.readable(error))")
        try? await Task.sleep(for: .seconds(1))
      }
    }
  }

  /// Publishes every row after the last one published, in `seq` order.
  private func catchUp() async throws {
    try await turn.run { last in
      var last = last
      while true {
        let rows = try await store.liveEvents(after: last, limit: 500)
        for row in rows {
          last = row.seq
          publish(row)
        }
        if rows.count < 500 { break }
      }
      return last
    }
  }

  private func publish(_ row: PostgresStore.LiveEventRow) {
    let loaded = rules.current
    let audience: LiveAudience =
      switch row.audience {
      case .member(let member): .member(member)
      case .viewers(let before, let after):
        .viewers(
          engine: loaded.engine,
          before: before.map { ConversationService.labelIDs($0, ruleSet: loaded.ruleSet) },
          after: ConversationService.labelIDs(after, ruleSet: loaded.ruleSet))
      }
    live.publish(row.events, to: audience, countsAsChange: row.countsAsChange)
  }
}

/// One async task at a time runs its body with the relay's last `seq`, which the body returns
/// updated.
private actor AsyncTurn {
  private var last: Int64 = 0
  private var busy = false
  private var waiting: [CheckedContinuation<Void, Never>] = []

  func run(_ body: @Sendable (Int64) async throws -> Int64) async rethrows {
    // An actor is re-entrant across `await`: the turn is taken explicitly.
    while busy {
      await withCheckedContinuation { waiting.append($0) }
    }
    busy = true
    defer {
      busy = false
      if !waiting.isEmpty { waiting.removeFirst().resume() }
    }
    last = try await body(last)
  }
}

extension PostgresStore {
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
    if let newest = found.last?.seq, newest % 1_000 == 0 {
      // Now and then, the events older than the retention go.
      let cutoff = clock.seconds - Self.liveEventRetention
      try await client.query("DELETE FROM live_events WHERE at < \(cutoff)", logger: logger)
    }
    return found
  }
}
