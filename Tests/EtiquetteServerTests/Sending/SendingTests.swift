import EtiquetteEngine
import EtiquetteTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// Replies sent through a real (loopback) fake Graph API: successes, retries, permanent
/// failures, ordering, and the delivery statuses of the webhook.
@Suite struct SendingTests {
  typealias S = SendingSupport

  /// Runs `body` with a fake Graph API, a harness pointing at it, its workers started, and a
  /// conversation with the customer +33600000001. The call timeout is generous: on a loaded
  /// machine a short one turns a slow loopback answer into a retry, and the count of sends a
  /// test asserts into a coin toss; tests of timeouts pass their own.
  func withConversation(
    maxAttempts: Int = 5, timeout: Double = 60, startWorkers: Bool = true,
    clock: WallClock = .starting(at: TestClock.start),
    _ body:
      @Sendable (ServerHarness, any TestClientProtocol, GraphScript, String) async throws -> Void
  ) async throws {
    let graph = FakeGraph()
    try await graph.run { base in
      let (harness, _) = try await S.harness(
        base: base, maxAttempts: maxAttempts, timeout: timeout, clock: clock)
      let workers = startWorkers ? harness.server.startIntegrations() : nil
      do {
        try await harness.test { client in
          let id = try await APITests.converse(
            harness, client, phone: "33600000001", text: "bonjour")
          try await body(harness, client, graph.script, id)
        }
      } catch {
        await workers?.stop()
        throw error
      }
      await workers?.stop()
    }
  }

  @Test func replyIsSentAndItsWhatsAppIDStored() async throws {
    try await withConversation { harness, client, graph, id in
      try await S.reply(harness, client, conversation: id, text: "Bonjour, je regarde")
      let reply = try #require(try await S.replies(harness, conversation: id).first)
      _ = try await S.eventually {
        try await S.status(harness, message: reply) == "sent" ? true : nil
      }
      let received = try #require(await graph.received.first)
      #expect(received.path == "/v21.0/\(S.phoneNumberID)/messages")
      #expect(received.authorization == "Bearer \(S.token)")
      #expect(received.body["messaging_product"] == .string("whatsapp"))
      #expect(received.body["recipient_type"] == .string("individual"))
      #expect(received.body["to"] == .string("33600000001"))
      #expect(received.body["type"] == .string("text"))
      #expect(received.body["text"]?["body"] == .string("Bonjour, je regarde"))
      let detail = try await S.detail(harness, client, conversation: id)
      let last = try #require(detail["transcript"]?.arrayValue?.last)
      #expect(last["status"] == .string("sent"))
      #expect(last["whatsappId"] == .string("wamid.fake.1"))
      #expect(last["attempts"] == .number(1))
      #expect(last["error"] == nil)
    }
  }

  @Test func rateLimitWaitsForRetryAfterThenSends() async throws {
    // Retry-After is ten minutes of the server's clock, which the test moves forward: the wait
    // is looked at while it lasts, however slow the machine (a one-second Retry-After on the
    // wall clock could pass between two polls of a loaded machine).
    let time = JobWorkerTests.MovableClock()
    try await withConversation(clock: time.clock) { harness, client, graph, id in
      await graph.script(sends: [
        try .fixture(429, "error-130429.json", headers: ["Retry-After": "600"]),
        try .fixture(200, "send-ok.json"),
      ])
      try await S.reply(harness, client, conversation: id, text: "un instant")
      let reply = try #require(try await S.replies(harness, conversation: id).first)
      // While waiting, the reply stays queued and says why.
      let waiting = try await S.eventually {
        let detail = try await S.detail(harness, client, conversation: id)
        let last = detail["transcript"]?.arrayValue?.last
        return last?["error"]?["code"] == .number(130429) ? last : nil
      }
      #expect(waiting["status"] == .string("queued"))
      // The backoff alone (0.05 s) would have retried at once: it waits for Retry-After.
      #expect(await graph.received.count == 1)
      time.advance(by: 601)
      harness.server.store.jobBell.ring([.whatsappSend])
      _ = try await S.eventually {
        try await S.status(harness, message: reply) == "sent" ? true : nil
      }
      #expect(await graph.received.count == 2)
      let stored = try await harness.inspect.message(id: reply)
      #expect(stored?.whatsappID == "wamid.HBgLMzM2MDAwMDAwMDEVAgARGBI1RjQ0RTc5QjU3QjY0RkQ3AA==")
      #expect(stored?.errors == nil)
      #expect(stored?.sendAttempts == 2)
    }
  }

