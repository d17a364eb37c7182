import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// Delivers the outbox: at least once, in order per conversation and subscription.
///
/// Each delivery is a job whose ordering key is its (subscription, conversation) pair, so the
/// queue runs one attempt per pair at a time, oldest first: a conversation's later event never
/// overtakes an earlier one still pending or retrying; other pairs proceed meanwhile. A dead
/// letter (`failed`) finishes its job, so the deliveries after it proceed: one bad event must
/// not stall a conversation forever, and the dead letter can be replayed (it then arrives
/// after the later ones; receivers order by the payload's `version` if they must).
///
/// A delivery whose worker dies mid-attempt stays `pending`; its job's lease expires and it is
/// sent again with the same `Idempotency-Key`.
struct WebhookWorker: Sendable {
  let store: any InboxStore
  let hub: IntegrationHub
  let logger: Logger
  /// Attempts in flight at once, over all pairs.
  let concurrency = 16

  /// One delivery as the worker reads it.
  struct Delivery: Sendable {
    var id: String
    var subscription: String
    var eventType: String
    var body: [UInt8]
    var attempts: Int
  }

  /// How one attempt ended.
  enum Outcome: Equatable {
    case delivered(status: Int)
    /// Retried later unless the attempts are used up.
    case retry(status: Int?, error: String)
    /// Dead-lettered at once.
    case stop(status: Int?, error: String)
  }

  /// How long finished deliveries are kept: delivered ones a week (for the deliveries API and
  /// a receiver's "did you send it?"), dead letters a month (time to fix the receiver and
  /// replay). Every row holds the whole conversation, so keeping them forever would grow the
  /// database with the square of a long conversation's length.
  static let deliveredRetention: Double = 7 * 86_400
  static let failedRetention: Double = 30 * 86_400

  /// The worker of deliveries and of the outbox's sweep.
  func worker() -> JobWorker {
    let timeout = hub.configuration.webhookDelivery.timeout
    return JobWorker(
      name: "webhooks", kinds: [.webhookDelivery, .sweep], store: store, clock: hub.clock,
      logger: logger, concurrency: concurrency,
      // An attempt waits for the answer, then reads its body, each within the timeout.
      lease: 2 * timeout + 5,
      prepare: {
        try? await store.scheduleJob(
          .sweep, subject: "webhook_deliveries", orderingKey: nil, at: hub.clock.seconds)
      }
    ) { job in
      await handle(job)
    }
  }

  func handle(_ job: Job) async {
    switch job.kind {
    case .sweep: await sweep(job)
    default: await attempt(job)
    }
  }

  /// Removes finished deliveries past their retention; due again in ten minutes.
  func sweep(_ job: Job) async {
    let now = hub.clock.seconds
    do {
      let removed = try await store.sweepDeliveries(
        deliveredBefore: now - Self.deliveredRetention, failedBefore: now - Self.failedRetention)
      if removed > 0 { logger.info("webhook outbox: removed \(removed) old deliveries") }
    } catch {
      logger.error("webhook outbox: cannot remove old deliveries: \(error)")
    }
    try? await store.rescheduleSweep(job: job, at: now + 600)
  }

  /// Sends one delivery and records the outcome.
  func attempt(_ job: Job) async {
    let policy = hub.configuration.webhookDelivery
    let delivery: Delivery?
    do {
      delivery = try await store.delivery(id: job.subject)
    } catch {
      logger.error("webhook delivery \(job.subject) unreadable: \(error)")
      return
    }
    // Replayed meanwhile, or already recorded: nothing to send for this job.
    guard let delivery else {
      try? await store.finishJob(job)
      return
    }
    let outcome: Outcome
    if let subscription = hub.configuration.webhooks.first(where: {
      $0.name == delivery.subscription
    }) {
      outcome = await send(delivery, to: subscription, timeout: policy.timeout)
    } else {
      outcome = .stop(
        status: nil,
        error: "the subscription \"\(delivery.subscription)\" is no longer configured; "
          + "add it back, then replay")
    }
    // A stopping server abandons the attempt: the row stays pending and is sent again, with
    // the same key, after the restart.
    if Task.isCancelled { return }
    do {
      try await record(outcome, for: delivery, job: job, policy: policy)
    } catch {
      logger.error("webhook delivery \(delivery.id): outcome not recorded: \(error)")
    }
  }

