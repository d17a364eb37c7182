import EtiquetteEngine
import Foundation
import Testing

@testable import EtiquetteServer

/// The workers' side of the queues (deliveries, sends, media, AI requests) on each store, with
/// the same assertions: rows the write path would have written are seeded, a worker claims the
/// job, records its attempt's outcome, and the job is finished or retried — or, for a worker
/// whose lease expired and whose job another worker took, nothing is recorded at all. Instants
/// are chosen by the test (no worker loop, no sleeping).
@Suite struct QueueWorkersTests {
  static let clock = WallClock.fixed(Date(timeIntervalSince1970: 1_000))

  /// The rules and hub a send's or a suggestion's live event is published with.
  static func context() throws -> (LoadedRules, IntegrationHub) {
    let path = ServerHarness.fixtures.appendingPathComponent("rules").path
    let rules = try RuleLoading.load(path: path).get()
    return (rules, IntegrationHub(configuration: ServerConfiguration(), clock: clock))
  }

  static func withQueues<Value: Sendable>(
    _ kind: StoreKind, _ body: (any QueueTestedStore) async throws -> Value
  ) async throws -> Value {
    try await kind.withStore(clock: clock) { store in
      let queues = try #require(store as? any QueueTestedStore)
      try await queues.seedConversation("c1", phone: "+33 6 12 34 56 78", labels: [], at: 900)
      try await queues.seedConversation("c2", phone: "+33 6 98 76 54 32", labels: [], at: 900)
      return try await body(queues)
    }
  }

  static func claim(
    _ store: any QueueTestedStore, _ kind: JobKind, owner: String = "w", at now: Double,
    lease: Double = 30
  ) async throws -> [Job] {
    try await store.claimJobs([kind], owner: owner, now: now, leaseUntil: now + lease, limit: 10)
  }

  // MARK: - Deliveries

