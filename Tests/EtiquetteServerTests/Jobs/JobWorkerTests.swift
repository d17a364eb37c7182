import EtiquetteEngine
import EtiquetteTestSupport
import Foundation
import Testing

@testable import EtiquetteServer

/// The job workers against a real HTTP receiver on loopback: a job whose worker died is
/// delivered again once its lease expires, with the same `Idempotency-Key`; several workers
/// in one process never run two jobs of one ordering key at once.
@Suite struct JobWorkerTests {
  typealias W = WebhookDeliveryTests

  /// A server clock the test can move forward (to let a lease expire without waiting for it).
  final class MovableClock: @unchecked Sendable {
    // Guards `offset`.
    private let lock = NSLock()
    private var offset = 0.0

    func advance(by seconds: Double) { lock.withLock { offset += seconds } }

    var clock: WallClock {
      let base = WallClock.starting(at: TestClock.start)
      return WallClock { [self] in
        base.now().addingTimeInterval(lock.withLock { offset })
      }
    }
  }

  @Test func aJobWhoseWorkerDiedIsDeliveredAgainAfterItsLeaseWithTheSameKey() async throws {
    let receiver = LoopbackReceiver()
    try await receiver.start()
    let time = MovableClock()
    let subscription = W.subscription("crm", receiver.url)
    let h = try await ServerHarness(clock: time.clock) {
      $0.webhooks = [subscription]
      $0.webhookDelivery = W.policy(timeout: 5)
    }
    try await W.say(h, [("33600000071", "bonjour")])
    let store = h.server.store
    let clock = h.server.clock

    // A worker claims the job, sends the delivery, and dies before recording the answer. Its
    // lease is an hour of the test's clock, which moves with real time too: a lease of seconds
    // ran out on a loaded machine before the test looked (a flake seen in a full run).
    let now = clock.seconds
    let job = try #require(
      try await store.claimJobs(
        [.webhookDelivery], owner: "killed", now: now, leaseUntil: now + 3600, limit: 1
      ).first)
    let delivery = try #require(try await store.delivery(id: job.subject))
    let dying = WebhookWorker(store: store, hub: h.server.hub, logger: h.server.logger)
    // A generous timeout: the receiver is on loopback, and a loaded machine must not fail it.
    #expect(await dying.send(delivery, to: subscription, timeout: 60) == .delivered(status: 200))

    let workers = h.server.startIntegrations()
    // While the lease holds, the job is nobody else's.
    #expect(
      try await store.claimJobs(
        [.webhookDelivery], owner: "probe", now: clock.seconds, leaseUntil: clock.seconds,
        limit: 1
      ).isEmpty)
    #expect(try await W.statuses(h) == ["pending"])

    time.advance(by: 3601)
    store.jobBell.ring([.webhookDelivery])
    #expect(await eventually { receiver.accepted.count == 2 })
    #expect(await eventually { (try? await W.statuses(h)) == ["delivered"] })
    await workers.stop()
    #expect(receiver.received.map(\.key) == [job.subject, job.subject], "the same key twice")
    #expect(receiver.received.count == 2, "delivered once more, not more")
  }

  @Test func twoWorkersNeverRunTwoJobsOfOneKeyAtOnce() async throws {
    // A slow receiver: every answer takes 40 ms, so two attempts of one conversation that
    // overlapped would arrive less than 40 ms apart.
    let slow = Duration.milliseconds(40)
    let receiver = LoopbackReceiver { _, _ in (200, slow) }
    try await receiver.start()
    let h = try await W.harness([W.subscription("crm", receiver.url)])
    let phones = (1...4).map { "3361200000\($0)" }
    let count = 5
    try await withThrowingTaskGroup(of: Void.self) { group in
      for phone in phones {
        group.addTask { try await W.say(h, (1...count).map { (phone, "message \($0)") }) }
      }
      try await group.waitForAll()
    }
    // Two webhook workers in one process, as two instances would be.
    let first = h.server.startIntegrations()
    let second = h.server.startIntegrations()
    #expect(await eventually { receiver.accepted.count == phones.count * count })
    // The receiver counts a request when it arrives, 40 ms before it answers: the workers stop
    // once every delivery is recorded as delivered, not while the last attempts are in flight
    // (a stopping worker gives its lease back, and the other one would rightly attempt again:
    // the last message delivered twice, seen under a loaded PostgreSQL pass).
    #expect(
      await eventually {
        (try? await W.statuses(h)) == Array(repeating: "delivered", count: phones.count * count)
      })
    await first.stop()
    await second.stop()
    let expected = (1...count).map { "message \($0)" }
    for phone in phones {
      let requests = receiver.received.filter {
        $0.json["payload"]?["user"]?["phone"]?.stringValue == "+" + phone
      }.sorted { $0.arrivedAt < $1.arrivedAt }
      #expect(
        requests.compactMap { $0.json["data"]?["message"]?["text"]?.stringValue } == expected,
        "in order for \(phone), attempts with the keys \(requests.map(\.key))")
      for (earlier, later) in zip(requests, requests.dropFirst()) {
        #expect(
          later.arrivedAt - earlier.arrivedAt >= slow,
          "an attempt of \(phone) started before the previous one was answered")
      }
    }
    #expect(receiver.received.count == phones.count * count, "each delivered once")
  }
}
