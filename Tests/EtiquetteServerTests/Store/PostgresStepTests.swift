import EtiquetteEngine
import EtiquetteTestSupport
import Foundation
import Testing

@testable import EtiquetteServer

/// What the write path (the intake, a member's step, an integration event) stores, on every
/// store: the same scenario on SQLite and PostgreSQL gives the same labels with their reasons,
/// decisions with the rule set's version, transcript, jobs and step inputs; and, on PostgreSQL,
/// several instances on one database keep a conversation's messages in arrival order.
@Suite struct PostgresStepTests {
  static let clock = WallClock.fixed(TestClock.officeHours)

  static func rules() throws -> RuleHolder {
    let path = ServerHarness.fixtures.appendingPathComponent("rules").path
    return RuleHolder(path: path, rules: try RuleLoading.load(path: path).get())
  }

  /// A hub with one webhook subscription (every event), so that steps enqueue deliveries;
  /// with `aiAgents`, AI requests wait for an external agent.
  static func hub(jobs: JobBell, aiAgents: [String] = []) -> IntegrationHub {
    var configuration = ServerConfiguration()
    configuration.aiAgents = aiAgents
    configuration.webhooks = [
      ServerConfiguration.WebhookSubscription(
        name: "crm", url: "http://127.0.0.1:9/hook", secret: "s")
    ]
    return IntegrationHub(
      configuration: configuration, logger: .init(label: "tests"), metrics: ServerMetrics(),
      clock: clock, jobs: jobs)
  }

  static func withStore<Value: Sendable>(
    _ kind: StoreKind, _ body: (any StepTestedStore) async throws -> Value
  ) async throws -> Value {
    try await kind.withStore(clock: clock) { store in
      do {
        return try await body(try #require(store as? any StepTestedStore))
      } catch {
        // PostgreSQL's own message (a failing statement's error says nothing otherwise).
        throw PostgresStoreError.readable(error)
      }
    }
  }

  static func text(_ id: String, _ text: String, phone: String = "33612345678", at: Int)
    -> [UInt8]
  {
    ServerHarness.textWebhook(from: phone, id: id, text: text, name: "Léa", at: at)
  }

  /// Three messages of one customer, stored and processed; the customer's conversation.
  static func intakeScenario(_ store: any StepTestedStore, hub: IntegrationHub) async throws
    -> (String, StoredStepSnapshot)
  {
    let rules = try rules()
    let bodies = [
      text("wamid.1", "Bonjour", at: 1_764_064_800),
      text("wamid.2", "Où en est ma commande CMD-123456 ?", at: 1_764_064_801),
      text("wamid.3", "L'application plante", at: 1_764_064_802),
    ]
    for body in bodies {
      _ = try await store.storeWebhooks([body])
    }
    let processed = try await store.processPendingWebhooks(
      rules: rules, metrics: ServerMetrics(), hub: hub, parsed: [:])
    #expect(processed == 3)
    let id = try #require(try await store.conversationIDs().first)
    return (id, try await store.stepSnapshot(conversation: id))
  }

  @Test(arguments: StoreKind.available)
  func theIntakeStoresLabelsDecisionsTranscriptAndJobs(kind: StoreKind) async throws {
    try await Self.withStore(kind) { store in
      let version = try Self.rules().current.version
      let (id, snapshot) = try await Self.intakeScenario(store, hub: Self.hub(jobs: JobBell()))
      #expect(Set(snapshot.labels.keys) == ["Demandes de Commande", "Support Technique"])
      #expect(snapshot.labels["Support Technique"]?.contains("plante") == true)
      #expect(snapshot.decisions == ["1|\(version)|", "2|\(version)|", "3|\(version)|"])
      #expect(
        snapshot.transcript == [
          "in|customer|Bonjour", "in|customer|Où en est ma commande CMD-123456 ?",
          "in|customer|L'application plante",
        ])
      #expect(snapshot.stepInputs.count == 3)
      #expect(!snapshot.jobs.isEmpty)
      #expect(snapshot.jobs.allSatisfy { $0 == "webhook_delivery|webhook:crm:\(id)" })
      #expect(try await store.webhookCounts().pending == 0)
    }
  }

  /// The same scenario on both stores stores the same things (row ids and conversation ids
  /// aside).
  @Test(.enabled(if: TestPostgres.address != nil, "no PostgreSQL server"))
  func bothStoresStoreTheSameSteps() async throws {
    var snapshots: [StoredStepSnapshot] = []
    for kind in StoreKind.allCases {
      snapshots.append(
        try await Self.withStore(kind) { store in
          let (id, snapshot) = try await Self.intakeScenario(
            store, hub: Self.hub(jobs: JobBell()))
          return snapshot.replacing(conversation: id)
        })
    }
    #expect(snapshots[0] == snapshots[1])
  }

