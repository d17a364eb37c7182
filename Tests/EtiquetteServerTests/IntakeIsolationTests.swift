import EtiquetteEngine
import EtiquetteTestSupport
import Foundation
import Testing

@testable import EtiquetteServer

/// One bad message of a webhook body never takes the others with it: unusable timestamps take
/// the receive time, and a message that cannot be processed is rolled back alone, kept with its
/// reason, logged, counted, and applied again after a fix.
@Suite struct IntakeIsolationTests {
  /// A body of several text messages, each from its own phone, with its own timestamp value.
  static func body(_ messages: [(id: String, phone: String, timestamp: JSONValue)]) -> [UInt8] {
    let value: JSONValue = .object([
      "messaging_product": .string("whatsapp"),
      "contacts": .array(
        messages.map {
          .object(["profile": .object(["name": .string("Client")]), "wa_id": .string($0.phone)])
        }),
      "messages": .array(
        messages.map {
          .object([
            "from": .string($0.phone), "id": .string($0.id), "timestamp": $0.timestamp,
            "type": .string("text"), "text": .object(["body": .string("bonjour")]),
          ])
        }),
    ])
    return ServerHarness.webhook(value: value)
  }

  static func storedTime(_ harness: ServerHarness, _ id: String) async throws -> Double? {
    try await harness.inspect.message(whatsappID: id)?.at.timeIntervalSince1970
  }

  @Test func unusableTimestampsTakeTheReceiveTime() async throws {
    let harness = try await ServerHarness(clock: .fixed(TestClock.officeHours))
    let body = Self.body([
      ("wamid.ok", "33650000001", .string("1764064000")),
      ("wamid.nan", "33650000002", .string("nan")),
      ("wamid.huge", "33650000003", .number(1e300)),
      ("wamid.future", "33650000004", .string("1893456000")),
      ("wamid.none", "33650000005", .null),
    ])
    try await harness.test { client in
      let status = try await ServerHarness.post(client, webhook: body)
      #expect(status == .ok)
    }
    #expect(try await Self.storedTime(harness, "wamid.ok") == 1_764_064_000)
    for id in ["wamid.nan", "wamid.huge", "wamid.future", "wamid.none"] {
      #expect(
        try await Self.storedTime(harness, id) == TestClock.officeHours.timeIntervalSince1970,
        "\(id) is stored at the receive time")
    }
    #expect(
      harness.server.metrics.render().contains("etiquette_message_timestamps_replaced_total 4"))
  }

  @Test func aFailingMessageIsKeptAloneAndAppliedAfterAFix() async throws {
    let harness = try await ServerHarness()
    // A fault injected in the store: this one message cannot be written.
    try await harness.server.faults.injectMessageInsertFault(whatsappID: "wamid.bad")
    let body = Self.body([
      ("wamid.first", "33650000011", .string("1764064800")),
      ("wamid.bad", "33650000012", .string("1764064801")),
      ("wamid.last", "33650000013", .string("1764064802")),
    ])
    try await harness.test { client in
      let status = try await ServerHarness.post(client, webhook: body)
      #expect(status == .ok)
    }
    #expect(
      try await Self.storedTime(harness, "wamid.first") != nil, "the messages around it are kept")
    #expect(try await Self.storedTime(harness, "wamid.last") != nil)
    #expect(try await Self.storedTime(harness, "wamid.bad") == nil)
    let failure = try await harness.inspect.messageFailures().first { $0.whatsappID == "wamid.bad" }
    #expect(failure?.error.contains("injected failure") == true)
    #expect(failure?.resolvedAt == nil)
    #expect(harness.server.metrics.render().contains("etiquette_messages_failed_total 1"))

    // The fix (here: the fault removed), then the next start applies the message.
    try await harness.server.faults.removeInjectedFaults()
    try await harness.server.recoverPendingWebhooks()
    #expect(try await Self.storedTime(harness, "wamid.bad") == 1_764_064_801)
    let resolved = try await harness.inspect.messageFailures().first {
      $0.whatsappID == "wamid.bad"
    }?
    .resolvedAt
    #expect(resolved != nil)
    let conversations = try await harness.inspect.counts().conversations
    #expect(conversations == 3)
  }
}

