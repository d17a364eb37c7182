import AsyncHTTPClient
import EtiquetteEngine
import Foundation
import Logging
import NIOCore

/// The background worker of the AI connector: claims due requests, calls the endpoint (a few
/// at a time, never two for one conversation), applies or stores the answers.
struct AIWorker: Sendable {
  let server: InboxServer
  let endpoint: ServerConfiguration.AIEndpoint
  /// Calls in flight at once (never two for one conversation: the queue's ordering key).
  let concurrency = 4

  var store: any InboxStore { server.store }
  var hub: IntegrationHub { server.hub }
  var logger: Logger { server.logger }

  func worker() -> JobWorker {
    JobWorker(
      name: "ai", kinds: [.aiRequest], store: store, clock: hub.clock, logger: logger,
      concurrency: concurrency, lease: 2 * endpoint.timeout + 5
    ) { job in
      await attempt(job)
    }
  }

  /// The job's request, unless it is no longer pending or a newer one supersedes it.
  func attempt(_ job: Job) async {
    let request: AIRequest?
    do {
      request = try await store.aiRequest(job: job, now: hub.clock.seconds)
    } catch {
      logger.error("AI connector: request \(job.subject) unreadable: \(error)")
      return
    }
    guard let request else { return }
    await process(request, job: job)
  }

  func process(_ request: AIRequest, job: Job) async {
    let rules = server.rules.current
    let loaded: (Conversation, IntegrationPayload)?
    do {
      loaded = try await store.aiPayload(conversation: request.conversation, rules: rules)
    } catch {
      await failed(request, job: job, Failure("cannot load the conversation: \(error)"))
      return
    }
    guard let (conversation, payload) = loaded else {
      await failed(request, job: job, Failure("the conversation no longer exists", permanent: true))
      return
    }
    if request.kind == "reply",
      !Engine.acceptsAIReply(madeFor: request.version, in: conversation)
    {
      // Already stale: calling the AI would only produce a reply the engine refuses.
      let reason =
        "made for version \(request.version), but the conversation is at version "
        + "\(conversation.version) (mode \(conversation.mode.rawValue)"
        + "\(conversation.assignee.map { ", assigned to \($0)" } ?? ""))"
      logger.info(
        "AI reply for conversation \(request.conversation) not requested: \(reason)")
      await finish(request, job: job, status: "discarded", error: reason, called: false)
      return
    }
    let call = AIConnector.Call(
      instruction: request.kind, version: request.version, conversation: request.conversation,
      payload: payload)
    let outcome = await self.call(call)
    // Stopping the server is not the AI's failure: the request stays `in_flight`, which the
    // next start resets to `pending`, so a last attempt is not lost to a restart.
    if Task.isCancelled { return }
    switch outcome {
    case .failure(let failure):
      await failed(request, job: job, failure)
    case .success(let text):
      if request.kind == "reply" {
        await applyReply(request, job: job, text: text)
      } else {
        await storeSuggestion(request, job: job, text: text)
      }
    }
  }

  typealias Failure = AIConnector.Failure

