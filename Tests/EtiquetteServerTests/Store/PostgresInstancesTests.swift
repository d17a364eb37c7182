import Foundation
import Testing

@testable import EtiquetteServer

/// Several server instances on one PostgreSQL database: each instance is a `PostgresStore` of
/// its own (its own connection pool, its own bell), as two processes would have. Nothing may be
/// done twice or lost when they race.
@Suite(
  .enabled(
    if: TestPostgres.address != nil,
    "ETIQUETTE_TEST_POSTGRES_URL is unset: no PostgreSQL server to race instances on"))
struct PostgresInstancesTests {
  static let clock = WallClock.fixed(Date(timeIntervalSince1970: 1_000))

  /// `count` instances opened together on one fresh database, closed after `body`.
  static func withInstances<Value: Sendable>(
    _ count: Int, _ body: ([PostgresStore]) async throws -> Value
  ) async throws -> Value {
    try await TestPostgres.withDatabase { address in
      // Opened together: each migrates under the advisory lock; without it two would create
      // the same table and one would fail.
      let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
        for _ in 0..<count {
          group.addTask {
            try await PostgresStore.open(
              address, clock: clock, maximumConnections: 4, connectTimeout: TestPostgres.patience)
          }
        }
        return try await group.reduce(into: []) { $0.append($1) }
      }
      do {
        let value = try await body(stores)
        for store in stores { await store.close() }
        return value
      } catch {
        for store in stores { await store.close() }
        throw error
      }
    }
  }

  @Test func instancesStartingTogetherMigrateOnce() async throws {
    let members = try await Self.withInstances(3) { stores in
      try await stores[2].members()
    }
    #expect(members.isEmpty)
  }

  /// What the workers of all instances did, in the order they did it.
  actor Ledger {
    var claimed: [Int64] = []
    var finished: [Int64] = []
    var lostLeases = 0
    /// Per ordering key, the subjects in the order they were claimed.
    var orderPerKey: [String: [String]] = [:]

    func record(claims jobs: [Job]) {
      for job in jobs {
        claimed.append(job.id)
        if let key = job.orderingKey { orderPerKey[key, default: []].append(job.subject) }
      }
    }

    func record(finished job: Job, held: Bool) {
      if held { finished.append(job.id) } else { lostLeases += 1 }
    }
  }

  @Test func twoInstancesClaimingOneQueueRunEveryJobOnceInKeyOrder() async throws {
    let keys = (0..<6).map { "send:c\($0)" }
    try await Self.withInstances(2) { stores in
      // Jobs scheduled from both instances: 60 keyless, and 10 per ordering key.
      for index in 0..<60 {
        try await stores[index % 2].scheduleJob(
          .webhookDelivery, subject: "free-\(index)", orderingKey: nil, at: 1_000)
      }
      for position in 0..<10 {
        for (number, key) in keys.enumerated() {
          try await stores[number % 2].scheduleJob(
            .webhookDelivery, subject: "\(key)#\(position)", orderingKey: key, at: 1_000)
        }
      }
      let total = 60 + keys.count * 10
      let ledger = Ledger()
      // Two workers per instance, claiming a few jobs at a time until every job is done. A
      // worker that finds nothing yields and looks again: the others hold the heads it waits
      // for. The lease outlasts the test, so a job claimed twice is a failure, not an expiry.
      try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<4 {
          let store = stores[worker % 2]
          group.addTask {
            var idleLooks = 0
            while await ledger.finished.count < total, idleLooks < 20_000 {
              let jobs = try await store.claimJobs(
                [.webhookDelivery], owner: "worker-\(worker)", now: 1_000, leaseUntil: 99_999,
                limit: 3)
              await ledger.record(claims: jobs)
              if jobs.isEmpty {
                idleLooks += 1
                await Task.yield()
              }
              for job in jobs {
                await ledger.record(finished: job, held: try await store.finishJobIfLeased(job))
              }
            }
          }
        }
        try await group.waitForAll()
      }
      let claimed = await ledger.claimed
      let finished = await ledger.finished
      #expect(finished.count == total, "every job done")
      #expect(Set(finished).count == finished.count, "none done twice")
      #expect(claimed.count == total, "none claimed twice")
      #expect(await ledger.lostLeases == 0)
      for key in keys {
        #expect(
          await ledger.orderPerKey[key] == (0..<10).map { "\(key)#\($0)" },
          "the jobs of \(key) ran one at a time, oldest first")
      }
      #expect(try await stores[0].nextJobDue([.webhookDelivery], after: 1_000) == nil)
    }
  }

  @Test func twoInstancesSchedulingOneSubjectKeepOneJob() async throws {
    try await Self.withInstances(2) { stores in
      try await withThrowingTaskGroup(of: Void.self) { group in
        for attempt in 0..<16 {
          group.addTask {
            try await stores[attempt % 2].scheduleJob(
              .sweep, subject: "webhook_deliveries", orderingKey: nil, at: 1_000)
          }
        }
        try await group.waitForAll()
      }
      let claimed = try await stores[1].claimJobs(
        [.sweep], owner: "w", now: 1_000, leaseUntil: 1_010, limit: 10)
      #expect(claimed.map(\.subject) == ["webhook_deliveries"])
    }
  }

  @Test func anExpiredLeaseOfOneInstanceIsTakenByTheOtherWhoseOutcomeAloneCounts() async throws {
    try await Self.withInstances(2) { stores in
      try await stores[0].scheduleJob(.whatsappSend, subject: "7", orderingKey: "c", at: 1_000)
      let killed = try #require(
        try await stores[0].claimJobs(
          [.whatsappSend], owner: "a", now: 1_000, leaseUntil: 1_010, limit: 1
        ).first)
      let taken = try #require(
        try await stores[1].claimJobs(
          [.whatsappSend], owner: "b", now: 1_010, leaseUntil: 1_020, limit: 1
        ).first)
      #expect(taken.id == killed.id && taken.claims == 2)
      #expect(try await stores[0].finishJobIfLeased(killed) == false)
      #expect(try await stores[1].finishJobIfLeased(taken))
    }
  }

  @Test func aJobScheduledOnOneInstanceWakesTheWorkersOfTheOther() async throws {
    try await Self.withInstances(2) { stores in
      let mark = stores[1].jobBell.mark([.mediaDownload])
      try await stores[0].scheduleJob(.mediaDownload, subject: "m1", orderingKey: nil, at: 1_000)
      // The bell of the other instance rings through NOTIFY; a generous limit, since a loaded
      // machine delays it, while the ring itself returns at once.
      let woken = await stores[1].jobBell.wait(
        for: [.mediaDownload], since: mark, upTo: .seconds(60))
      #expect(woken == .rung)
    }
  }

  @Test func anInstanceWhoseListenerLostItsConnectionIsWokenAgainOnceItListens() async throws {
    try await Self.withInstances(2) { stores in
      #expect(try await stores[0].terminateJobListeners() == 2)
      // Each listener connects again by itself (a second later); until then the workers' own
      // polling finds the work.
      #expect(await eventually { stores.allSatisfy { $0.listens.value >= 2 } })
      let mark = stores[1].jobBell.mark([.aiRequest])
      try await stores[0].scheduleJob(.aiRequest, subject: "1", orderingKey: "ai:c", at: 1_000)
      let woken = await stores[1].jobBell.wait(for: [.aiRequest], since: mark, upTo: .seconds(60))
      #expect(woken == .rung)
    }
  }

  @Test func twoInstancesAddingOneMemberLeaveOneRowAndOneValidToken() async throws {
    try await Self.withInstances(2) { stores in
      async let first = stores[0].addMember("bruno@exemple.fr")
      async let second = stores[1].addMember("bruno@exemple.fr")
      let tokens = try await [first, second]
      #expect(try await stores[0].members().map(\.email) == ["bruno@exemple.fr"])
      var valid = 0
      for token in tokens where try await stores[1].member(forToken: token) != nil { valid += 1 }
      #expect(valid == 1, "the last upsert's token")
    }
  }
}
