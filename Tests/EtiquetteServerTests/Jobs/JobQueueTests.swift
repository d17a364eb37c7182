import EtiquetteTestSupport
import Foundation
import Testing

@testable import EtiquetteServer

/// The job queue's contract, on each store itself with instants chosen by the test (no
/// worker, no clock): ordering keys, leases, and that only the lease holder finishes a job.
@Suite struct JobQueueTests {
  static let clock = WallClock.fixed(Date(timeIntervalSince1970: 1_000))

  @Test(arguments: StoreKind.available)
  func jobsOfOneOrderingKeyAreClaimedOneAtATimeOldestFirst(on kind: StoreKind) async throws {
    try await kind.withStore(clock: Self.clock) { store in
      for (subject, key) in [("a1", "A"), ("a2", "A"), ("b1", "B"), ("free", nil), ("a3", "A")] {
        try await store.scheduleJob(.webhookDelivery, subject: subject, orderingKey: key, at: 1_000)
      }
      let first = try await store.claimJobs(
        [.webhookDelivery], owner: "one", now: 1_000, leaseUntil: 1_030, limit: 10)
      #expect(first.map(\.subject) == ["a1", "b1", "free"], "one head per key, and the keyless")
      // Another worker gets nothing while those leases hold: the heads are taken, the rest wait.
      let second = try await store.claimJobs(
        [.webhookDelivery], owner: "two", now: 1_001, leaseUntil: 1_031, limit: 10)
      #expect(second.isEmpty)
      let a1 = try #require(first.first)
      #expect(
        try await store.finishJobIfLeased(a1))
      let next = try await store.claimJobs(
        [.webhookDelivery], owner: "two", now: 1_002, leaseUntil: 1_032, limit: 10)
      #expect(next.map(\.subject) == ["a2"], "a finished head lets the next of its key run")
    }
  }

  @Test(arguments: StoreKind.available)
  func anExpiredLeaseIsClaimedAgainAndTheOldHolderCanNoLongerFinish(on kind: StoreKind) async throws
  {
    try await kind.withStore(clock: Self.clock) { store in
      try await store.scheduleJob(.whatsappSend, subject: "42", orderingKey: "send:c1", at: 1_000)
      let killed = try #require(
        try await store.claimJobs(
          [.whatsappSend], owner: "killed", now: 1_000, leaseUntil: 1_010, limit: 1
        ).first)
      #expect(killed.claims == 1)
      #expect(
        try await store.claimJobs(
          [.whatsappSend], owner: "survivor", now: 1_009, leaseUntil: 1_020, limit: 1
        ).isEmpty, "the lease still holds")
      #expect(try await store.nextJobDue([.whatsappSend], after: 1_009) == 1_010)
      let taken = try #require(
        try await store.claimJobs(
          [.whatsappSend], owner: "survivor", now: 1_010, leaseUntil: 1_020, limit: 1
        ).first)
      #expect(taken.id == killed.id && taken.claims == 2 && taken.owner == "survivor")
      // The first worker comes back late: its outcome is not recorded.
      #expect(
        try await store.retryJobIfLeased(killed, runAt: 2_000, now: 1_011) == false)
      #expect(
        try await store.finishJobIfLeased(taken))
    }
  }

  @Test(arguments: StoreKind.available)
  func aRetriedJobWaitsForItsTimeAndHoldsItsKey(on kind: StoreKind) async throws {
    try await kind.withStore(clock: Self.clock) { store in
      try await store.scheduleJob(.aiRequest, subject: "1", orderingKey: "ai:c", at: 1_000)
      try await store.scheduleJob(.aiRequest, subject: "2", orderingKey: "ai:c", at: 1_000)
      let job = try #require(
        try await store.claimJobs(
          [.aiRequest], owner: "w", now: 1_000, leaseUntil: 1_100, limit: 5
        ).first)
      #expect(
        try await store.retryJobIfLeased(job, runAt: 1_050, now: 1_001))
      #expect(
        try await store.claimJobs([.aiRequest], owner: "w", now: 1_049, leaseUntil: 1_100, limit: 5)
          .isEmpty, "not due yet, and the next of its key waits behind it")
      #expect(try await store.nextJobDue([.aiRequest], after: 1_001) == 1_050)
      let again = try await store.claimJobs(
        [.aiRequest], owner: "w", now: 1_050, leaseUntil: 1_100, limit: 5)
      #expect(again.map(\.subject) == ["1"])
    }
  }

  @Test(arguments: StoreKind.available)
  func aStoppingWorkerGivesItsLeasesBack(on kind: StoreKind) async throws {
    try await kind.withStore(clock: Self.clock) { store in
      try await store.scheduleJob(.mediaDownload, subject: "m1", orderingKey: nil, at: 1_000)
      _ = try await store.claimJobs(
        [.mediaDownload], owner: "stopping", now: 1_000, leaseUntil: 9_999, limit: 1)
      try await store.releaseJobs(owner: "stopping")
      let claimed = try await store.claimJobs(
        [.mediaDownload], owner: "next", now: 1_000, leaseUntil: 1_010, limit: 1)
      #expect(claimed.map(\.subject) == ["m1"])
    }
  }

  @Test(arguments: StoreKind.available)
  func kindsAreClaimedOnlyByTheirWorkers(on kind: StoreKind) async throws {
    try await kind.withStore(clock: Self.clock) { store in
      try await store.scheduleJob(.mediaDownload, subject: "m1", orderingKey: nil, at: 1_000)
      #expect(
        try await store.claimJobs(
          [.webhookDelivery, .sweep], owner: "w", now: 1_000, leaseUntil: 1_010, limit: 5
        ).isEmpty)
      // Scheduling twice the same (kind, subject) keeps one job: the sweep is scheduled at
      // every start.
      try await store.scheduleJob(
        .sweep, subject: "webhook_deliveries", orderingKey: nil, at: 1_000)
      try await store.scheduleJob(
        .sweep, subject: "webhook_deliveries", orderingKey: nil, at: 1_000)
      #expect(
        try await store.claimJobs([.sweep], owner: "w", now: 1_000, leaseUntil: 1_010, limit: 5)
          .count == 1)
    }
  }
}