  @Test(arguments: StoreKind.available)
  func aFailedDeliveryIsRetriedAfterItsBackoffThenDelivered(on kind: StoreKind) async throws {
    try await Self.withQueues(kind) { store in
      try await store.seedDelivery(
        id: "d1", subscription: "crm", conversation: "c1", status: "pending",
        body: Array(#"{"n":1}"#.utf8), at: 1_000)
      let job = try #require(try await Self.claim(store, .webhookDelivery, at: 1_000).first)
      let delivery = try #require(try await store.delivery(id: job.subject))
      #expect(delivery.body == Array(#"{"n":1}"#.utf8) && delivery.attempts == 0)
      let retryAt = 1_001 + Backoff(initial: 10, maximum: 60).ceiling(attempt: 1)
      #expect(
        try await store.recordDeliveryAttempt(
          DeliveryAttemptRecord(
            status: "pending", attempts: 1, nextAttemptAt: retryAt, lastStatus: 503,
            lastError: "HTTP 503", at: 1_001, deliveredAt: nil), job: job))
      #expect(
        try await store.seededJob(.webhookDelivery, subject: "d1")
          == SeededJob(status: "pending", runAt: retryAt, owner: nil))
      #expect(try await Self.claim(store, .webhookDelivery, at: retryAt - 1).isEmpty)
      let again = try #require(try await Self.claim(store, .webhookDelivery, at: retryAt).first)
      #expect(again.claims == 2)
      #expect(try await store.delivery(id: "d1")?.attempts == 1)
      #expect(
        try await store.recordDeliveryAttempt(
          DeliveryAttemptRecord(
            status: "delivered", attempts: 2, nextAttemptAt: retryAt, lastStatus: 200,
            lastError: nil, at: retryAt + 1, deliveredAt: retryAt + 1), job: again))
      #expect(try await store.seededJob(.webhookDelivery, subject: "d1") == nil)
      #expect(try await store.delivery(id: "d1") == nil, "no longer pending")
      let document = try #require(
        try await store.webhookDeliveries(DeliveryFilter()).first?.document)
      #expect(document.status == "delivered" && document.attempts == 2)
      #expect(document.lastStatus == 200 && document.lastError == nil)
      #expect(document.nextAttemptAt == nil && document.deliveredAt != nil)
    }
  }

  @Test(arguments: StoreKind.available)
  func aDeliveryWorkerWhoseLeaseExpiredRecordsNothing(on kind: StoreKind) async throws {
    try await Self.withQueues(kind) { store in
      try await store.seedDelivery(
        id: "d1", subscription: "crm", conversation: "c1", status: "pending", body: [],
        at: 1_000)
      let late = try #require(
        try await Self.claim(store, .webhookDelivery, owner: "late", at: 1_000, lease: 10).first)
      let taken = try #require(
        try await Self.claim(store, .webhookDelivery, owner: "other", at: 1_010).first)
      #expect(
        try await store.recordDeliveryAttempt(
          DeliveryAttemptRecord(
            status: "failed", attempts: 1, nextAttemptAt: 1_011, lastStatus: 410,
            lastError: "gone", at: 1_011, deliveredAt: nil), job: late) == false)
      #expect(try await store.delivery(id: "d1")?.attempts == 0, "the late outcome is not kept")
      #expect(try await store.seededJob(.webhookDelivery, subject: "d1")?.owner == "other")
      #expect(
        try await store.recordDeliveryAttempt(
          DeliveryAttemptRecord(
            status: "delivered", attempts: 1, nextAttemptAt: 1_012, lastStatus: 204,
            lastError: nil, at: 1_012, deliveredAt: 1_012), job: taken))
      #expect(
        try await store.webhookDeliveries(DeliveryFilter()).first?.document.status == "delivered")
    }
  }

  /// Seven deliveries over two subscriptions, two conversations and every status.
  static let pagedDeliveries:
    [(id: String, subscription: String, conversation: String, status: String)] = [
      ("p1", "crm", "c1", "delivered"), ("p2", "crm", "c2", "pending"),
      ("p3", "audit", "c1", "failed"), ("p4", "crm", "c1", "pending"),
      ("p5", "audit", "c2", "delivered"), ("p6", "crm", "c2", "failed"),
      ("p7", "audit", "c1", "pending"),
    ]

  /// Every page of `filter`, `size` at a time, as ids (following each page's last `seq`).
  static func pages(
    _ store: any QueueTestedStore, _ filter: DeliveryFilter, size: Int
  ) async throws -> [[String]] {
    var filter = filter
    filter.limit = size
    var pages: [[String]] = []
    for _ in 0..<10 {
      let page = try await store.webhookDeliveries(filter)
      guard let last = page.last else { break }
      pages.append(page.map(\.document.id))
      filter.before = last.seq
    }
    return pages
  }

  @Test(arguments: StoreKind.available)
  func deliveriesAreFilteredAndPagedNewestFirst(on kind: StoreKind) async throws {
    try await Self.withQueues(kind) { store in
      for (offset, row) in Self.pagedDeliveries.enumerated() {
        try await store.seedDelivery(
          id: row.id, subscription: row.subscription, conversation: row.conversation,
          status: row.status, body: [], at: 1_000 + Double(offset))
      }
      #expect(
        try await Self.pages(store, DeliveryFilter(), size: 3)
          == [["p7", "p6", "p5"], ["p4", "p3", "p2"], ["p1"]])
      #expect(
        try await Self.pages(store, DeliveryFilter(subscription: "crm"), size: 2)
          == [["p6", "p4"], ["p2", "p1"]])
      #expect(
        try await Self.pages(store, DeliveryFilter(status: "pending", conversation: "c1"), size: 1)
          == [["p7"], ["p4"]])
      #expect(
        try await Self.pages(
          store, DeliveryFilter(status: "failed", subscription: "audit", conversation: "c1"),
          size: 5) == [["p3"]])
      #expect(try await Self.pages(store, DeliveryFilter(status: "unknown"), size: 5).isEmpty)
      let documents = try await store.webhookDeliveries(DeliveryFilter(status: "pending"))
      #expect(documents.allSatisfy { $0.document.nextAttemptAt != nil })
      let finished = try await store.webhookDeliveries(DeliveryFilter(status: "delivered"))
      #expect(finished.allSatisfy { $0.document.nextAttemptAt == nil })
    }
  }

  /// The deliveries API's documents and cursors, page after page, are the same on both stores.
  @Test(.enabled(if: TestPostgres.address != nil, "no PostgreSQL server to compare with"))
  func bothStoresPageDeliveriesAlike() async throws {
    let filters = [
      DeliveryFilter(), DeliveryFilter(subscription: "crm"), DeliveryFilter(status: "pending"),
      DeliveryFilter(status: "failed", conversation: "c2"), DeliveryFilter(conversation: "c1"),
    ]
    var seen: [[String]] = []
    for kind in [StoreKind.sqlite, .postgres] {
      let pages = try await Self.withQueues(kind) { store in
        for (offset, row) in Self.pagedDeliveries.enumerated() {
          try await store.seedDelivery(
            id: row.id, subscription: row.subscription, conversation: row.conversation,
            status: row.status, body: Array(row.id.utf8), at: 1_000 + Double(offset) / 8)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var pages: [String] = []
        for var filter in filters {
          filter.limit = 2
          for _ in 0..<10 {
            let page = try await store.webhookDeliveries(filter)
            guard let last = page.last else { break }
            for entry in page {
              let document = String(decoding: try encoder.encode(entry.document), as: UTF8.self)
              pages.append("\(entry.seq) \(document)")
            }
            filter.before = last.seq
          }
        }
        return pages
      }
      seen.append(pages)
    }
    // Every delivery, then crm's 4, the 3 pending, c2's failed one and c1's 4.
    let expected = 19
    #expect(seen[0].count == expected)
    #expect(seen[0] == seen[1])
  }

  @Test(arguments: StoreKind.available)
  func finishedDeliveriesAreSweptAfterTheirRetention(on kind: StoreKind) async throws {
    try await Self.withQueues(kind) { store in
      for (id, status, at) in [
        ("old-delivered", "delivered", 100.0), ("new-delivered", "delivered", 900.0),
        ("old-failed", "failed", 100.0), ("pending", "pending", 100.0),
      ] {
        try await store.seedDelivery(
          id: id, subscription: "crm", conversation: "c1", status: status, body: [], at: at)
      }
      #expect(try await store.sweepDeliveries(deliveredBefore: 500, failedBefore: 500) == 2)
      #expect(
        Set(try await store.webhookDeliveries(DeliveryFilter()).map(\.document.id))
          == ["new-delivered", "pending"])
      try await store.scheduleJob(
        .sweep, subject: "webhook_deliveries", orderingKey: nil, at: 1_000)
      let sweep = try #require(try await Self.claim(store, .sweep, at: 1_000).first)
      try await store.rescheduleSweep(job: sweep, at: 1_600)
      #expect(
        try await store.seededJob(.sweep, subject: "webhook_deliveries")
          == SeededJob(status: "pending", runAt: 1_600, owner: nil))
    }
  }

  @Test(arguments: StoreKind.available)
  func onlyADeadLetterIsReplayedAndItGoesAfterThePairsPendingOnes(on kind: StoreKind)
    async throws
  {
    try await Self.withQueues(kind) { store in
      try await store.seedDelivery(
        id: "dead", subscription: "crm", conversation: "c1", status: "failed", body: [], at: 900)
      try await store.seedDelivery(
        id: "later", subscription: "crm", conversation: "c1", status: "pending", body: [],
        at: 950)
      guard case .replayed(let document) = try await store.replayDelivery(id: "dead") else {
        Issue.record("a failed delivery is replayed")
        return
      }
      #expect(document.status == "pending" && document.attempts == 0)
      #expect(document.nextAttemptAt != nil)
      guard case .notFailed(let status) = try await store.replayDelivery(id: "dead") else {
        Issue.record("a pending delivery is not replayed again")
        return
      }
      #expect(status == "pending")
      guard case .notFound = try await store.replayDelivery(id: "nowhere") else {
        Issue.record("an unknown delivery is not found")
        return
      }
      #expect(
        try await Self.claim(store, .webhookDelivery, at: 1_000).map(\.subject) == ["later"])
    }
  }

  // MARK: - Sends

  @Test(arguments: StoreKind.available)
  func aSendIsRetriedThenSentAndTheStatusesThatCameFirstApply(on kind: StoreKind) async throws {
    let (rules, hub) = try Self.context()
    try await Self.withQueues(kind) { store in
      let id = try await store.seedQueuedReply(conversation: "c1", text: "Bonjour", at: 1_000)
      try await store.seedPendingStatus(
        whatsappID: "wamid.1", status: "delivered", errors: nil, at: 1_001)
      try await store.seedPendingStatus(
        whatsappID: "wamid.1", status: "read", errors: nil, at: 1_002)
      let job = try #require(try await Self.claim(store, .whatsappSend, at: 1_000).first)
      let outgoing = try #require(try await store.outgoingMessage(id: id))
      #expect(outgoing.text == "Bonjour" && outgoing.recipient == "33612345678")
      #expect(
        try await store.recordSendAttempt(
          .retry(errors: #"[{"title":"throttled"}]"#, nextAttemptAt: 1_020), attempts: 1,
          job: job, rules: rules, hub: hub))
      #expect(
        try await store.seededMessage(id: id)
          == SeededMessage(
            status: "queued", whatsappID: nil, errors: #"[{"title":"throttled"}]"#, attempts: 1,
            nextAttemptAt: 1_020))
      #expect(try await store.seededJob(.whatsappSend, subject: String(id))?.runAt == 1_020)
      let again = try #require(try await Self.claim(store, .whatsappSend, at: 1_020).first)
      #expect(
        try await store.recordSendAttempt(
          .sent(whatsappID: "wamid.1"), attempts: 2, job: again, rules: rules, hub: hub))
      #expect(
        try await store.seededMessage(id: id)
          == SeededMessage(
            status: "read", whatsappID: "wamid.1", errors: nil, attempts: 2, nextAttemptAt: nil),
        "the statuses that arrived before the id was known moved it forward")
      #expect(try await store.seededJob(.whatsappSend, subject: String(id)) == nil)
      #expect(try await store.outgoingMessage(id: id) == nil)

      // A WhatsApp id another message has is not stored twice; a failure is final.
      let second = try await store.seedQueuedReply(conversation: "c1", text: "Re", at: 1_030)
      let third = try await store.seedQueuedReply(conversation: "c2", text: "Non", at: 1_030)
      let jobs = try await Self.claim(store, .whatsappSend, at: 1_030)
      #expect(jobs.map(\.subject) == [String(second), String(third)])
      #expect(
        try await store.recordSendAttempt(
          .sent(whatsappID: "wamid.1"), attempts: 1, job: jobs[0], rules: rules, hub: hub))
      #expect(try await store.seededMessage(id: second)?.whatsappID == nil)
      #expect(try await store.seededMessage(id: second)?.status == "sent")
      #expect(
        try await store.recordSendAttempt(
          .failed(errors: #"[{"code":131026}]"#), attempts: 1, job: jobs[1], rules: rules,
          hub: hub))
      #expect(try await store.seededMessage(id: third)?.status == "failed")
    }
  }

  @Test(arguments: StoreKind.available)
  func aSenderWhoseLeaseExpiredRecordsNothing(on kind: StoreKind) async throws {
    let (rules, hub) = try Self.context()
    try await Self.withQueues(kind) { store in
      let id = try await store.seedQueuedReply(conversation: "c1", text: "Bonjour", at: 1_000)
      let late = try #require(
        try await Self.claim(store, .whatsappSend, owner: "late", at: 1_000, lease: 10).first)
      let taken = try #require(
        try await Self.claim(store, .whatsappSend, owner: "other", at: 1_010).first)
      #expect(
        try await store.recordSendAttempt(
          .sent(whatsappID: "wamid.late"), attempts: 1, job: late, rules: rules, hub: hub)
          == false)
      #expect(try await store.seededMessage(id: id)?.status == "queued")
      #expect(
        try await store.recordSendAttempt(
          .sent(whatsappID: "wamid.other"), attempts: 1, job: taken, rules: rules, hub: hub))
      #expect(try await store.seededMessage(id: id)?.whatsappID == "wamid.other")
    }
  }

  // MARK: - Media

  /// A downloaded file as the media worker leaves it: `bytes` in a directory of its own.
  static func downloaded(_ bytes: [UInt8], id: String) throws -> MediaDownloads.Stored {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("etiquette-media-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let name = MediaDownloads.fileName(mediaID: id)
    try Data(bytes).write(to: directory.appendingPathComponent(name))
    return MediaDownloads.Stored(
      mimeType: "image/jpeg", size: bytes.count, sha256: "digest-\(bytes.count)", file: name,
      directory: directory.path)
  }

  @Test(arguments: StoreKind.available)
  func aMediaDownloadIsRetriedThenStoredOrFailed(on kind: StoreKind) async throws {
    try await Self.withQueues(kind) { store in
      try await store.seedPendingMedia(id: "m1", conversation: "c1", kind: "image", at: 1_000)
      try await store.seedPendingMedia(id: "m2", conversation: "c1", kind: "image", at: 1_000)
      let jobs = try await Self.claim(store, .mediaDownload, at: 1_000)
      #expect(jobs.map(\.subject) == ["m1", "m2"])
      #expect(try await store.pendingMedia(id: "m1")?.kind == "image")
      #expect(
        try await store.recordMediaAttempt(
          .retry("HTTP 503", nextAttemptAt: 1_040), attempts: 1, job: jobs[0], at: 1_001))
      #expect(
        try await store.seededMedia(id: "m1")
          == SeededMedia(
            status: "pending", attempts: 1, error: "HTTP 503", nextAttemptAt: 1_040))
      #expect(try await store.seededJob(.mediaDownload, subject: "m1")?.runAt == 1_040)
      #expect(try await store.pendingMedia(id: "m1")?.attempts == 1)
      let file = try Self.downloaded([1, 2, 3], id: "m1")
      let again = try #require(try await Self.claim(store, .mediaDownload, at: 1_040).first)
      #expect(try await store.recordMediaAttempt(.stored(file), attempts: 2, job: again, at: 1_041))
      #expect(
        try await store.seededMedia(id: "m1")
          == SeededMedia(
            status: "stored", mimeType: "image/jpeg", size: 3, sha256: "digest-3", attempts: 2))
      #expect(try await store.pendingMedia(id: "m1") == nil)
      #expect(
        try await store.recordMediaAttempt(
          .failed("image/svg+xml is not allowed"), attempts: 1, job: jobs[1], at: 1_002))
      #expect(try await store.seededMedia(id: "m2")?.status == "failed")
      #expect(try await store.seededJob(.mediaDownload, subject: "m2") == nil)
      try? FileManager.default.removeItem(atPath: file.directory)
    }
  }

  @Test(arguments: StoreKind.available)
  func aMediaWorkerWhoseLeaseExpiredRecordsNothing(on kind: StoreKind) async throws {
    try await Self.withQueues(kind) { store in
      try await store.seedPendingMedia(id: "m1", conversation: "c1", kind: "image", at: 1_000)
      let late = try #require(
        try await Self.claim(store, .mediaDownload, owner: "late", at: 1_000, lease: 10).first)
      let taken = try #require(
        try await Self.claim(store, .mediaDownload, owner: "other", at: 1_010).first)
      let file = try Self.downloaded([9], id: "m1")
      #expect(
        try await store.recordMediaAttempt(.stored(file), attempts: 1, job: late, at: 1_011)
          == false)
      #expect(try await store.seededMedia(id: "m1")?.status == "pending")
      #expect(try await store.recordMediaAttempt(.stored(file), attempts: 1, job: taken, at: 1_012))
      #expect(try await store.seededMedia(id: "m1")?.status == "stored")
      try? FileManager.default.removeItem(atPath: file.directory)
    }
  }

  // MARK: - AI requests

  @Test(arguments: StoreKind.available)
  func aNewerRequestSupersedesAnOlderOneAndASuggestionIsStored(on kind: StoreKind) async throws {
    let (rules, hub) = try Self.context()
    try await Self.withQueues(kind) { store in
      let older = try await store.seedAIRequest(
        conversation: "c1", kind: "suggest", version: 1, at: 1_000)
      let newer = try await store.seedAIRequest(
        conversation: "c1", kind: "suggest", version: 2, at: 1_000)
      let first = try #require(try await Self.claim(store, .aiRequest, at: 1_000).first)
      #expect(first.subject == String(older))
      #expect(try await store.aiRequest(job: first, now: 1_001) == nil)
      #expect(try await store.seededAIRequest(id: older)?.status == "superseded")
      let second = try #require(try await Self.claim(store, .aiRequest, at: 1_001).first)
      let request = try #require(try await store.aiRequest(job: second, now: 1_002))
      #expect(request.id == newer && request.version == 2)
      #expect(
        try await store.storeAISuggestion(
          "Proposez un rendez-vous", request: request, job: second, rules: rules, hub: hub))
      #expect(
        try await store.seededAIRequest(id: newer)
          == SeededAIRequest(status: "suggested", attempts: 1, error: nil))
      #expect(try await store.seededSuggestions(conversation: "c1") == ["Proposez un rendez-vous"])
      #expect(try await store.seededJob(.aiRequest, subject: String(newer)) == nil)
    }
  }

  @Test(arguments: StoreKind.available)
  func aFailedCallIsRetriedThenFailsAndALateWorkerRecordsNothing(on kind: StoreKind)
    async throws
  {
    try await Self.withQueues(kind) { store in
      let id = try await store.seedAIRequest(
        conversation: "c1", kind: "reply", version: 3, at: 1_000)
      let job = try #require(try await Self.claim(store, .aiRequest, at: 1_000, lease: 10).first)
      let request = try #require(try await store.aiRequest(job: job, now: 1_000))
      #expect(
        try await store.recordAIAttempt(
          request, job: job, last: false, attempts: 1, error: "timeout", nextAttemptAt: 1_030,
          at: 1_001))
      #expect(
        try await store.seededAIRequest(id: id)
          == SeededAIRequest(status: "pending", attempts: 1, error: "timeout"))
      #expect(try await store.seededJob(.aiRequest, subject: String(id))?.runAt == 1_030)
      let late = try #require(
        try await Self.claim(store, .aiRequest, owner: "late", at: 1_030, lease: 10).first)
      let taken = try #require(
        try await Self.claim(store, .aiRequest, owner: "other", at: 1_040).first)
      #expect(
        try await store.finishAIRequest(
          request, job: late, status: "discarded", error: "late", called: true, at: 1_041)
          == false)
      #expect(
        try await store.recordAIAttempt(
          request, job: taken, last: true, attempts: 2, error: "HTTP 500", nextAttemptAt: 1_041,
          at: 1_041))
      #expect(
        try await store.seededAIRequest(id: id)
          == SeededAIRequest(status: "failed", attempts: 2, error: "HTTP 500"))
      #expect(try await store.seededJob(.aiRequest, subject: String(id)) == nil)
    }
  }
}

