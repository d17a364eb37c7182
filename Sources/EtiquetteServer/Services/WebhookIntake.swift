import Foundation
import Logging

/// How a busy intake's round waits for more webhooks before it starts (a store's
/// `roundGathering`), as PostgreSQL's own `commit_delay` waits for other commits: on a store
/// where a round costs a fixed number of round trips whatever its size, sixteen webhooks in one
/// round cost about what eight do.
///
/// Why: under steady load the clients split into two cohorts — while one cohort's round runs,
/// the other's requests queue, and each round takes only the cohort that queued — so rounds
/// stay half as large as the load allows. A round that waits, at most `linger`, for as many
/// webhooks as were in the server at once lately (up to `batch`) merges the cohorts. An idle
/// server, where webhooks come one at a time, never waits.
struct RoundGathering: Sendable {
  /// The longest a round waits.
  var linger: Duration
  /// The most webhooks a round waits for (the store's round size).
  var batch: Int
}

/// Group commit for webhook bodies.
///
/// Requests hand their verified, parsed body to this queue and wait. One drain loop takes every
/// body queued so far and has the store commit them all and process the pending webhooks
/// (`receiveWebhooks`; SQLite: both in one transaction; PostgreSQL: the bodies in one, then
/// several side by side, each customer's in order, see `Intake+PostgreSQL.swift`), and only
/// then resumes the waiting requests: each 200 goes out after its body is committed and, unless
/// processing failed (logged; the body stays pending or is kept as failed), processed. A burst of N webhooks
/// costs a few transactions instead of 2N, and the drain never runs concurrently with itself.
/// Each customer's webhooks are processed in the order their bodies were committed. With a
/// `RoundGathering`, a busy round first waits a little for the rest of the load.
final class WebhookIntake: @unchecked Sendable {
  private struct Job {
    var body: [UInt8]
    var payload: WhatsAppPayload
    var continuation: CheckedContinuation<Void, any Error>
  }

  private let store: any WebhookInbox
  private let rules: RuleHolder
  private let metrics: ServerMetrics
  private let hub: IntegrationHub?
  private let logger: Logger
  /// The largest batch one transaction takes; later arrivals wait for the next round.
  private let maxBatch: Int
  private let gathering: RoundGathering?
  // Guards every variable below; the drain loop itself runs outside the lock.
  private let lock = NSLock()
  private var queue: [Job] = []
  private var draining = false
  /// Webhooks submitted and not answered yet (queued or in a round).
  private var inFlight = 0
  /// The most in flight at once in this window of rounds and in the one before: how many
  /// webhooks the load keeps in the server ("lately"). Windows of rounds rather than of time,
  /// so that how slowly a machine runs changes nothing; the price: after a burst, the next
  /// 32 to 64 rounds may each still wait their linger for webhooks that do not come.
  private var peak = 0
  private var previousPeak = 0
  private var roundsInWindow = 0
  /// The round waiting for more webhooks, if any: resumed once the queue holds `target`, or
  /// by its timer (`generation` tells a late timer from the next round's).
  private var waiter:
    (
      generation: Int, target: Int, continuation: CheckedContinuation<Void, Never>,
      timer: Task<Void, Never>
    )?
  private var generation = 0

  /// Rounds over which the peak in flight is measured (two windows are remembered).
  static let peakWindow = 32

  init(
    store: any WebhookInbox, rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub?,
    logger: Logger,
    maxBatch: Int = 256, gathering: RoundGathering? = nil
  ) {
    self.store = store
    self.gathering = gathering
    self.hub = hub
    self.rules = rules
    self.metrics = metrics
    self.logger = logger
    self.maxBatch = max(1, maxBatch)
  }

  /// Returns once the body is committed and its processing was attempted; throws only when the
  /// body could not be committed (then no 200 may be sent).
  func submit(body: [UInt8], payload: WhatsAppPayload) async throws {
    try await withCheckedThrowingContinuation {
      (continuation: CheckedContinuation<Void, any Error>) in
      let (start, gathered) = lock.withLock {
        queue.append(Job(body: body, payload: payload, continuation: continuation))
        inFlight += 1
        peak = max(peak, inFlight)
        var gathered: CheckedContinuation<Void, Never>?
        if let waiter, queue.count >= waiter.target {
          waiter.timer.cancel()
          gathered = waiter.continuation
          self.waiter = nil
        }
        guard !draining else { return (false, gathered) }
        draining = true
        return (true, gathered)
      }
      gathered?.resume()
      if start {
        Task { await drain() }
      }
    }
  }

  /// Whether a round is waiting for more webhooks now, and how many wait for a round (tests).
  var isGathering: Bool { lock.withLock { waiter != nil } }
  var queued: Int { lock.withLock { queue.count } }

  /// How many webhooks the round that took `taken` should wait for, if it should: as many as
  /// were in flight at once lately, within the store's round size; nil when it has them, or
  /// when the intake is not busy (at most one in flight lately).
  private func gatheringTarget(taken: Int) -> Int? {
    guard let gathering else { return nil }
    return lock.withLock {
      roundsInWindow += 1
      if roundsInWindow >= Self.peakWindow {
        roundsInWindow = 0
        previousPeak = peak
        peak = inFlight
      }
      let target = min(max(peak, previousPeak), gathering.batch)
      return target >= 2 && taken < target ? target : nil
    }
  }

  /// Waits until the queue holds `count` webhooks, or `linger` has passed.
  private func gather(_ count: Int, within linger: Duration) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let waiting = lock.withLock {
        guard queue.count < count else { return false }
        generation += 1
        let mine = generation
        // The timer, cancelled when the webhooks come first (`submit`).
        let timer = Task {
          guard (try? await Task.sleep(for: linger)) != nil else { return }
          let late: CheckedContinuation<Void, Never>? = self.lock.withLock {
            guard let waiter = self.waiter, waiter.generation == mine else { return nil }
            self.waiter = nil
            return waiter.continuation
          }
          late?.resume()
        }
        waiter = (mine, count, continuation, timer)
        return true
      }
      if !waiting { continuation.resume() }
    }
  }

  /// Takes up to `limit` queued jobs; the drain ends (under the same lock) when there are none.
  private func take(_ limit: Int, endingWhenEmpty: Bool) -> [Job] {
    lock.withLock {
      let taken = Array(queue.prefix(limit))
      queue.removeFirst(taken.count)
      if taken.isEmpty && endingWhenEmpty { draining = false }
      return taken
    }
  }

  private func drain() async {
    while true {
      var batch = take(maxBatch, endingWhenEmpty: true)
      if batch.isEmpty { return }
      if let linger = gathering?.linger, let target = gatheringTarget(taken: batch.count) {
        await gather(target - batch.count, within: linger)
        batch += take(maxBatch - batch.count, endingWhenEmpty: false)
      }
      let processingFailure: (any Error)?
      do {
        processingFailure = try await store.receiveWebhooks(
          batch.map { ($0.body, $0.payload) }, rules: rules, metrics: metrics, hub: hub)
      } catch {
        answered(batch.count)
        for job in batch { job.continuation.resume(throwing: error) }
        continue
      }
      // Committed: from here a crash loses nothing (pending bodies are processed at restart).
      metrics.recordWebhooks(batch.count)
      if let error = processingFailure {
        logger.error("webhook processing failed: \(error)")
      }
      answered(batch.count)
      for job in batch { job.continuation.resume() }
    }
  }

  private func answered(_ count: Int) { lock.withLock { inFlight -= count } }
}