  /// Every WhatsApp fixture (texts, media, statuses, echoes, unusable bodies), stored and
  /// processed in order on both stores: the same conversations, with the same steps, jobs and
  /// kept failures.
  @Test(.enabled(if: TestPostgres.address != nil, "no PostgreSQL server"))
  func bothStoresStoreTheSameFixtures() async throws {
    // The fixtures share their WhatsApp ids: made unique per body, so that each is applied
    // rather than taken for a redelivery.
    let bodies = try WebhookTests.fixturePayloads.enumerated().map { index, payload in
      let body = ServerHarness.encode(try #require(try ServerHarness.fixture(payload.0)[payload.1]))
      return Array(
        String(decoding: body, as: UTF8.self)
          .replacingOccurrences(of: "\"wamid.", with: "\"wamid.\(index).").utf8)
    }
    var outcomes: [[String]] = []
    for kind in StoreKind.allCases {
      outcomes.append(
        try await Self.withStore(kind) { store in
          let hub = Self.hub(jobs: JobBell())
          for body in bodies { _ = try await store.storeWebhooks([body]) }
          let processed = try await store.processPendingWebhooks(
            rules: Self.rules(), metrics: ServerMetrics(), hub: hub, parsed: [:])
          #expect(processed == bodies.count)
          var described: [String] = []
          for id in try await store.conversationIDs() {
            let snapshot = try await store.stepSnapshot(conversation: id)
            described.append("\(snapshot.replacing(conversation: id))")
          }
          let failures = try await store.messageFailureErrors().keys.sorted()
          return described.sorted() + ["failures: \(failures)"]
        })
    }
    // The fixtures' few contacts, with media to download and echoes among their lines.
    let described = outcomes[0].joined(separator: "\n")
    #expect(outcomes[0].count >= 4)
    #expect(described.contains("media_download|"), "\(described)")
    #expect(described.contains("echo|business|"), "\(described)")
    #expect(outcomes[0] == outcomes[1])
  }

  @Test(arguments: StoreKind.available)
  func aRedeliveredWebhookChangesNothing(kind: StoreKind) async throws {
    try await Self.withStore(kind) { store in
      let hub = Self.hub(jobs: JobBell())
      let (id, before) = try await Self.intakeScenario(store, hub: hub)
      // Meta delivers the second message again, alone and within another body.
      _ = try await store.storeWebhooks([
        Self.text("wamid.2", "Où en est ma commande CMD-123456 ?", at: 1_764_064_801)
      ])
      let processed = try await store.processPendingWebhooks(
        rules: Self.rules(), metrics: ServerMetrics(), hub: hub, parsed: [:])
      #expect(processed == 1)
      #expect(try await store.stepSnapshot(conversation: id) == before)
      #expect(try await store.conversationIDs().count == 1)
    }
  }

  /// A message whose insert fails (after its step wrote the labels) is rolled back alone:
  /// no conversation, label, decision or job of it remains; kept as failed, it is applied by
  /// the retry once the fault is gone.
  @Test(arguments: StoreKind.available)
  func aFailingMessageLeavesNothingAndIsAppliedAfterAFix(kind: StoreKind) async throws {
    try await Self.withStore(kind) { store in
      let rules = try Self.rules()
      let hub = Self.hub(jobs: JobBell())
      try await store.injectMessageInsertFault(whatsappID: "wamid.bad")
      _ = try await store.storeWebhooks([
        Self.text("wamid.bad", "L'application plante", phone: "33600000001", at: 1_764_064_800)
      ])
      try await store.processPendingWebhooks(
        rules: rules, metrics: ServerMetrics(), hub: hub, parsed: [:])
      #expect(try await store.conversationIDs().isEmpty)
      #expect(try await store.messageFailureErrors()["wamid.bad"]?.contains("injected") == true)
      #expect(try await store.webhookCounts().pending == 0)

      try await store.removeInjectedFaults()
      let resolved = try await store.retryFailedMessages(
        rules: rules, metrics: ServerMetrics(), hub: hub)
      #expect(resolved == 1)
      let id = try #require(try await store.conversationIDs().first)
      let snapshot = try await store.stepSnapshot(conversation: id)
      #expect(Set(snapshot.labels.keys) == ["Support Technique"])
      #expect(snapshot.transcript == ["in|customer|L'application plante"])
      #expect(try await store.messageFailureErrors()["wamid.bad"] == "resolved")
    }
  }

  /// A member's step that fails at its last write (the decision, after the labels and the
  /// reply) leaves the conversation as it was: no label, line, job or notification.
  @Test(arguments: StoreKind.available)
  func aStepThatFailsAfterItsLabelsRollsBack(kind: StoreKind) async throws {
    try await Self.withStore(kind) { store in
      let loaded = try Self.rules().current
      let hub = Self.hub(jobs: JobBell())
      let (id, before) = try await Self.intakeScenario(store, hub: hub)
      let label = try #require(loaded.ruleSet.label(named: "Demandes de Vente")?.id)
      try await store.injectDecisionInsertFault()
      await #expect(throws: (any Error).self) {
        _ = try await store.applyStep(to: id, rules: loaded, hub: hub) { labels in
          #expect(labels?.sorted() == ["Demandes de Commande", "Support Technique"])
          return (
            Step(
              .agent(member: "dev@exemple.fr", action: .addLabel(label)),
              at: TestClock.officeHours), mentions: []
          )
        }
      }
      #expect(try await store.stepSnapshot(conversation: id) == before)

      // The same step once the fault is gone.
      try await store.removeInjectedDecisionFault()
      let record = try await store.applyStep(to: id, rules: loaded, hub: hub) { _ in
        (
          Step(
            .agent(member: "dev@exemple.fr", action: .reply("Nous regardons")),
            at: TestClock.officeHours), mentions: []
        )
      }
      #expect(record.decision.step == 4)
      let after = try await store.stepSnapshot(conversation: id)
      #expect(after.transcript.last == "out|dev@exemple.fr|Nous regardons")
      #expect(after.decisions.last?.hasSuffix("|reply") == true)
      #expect(after.jobs.contains("whatsapp_send|send:\(id)"))
    }
  }

