import EtiquetteEngine
import EtiquetteTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

@Suite struct WebhookTests {
  @Test func signatureVectorFromMetaVerifies() throws {
    let vector = try ServerHarness.fixture("signature-vector.json")
    let secret = try #require(vector["app_secret"]?.stringValue)
    let body = Array(try #require(vector["body"]?.stringValue).utf8)
    let header = try #require(vector["x_hub_signature_256"]?.stringValue)
    #expect(WebhookSignature.isValid(header: header, body: body, secret: secret))
    #expect(WebhookSignature.header(body: body, secret: secret) == header)
    #expect(!WebhookSignature.isValid(header: header, body: body + [32], secret: secret))
    #expect(!WebhookSignature.isValid(header: header, body: body, secret: secret + "x"))
    #expect(!WebhookSignature.isValid(header: nil, body: body, secret: secret))
    #expect(!WebhookSignature.isValid(header: "sha256=zz", body: body, secret: secret))
  }

  @Test func signedVectorIsAcceptedEndToEnd() async throws {
    let vector = try ServerHarness.fixture("signature-vector.json")
    var harness = try await ServerHarness()
    _ = harness
    let secret = try #require(vector["app_secret"]?.stringValue)
    var configuration = harness.server.configuration
    configuration.whatsappAppSecret = secret
    let server = try await InboxServer.open(
      configuration: configuration, clock: .starting(at: TestClock.start))
    let body = Array(try #require(vector["body"]?.stringValue).utf8)
    var fields = HTTPFields()
    fields[HTTPField.Name("X-Hub-Signature-256")!] = vector["x_hub_signature_256"]?.stringValue
    let headers = fields
    try await ServerHarness.test(server.makeApplication()) { client in
      let status = try await client.execute(
        uri: "/webhooks/whatsapp", method: .post, headers: headers, body: ByteBuffer(bytes: body)
      ) { $0.status }
      #expect(status == .ok)
    }
    harness = try await ServerHarness(databasePath: configuration.databasePath)
    #expect(try await harness.inspect.messages().filter { $0.direction == "in" }.count == 1)
  }

  @Test func wrongOrMissingSignatureIsRefusedBeforeStoring() async throws {
    let harness = try await ServerHarness()
    let body = ServerHarness.textWebhook(from: "33600000001", id: "wamid.sig", text: "bonjour")
    try await harness.test { client in
      for headers in [
        ServerHarness.signedHeaders(body, secret: "wrong"), HTTPFields(),
        ServerHarness.signedHeaders(body + [32]),
      ] {
        let status = try await client.execute(
          uri: "/webhooks/whatsapp", method: .post, headers: headers,
          body: ByteBuffer(bytes: body)
        ) { $0.status }
        #expect(status == .unauthorized)
      }
    }
    #expect(try await harness.inspect.counts().webhooks == 0)
  }

  @Test func handshake() async throws {
    let harness = try await ServerHarness()
    try await harness.test { client in
      try await client.execute(
        uri:
          "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444",
        method: .get
      ) { response in
        #expect(response.status == .ok)
        #expect(String(buffer: response.body) == "1158201444")
      }
      for uri in [
        "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1",
        "/webhooks/whatsapp?hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1",
        "/webhooks/whatsapp",
      ] {
        let status = try await client.execute(uri: uri, method: .get) { $0.status }
        #expect(status == .forbidden)
      }
    }
  }

  @Test func tenMegabyteBodyIs413() async throws {
    let harness = try await ServerHarness()
    let body = [UInt8](repeating: UInt8(ascii: "a"), count: 10 * 1024 * 1024 + 1)
    try await harness.test { client in
      let status = try await client.execute(
        uri: "/webhooks/whatsapp", method: .post, headers: ServerHarness.signedHeaders(body),
        body: ByteBuffer(bytes: body)
      ) { $0.status }
      #expect(status == .contentTooLarge)
    }
    #expect(try await harness.inspect.counts().webhooks == 0)
  }

  @Test(arguments: ["{", "[]", "not json", "{\"entry\": 3}", "\u{FF}\u{FE}"])
  func malformedJSONIs400(_ text: String) async throws {
    let harness = try await ServerHarness()
    let body = Array(text.utf8)
    try await harness.test { client in
      let status = try await ServerHarness.post(client, webhook: body)
      #expect(status == .badRequest)
    }
    #expect(try await harness.inspect.counts().webhooks == 0)
  }

  static let fixtureFiles = [
    "callback_button.json", "callback_selection.json", "deleted_message.json",
    "edited_message.json", "message.json", "message_status.json", "outgoing_message.json",
    "system.json",
  ]

  /// Every payload of every fixture file; a file that cannot be read contributes none, which
  /// `everyFixtureFileHasPayloads` reports (a parameterised test with no case passes silently).
  static let fixturePayloads: [(String, String)] = fixtureFiles.flatMap { file in
    ((try? ServerHarness.fixture(file)) ?? [:]).keys.sorted().map { (file, $0) }
  }

  @Test func everyFixtureFileHasPayloads() throws {
    for file in Self.fixtureFiles {
      #expect(try !ServerHarness.fixture(file).isEmpty, "\(file) has no payload")
    }
    // The payloads the fixture files hold today: a file that shrinks or moves shows here.
    #expect(Self.fixturePayloads.count == 42)
  }

  @Test(arguments: fixturePayloads)
  func everyFixtureIsAcceptedAndStored(_ file: String, _ name: String) async throws {
    let harness = try await ServerHarness()
    let payload = try #require(try ServerHarness.fixture(file)[name])
    let parsed = try WhatsAppPayload.parse(
      ServerHarness.encode(payload), receivedAt: TestClock.officeHours)
    try await harness.test { client in
      let status = try await ServerHarness.post(client, webhook: ServerHarness.encode(payload))
      #expect(status == .ok)
    }
    #expect(
      try await harness.inspect.webhooks().filter { $0.processedAt != nil && $0.error == nil }.count
        == 1)
    let stored = try await harness.inspect.messages()
    #expect(stored.count == parsed.messages.count + parsed.echoes.count)
    for message in parsed.messages {
      let row = try #require(stored.first { $0.whatsappID == message.id })
      #expect(row.wireType == message.wireType)
      let known = [
        "text", "image", "video", "document", "audio", "sticker", "location",
        "contacts", "interactive", "button", "reaction", "order",
      ]
      if !known.contains(message.wireType) {
        #expect(row.type == "unsupported")
      }
    }
    if !parsed.messages.isEmpty {
      #expect(try await harness.inspect.counts().decisions == parsed.messages.count)
    }
  }

  @Test func contactsAndMediaAreReadFromFixtures() throws {
    let image = try #require(try ServerHarness.fixture("message.json")["image"])
    let parsed = try WhatsAppPayload.parse(
      ServerHarness.encode(image), receivedAt: TestClock.officeHours)
    let message = try #require(parsed.messages.first)
    #expect(message.contact.userID == "US.13491208655302741918")
    #expect(message.contact.phone == "972987654321")
    #expect(message.contact.name == "Test Name")
    #expect(message.message.type == .image)
    #expect(message.message.attachments.first?.type == "image/jpeg")
    let voice = try #require(try ServerHarness.fixture("message.json")["voice"])
    #expect(
      try WhatsAppPayload.parse(ServerHarness.encode(voice), receivedAt: TestClock.officeHours)
        .messages.first?.message.type
        == .voice)
    let failed = try #require(try ServerHarness.fixture("message_status.json")["failed"])
    let status = try #require(
      try WhatsAppPayload.parse(ServerHarness.encode(failed), receivedAt: TestClock.officeHours)
        .statuses.first)
    #expect(status.status == "failed")
    #expect(status.errors.first?["code"] == .number(130472))
  }

  @Test func redeliveryChangesNothing() async throws {
    let harness = try await ServerHarness()
    let body = ServerHarness.textWebhook(from: "33600000002", id: "wamid.dup", text: "ma commande")
    try await harness.test { client in
      let first = try await ServerHarness.post(client, webhook: body)
      let second = try await ServerHarness.post(client, webhook: body)
      #expect(first == .ok && second == .ok)
    }
    let counts = try await harness.inspect.counts()
    #expect(counts.messages == 1)
    #expect(counts.decisions == 1)
    #expect(try await harness.inspect.conversations().map(\.stepCount) == [1])
  }

  @Test func twoDeliveriesAtOnceAreAppliedOnce() async throws {
    let harness = try await ServerHarness()
    let body = ServerHarness.textWebhook(from: "33600000003", id: "wamid.race", text: "devis")
    try await harness.test { client in
      try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
        for _ in 0..<8 { group.addTask { try await ServerHarness.post(client, webhook: body) } }
        for try await status in group { #expect(status == .ok) }
      }
    }
    let counts = try await harness.inspect.counts()
    #expect(counts.webhooks == 8)
    #expect(counts.messages == 1)
    #expect(counts.decisions == 1)
  }

  @Test func messagesOfOneConversationAreAppliedInArrivalOrder() async throws {
    let harness = try await ServerHarness()
    try await harness.test { client in
      try await withThrowingTaskGroup(of: Void.self) { group in
        for i in 0..<20 {
          group.addTask {
            let body = ServerHarness.textWebhook(
              from: "33600000004", id: "wamid.order.\(i)", text: "message \(i)")
            let status = try await ServerHarness.post(client, webhook: body)
            #expect(status == .ok)
          }
        }
        try await group.waitForAll()
      }
    }
    // Steps follow the order in which the bodies were committed.
    let order = try await harness.inspect.messages().sorted { ($0.seq ?? 0) < ($1.seq ?? 0) }
      .map { $0.whatsappID ?? "" }
    let webhookOrder = try await harness.inspect.webhooks().compactMap {
      try WhatsAppPayload.parse(Array($0.body), receivedAt: TestClock.officeHours).messages.first?
        .id
    }
    #expect(order == webhookOrder)
    #expect(order.count == 20)
    #expect(try await harness.inspect.conversations().map(\.stepCount) == [20])
  }

  @Test func crashBetweenStoringAndProcessingIsRecoveredExactlyOnce() async throws {
    let first = try await ServerHarness()
    let body = ServerHarness.textWebhook(
      from: "33600000005", id: "wamid.crash", text: "J'ai réservé le créneau")
    // What a kill -9 after the commit leaves: the raw body, unprocessed.
    _ = try await first.server.store.storeWebhooks([body])
    #expect(try await first.inspect.counts().messages == 0)
    let path = first.server.configuration.databasePath
    let restarted = try await ServerHarness(databasePath: path)
    #expect(try await restarted.server.recoverPendingWebhooks() == 1)
    #expect(try await restarted.server.recoverPendingWebhooks() == 0)
    let counts = try await restarted.inspect.counts()
    #expect(counts.messages == 1)
    #expect(counts.decisions == 1)
    #expect(
      try await restarted.inspect.conversations().flatMap(\.labels).filter {
        $0 == "Personnes Qui Ont Planifié"
      }.count == 1)
  }
}
