import Foundation
import Logging

/// Group commit for webhook bodies.
///
/// Requests hand their verified, parsed body to this queue and wait. One drain loop takes every
/// body queued so far and has the store commit them all and process the pending webhooks
/// (`receiveWebhooks`; SQLite: both in one transaction; PostgreSQL: the bodies in one, then
/// several side by side, each customer's in order, see `Intake+PostgreSQL.swift`), and only
/// then resumes the waiting requests: each 200 goes out after its body is committed and, unless
/// processing failed (logged; the body stays pending or is kept as failed), processed. A burst of N webhooks
/// costs a few transactions instead of 2N, and the drain never runs concurrently with itself.
/// Each customer's webhooks are processed in the order their bodies were committed.
final class WebhookIntake: @unchecked Sendable {
  private struct Job {
    var body: [UInt8]
    var payload: WhatsAppPayload
    var continuation: CheckedContinuation<Void, any Error>
  }

  private let store: any InboxStore
  private let rules: RuleHolder
  private let metrics: ServerMetrics
  private let hub: IntegrationHub?
  private let logger: Logger
  /// The largest batch one transaction takes; later arrivals wait for the next round.
  private let maxBatch: Int
  // Guards `queue` and `draining`; the drain loop itself runs outside the lock.
  private let lock = NSLock()
  private var queue: [Job] = []
  private var draining = false

  init(
    store: any InboxStore, rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub?,
    logger: Logger,
    maxBatch: Int = 256
  ) {
    self.store = store
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
      let start = lock.withLock {
        queue.append(Job(body: body, payload: payload, continuation: continuation))
        guard !draining else { return false }
        draining = true
        return true
      }
      if start {
        Task { await drain() }
      }
    }
  }

  private func drain() async {
    while true {
      let batch: [Job] = lock.withLock {
        let taken = Array(queue.prefix(maxBatch))
        queue.removeFirst(taken.count)
        if taken.isEmpty { draining = false }
        return taken
      }
      if batch.isEmpty { return }
      let processingFailure: (any Error)?
      do {
        processingFailure = try await store.receiveWebhooks(
          batch.map { ($0.body, $0.payload) }, rules: rules, metrics: metrics, hub: hub)
      } catch {
        for job in batch { job.continuation.resume(throwing: error) }
        continue
      }
      // Committed: from here a crash loses nothing (pending bodies are processed at restart).
      metrics.recordWebhooks(batch.count)
      if let error = processingFailure {
        logger.error("webhook processing failed: \(error)")
      }
      for job in batch { job.continuation.resume() }
    }
  }
}
