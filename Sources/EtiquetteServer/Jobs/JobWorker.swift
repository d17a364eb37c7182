import Foundation
import Logging
import ServiceLifecycle

/// Runs the jobs of some kinds: claims due jobs with a lease, runs each through `attempt`, at
/// most `concurrency` at a time, and records nothing itself (each attempt records its outcome,
/// which finishes or retries its job in the same transaction).
///
/// Order is the queue's business, not the worker's: two jobs with one ordering key are never
/// claimed together, by this worker or any other, in this process or another. A worker that
/// dies mid-attempt leaves its lease to expire; the job is then claimed again (at least once:
/// a delivery carries the same `Idempotency-Key` each time).
///
/// A `Service`: on a graceful shutdown it stops claiming and waits for the attempts in flight
/// (each bounded by its own timeout); cancelled, the attempts end at once and the worker gives
/// its leases back, so a restart takes the jobs without waiting for the leases to expire.
struct JobWorker: Service {
  let name: String
  let kinds: Set<JobKind>
  let store: any JobQueue
  let clock: WallClock
  let logger: Logger
  /// Attempts in flight at once.
  let concurrency: Int
  /// How long a claim holds a job: longer than any attempt of these kinds can take.
  let lease: Double
  /// The longest sleep without a wake-up: a safety net should one be missed.
  var idlePoll: Double = 30
  /// Runs once before the first claim (the webhook worker schedules its sweep).
  var prepare: (@Sendable () async -> Void)?
  let attempt: @Sendable (Job) async -> Void

  init(
    name: String, kinds: Set<JobKind>, store: any JobQueue, clock: WallClock, logger: Logger,
    concurrency: Int, lease: Double, prepare: (@Sendable () async -> Void)? = nil,
    attempt: @escaping @Sendable (Job) async -> Void
  ) {
    self.name = name
    self.kinds = kinds
    self.store = store
    self.clock = clock
    self.logger = logger
    self.concurrency = concurrency
    self.lease = lease
    self.prepare = prepare
    self.attempt = attempt
  }

  func run() async throws {
    let owner = "\(name)-\(UUID().uuidString.prefix(8).lowercased())"
    if let prepare { await prepare() }
    let bell = store.jobBell
    let kinds = kinds
    await withGracefulShutdownHandler {
      await claimAndAttempt(owner: owner)
    } onGracefulShutdown: {
      // Ends the wait; the loop sees the shutdown and waits for its attempts.
      bell.ring(kinds)
    }
    // Leases of attempts a cancellation cut short go back to the queue (in a task of its own:
    // this one may be cancelled).
    let store = store
    await Task { try? await store.releaseJobs(owner: owner) }.value
  }

  /// Claims and attempts until the worker is cancelled or the server shuts down, then waits
  /// for the attempts in flight.
  private func claimAndAttempt(owner: String) async {
    let running = RunningAttempts()
    let bell = store.jobBell
    await withDiscardingTaskGroup { group in
      while !Task.isCancelled, !Task.isShuttingDownGracefully {
        let mark = bell.mark(kinds)
        var wait = idlePoll
        do {
          let free = concurrency - running.count
          if free > 0 {
            let now = clock.seconds
            let jobs = try await store.claimJobs(
              kinds, owner: owner, now: now, leaseUntil: now + lease, limit: free)
            for job in jobs {
              running.add()
              group.addTask {
                await attempt(job)
                running.remove()
                // A slot is free, and the job's ordering key may have a next job.
                bell.ring([job.kind])
              }
            }
            if let due = try await store.nextJobDue(kinds, after: clock.seconds) {
              wait = min(idlePoll, max(0.001, due - clock.seconds))
            }
          }
        } catch {
          // A read interrupted by the worker's own stop is no fault.
          if Task.isCancelled { break }
          logger.error("\(name): the job queue is unreadable, retrying: \(error)")
          wait = 1
        }
        await bell.wait(for: kinds, since: mark, upTo: .milliseconds(Int64(wait * 1000)))
      }
    }
  }
}

/// The attempts a worker has in flight.
final class RunningAttempts: @unchecked Sendable {
  // Guards `value`.
  private let lock = NSLock()
  private var value = 0

  var count: Int { lock.withLock { value } }
  func add() { lock.withLock { value += 1 } }
  func remove() { lock.withLock { value -= 1 } }
}