/// What the queue tests call on either store: the workers' side of the queues, and the rows
/// they seed and read back.
protocol QueueTestedStore: TestedStore, DeliveryQueue, OutgoingQueue, MediaQueue {
  func aiRequest(job: Job, now: Double) async throws -> AIRequest?
  func storeAISuggestion(
    _ text: String, request: AIRequest, job: Job, rules: LoadedRules, hub: IntegrationHub
  ) async throws -> Bool
  func recordAIAttempt(
    _ request: AIRequest, job: Job, last: Bool, attempts: Int, error: String,
    nextAttemptAt: Double, at now: Double
  ) async throws -> Bool
  func finishAIRequest(
    _ request: AIRequest, job: Job, status: String, error: String?, called: Bool, at now: Double
  ) async throws -> Bool

  func seedConversation(_ id: String, phone: String?, labels: [String], at now: Double)
    async throws
  func seedDelivery(
    id: String, subscription: String, conversation: String, status: String, body: [UInt8],
    at now: Double
  ) async throws
  func seedQueuedReply(conversation: String, text: String, at now: Double) async throws -> Int64
  func seedPendingStatus(whatsappID: String, status: String, errors: String?, at now: Double)
    async throws
  func seedPendingMedia(id: String, conversation: String, kind: String, at now: Double)
    async throws
  func seedAIRequest(conversation: String, kind: String, version: Int, at now: Double)
    async throws -> Int64
  func seededMessage(id: Int64) async throws -> SeededMessage?
  func seededMedia(id: String) async throws -> SeededMedia?
  func seededAIRequest(id: Int64) async throws -> SeededAIRequest?
  func seededJob(_ kind: JobKind, subject: String) async throws -> SeededJob?
  func seededSuggestions(conversation: String) async throws -> [String]
}

extension SQLiteStore: QueueTestedStore {}
extension PostgresStore: QueueTestedStore {}