  /// One HTTP call with the configured timeout over the whole exchange (headers and body).
  func call(_ call: AIConnector.Call) async -> Result<String, Failure> {
    var request = HTTPClientRequest(url: endpoint.url)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.headers.add(name: "User-Agent", value: "etiquette")
    if let token = endpoint.token {
      request.headers.add(name: "Authorization", value: "Bearer \(token)")
    }
    request.body = .bytes(ByteBuffer(string: JSONLine.encode(call)))
    let timeout = Duration.milliseconds(Int64(max(endpoint.timeout, 0.001) * 1000))
    let http = hub.http
    let finalRequest = request
    do {
      return try await withThrowingTaskGroup(of: Result<String, Failure>?.self) { group in
        group.addTask {
          let response = try await http.execute(
            finalRequest, timeout: .milliseconds(Int64(max(endpoint.timeout, 0.001) * 1000)))
          let status = Int(response.status.code)
          guard (200..<300).contains(status) else {
            // 4xx (but 408 and 429) means the request itself is refused: retrying cannot help.
            let permanent = (400..<500).contains(status) && status != 408 && status != 429
            return .failure(
              Failure(description: "the AI endpoint answered HTTP \(status)", permanent: permanent))
          }
          let body: ByteBuffer
          do {
            body = try await response.body.collect(upTo: AIConnector.maxAnswerBytes)
          } catch is NIOTooManyBytesError {
            return .failure(
              Failure(
                description:
                  "the answer is larger than \(AIConnector.maxAnswerBytes / 1024) KiB"))
          }
          return AIConnector.text(ofAnswer: body)
        }
        group.addTask {
          try await Task.sleep(for: timeout)
          return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        return first
          ?? .failure(Failure(description: "no answer within \(endpoint.timeout) s (timeout)"))
      }
    } catch let error as HTTPClientError where error == .deadlineExceeded {
      return .failure(Failure(description: "no answer within \(endpoint.timeout) s (timeout)"))
    } catch {
      return .failure(Failure(description: "the call failed: \(error)"))
    }
  }

  func applyReply(_ request: AIRequest, job: Job, text: String) async {
    let rules = server.rules.current
    do {
      let step = Step(.aiReply(text: text, version: request.version), at: hub.clock.now())
      guard
        let decision = try await store.applyAIConnectorReply(
          step, request: request, job: job, rules: rules, hub: hub)
      else {
        logger.warning("AI reply for conversation \(request.conversation): lease lost")
        return
      }
      server.metrics.recordDecision()
      hub.metrics.recordOutbound("ai", decision.aiReply == .accepted ? "delivered" : "discarded")
      if decision.aiReply == .accepted {
        logger.info("AI reply for conversation \(request.conversation) accepted and queued")
      } else {
        let reason = AIConnector.discardReason(decision.aiReply)
        logger.notice("AI reply for conversation \(request.conversation) discarded: \(reason)")
      }
    } catch {
      await failed(request, job: job, Failure("cannot apply the reply: \(error)"))
    }
  }

  func storeSuggestion(_ request: AIRequest, job: Job, text: String) async {
    let rules = server.rules.current
    do {
      _ = try await store.storeAISuggestion(
        text, request: request, job: job, rules: rules, hub: hub)
      logger.info("AI suggestion stored for conversation \(request.conversation)")
    } catch {
      await failed(request, job: job, Failure("cannot store the suggestion: \(error)"))
    }
  }

  /// A failed attempt: retried after a backoff, or `failed` after the last one.
  func failed(_ request: AIRequest, job: Job, _ failure: Failure) async {
    let attempts = request.attempts + 1
    let last = failure.permanent || attempts >= max(1, endpoint.maxAttempts)
    // The AI is called while a customer waits: a minute at most between attempts.
    let delay = Backoff(initial: endpoint.retryBackoff, maximum: 60).delay(attempt: attempts)
    do {
      _ = try await store.recordAIAttempt(
        request, job: job, last: last, attempts: attempts, error: failure.description,
        nextAttemptAt: hub.clock.seconds + delay, at: hub.clock.seconds)
    } catch {
      logger.error("AI connector: cannot record a failed call on request \(request.id): \(error)")
    }
    hub.metrics.recordOutbound("ai", last ? "failed" : "retried")
    if last {
      let text =
        "AI \(request.kind) for conversation \(request.conversation) failed after \(attempts) "
        + "attempt(s): \(failure.description)"
      logger.error("\(text)")
    } else {
      let text =
        "AI \(request.kind) for conversation \(request.conversation), attempt \(attempts): "
        + "\(failure.description); retrying in \(String(format: "%.2f", delay)) s"
      logger.warning("\(text)")
    }
  }

  func finish(_ request: AIRequest, job: Job, status: String, error: String?, called: Bool)
    async
  {
    _ = try? await store.finishAIRequest(
      request, job: job, status: status, error: error, called: called, at: hub.clock.seconds)
  }
}

extension InboxServer {
  /// The AI connector's worker; nil when no endpoint is configured.
  func aiWorker() -> JobWorker? {
    guard let endpoint = configuration.ai else { return nil }
    return AIWorker(server: self, endpoint: endpoint).worker()
  }
}
