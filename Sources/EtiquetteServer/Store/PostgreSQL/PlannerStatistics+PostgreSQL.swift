import Foundation
import Logging
import PostgresNIO

/// The planner's statistics of tables that are still growing fast.
///
/// Why: a prepared statement keeps the plan PostgreSQL chose for it, per connection, until a
/// table it reads is analyzed again. On a young database that plan was chosen while the tables
/// held a few rows, where a sequential scan is the cheapest — and stays while the tables grow:
/// the intake's `UPDATE webhooks … WHERE id = ANY(…)` then read the whole of `webhooks` at every
/// round, 18,000 rows a round twenty seconds into a load (README, "Running on PostgreSQL").
/// Autovacuum analyzes a table once a tenth of it has changed, but visits a database once a
/// minute at most: long enough for a new deployment's first burst to slow down with every
/// message. So the intake, every `checkEvery` webhooks it stores, analyzes the store's tables
/// that have doubled in size since their statistics were taken (`ANALYZE` invalidates the
/// plans that read them, on every connection of every instance). A table is analyzed about
/// log₂ of its size times in its life, then autovacuum, which analyzes far sooner than a
/// doubling, keeps the statistics current and this check finds nothing.
final class PlannerStatistics: @unchecked Sendable {
  /// Webhooks stored between two checks.
  static let checkEvery = 1_000
  /// Tables smaller than this (in pages of 8 kB) are left alone: scanning them whole costs
  /// about what an index does.
  static let smallestPages = 8

  // Guards `webhooks` and `running`.
  private let lock = NSLock()
  /// Webhooks stored since the store opened.
  private var webhooks = 0
  /// The check under way, if any: one at a time, and `close` waits for it.
  private var running: Task<Void, Never>?

  /// Counts `count` stored webhooks and, when a check is due and none runs, starts `check`.
  func stored(_ count: Int, check: @escaping @Sendable () async -> Void) {
    lock.withLock {
      let before = webhooks / Self.checkEvery
      webhooks += count
      guard webhooks / Self.checkEvery > before, running == nil else { return }
      running = Task {
        await check()
        self.lock.withLock { self.running = nil }
      }
    }
  }

  /// Cancels the check under way and waits for it (the store is closing).
  func finish() async {
    let task = lock.withLock { running }
    task?.cancel()
    await task?.value
  }
}

extension PostgresStore {
  /// Analyzes the store's tables that have at least doubled since their last `ANALYZE` (or
  /// `VACUUM`), from `PlannerStatistics.smallestPages` pages on; returns their names.
  @discardableResult
  func refreshPlannerStatistics() async throws -> [String] {
    var grown: [String] = []
    for try await name in try await client.query(
      """
      SELECT c.relname FROM pg_class c
      WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind = 'r'
        AND pg_relation_size(c.oid)
          >= GREATEST(\(PlannerStatistics.smallestPages), 2 * c.relpages)::int8
            * current_setting('block_size')::int8
      ORDER BY c.relname
      """, logger: logger
    ).decode(String.self) {
      grown.append(name)
    }
    guard !grown.isEmpty else { return [] }
    // Names from `pg_class`, quoted as identifiers (`ANALYZE` takes no parameters).
    let tables = grown.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    try await client.query(
      PostgresQuery(unsafeSQL: "ANALYZE " + tables.joined(separator: ", ")), logger: logger)
    logger.debug("planner statistics taken again for \(grown.joined(separator: ", "))")
    return grown
  }

  /// After the intake stored `count` webhooks: a check of the planner's statistics when one is
  /// due, in a task of its own (the intake does not wait for it).
  func webhooksStored(_ count: Int) {
    plannerStatistics.stored(count) { [self] in
      do {
        try await refreshPlannerStatistics()
      } catch {
        // The next check tries again; autovacuum does it anyway, later.
        if !Task.isCancelled {
          logger.warning(
            "planner statistics: \(PostgresStoreError.readable(error)), tried again later")
        }
      }
    }
  }
}
