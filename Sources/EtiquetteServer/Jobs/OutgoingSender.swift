import AsyncHTTPClient
import EtiquetteEngine
import Foundation
import Logging
import NIOCore

/// Sends queued replies through `POST {graph_base}/{phone_number_id}/messages`.
///
/// INVARIANT: only the oldest queued reply of a conversation is ever in flight (each reply is a
/// job whose ordering key is its conversation), so a later reply never overtakes an earlier one
/// (a retried reply holds back the ones after it; a reply that failed for good no longer does).
/// Different conversations are sent concurrently.
///
/// At least once: the row stays `queued` until Meta's answer is recorded, so a crash between
/// Meta's acceptance and the commit sends that reply again once the job's lease expires (the
/// Cloud API has no idempotency key for messages).
struct OutgoingSender: Sendable {
  let store: any InboxStore
  let hub: IntegrationHub
  /// For the live stream's audience of a status change.
  let rules: RuleHolder
  let whatsapp: ServerConfiguration.WhatsAppSending
  let logger: Logger
  /// Conversations sent to at the same time.
  var concurrency = 8

  struct Outgoing: Sendable {
    var id: Int64
    var conversation: String
    var text: String
    var recipient: String?
    var attempts: Int
  }

  func worker() -> JobWorker {
    JobWorker(
      name: "sending", kinds: [.whatsappSend], store: store, clock: hub.clock, logger: logger,
      concurrency: concurrency, lease: 2 * whatsapp.retry.timeout + 5
    ) { job in
      await attempt(job)
    }
  }

  enum Outcome: Sendable {
    case sent(whatsappID: String?)
    case retry(GraphAPI.Failure, retryAfter: Double?)
    case failed(GraphAPI.Failure)
  }

  /// Sends the job's reply, if it is still queued (a takeover may have withdrawn it).
  func attempt(_ job: Job) async {
    let message: Outgoing
    do {
      guard let id = Int64(job.subject), let queued = try await store.outgoingMessage(id: id)
      else {
        try await store.finishJob(job)
        return
      }
      message = queued
    } catch {
      logger.error("sending: reply \(job.subject) unreadable: \(error)")
      return
    }
    let outcome: Outcome
    if let recipient = message.recipient {
      outcome = await post(message, to: recipient)
    } else {
      outcome = .failed(.local("the contact has neither a phone number nor a WhatsApp user id"))
    }
    // Stopped mid-call: the reply stays as it was and is sent again after the restart.
    if Task.isCancelled { return }
    do {
      try await record(outcome, for: message, job: job)
    } catch {
      logger.error("sending: could not record the outcome of message \(message.id): \(error)")
    }
  }

  func post(_ message: Outgoing, to recipient: String) async -> Outcome {
    var request = HTTPClientRequest(url: GraphAPI.url(whatsapp.graphBase, whatsapp.phoneNumberID))
    request.url += "/messages"
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.body = .bytes(
      ByteBuffer(bytes: GraphAPI.textMessage(to: recipient, body: message.text)))
    do {
      let (status, headers, body) = try await GraphAPI.call(
        request, token: whatsapp.accessToken, http: hub.http, timeout: whatsapp.retry.timeout)
      if (200..<300).contains(status) {
        let json = try? JSONValue.parse(bytes: body)
        return .sent(whatsappID: json?["messages"]?.arrayValue?.first?["id"]?.stringValue)
      }
      switch GraphAPI.verdict(
        status: status, headers: headers, body: body, now: hub.clock.now())
      {
      case .retry(let failure, let retryAfter): return .retry(failure, retryAfter: retryAfter)
      case .permanent(let failure): return .failed(failure)
      }
    } catch {
      return .retry(.local(GraphAPI.describe(error)), retryAfter: nil)
    }
  }

  func record(_ outcome: Outcome, for message: Outgoing, job: Job) async throws {
    let attempts = message.attempts + 1
    let policy = whatsapp.retry
    let record: SendAttemptRecord
    switch outcome {
    case .sent(let whatsappID): record = .sent(whatsappID: whatsappID)
    case .retry(let failure, let retryAfter) where attempts < policy.maxAttempts:
      let delay = GraphAPI.delay(attempt: attempts, retryAfter: retryAfter, policy: policy)
      record = .retry(errors: failure.stored, nextAttemptAt: hub.clock.seconds + delay)
    case .retry(let failure, _), .failed(let failure): record = .failed(errors: failure.stored)
    }
    guard
      try await store.recordSendAttempt(
        record, attempts: attempts, job: job, rules: rules.current, hub: hub)
    else {
      logger.warning("sending message \(message.id): the attempt outlived its lease")
      return
    }
    switch outcome {
    case .sent: hub.metrics.recordOutbound("whatsapp", "delivered")
    case .retry where attempts < policy.maxAttempts:
      hub.metrics.recordOutbound("whatsapp", "retried")
    case .retry, .failed: hub.metrics.recordOutbound("whatsapp", "failed")
    }
    switch outcome {
    case .sent: break
    case .retry(let failure, _) where attempts < policy.maxAttempts:
      logger.info("sending message \(message.id): \(failure.title); will retry")
    case .retry(let failure, _), .failed(let failure):
      let code = failure.code.map { "#\($0) " } ?? ""
      logger.warning(
        "sending message \(message.id) failed after \(attempts) attempt(s): \(code)\(failure.title)"
      )
    }
  }
}
