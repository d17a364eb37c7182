import EtiquetteEngine
import EtiquetteTestSupport
import Foundation
import Testing

@testable import EtiquetteServer

/// A busy intake's round waits for the rest of the load before it starts (`RoundGathering`),
/// on a real store; an idle one never waits. The linger is ten minutes, longer than the time
/// limit, so that nothing here depends on a timer: a round ends its wait because the webhooks
/// it waits for arrived, and a wrongful wait fails the test.
@Suite(.timeLimit(.minutes(3))) struct IntakeGatheringTests {
  static let gathering = RoundGathering(linger: .seconds(600), batch: 3)

  static func body(_ n: Int) -> (body: [UInt8], payload: WhatsAppPayload) {
    let body = ServerHarness.textWebhook(
      from: "3362\(String(format: "%07d", n))", id: "wamid.g\(n)", text: "Bonjour \(n)")
    let payload = try! WhatsAppPayload.parse(body, receivedAt: Date(timeIntervalSince1970: 0))
    return (body, payload)
  }

  static func withIntake(
    gathering: RoundGathering = Self.gathering,
    _ body: (WebhookIntake, RecordedRounds) async throws -> Void
  ) async throws {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("etiquette-gathering-\(UUID().uuidString).db").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let rules = try PostgresStepTests.rules()
    let store = RecordedRounds(try SQLiteStore(path: path, clock: PostgresStepTests.clock))
    let intake = WebhookIntake(
      store: store, rules: rules, metrics: ServerMetrics(), hub: nil,
      logger: .init(label: "tests"), gathering: gathering)
    try await body(intake, store)
  }

  /// Webhooks one at a time: each round takes one and starts at once.
  @Test func anIdleIntakeNeverWaits() async throws {
    try await Self.withIntake { intake, rounds in
      for n in 0..<5 {
        let (body, payload) = Self.body(n)
        try await intake.submit(body: body, payload: payload)
      }
      #expect(rounds.sizes == [1, 1, 1, 1, 1])
    }
  }

  /// Three webhooks in the server at once make the next round wait for a third: two queued
  /// behind a round that runs are processed with the one that comes after them, in one round.
  @Test func aBusyRoundWaitsForAsManyAsWereInTheServerAtOnce() async throws {
    try await Self.withIntake { intake, rounds in
      rounds.hold()
      try await withThrowingTaskGroup(of: Void.self) { group in
        func submit(_ n: Int) {
          group.addTask {
            let (body, payload) = Self.body(n)
            try await intake.submit(body: body, payload: payload)
          }
        }
        submit(0)
        // The first round holds in the store; two more queue behind it: three in flight.
        #expect(await eventually { rounds.held == 1 })
        submit(1)
        submit(2)
        #expect(await eventually { intake.queued == 2 })
        rounds.release()
        // The next round took two and waits for a third.
        #expect(await eventually { intake.isGathering })
        #expect(rounds.sizes == [1])
        submit(3)
        try await group.waitForAll()
      }
      #expect(rounds.sizes == [1, 3])
    }
  }
}

extension IntakeGatheringTests {
  /// The webhooks a round waits for never come: it starts once its linger has passed (here
  /// 10 ms; the test waits for the round, however long the machine takes).
  @Test func aRoundWhoseWebhooksDoNotComeStartsAfterItsLinger() async throws {
    let short = RoundGathering(linger: .milliseconds(10), batch: 3)
    try await Self.withIntake(gathering: short) { intake, rounds in
      rounds.hold()
      try await withThrowingTaskGroup(of: Void.self) { group in
        for n in 0..<3 {
          group.addTask {
            let (body, payload) = Self.body(n)
            try await intake.submit(body: body, payload: payload)
          }
          if n == 0 { #expect(await eventually { rounds.held == 1 }) }
        }
        #expect(await eventually { intake.queued == 2 })
        rounds.release()
        try await group.waitForAll()
      }
      #expect(rounds.sizes == [1, 2])
      #expect(intake.isGathering == false)
    }
  }
}

/// A real store whose rounds are recorded, and can be held before they start.
final class RecordedRounds: WebhookInbox, @unchecked Sendable {
  private let store: SQLiteStore
  // Guards the variables below.
  private let lock = NSLock()
  private var recorded: [Int] = []
  private var holding = false
  private var waiting: [CheckedContinuation<Void, Never>] = []

  init(_ store: SQLiteStore) { self.store = store }

  var sizes: [Int] { lock.withLock { recorded } }
  var held: Int { lock.withLock { waiting.count } }

  func hold() { lock.withLock { holding = true } }

  func release() {
    let held = lock.withLock {
      holding = false
      defer { waiting = [] }
      return waiting
    }
    for continuation in held { continuation.resume() }
  }

  func receiveWebhooks(
    _ webhooks: [(body: [UInt8], payload: WhatsAppPayload?)], rules: RuleHolder,
    metrics: ServerMetrics, hub: IntegrationHub?
  ) async throws -> (any Error)? {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let wait = lock.withLock {
        guard holding else { return false }
        waiting.append(continuation)
        return true
      }
      if !wait { continuation.resume() }
    }
    lock.withLock { recorded.append(webhooks.count) }
    return try await store.receiveWebhooks(webhooks, rules: rules, metrics: metrics, hub: hub)
  }

  func storeWebhooks(_ bodies: [[UInt8]]) async throws -> [Int64] {
    try await store.storeWebhooks(bodies)
  }

  func processPendingWebhooks(
    rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub?,
    parsed: [Int64: WhatsAppPayload]
  ) async throws -> Int {
    try await store.processPendingWebhooks(
      rules: rules, metrics: metrics, hub: hub, parsed: parsed)
  }

  func retryFailedMessages(rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub?)
    async throws -> Int
  {
    try await store.retryFailedMessages(rules: rules, metrics: metrics, hub: hub)
  }

  func messageFailures(_ filter: MessageFailureFilter) async throws
    -> [(key: Int64, document: FailedMessageDocument)]
  {
    try await store.messageFailures(filter)
  }
}