/// The queue's wake-up.
@Suite struct JobBellTests {
  @Test func aRingSinceTheMarkEndsTheWaitAtOnce() async {
    let bell = JobBell()
    let mark = bell.mark([.webhookDelivery])
    bell.ring([.webhookDelivery])
    #expect(await bell.wait(for: [.webhookDelivery], since: mark, upTo: .seconds(600)) == .rung)
  }

  @Test func aRingOfAnotherKindDoesNotWake() async {
    let bell = JobBell()
    let mark = bell.mark([.webhookDelivery])
    bell.ring([.aiRequest])
    let start = ContinuousClock.now
    #expect(
      await bell.wait(for: [.webhookDelivery], since: mark, upTo: .milliseconds(50)) == .timedOut)
    #expect(ContinuousClock.now - start >= .milliseconds(45))
  }

  @Test func oneRingWakesEveryWaiterOfItsKind() async {
    let bell = JobBell()
    let mark = bell.mark([.whatsappSend])
    async let first = bell.wait(for: [.whatsappSend], since: mark, upTo: .seconds(600))
    async let second = bell.wait(
      for: [.whatsappSend, .mediaDownload], since: mark, upTo: .seconds(600))
    try? await Task.sleep(for: .milliseconds(50))
    bell.ring([.whatsappSend])
    #expect(await first == .rung)
    #expect(await second == .rung)
  }

  @Test func cancellingTheWorkerEndsItsWait() async {
    let bell = JobBell()
    let mark = bell.mark([.sweep])
    let task = Task { await bell.wait(for: [.sweep], since: mark, upTo: .seconds(600)) }
    try? await Task.sleep(for: .milliseconds(50))
    task.cancel()
    #expect(await task.value == .cancelled)
  }

  @Test func aTimedOutWaitLeavesNothingBehind() async {
    let bell = JobBell()
    var quickReturns = 0
    for _ in 0..<20 {
      let mark = bell.mark([.sweep])
      let start = ContinuousClock.now
      let reason = await bell.wait(for: [.sweep], since: mark, upTo: .milliseconds(5))
      if reason != .timedOut || ContinuousClock.now - start < .milliseconds(4) { quickReturns += 1 }
    }
    #expect(quickReturns == 0)
  }
}
