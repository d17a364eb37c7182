import Foundation
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

@testable import EtiquetteServer

/// A worker is a ServiceLifecycle service: on a graceful shutdown (SIGTERM) it stops claiming
/// and returns only once the attempt in flight has recorded its outcome.
@Suite struct GracefulShutdownTests {
  /// What happened, in order.
  final class Events: @unchecked Sendable {
    // Guards `list`.
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ event: String) { lock.withLock { list.append(event) } }
    var all: [String] { lock.withLock { list } }
  }

  @Test(arguments: StoreKind.available)
  func aGracefulShutdownWaitsForTheAttemptInFlight(on kind: StoreKind) async throws {
    try await kind.withStore(clock: JobQueueTests.clock) { store in
      try await store.scheduleJob(.mediaDownload, subject: "m1", orderingKey: nil, at: 1_000)
      try await store.scheduleJob(.mediaDownload, subject: "m2", orderingKey: nil, at: 1_000)
      let events = Events()
      let started = AsyncStream<Void>.makeStream()
      let gate = AsyncStream<Void>.makeStream()
      let worker = JobWorker(
        name: "media", kinds: [.mediaDownload], store: store,
        clock: .fixed(Date(timeIntervalSince1970: 1_000)), logger: Logger(label: "test"),
        concurrency: 1, lease: 60
      ) { job in
        events.append("started \(job.subject)")
        started.continuation.yield()
        // Held until the test has asked for the shutdown.
        for await _ in gate.stream { break }
        // A worker that cancelled its attempts on shutdown would lose their outcomes.
        if Task.isCancelled {
          events.append("cancelled \(job.subject)")
          return
        }
        try? await store.finishJob(job)
        events.append("finished \(job.subject)")
      }
      try await testGracefulShutdown { trigger in
        let running = Task {
          try await worker.run()
          events.append("returned")
        }
        for await _ in started.stream { break }
        trigger.triggerGracefulShutdown()
        // Time for a worker that did not wait to return first (a correct one never does).
        try await Task.sleep(for: .milliseconds(50))
        gate.continuation.yield()
        try await running.value
      }
      #expect(
        events.all == ["started m1", "finished m1", "returned"], "m2 is left for the next run")
      let left = try await store.claimJobs(
        [.mediaDownload], owner: "next", now: 1_000, leaseUntil: 1_010, limit: 5)
      #expect(left.map(\.subject) == ["m2"])
    }
  }
}
