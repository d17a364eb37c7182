import Foundation
import Testing

@testable import EtiquetteServer

/// The queues' workers of several instances on one PostgreSQL database (each instance a
/// `PostgresStore` of its own): every outbound webhook delivered once, in order per
/// subscription and conversation, and downloaded media served by any instance.
@Suite(
  .enabled(
    if: TestPostgres.address != nil,
    "ETIQUETTE_TEST_POSTGRES_URL is unset: no PostgreSQL server to race instances on"))
struct PostgresQueueInstancesTests {
  /// What the instances' webhook workers sent, in the order they sent it.
  actor Receiver {
    var received: [String] = []
    /// Per (subscription, conversation), the deliveries in the order they were sent.
    var orderPerPair: [String: [String]] = [:]
    var lostLeases = 0

    func receive(_ delivery: WebhookWorker.Delivery, pair: String) {
      received.append(delivery.id)
      orderPerPair[pair, default: []].append(delivery.id)
    }

    func lostLease() { lostLeases += 1 }
  }

  @Test func twoInstancesDeliverEachWebhookOnceInOrderPerSubscriptionAndConversation()
    async throws
  {
    let subscriptions = ["crm", "audit", "bi"]
    let conversations = ["c1", "c2", "c3"]
    try await PostgresInstancesTests.withInstances(2) { stores in
      var expected: [String: [String]] = [:]
      var number = 0
      // Deliveries written by both instances, interleaved across the pairs, as steps of
      // several conversations would.
      for position in 0..<5 {
        for subscription in subscriptions {
          for conversation in conversations {
            let id = "\(subscription)-\(conversation)-\(position)"
            try await stores[number % 2].seedDelivery(
              id: id, subscription: subscription, conversation: conversation,
              status: "pending", body: Array(id.utf8), at: 1_000)
            expected["\(subscription):\(conversation)", default: []].append(id)
            number += 1
          }
        }
      }
      let total = number
      let receiver = Receiver()
      // Two workers per instance. The lease outlasts the test: a delivery sent twice is a
      // failure, not an expiry.
      try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<4 {
          let store = stores[worker % 2]
          group.addTask {
            var idleLooks = 0
            while await receiver.received.count < total, idleLooks < 20_000 {
              let jobs = try await store.claimJobs(
                [.webhookDelivery], owner: "worker-\(worker)", now: 1_000, leaseUntil: 99_999,
                limit: 2)
              if jobs.isEmpty {
                idleLooks += 1
                await Task.yield()
              }
              for job in jobs {
                let delivery = try #require(try await store.delivery(id: job.subject))
                let pair =
                  job.orderingKey?.split(separator: ":").dropFirst()
                  .joined(separator: ":") ?? ""
                await receiver.receive(delivery, pair: pair)
                let held = try await store.recordDeliveryAttempt(
                  DeliveryAttemptRecord(
                    status: "delivered", attempts: delivery.attempts + 1, nextAttemptAt: 1_000,
                    lastStatus: 200, lastError: nil, at: 1_001, deliveredAt: 1_001), job: job)
                if !held { await receiver.lostLease() }
              }
            }
          }
        }
        try await group.waitForAll()
      }
      let received = await receiver.received
      #expect(received.count == total, "every delivery sent")
      #expect(Set(received).count == received.count, "none sent twice")
      #expect(await receiver.lostLeases == 0)
      #expect(await receiver.orderPerPair == expected, "each pair's deliveries in order")
      let pending = try await stores[1].webhookDeliveries(DeliveryFilter(status: "pending"))
      #expect(pending.isEmpty)
      #expect(try await stores[0].nextJobDue([.webhookDelivery], after: 1_000) == nil)
    }
  }

  @Test func aDeliveryWhoseInstanceLostItsLeaseIsRecordedByTheOtherAlone() async throws {
    try await PostgresInstancesTests.withInstances(2) { stores in
      try await stores[0].seedDelivery(
        id: "d1", subscription: "crm", conversation: "c1", status: "pending", body: [],
        at: 1_000)
      try await stores[0].seedDelivery(
        id: "d2", subscription: "crm", conversation: "c1", status: "pending", body: [],
        at: 1_000)
      let stalled = try #require(
        try await stores[0].claimJobs(
          [.webhookDelivery], owner: "a", now: 1_000, leaseUntil: 1_010, limit: 5
        ).first)
      let taken = try #require(
        try await stores[1].claimJobs(
          [.webhookDelivery], owner: "b", now: 1_010, leaseUntil: 1_040, limit: 5
        ).first)
      #expect(taken.subject == "d1" && taken.claims == 2, "the head, not the one behind it")
      let record = DeliveryAttemptRecord(
        status: "delivered", attempts: 1, nextAttemptAt: 1_011, lastStatus: 200, lastError: nil,
        at: 1_011, deliveredAt: 1_011)
      #expect(try await stores[0].recordDeliveryAttempt(record, job: stalled) == false)
      #expect(try await stores[1].delivery(id: "d1") != nil, "still pending")
      #expect(try await stores[1].recordDeliveryAttempt(record, job: taken))
      let next = try await stores[0].claimJobs(
        [.webhookDelivery], owner: "a", now: 1_012, leaseUntil: 1_040, limit: 5)
      #expect(next.map(\.subject) == ["d2"])
    }
  }

  /// Three sizes: nothing, less than a chunk, and several chunks with a partial last one.
  @Test(arguments: [0, 1_000, 2 * PostgresStore.mediaChunkSize + 5])
  func mediaBytesStoredByOneInstanceAreReadBackByTheOther(size: Int) async throws {
    try await PostgresInstancesTests.withInstances(2) { stores in
      try await stores[0].seedConversation("c1", phone: nil, labels: [], at: 1_000)
      try await stores[0].seedPendingMedia(id: "m1", conversation: "c1", kind: "image", at: 1_000)
      let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
      let file = try QueueWorkersTests.downloaded(bytes, id: "m1")
      let job = try #require(
        try await stores[0].claimJobs(
          [.mediaDownload], owner: "a", now: 1_000, leaseUntil: 1_030, limit: 1
        ).first)
      #expect(
        try await stores[0].recordMediaAttempt(.stored(file), attempts: 1, job: job, at: 1_001))
      let stored = try await stores[1].storedMediaBytes(id: "m1")
      #expect(stored.bytes == bytes)
      #expect(
        stored.chunks
          == (size + PostgresStore.mediaChunkSize - 1) / PostgresStore.mediaChunkSize)
      #expect(try await stores[1].seededMedia(id: "m1")?.size == size)
      #expect(
        !FileManager.default.fileExists(atPath: file.path),
        "the instance's own copy goes once the database has it")
      try? FileManager.default.removeItem(atPath: file.directory)
    }
  }

  /// The WhatsApp id of a send that another instance stores meanwhile (uncommitted when the
  /// send checks it) does not undo the send: it is recorded without the id, and sent once.
  @Test func aSendWhoseIdAnotherInstanceStoresMeanwhileIsRecordedWithoutIt() async throws {
    let (rules, hub) = try QueueWorkersTests.context()
    try await PostgresInstancesTests.withInstances(2) { stores in
      try await stores[0].seedConversation("c1", phone: "+33 6 00 00 00 01", labels: [], at: 900)
      let id = try await stores[0].seedQueuedReply(conversation: "c1", text: "Bonjour", at: 1_000)
      let job = try #require(
        try await stores[0].claimJobs(
          [.whatsappSend], owner: "w", now: 1_000, leaseUntil: 1_030, limit: 1
        ).first)
      let sender = stores[0]
      let recording = try await stores[1].withUncommittedEcho(
        whatsappID: "wamid.race", conversation: "c1", at: 1_001
      ) {
        // Sent once the echo's key is written: the send's update then waits on it. A bounded
        // number of looks until it does.
        let recording = Task {
          try await sender.recordSendAttempt(
            .sent(whatsappID: "wamid.race"), attempts: 1, job: job, rules: rules, hub: hub)
        }
        var looks = 0
        while try await stores[1].lockWaiters() == 0, looks < 10_000 {
          looks += 1
          await Task.yield()
        }
        #expect(looks < 10_000, "the send waited on the echo's key")
        return recording
      }
      #expect(try await recording.value)
      let message = try await stores[1].seededMessage(id: id)
      #expect(message?.status == "sent" && message?.whatsappID == nil)
      #expect(try await stores[1].seededJob(.whatsappSend, subject: String(id)) == nil)
    }
  }

  @Test func aSendsStatusChangesAndASuggestionAreStoredForEveryInstancesViewers() async throws {
    let (rules, hub) = try QueueWorkersTests.context()
    try await PostgresInstancesTests.withInstances(1) { stores in
      let store = stores[0]
      try await store.seedConversation(
        "c1", phone: "+33 6 00 00 00 01", labels: ["vip", "billing"], at: 900)
      let id = try await store.seedQueuedReply(conversation: "c1", text: "Bonjour", at: 1_000)
      #expect(try await store.outgoingMessage(id: id)?.recipient == "33600000001")
      try await store.seedPendingStatus(
        whatsappID: "wamid.9", status: "delivered", errors: nil, at: 1_001)
      let job = try #require(
        try await store.claimJobs(
          [.whatsappSend], owner: "w", now: 1_000, leaseUntil: 1_030, limit: 1
        ).first)
      #expect(
        try await store.recordSendAttempt(
          .sent(whatsappID: "wamid.9"), attempts: 1, job: job, rules: rules, hub: hub))
      let request = try await store.seedAIRequest(
        conversation: "c1", kind: "suggest", version: 1, at: 1_000)
      let aiJob = try #require(
        try await store.claimJobs(
          [.aiRequest], owner: "w", now: 1_000, leaseUntil: 1_030, limit: 1
        ).first)
      let pending = try #require(try await store.aiRequest(job: aiJob, now: 1_000))
      #expect(pending.id == request)
      #expect(
        try await store.storeAISuggestion(
          "Un brouillon", request: pending, job: aiJob, rules: rules, hub: hub))
      let viewers = StoredLiveAudience.viewers(
        before: ["billing", "vip"], after: ["billing", "vip"])
      let events = try await store.storedLiveEvents()
      #expect(events.map(\.audience) == [viewers, viewers])
      #expect(
        events.map(\.types) == [["message.status", "message.status"], ["ai.suggestion"]],
        "sent, then the delivered that came first; then the draft")
    }
  }
}