  @Test func serverErrorIsRetriedWithBackoff() async throws {
    try await withConversation { harness, client, graph, id in
      await graph.script(sends: [
        .json(500, #"{"error":{"message":"(#2) Service temporarily unavailable","code":2}}"#),
        .json(503, "upstream down"),
      ])
      try await S.reply(harness, client, conversation: id, text: "retry me")
      let reply = try #require(try await S.replies(harness, conversation: id).first)
      _ = try await S.eventually {
        try await S.status(harness, message: reply) == "sent" ? true : nil
      }
      #expect(await graph.sentTexts() == ["retry me", "retry me", "retry me"])
    }
  }

  @Test func slowGraphTimesOutAndIsRetried() async throws {
    // A loaded machine may time out a later attempt too: what matters is that the late
    // answer is never used, and that a retry's answer is.
    try await withConversation(timeout: 1) { harness, client, graph, id in
      var slow = GraphReply.sent("wamid.too-late")
      slow.delay = 4
      await graph.script(sends: [slow])
      try await S.reply(harness, client, conversation: id, text: "patience")
      let reply = try #require(try await S.replies(harness, conversation: id).first)
      _ = try await S.eventually {
        try await S.status(harness, message: reply) == "sent" ? true : nil
      }
      let waID = try await harness.inspect.message(id: reply)?.whatsappID
      // The answer that came too late was not used; a retry's was.
      #expect(waID != "wamid.too-late")
      #expect(waID?.hasPrefix("wamid.fake.") == true)
      #expect(await graph.received.count >= 2)
    }
  }

  @Test(arguments: [
    ("error-131047.json", 131047, "Re-engagement message"),
    ("error-100.json", 100, "Invalid parameter"),
  ])
  func errorBodyFailsTheMessageVisibly(file: String, code: Int, title: String) async throws {
    try await withConversation { harness, client, graph, id in
      await graph.script(sends: [try .fixture(400, file)])
      try await S.reply(harness, client, conversation: id, text: "hors fenêtre")
      let reply = try #require(try await S.replies(harness, conversation: id).first)
      _ = try await S.eventually {
        try await S.status(harness, message: reply) == "failed" ? true : nil
      }
      // Permanent: one attempt only.
      #expect(await graph.received.count == 1)
      let detail = try await S.detail(harness, client, conversation: id)
      let last = try #require(detail["transcript"]?.arrayValue?.last)
      #expect(last["status"] == .string("failed"))
      #expect(last["error"]?["code"] == .number(Double(code)))
      #expect(last["error"]?["title"] == .string(title))
      #expect(last["error"]?["details"]?.stringValue?.isEmpty == false)
      #expect(last["errors"]?.arrayValue?.first?["http_status"] == .number(400))
      #expect(last["whatsappId"] == nil)
    }
  }

  @Test func attemptsExhaustedFailTheMessage() async throws {
    try await withConversation(maxAttempts: 3) { harness, client, graph, id in
      await graph.script(sends: Array(repeating: .json(502, "bad gateway"), count: 5))
      try await S.reply(harness, client, conversation: id, text: "jamais")
      let reply = try #require(try await S.replies(harness, conversation: id).first)
      _ = try await S.eventually {
        try await S.status(harness, message: reply) == "failed" ? true : nil
      }
      #expect(await graph.received.count == 3)
      let detail = try await S.detail(harness, client, conversation: id)
      let last = try #require(detail["transcript"]?.arrayValue?.last)
      #expect(last["error"]?["title"] == .string("the Graph API answered HTTP 502"))
      #expect(last["attempts"] == .number(3))
    }
  }

  @Test func repliesOfAConversationKeepTheirOrder() async throws {
    try await withConversation { harness, client, graph, id in
      // The first reply fails twice: the later ones must wait for it.
      await graph.script(sends: [.json(500, "oops"), .json(500, "oops")])
      for text in ["un", "deux", "trois"] {
        try await S.reply(harness, client, conversation: id, text: text)
      }
      let replies = try await S.replies(harness, conversation: id)
      #expect(replies.count == 3)
      _ = try await S.eventually { () async throws -> Bool? in
        for reply in replies where try await S.status(harness, message: reply) != "sent" {
          return nil
        }
        return true
      }
      #expect(await graph.sentTexts() == ["un", "un", "un", "deux", "trois"])
      let ids = try await harness.inspect.messages().filter { $0.direction == "out" }.map {
        $0.whatsappID ?? ""
      }
      #expect(ids == ["wamid.fake.3", "wamid.fake.4", "wamid.fake.5"])
    }
  }

  @Test func statusWebhooksMoveTheMessageForwardOnly() async throws {
    try await withConversation { harness, client, graph, id in
      try await S.reply(harness, client, conversation: id, text: "suivi")
      let reply = try #require(try await S.replies(harness, conversation: id).first)
      _ = try await S.eventually {
        try await S.status(harness, message: reply) == "sent" ? true : nil
      }
      for (name, expected) in [
        ("delivered", "delivered"), ("read", "read"),
        // Late and out of order: a `delivered` or `sent` after the `read` changes nothing.
        ("delivered", "read"), ("sent", "read"), ("failed", "read"),
      ] {
        let status = try await ServerHarness.post(
          client, webhook: try S.statusWebhook(name, whatsappID: "wamid.fake.1"))
        #expect(status == .ok)
        #expect(try await S.status(harness, message: reply) == expected)
      }
      _ = graph
    }
  }

  @Test func failedStatusRecordsMetaErrorCodeAndTitle() async throws {
    try await withConversation { harness, client, _, id in
      try await S.reply(harness, client, conversation: id, text: "expérience")
      let reply = try #require(try await S.replies(harness, conversation: id).first)
      _ = try await S.eventually {
        try await S.status(harness, message: reply) == "sent" ? true : nil
      }
      try await ServerHarness.post(
        client, webhook: try S.statusWebhook("failed", whatsappID: "wamid.fake.1"))
      let detail = try await S.detail(harness, client, conversation: id)
      let last = try #require(detail["transcript"]?.arrayValue?.last)
      #expect(last["status"] == .string("failed"))
      #expect(last["error"]?["code"] == .number(130472))
      #expect(last["error"]?["title"] == .string("User's number is part of an experiment"))
      #expect(last["error"]?["details"]?.stringValue?.contains("experiment") == true)
    }
  }

  @Test func statusArrivingBeforeTheSendIsRecordedIsKept() async throws {
    // Workers stopped: the status webhook for the coming wamid arrives first.
    try await withConversation(startWorkers: false) { harness, client, _, id in
      try await S.reply(harness, client, conversation: id, text: "course")
      let reply = try #require(try await S.replies(harness, conversation: id).first)
      try await ServerHarness.post(
        client, webhook: try S.statusWebhook("delivered", whatsappID: "wamid.fake.1"))
      #expect(try await S.status(harness, message: reply) == "queued")
      #expect(try await harness.inspect.counts().earlyStatuses == 1)
      let workers = harness.server.startIntegrations()
      _ = try await S.eventually {
        try await S.status(harness, message: reply) == "delivered" ? true : nil
      }
      #expect(try await harness.inspect.counts().earlyStatuses == 0)
      await workers.stop()
    }
  }

  @Test func queuedRepliesAreSentAfterARestart() async throws {
    let graph = FakeGraph()
    try await graph.run { base in
      // The first server stores the reply and stops before sending it.
      let (first, _) = try await S.harness(base: base)
      try await first.test { client in
        let id = try await APITests.converse(
          first, client, phone: "33600000004", text: "bonsoir")
        try await S.reply(first, client, conversation: id, text: "après reprise")
      }
      let conversation = try await first.inspect.conversations().first?.id ?? ""
      let path = first.server.configuration.databasePath
      let configuration = first.server.configuration
      let second = try await ServerHarness(databasePath: path) { $0 = configuration }
      let workers = second.server.startIntegrations()
      let reply = try #require(try await S.replies(second, conversation: conversation).first)
      _ = try await S.eventually {
        try await S.status(second, message: reply) == "sent" ? true : nil
      }
      await workers.stop()
      #expect(await graph.script.sentTexts() == ["après reprise"])
    }
  }

  @Test func unreachableGraphKeepsTheReplyQueuedWithTheReason() async throws {
    // A port nothing listens on: connection refused, retried, still queued, reason shown.
    let (harness, _) = try await S.harness(
      base: "http://127.0.0.1:9", maxAttempts: 50, timeout: 0.3)
    let workers = harness.server.startIntegrations()
    try await harness.test { client in
      let id = try await APITests.converse(harness, client, phone: "33600000002", text: "allo")
      try await S.reply(harness, client, conversation: id, text: "personne ?")
      let last = try await S.eventually {
        let detail = try await S.detail(harness, client, conversation: id)
        let last = detail["transcript"]?.arrayValue?.last
        return (last?["attempts"]?.numberValue ?? 0) >= 2 ? last : nil
      }
      #expect(last["status"] == .string("queued"))
      #expect(last["error"]?["title"]?.stringValue?.contains("could not be reached") == true)
    }
    await workers.stop()
  }

  @Test func withoutWhatsAppConfiguredRepliesStayQueued() async throws {
    let harness = try await ServerHarness()
    let workers = harness.server.startIntegrations()
    #expect(!harness.server.jobWorkers().contains { $0.kinds.contains(.whatsappSend) })
    try await harness.test { client in
      let id = try await APITests.converse(harness, client, phone: "33600000003", text: "hey")
      try await S.reply(harness, client, conversation: id, text: "réponse")
      // Every worker stopped after finishing what it was doing: had one sent the reply, its
      // status or its attempt count would show it now.
      await workers.stop()
      let reply = try #require(try await S.replies(harness, conversation: id).first)
      #expect(try await S.status(harness, message: reply) == "queued")
      let attempts = try await harness.inspect.message(id: reply)?.sendAttempts
      #expect(attempts == 0)
    }
  }

  @Test func retryAfterReadsSecondsAndHTTPDates() {
    let now = Date(timeIntervalSince1970: 1_700_000_000)
    #expect(GraphAPI.retryAfter("7", now: now) == 7)
    #expect(GraphAPI.retryAfter(" 0 ", now: now) == 0)
    // 1_700_000_030 is Tue, 14 Nov 2023 22:13:50 GMT.
    #expect(GraphAPI.retryAfter("Tue, 14 Nov 2023 22:13:50 GMT", now: now) == 30)
    #expect(GraphAPI.retryAfter("Tue, 14 Nov 2023 22:13:00 GMT", now: now) == 0)
    #expect(GraphAPI.retryAfter("soon", now: now) == nil)
    #expect(GraphAPI.retryAfter("-3", now: now) == nil)
    #expect(GraphAPI.retryAfter(nil, now: now) == nil)
  }

  @Test func backoffStaysWithinItsCeiling() {
    var policy = ServerConfiguration.DeliveryPolicy()
    policy.initialBackoff = 1
    policy.maxBackoff = 10
    for attempt in 1...40 {
      let delay = Backoff(policy).delay(attempt: attempt)
      #expect(delay >= 0 && delay <= min(10, pow(2, Double(attempt - 1))))
    }
  }

  @Test func recipientIsDigitsOrUserID() {
    #expect(GraphAPI.recipient(phone: "+33 6 12 34 56 78", userID: nil) == "33612345678")
    #expect(GraphAPI.recipient(phone: nil, userID: "US.123") == "US.123")
    #expect(GraphAPI.recipient(phone: nil, userID: nil) == nil)
  }
}

extension JSONValue {
  var numberValue: Double? { if case .number(let n) = self { n } else { nil } }
}