  func send(
    _ delivery: Delivery, to subscription: ServerConfiguration.WebhookSubscription,
    timeout: Double
  ) async -> Outcome {
    guard let url = URL(string: subscription.url), let scheme = url.scheme?.lowercased(),
      scheme == "http" || scheme == "https", url.host != nil
    else {
      return .stop(
        status: nil, error: "the subscription URL \"\(subscription.url)\" is not an http(s) URL")
    }
    var request = HTTPClientRequest(url: subscription.url)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.headers.add(name: "User-Agent", value: Self.userAgent)
    request.headers.add(name: "Idempotency-Key", value: delivery.id)
    request.headers.add(name: "X-Etiquette-Event", value: delivery.eventType)
    request.headers.add(name: "X-Etiquette-Delivery", value: delivery.id)
    // Signed at each attempt, so a retry hours later still passes the receiver's
    // five-minute timestamp check.
    request.headers.add(
      name: OutboundSignature.headerName,
      value: OutboundSignature.header(
        secret: subscription.secret, timestamp: Int(hub.clock.seconds),
        body: delivery.body))
    request.body = .bytes(ByteBuffer(bytes: delivery.body))
    let limit = TimeAmount.milliseconds(Int64(max(0.001, timeout) * 1000))
    do {
      let response = try await hub.http.execute(request, timeout: limit)
      let status = Int(response.status.code)
      // The body is read (to free the connection) within the same timeout; only its start
      // is kept, for the error of a failed attempt.
      let text = await Self.start(of: response.body, within: limit)
      switch status {
      case 200..<300:
        return .delivered(status: status)
      case 410:
        return .stop(
          status: status,
          error: "the receiver answered 410 Gone: it no longer wants these events; "
            + "fix the subscription, then replay")
      default:
        let detail = text.isEmpty ? "" : ": \(text)"
        return .retry(status: status, error: "the receiver answered \(status)\(detail)")
      }
    } catch let error as HTTPClientError where error == .deadlineExceeded {
      return .retry(status: nil, error: "no answer within \(timeout) s (timeout)")
    } catch {
      return .retry(status: nil, error: "the request failed: \(error)")
    }
  }

  static let userAgent = "etiquette/1 (webhooks; etiquette/webhook-event/v1)"

  /// Up to 200 characters of a response body, reading the rest away, for at most `limit`.
  static func start(of body: HTTPClientResponse.Body, within limit: TimeAmount) async -> String {
    var kept: [UInt8] = []
    let reading = Task {
      var bytes: [UInt8] = []
      do {
        for try await chunk in body where bytes.count < 200 {
          bytes.append(contentsOf: chunk.readableBytesView.prefix(200 - bytes.count))
        }
      } catch {}
      return bytes
    }
    let timer = Task {
      try? await Task.sleep(nanoseconds: UInt64(max(0, limit.nanoseconds)))
      reading.cancel()
    }
    kept = await reading.value
    timer.cancel()
    return String(decoding: kept, as: UTF8.self)
      .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
  }

  func record(
    _ outcome: Outcome, for delivery: Delivery, job: Job,
    policy: ServerConfiguration.DeliveryPolicy
  ) async throws {
    let now = hub.clock.seconds
    let attempts = delivery.attempts + 1
    var status = "pending"
    var next = now
    var deliveredAt: Double?
    var code: Int?
    var error: String?
    switch outcome {
    case .delivered(let s):
      status = "delivered"
      deliveredAt = now
      code = s
    case .stop(let s, let e):
      status = "failed"
      code = s
      error = e
    case .retry(let s, let e):
      code = s
      if attempts >= policy.maxAttempts {
        status = "failed"
        error = "gave up after \(attempts) attempt(s); the last: \(e)"
      } else {
        error = e
        next = now + Backoff(policy).delay(attempt: attempts)
      }
    }
    hub.metrics.recordOutbound(
      "webhook", status == "pending" ? "retried" : status == "failed" ? "failed" : "delivered")
    switch outcome {
    case .delivered: break
    case .stop, .retry:
      let ending = status == "failed" ? " — dead-lettered" : ""
      let message =
        "webhook \(delivery.eventType) to \"\(delivery.subscription)\" (\(delivery.id)), "
        + "attempt \(attempts): \(error ?? "")\(ending)"
      logger.warning("\(message)")
    }
    let held = try await store.recordDeliveryAttempt(
      DeliveryAttemptRecord(
        status: status, attempts: attempts, nextAttemptAt: next, lastStatus: code,
        lastError: error, at: now, deliveredAt: deliveredAt), job: job)
    if !held {
      logger.warning(
        "webhook delivery \(delivery.id): the attempt outlived its lease; another worker has it")
    }
  }
}

extension InboxServer {
  /// The webhook worker; nil when no subscription is configured (pending rows then wait).
  func webhookWorker() -> JobWorker? {
    guard !configuration.webhooks.isEmpty else { return nil }
    return WebhookWorker(store: store, hub: hub, logger: logger).worker()
  }
}