  @Test(arguments: StoreKind.available)
  func anEventKeyAnswersOnceAndRefusesAnotherBody(kind: StoreKind) async throws {
    try await Self.withStore(kind) { store in
      let loaded = try Self.rules().current
      let hub = Self.hub(jobs: JobBell())
      func submission(_ digest: String) -> EventSubmission {
        EventSubmission(
          idempotencyKey: "key-1", bodySHA256: digest,
          contact: .init(phone: "+33699999999", userID: nil, name: "Zoé"),
          event: IntegrationEvent(
            name: "calendly.booking.confirmed",
            fields: ["invitee": .string("Zoé"), "start": .string("demain")]),
          attributes: [:])
      }
      let answer: @Sendable (String, DecisionDocument) -> String = { id, document in
        "\(id)|\(document.labels.sorted().joined(separator: ","))"
      }
      let first = try await store.applyEvent(
        submission("a"), rules: loaded, hub: hub, answer: answer)
      guard case .applied(200, let body) = first else {
        Issue.record("not applied: \(first)")
        return
      }
      #expect(body.hasSuffix("|Personnes Qui Ont Planifié"))
      let again = try await store.applyEvent(
        submission("a"), rules: loaded, hub: hub, answer: answer)
      guard case .answered(200, body) = again else {
        Issue.record("not the first answer: \(again)")
        return
      }
      let other = try await store.applyEvent(
        submission("b"), rules: loaded, hub: hub, answer: answer)
      guard case .keyReused = other else {
        Issue.record("another body was accepted: \(other)")
        return
      }
      let ids = try await store.conversationIDs()
      #expect(ids.count == 1)
      let snapshot = try await store.stepSnapshot(conversation: try #require(ids.first))
      #expect(snapshot.decisions.count == 1)
    }
  }
}

extension PostgresStepTests {
  @Test(arguments: StoreKind.available)
  func renamedLabelsKeepTheirReasonsUnderTheNewName(kind: StoreKind) async throws {
    try await Self.withStore(kind) { store in
      let (id, _) = try await Self.intakeScenario(store, hub: Self.hub(jobs: JobBell()))
      #expect(
        try await store.storedLabelCounts() == [
          "Demandes de Commande": 1, "Support Technique": 1,
        ])
      let moved = try await store.renameStoredLabels(["Support Technique": "Assistance"])
      #expect(moved == ["Support Technique": 1])
      #expect(
        try await store.storedLabelCounts() == ["Demandes de Commande": 1, "Assistance": 1])
      let reason = try #require(try await store.stepSnapshot(conversation: id).labels["Assistance"])
      #expect(reason.contains("\"label\":\"Assistance\""), "\(reason)")
    }
  }

  /// An AI agent's reply is accepted where the engine asked for one; a member's takeover then
  /// withdraws it before it is sent, with its job.
  @Test(arguments: StoreKind.available)
  func aTakeoverWithdrawsTheAgentsQueuedReply(kind: StoreKind) async throws {
    try await Self.withStore(kind) { store in
      let loaded = try Self.rules().current
      let hub = Self.hub(jobs: JobBell(), aiAgents: ["agent-token"])
      _ = try await store.storeWebhooks([Self.text("wamid.ai", "Bonjour", at: 1_764_064_800)])
      try await store.processPendingWebhooks(
        rules: Self.rules(), metrics: ServerMetrics(), hub: hub, parsed: [:])
      let id = try #require(try await store.conversationIDs().first)
      let request = try #require(try await store.stepSnapshot(conversation: id).aiRequests.first)
      let parts = request.split(separator: "|")
      #expect(parts.first == "reply" && parts.last == "awaiting_agent", "\(request)")
      let version = try #require(parts.count == 3 ? Int(parts[1]) : nil)

      #expect(
        try await store.applyAgentAIReply(
          Step(.aiReply(text: "Bonjour !", version: version + 1), at: TestClock.officeHours),
          conversation: id, version: version + 1, rules: loaded, hub: hub) == nil,
        "no request at that version")
      let reply = try #require(
        try await store.applyAgentAIReply(
          Step(.aiReply(text: "Bonjour !", version: version), at: TestClock.officeHours),
          conversation: id, version: version, rules: loaded, hub: hub))
      #expect(reply.0.aiReply == .accepted)
      var snapshot = try await store.stepSnapshot(conversation: id)
      #expect(snapshot.replyStatuses == ["ai|queued"])
      #expect(snapshot.jobs.contains("whatsapp_send|send:\(id)"))

      _ = try await store.applyStep(to: id, rules: loaded, hub: hub) { _ in
        (
          Step(.agent(member: "bruno@exemple.fr", action: .takeOver), at: TestClock.officeHours),
          mentions: []
        )
      }
      snapshot = try await store.stepSnapshot(conversation: id)
      #expect(snapshot.replyStatuses == ["ai|discarded"])
      #expect(!snapshot.jobs.contains("whatsapp_send|send:\(id)"))
      #expect(snapshot.decisions.last?.hasSuffix("|take_over") == true)
    }
  }

  /// Events for one new contact sent to two instances at once end on one conversation, every
  /// event applied once, steps numbered without gap; a key sent to both is applied once.
  @Test(.enabled(if: TestPostgres.address != nil, "no PostgreSQL server"))
  func twoInstancesRacingOnANewContactAgreeOnOneConversation() async throws {
    let loaded = try Self.rules().current
    let hub = Self.hub(jobs: JobBell())
    try await PostgresInstancesTests.withInstances(2) { stores in
      let count = 12
      let outcomes = try await withThrowingTaskGroup(of: EventOutcome.self) { group in
        for index in 0..<count {
          let store = stores[index % 2]
          group.addTask {
            try await store.applyEvent(
              EventSubmission(
                // Two requests per key: one applies, the other gets its answer.
                idempotencyKey: "key-\(index / 2)", bodySHA256: "same",
                contact: .init(phone: "+33677777777", userID: nil, name: "Zoé"),
                event: IntegrationEvent(
                  name: "calendly.booking.confirmed",
                  fields: ["invitee": .string("Zoé"), "start": .string("demain")]),
                attributes: [:]),
              rules: loaded, hub: hub, answer: { id, _ in id })
          }
        }
        return try await group.reduce(into: []) { $0.append($1) }
      }
      var applied = 0
      var answered = 0
      for outcome in outcomes {
        switch outcome {
        case .applied: applied += 1
        case .answered: answered += 1
        case .keyReused: Issue.record("a key was refused its own body")
        }
      }
      #expect(applied == count / 2)
      #expect(answered == count / 2)
      let ids = try await stores[0].conversationIDs()
      #expect(ids.count == 1)
      let snapshot = try await stores[1].stepSnapshot(conversation: try #require(ids.first))
      #expect(snapshot.decisions.map { $0.prefix { $0 != "|" } } == (1...count / 2).map { "\($0)" })
    }
  }
}