/// Contact names in the search index are found by key, not by scanning the index: a webhook
/// of many new contacts must not hold the single writer for seconds.
@Suite struct SearchIndexTests {
  @Test(
    .enabled(
      if: TestStore.kind == .sqlite, "FTS5's query plan (PostgreSQL indexes names in its own table)"
    ))
  func aNameEntryIsReplacedByItsKey() async throws {
    let harness = try await ServerHarness()
    let plan = try harness.server.sqlite.nameEntryDeletionPlan(conversation: "c1")
    // FTS5 plans a rowid equality as `INDEX 0:=`; a scan of the whole index is `INDEX 0:`.
    #expect(plan.contains { $0.hasPrefix("SCAN search VIRTUAL TABLE INDEX 0:=") }, "\(plan)")
  }

  @Test func aRenamedContactIsFoundByTheNewNameOnly() async throws {
    let harness = try await ServerHarness()
    try await harness.test { client in
      for (index, name) in ["Léa Martin", "Léa Dupont"].enumerated() {
        let status = try await ServerHarness.post(
          client,
          webhook: ServerHarness.textWebhook(
            from: "33650000030", id: "wamid.rename.\(index)", text: "bonjour", name: name))
        #expect(status == .ok)
      }
      let dupont = try await harness.list(client, as: "manon@exemple.fr", query: "?q=dupont")
      let martin = try await harness.list(client, as: "manon@exemple.fr", query: "?q=martin")
      #expect(dupont.count == 1)
      #expect(martin.isEmpty, "the old name is no longer indexed")
    }
    #expect(try await harness.inspect.counts().searchedNames == 1)
  }
}

/// NUL bytes from the outside never cut ids, names or texts (SQLite's C strings end at NUL).
@Suite struct NULTests {
  @Test func idsThatDifferAfterANULAreTwoMessages() async throws {
    let harness = try await ServerHarness()
    let first = ServerHarness.textWebhook(
      from: "33650000040", id: "wamid.a\u{0}x", text: "avant\u{0}après", name: "Lé\u{0}a")
    let second = ServerHarness.textWebhook(
      from: "33650000040", id: "wamid.a\u{0}y", text: "encore", name: "Lé\u{0}a")
    try await harness.test { client in
      for body in [first, second] {
        let status = try await ServerHarness.post(client, webhook: body)
        #expect(status == .ok)
      }
    }
    let stored = try await harness.inspect.messages().map { ($0.whatsappID ?? "", $0.text) }
    #expect(stored.map(\.0) == ["wamid.a\u{FFFD}x", "wamid.a\u{FFFD}y"])
    #expect(stored.first?.1 == "avant\u{FFFD}après", "the text is kept whole")
    let name = try await harness.inspect.conversations().first?.name
    #expect(name == "Lé\u{FFFD}a")
  }
}

/// A message without an id or a sender is not dropped behind a 200: it is kept with why.
@Suite struct UnusableMessageTests {
  @Test func messagesWithoutIdOrSenderAreKeptWithTheirReason() async throws {
    let harness = try await ServerHarness()
    let value: JSONValue = .object([
      "messaging_product": .string("whatsapp"),
      "messages": .array([
        .object(["from": .string("33650000050"), "type": .string("text")]),
        .object(["id": .string("wamid.nobody"), "type": .string("text")]),
      ]),
    ])
    let body = ServerHarness.webhook(value: value)
    try await harness.test { client in
      let status = try await ServerHarness.post(client, webhook: body)
      #expect(status == .ok)
    }
    let kept = try await harness.inspect.messageFailures().map {
      ($0.whatsappID, $0.error, $0.retryable)
    }
    #expect(kept.count == 2)
    #expect(kept.first?.1.contains("no \"id\"") == true)
    #expect(kept.last?.0 == "wamid.nobody")
    #expect(kept.last?.1.contains("no sender") == true)
    #expect(kept.allSatisfy { !$0.2 })
    #expect(harness.server.metrics.render().contains("etiquette_messages_failed_total 2"))
  }
}
