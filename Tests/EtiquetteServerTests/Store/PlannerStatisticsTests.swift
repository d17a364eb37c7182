import EtiquetteTestSupport
import Foundation
import PostgresNIO
import Testing

@testable import EtiquetteServer

/// The intake has the planner's statistics taken again for tables that doubled since their
/// last `ANALYZE`, so that statements prepared while the database was young stop scanning
/// whole tables (`PlannerStatistics+PostgreSQL.swift`).
@Suite struct PlannerStatisticsTests {
  /// A check every `checkEvery` stored webhooks, never two at once.
  @Test func aCheckStartsEachTimeTheIntakeHasStoredAnotherThousandWebhooks() async {
    let statistics = PlannerStatistics()
    let checks = Checks()
    statistics.stored(PlannerStatistics.checkEvery - 1) { checks.count() }
    await statistics.finish()
    #expect(checks.value == 0)
    statistics.stored(1) { checks.count() }
    await statistics.finish()
    #expect(checks.value == 1)
    // Two thousands crossed in one round: one check.
    statistics.stored(2 * PlannerStatistics.checkEvery) { checks.count() }
    await statistics.finish()
    #expect(checks.value == 2)
    // A check still running when the next is due: the next waits for another thousand.
    let (gate, opening) = AsyncStream.makeStream(of: Void.self)
    statistics.stored(PlannerStatistics.checkEvery) {
      checks.count()
      for await _ in gate { break }
    }
    statistics.stored(PlannerStatistics.checkEvery) { checks.count() }
    opening.yield()
    await statistics.finish()
    #expect(checks.value == 3)
  }

  /// On PostgreSQL: a generic plan prepared while `webhooks` was nearly empty scans it whole;
  /// the planner's statistics stay the young table's as it grows, until the check analyzes it;
  /// then the plan reads the index.
  @Test(.enabled(if: TestPostgres.address != nil))
  func aStatementPreparedOnAYoungTableUsesItsIndexOnceTheTableHasGrown() async throws {
    let clock = WallClock.fixed(TestClock.officeHours)
    try await StoreKind.postgres.withStore(clock: clock) { tested in
      let store = try #require(tested as? PostgresStore)
      #expect(try await store.refreshPlannerStatistics() == [])
      // Autovacuum could analyze the table first (it did, once, with the suite's load): here
      // only the check does.
      try await store.client.query(
        "ALTER TABLE webhooks SET (autovacuum_enabled = false)", logger: store.logger)
      func body(_ n: Int) -> [UInt8] {
        ServerHarness.textWebhook(
          from: "3361\(String(format: "%07d", n))", id: "wamid.\(n)", text: "Bonjour \(n)")
      }
      _ = try await store.storeWebhooks((0..<5).map(body))
      try await store.client.withConnection { connection in
        try await connection.query(
          "SET plan_cache_mode = force_generic_plan", logger: store.logger)
        try await connection.query(
          """
          PREPARE mark(int8[]) AS
            UPDATE webhooks SET error = NULL WHERE id = ANY($1)
          """, logger: store.logger)
        func plan() async throws -> String {
          var lines: [String] = []
          for try await line in try await connection.query(
            "EXPLAIN EXECUTE mark('{1,2}')", logger: store.logger
          ).decode(String.self) {
            lines.append(line)
          }
          return lines.joined(separator: "\n")
        }
        func rowsPlannerKnows() async throws -> Double {
          var rows: [Double] = []
          for try await value in try await connection.query(
            "SELECT reltuples::float8 FROM pg_class WHERE oid = 'webhooks'::regclass",
            logger: store.logger
          ).decode(Double.self) {
            rows.append(value)
          }
          return rows.first ?? -1
        }
        #expect(try await plan().contains("Seq Scan on webhooks"))
        // Grown in rounds under a thousand (no check of the intake's own meanwhile). The
        // planner's statistics are still the young table's — what a plan made now is made
        // from. Whether this connection still holds its first plan is not asserted: the server
        // replans everything when its cache-invalidation queue overflows, which the other
        // tests' databases, created and dropped alongside, can cause (it failed in CI so).
        for round in 0..<9 {
          _ = try await store.storeWebhooks((0..<100).map { body(1_000 + round * 100 + $0) })
        }
        #expect(try await rowsPlannerKnows() < 100)
        let analyzed = try await store.refreshPlannerStatistics()
        #expect(analyzed.contains("webhooks"))
        #expect(try await rowsPlannerKnows() >= 900)
        let indexed = try await plan()
        #expect(indexed.contains("Index Scan using webhooks_pkey"), "\(indexed)")
      }
      // Taken: nothing doubled since.
      #expect(try await store.refreshPlannerStatistics().contains("webhooks") == false)
    }
  }
}

/// How many checks ran (from the checks' tasks).
private final class Checks: @unchecked Sendable {
  // Guards `number`.
  private let lock = NSLock()
  private var number = 0

  func count() { lock.withLock { number += 1 } }
  var value: Int { lock.withLock { number } }
}