// MARK: - PostgreSQL only: instances and live events

@Suite(.enabled(if: TestPostgres.address != nil, "no PostgreSQL server"))
struct PostgresStepInstancesTests {
  /// Two instances store the messages of one customer in turn and each processes after each
  /// store, concurrently: the transcript follows the webhooks' arrival order, every message
  /// applied once, steps numbered without gap.
  @Test func twoInstancesKeepAConversationInArrivalOrder() async throws {
    let rules = try PostgresStepTests.rules()
    try await PostgresInstancesTests.withInstances(2) { stores in
      do {
        try await Self.interleave(stores, rules: rules)
      } catch {
        throw PostgresStoreError.readable(error)
      }
    }
  }

  static func interleave(_ stores: [PostgresStore], rules: RuleHolder) async throws {
    let count = 24
    let hub = PostgresStepTests.hub(jobs: JobBell())
    let stored = try await withThrowingTaskGroup(of: [(Int64, String)].self) { group in
      for (number, store) in stores.enumerated() {
        group.addTask {
          var mine: [(Int64, String)] = []
          for index in stride(from: number, to: count, by: 2) {
            let text = "message \(index)"
            let ids = try await store.storeWebhooks([
              PostgresStepTests.text("wamid.\(index)", text, at: 1_764_064_800 + index)
            ])
            mine += ids.map { ($0, text) }
            try await store.processPendingWebhooks(
              rules: rules, metrics: ServerMetrics(), hub: hub, parsed: [:])
          }
          return mine
        }
      }
      return try await group.reduce(into: []) { $0 += $1 }
    }
    let texts = Dictionary(uniqueKeysWithValues: stored)
    let arrival = try await stores[0].webhookIDsByArrival()
    let ids = try await stores[1].conversationIDs()
    #expect(ids.count == 1)
    let snapshot = try await stores[0].stepSnapshot(conversation: try #require(ids.first))
    #expect(snapshot.transcript == arrival.compactMap { texts[$0] }.map { "in|customer|\($0)" })
    #expect(snapshot.decisions.map { $0.prefix { $0 != "|" } } == (1...count).map { "\($0)" })
    #expect(try await stores[0].webhookCounts().pending == 0)
  }

  /// The claim's order: a webhook waits for every earlier pending one of the same customer
  /// (by phone or user id), a webhook of two customers for both, and one of statuses alone for
  /// nothing; once the earlier ones are processed, the later ones become claimable.
  @Test func aWebhookWaitsOnlyForItsOwnCustomersEarlierOnes() async throws {
    let rules = try PostgresStepTests.rules()
    try await PostgresStepTests.withStore(.postgres) { store in
      let postgres = try #require(store as? PostgresStore)
      let ids = try await store.storeWebhooks([
        PostgresStepTests.text("wamid.a1", "a1", phone: "33600000001", at: 1_764_064_800),
        PostgresStepTests.text("wamid.b1", "b1", phone: "33600000002", at: 1_764_064_801),
        PostgresStepTests.text("wamid.a2", "a2", phone: "33600000001", at: 1_764_064_802),
        Self.twoCustomers(at: 1_764_064_803),
        PostgresStepTests.text("wamid.c1", "c1", phone: "33600000003", at: 1_764_064_804),
        Self.status("wamid.elsewhere", "delivered"),
        PostgresStepTests.text("wamid.b2", "b2", phone: "33600000002", at: 1_764_064_805),
      ])
      let (a1, b1, c1, status) = (ids[0], ids[1], ids[4], ids[5])
      #expect(try await postgres.claimableWebhooks() == [a1, b1, c1, status])
      try await store.processPendingWebhooks(
        rules: rules, metrics: ServerMetrics(), hub: nil, parsed: [:])
      #expect(try await store.webhookCounts().pending == 0)
      #expect(try await postgres.claimableWebhooks().isEmpty)
      // Each customer's transcript in arrival order, the two-customer webhook in both.
      var transcripts: [String] = []
      for id in try await store.conversationIDs() {
        let lines = try await store.stepSnapshot(conversation: id).transcript
        transcripts.append(
          lines.map { $0.split(separator: "|").last.map(String.init) ?? "" }
            .joined(separator: " "))
      }
      #expect(transcripts.sorted() == ["a1 a2 ab-a", "b1 ab-b b2", "c1"])
    }
  }

  /// A customer known by phone and by user id, writing with either alone: the second webhook
  /// waits for the first all the same. Two statuses of one message wait for each other too.
  @Test func aCustomersWebhooksOrderByEveryKeyOfTheConversation() async throws {
    let rules = try PostgresStepTests.rules()
    try await PostgresStepTests.withStore(.postgres) { store in
      let postgres = try #require(store as? PostgresStore)
      _ = try await store.storeWebhooks([
        Self.message(phone: "33600000001", user: "US.1", id: "wamid.both", at: 1_764_064_800)
      ])
      try await store.processPendingWebhooks(
        rules: rules, metrics: ServerMetrics(), hub: nil, parsed: [:])
      let ids = try await store.storeWebhooks([
        Self.message(phone: nil, user: "US.1", id: "wamid.user", at: 1_764_064_801),
        Self.message(phone: "33600000001", user: nil, id: "wamid.phone", at: 1_764_064_802),
        Self.status("wamid.out", "delivered"),
        Self.status("wamid.out", "read"),
      ])
      #expect(try await postgres.claimableWebhooks() == [ids[0], ids[2]])
      try await store.processPendingWebhooks(
        rules: rules, metrics: ServerMetrics(), hub: nil, parsed: [:])
      let conversations = try await store.conversationIDs()
      #expect(conversations.count == 1)
      let transcript = try await store.stepSnapshot(
        conversation: try #require(conversations.first)
      ).transcript
      #expect(
        transcript.map { $0.split(separator: "|").last.map(String.init) } == [
          "both", "user", "phone",
        ])
    }
  }

