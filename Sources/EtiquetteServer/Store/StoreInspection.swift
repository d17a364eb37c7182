import EtiquetteEngine
import Foundation

// A read-only look at what a store holds, in domain terms: the server's tests check what was
// stored (a reply's attempts, a delivery's last error, a failure kept aside) without writing
// SQL, so they run unchanged against every store implementation; an operator's diagnostics can
// use it the same way. It changes nothing and is not part of any request's path: the services
// never call it. Every list comes in the store's own order (oldest first), so a test can
// compare orders.

/// Reads what the store holds, for tests and diagnostics; never writes.
protocol StoreInspection: Sendable {
  /// How many rows of each kind the store holds.
  func counts() async throws -> StoreCounts
  /// Every conversation, by id, with its labels.
  func conversations() async throws -> [InspectedConversation]
  /// The conversation of a phone number (`+` and digits, as stored).
  func conversationID(forPhone phone: String) async throws -> String?
  /// The conversation exactly as the store loads it for the next engine step (no cache).
  func conversation(id: String, rules: LoadedRules) async throws -> Conversation?
  /// The messages of one conversation, or of all when `conversation` is nil, oldest first.
  func messages(inConversation conversation: String?) async throws -> [InspectedMessage]
  /// The engine's decisions of one conversation, or of all when nil, oldest first.
  func decisions(inConversation conversation: String?) async throws -> [InspectedDecision]
  /// The members' notifications, oldest first.
  func notifications() async throws -> [InspectedNotification]
  /// The outbound webhook deliveries, in outbox order (`seq`).
  func deliveries() async throws -> [InspectedDelivery]
  /// One inbound media file and its download.
  func media(id: String) async throws -> InspectedMedia?
  /// The AI connector's requests, oldest first.
  func aiRequests() async throws -> [InspectedAIRequest]
  /// Incoming messages kept aside because they could not be applied, oldest first.
  func messageFailures() async throws -> [InspectedMessageFailure]
  /// The raw WhatsApp webhook bodies, in arrival order.
  func webhooks() async throws -> [InspectedWebhook]
}

extension StoreInspection {
  /// Every message of every conversation, oldest first.
  func messages() async throws -> [InspectedMessage] { try await messages(inConversation: nil) }
  /// Every decision of every conversation, oldest first.
  func decisions() async throws -> [InspectedDecision] { try await decisions(inConversation: nil) }
  /// One message by its store id.
  func message(id: Int64) async throws -> InspectedMessage? {
    try await messages().first { $0.id == id }
  }
  /// One message by its WhatsApp id.
  func message(whatsappID: String) async throws -> InspectedMessage? {
    try await messages().first { $0.whatsappID == whatsappID }
  }
}

/// Rows per kind of record.
struct StoreCounts: Sendable, Hashable {
  var webhooks = 0
  /// Webhook bodies stored but not processed yet.
  var unprocessedWebhooks = 0
  var conversations = 0
  /// The engine steps of every conversation together.
  var steps = 0
  var messages = 0
  var decisions = 0
  /// Answers kept for `Idempotency-Key`s of `POST /v1/events`.
  var eventAnswers = 0
  /// WhatsApp statuses that arrived before the reply they are about was sent.
  var earlyStatuses = 0
  /// Search index entries of message texts.
  var searchedMessages = 0
  /// Search index entries of contact names.
  var searchedNames = 0
}

struct InspectedConversation: Sendable, Hashable {
  var id: String
  var phone: String?
  var userID: String?
  var name: String?
  var stepCount: Int
  var labels: [String]
  /// The names of the triggers that held at the last step (see `TriggerNames`).
  var heldTriggers: [String]
}

struct InspectedMessage: Sendable, Hashable {
  var id: Int64
  var conversationID: String
  /// The position in the conversation's transcript; nil for a message kept outside it.
  var seq: Int?
  /// `in` (from the customer), `out` (a reply) or `event` (an integration's event).
  var direction: String
  /// `customer`; the member who replied (or `ai`); the event's name.
  var author: String
  var type: String?
  /// The type WhatsApp sent, before mapping.
  var wireType: String?
  var text: String
  var whatsappID: String?
  /// The delivery status of a reply (`queued`, `sent`, `delivered`, `discarded` …).
  var status: String?
  /// The last send errors of a reply, as JSON.
  var errors: String?
  var sendAttempts: Int
  var at: Date
}

struct InspectedDecision: Sendable, Hashable {
  var conversationID: String
  var step: Int
  var ruleSetVersion: String
  /// The decision document, as JSON.
  var document: String
}

struct InspectedNotification: Sendable, Hashable {
  var member: String
  var conversationID: String
  var reason: String
}

struct InspectedDelivery: Sendable, Hashable {
  var seq: Int64
  /// The delivery id (the receiver's idempotency key).
  var id: String
  var subscription: String
  var conversationID: String
  var eventType: String
  var eventID: String
  var body: Data
  var status: String
  var attempts: Int
  var lastStatus: Int?
  var lastError: String?
}

struct InspectedMedia: Sendable, Hashable {
  var id: String
  var conversationID: String
  var status: String
  var attempts: Int
  var mimeType: String?
  var size: Int?
  /// Hex SHA-256 of the stored file.
  var sha256: String?
  /// The file's name in the media folder.
  var file: String?
  var error: String?
}

struct InspectedAIRequest: Sendable, Hashable {
  var id: Int64
  var conversationID: String
  var kind: String
  var version: Int
  var status: String
  var attempts: Int
  var error: String?
}

struct InspectedMessageFailure: Sendable, Hashable {
  var whatsappID: String
  var error: String
  var retryable: Bool
  var attempts: Int
  var resolvedAt: Date?
}

struct InspectedWebhook: Sendable, Hashable {
  var id: Int64
  var body: Data
  var processedAt: Date?
  var error: String?
}