  /// A text message from a phone, a user id, or both.
  static func message(phone: String?, user: String?, id: String, at time: Int) -> [UInt8] {
    var message: [String: JSONValue] = [
      "id": .string(id), "timestamp": .string(String(time)), "type": .string("text"),
      "text": .object(["body": .string(String(id.dropFirst("wamid.".count)))]),
    ]
    var contact: [String: JSONValue] = ["profile": .object(["name": .string("Léa")])]
    if let phone {
      message["from"] = .string(phone)
      contact["wa_id"] = .string(phone)
    }
    if let user {
      message["from_user_id"] = .string(user)
      contact["user_id"] = .string(user)
    }
    return ServerHarness.webhook(
      value: .object([
        "messaging_product": .string("whatsapp"), "contacts": .array([.object(contact)]),
        "messages": .array([.object(message)]),
      ]))
  }

  /// A status webhook for `message`.
  static func status(_ message: String, _ status: String) -> [UInt8] {
    ServerHarness.webhook(
      value: .object([
        "messaging_product": .string("whatsapp"),
        "statuses": .array([
          .object([
            "id": .string(message), "status": .string(status),
            "timestamp": .string("1764064806"), "recipient_id": .string("33600000009"),
          ])
        ]),
      ]))
  }

  /// Many customers' webhooks stored first, then processed by two instances at once: each
  /// customer's messages applied once, in arrival order, steps numbered without gap.
  @Test func twoInstancesProcessABacklogInEachCustomersOrder() async throws {
    let rules = try PostgresStepTests.rules()
    try await PostgresInstancesTests.withInstances(2) { stores in
      do {
        let customers = 5
        let count = 60
        var bodies: [[UInt8]] = []
        for index in 0..<count {
          bodies.append(
            PostgresStepTests.text(
              "wamid.\(index)", "m\(index)", phone: "3360000000\(index % customers)",
              at: 1_764_064_800 + index))
        }
        _ = try await stores[0].storeWebhooks(bodies)
        let hub = PostgresStepTests.hub(jobs: JobBell())
        try await withThrowingTaskGroup(of: Void.self) { group in
          for store in stores {
            group.addTask {
              try await store.processPendingWebhooks(
                rules: rules, metrics: ServerMetrics(), hub: hub, parsed: [:])
            }
          }
          try await group.waitForAll()
        }
        #expect(try await stores[0].webhookCounts().pending == 0)
        var transcripts: [[String]] = []
        for id in try await stores[1].conversationIDs() {
          let snapshot = try await stores[0].stepSnapshot(conversation: id)
          transcripts.append(snapshot.transcript)
          #expect(
            snapshot.decisions.map { $0.prefix { $0 != "|" } }
              == (1...(count / customers)).map { "\($0)" })
        }
        let expected = (0..<customers).map { customer in
          stride(from: customer, to: count, by: customers).map { "in|customer|m\($0)" }
        }
        #expect(
          transcripts.sorted { $0.first ?? "" < $1.first ?? "" }
            == expected.sorted { $0.first ?? "" < $1.first ?? "" })
      } catch {
        throw PostgresStoreError.readable(error)
      }
    }
  }

  /// One webhook with a message from each of two customers (a1's and b1's phones).
  static func twoCustomers(at time: Int) -> [UInt8] {
    func message(_ phone: String, _ id: String, _ text: String) -> JSONValue {
      .object([
        "from": .string(phone), "id": .string(id), "timestamp": .string(String(time)),
        "type": .string("text"), "text": .object(["body": .string(text)]),
      ])
    }
    return ServerHarness.webhook(
      value: .object([
        "messaging_product": .string("whatsapp"),
        "contacts": .array([
          .object(["profile": .object(["name": .string("A")]), "wa_id": .string("33600000001")]),
          .object(["profile": .object(["name": .string("B")]), "wa_id": .string("33600000002")]),
        ]),
        "messages": .array([
          message("33600000001", "wamid.ab-a", "ab-a"),
          message("33600000002", "wamid.ab-b", "ab-b"),
        ]),
      ]))
  }

  /// A step's live events are stored for every instance, to the viewers of the conversation's
  /// labels before (none: a new conversation) and after the step.
  @Test func aStepStoresItsLiveEventsForEveryInstance() async throws {
    try await PostgresStepTests.withStore(.postgres) { store in
      let postgres = try #require(store as? PostgresStore)
      _ = try await PostgresStepTests.intakeScenario(
        store, hub: PostgresStepTests.hub(jobs: JobBell()))
      let stored = try await postgres.storedLiveEvents()
      // One row per step to the conversation's viewers; notifications go to their member.
      let events = stored.filter {
        if case .viewers = $0.audience { true } else { false }
      }
      #expect(events.count == 3, "\(stored)")
      #expect(
        stored.filter { if case .member = $0.audience { true } else { false } }.allSatisfy {
          $0.types == ["notification.created"]
        })
      if case .viewers(let before, _) = events.first?.audience {
        #expect(before == nil, "a new conversation had no viewers before")
      } else {
        Issue.record("the first step's events go to the conversation's viewers")
      }
      #expect(events.first?.types.first == "message.created")
      #expect(events.last?.types.contains("label.added") == true)
      if case .viewers(_, let after) = events.last?.audience {
        #expect(after.contains("Support Technique"))
      } else {
        Issue.record("the last step's events go to the conversation's viewers")
      }
    }
  }
}

extension PostgresStepTests {
  /// Intake rounds as the server runs them (`receiveWebhooks`, payloads parsed): on PostgreSQL,
  /// a round's single-message webhooks of different customers are written by one batch
  /// (`IntakeBatch+PostgreSQL.swift`) — new conversations, known ones, a redelivery, a webhook
  /// of two messages beside them (one at a time) — and store what SQLite stores.
  @Test(.enabled(if: TestPostgres.address != nil, "no PostgreSQL server"))
  func intakeRoundsStoreWhatSQLiteStores() async throws {
    let phones = (1...6).map { "3361000000\($0)" }
    func round(_ tag: String, at start: Int) -> [[UInt8]] {
      let texts = ["Bonjour", "Où en est ma commande CMD-123456 ?", "L'application plante"]
      return phones.enumerated().map { index, phone in
        Self.text(
          "wamid.\(tag).\(index)", texts[index % texts.count], phone: phone, at: start + index)
      }
    }
    let rounds = [
      round("first", at: 1_764_064_800),
      round("second", at: 1_764_064_900) + [
        // A redelivery of the first round's first message.
        Self.text("wamid.first.0", "Bonjour", phone: phones[0], at: 1_764_064_800),
        ServerHarness.webhook(
          value: .object([
            "messaging_product": .string("whatsapp"),
            "contacts": .array([
              .object([
                "profile": .object(["name": .string("Jo")]), "wa_id": .string("33610000099"),
              ])
            ]),
            "messages": .array(
              ["Bonjour", "Merci"].enumerated().map { index, text in
                .object([
                  "from": .string("33610000099"), "id": .string("wamid.two.\(index)"),
                  "timestamp": .string(String(1_764_064_950 + index)), "type": .string("text"),
                  "text": .object(["body": .string(text)]),
                ])
              }),
          ])),
      ],
    ]
    var outcomes: [[String]] = []
    for kind in StoreKind.allCases {
      outcomes.append(
        try await Self.withStore(kind) { store in
          let hub = Self.hub(jobs: JobBell())
          for bodies in rounds {
            let received = Date(timeIntervalSince1970: 1_764_065_000)
            let failure = try await store.receiveWebhooks(
              bodies.map { ($0, try WhatsAppPayload.parse($0, receivedAt: received)) },
              rules: Self.rules(), metrics: ServerMetrics(), hub: hub)
            #expect(failure == nil)
          }
          #expect(try await store.webhookCounts().pending == 0)
          var described: [String] = []
          for id in try await store.conversationIDs() {
            let snapshot = try await store.stepSnapshot(conversation: id)
            described.append("\(snapshot.replacing(conversation: id))")
          }
          return described.sorted()
        })
    }
    #expect(outcomes[0].count == 7)
    // Two steps each for the six customers (the redelivery applied nothing), two for the
    // webhook of two messages.
    #expect(outcomes[0].allSatisfy { $0.contains("2|") })
    #expect(outcomes[0] == outcomes[1])
  }
}

extension PostgresStepTests {
  /// A webhook nobody waits for (stored, never processed: its instance died after the commit)
  /// is taken by the next intake round on any instance, beside the round's own.
  @Test(.enabled(if: TestPostgres.address != nil, "no PostgreSQL server"))
  func aRoundAlsoTakesAWebhookNobodyWaitsFor() async throws {
    try await Self.withStore(.postgres) { store in
      _ = try await store.storeWebhooks([
        Self.text("wamid.orphan", "Bonjour", phone: "33610000001", at: 1_764_064_800)
      ])
      #expect(try await store.webhookCounts().pending == 1)
      let body = Self.text("wamid.round", "Merci", phone: "33610000002", at: 1_764_064_801)
      let received = Date(timeIntervalSince1970: 1_764_065_000)
      let failure = try await store.receiveWebhooks(
        [(body, try WhatsAppPayload.parse(body, receivedAt: received))], rules: Self.rules(),
        metrics: ServerMetrics(), hub: nil)
      #expect(failure == nil)
      #expect(try await store.webhookCounts().pending == 0)
      #expect(try await store.conversationIDs().count == 2)
    }
  }
}

/// What these tests call on a store: the write path, and the test-only reads and faults.
protocol StepTestedStore: Sendable {
  func storeWebhooks(_ bodies: [[UInt8]]) async throws -> [Int64]
  @discardableResult
  func processPendingWebhooks(
    rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub?,
    parsed: [Int64: WhatsAppPayload]
  ) async throws -> Int
  func receiveWebhooks(
    _ webhooks: [(body: [UInt8], payload: WhatsAppPayload?)], rules: RuleHolder,
    metrics: ServerMetrics, hub: IntegrationHub?
  ) async throws -> (any Error)?
  @discardableResult
  func retryFailedMessages(rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub?)
    async throws -> Int
  func applyStep(
    to id: String, rules: LoadedRules, hub: IntegrationHub?,
    prepare: @escaping @Sendable ([String]?) throws -> (Step, mentions: [String])
  ) async throws -> StepRecord
  func applyEvent(
    _ submission: EventSubmission, rules: LoadedRules, hub: IntegrationHub?,
    answer: @escaping @Sendable (_ conversation: String, DecisionDocument) -> String
  ) async throws -> EventOutcome
  func applyAgentAIReply(
    _ step: Step, conversation id: String, version: Int, rules: LoadedRules, hub: IntegrationHub
  ) async throws -> (Decision, DecisionDocument)?
  func storedLabelCounts() async throws -> [String: Int]
  func renameStoredLabels(_ renames: [String: String]) async throws -> [String: Int]
  func conversationIDs() async throws -> [String]
  func stepSnapshot(conversation id: String) async throws -> StoredStepSnapshot
  func webhookCounts() async throws -> (stored: Int, pending: Int)
  func messageFailureErrors() async throws -> [String: String]
  func injectMessageInsertFault(whatsappID: String) async throws
  func removeInjectedFaults() async throws
  func injectDecisionInsertFault() async throws
  func removeInjectedDecisionFault() async throws
}

extension SQLiteStore: StepTestedStore {}
extension PostgresStore: StepTestedStore {}

extension StoredStepSnapshot {
  /// The snapshot with the conversation's id (random, so different on each store) replaced.
  func replacing(conversation id: String) -> StoredStepSnapshot {
    func clean(_ text: String) -> String { text.replacingOccurrences(of: id, with: "C") }
    var copy = self
    copy.labels = labels.mapValues(clean)
    copy.decisions = decisions.map(clean)
    copy.transcript = transcript.map(clean)
    copy.jobs = jobs.map(clean)
    copy.notifications = notifications.map(clean)
    copy.stepInputs = stepInputs.map(clean)
    copy.aiRequests = aiRequests.map(clean)
    copy.replyStatuses = replyStatuses.map(clean)
    return copy
  }
}
