import EtiquetteEngine
import Foundation

// The storage interface: what the services, the HTTP handlers and the workers need from a
// store, and nothing of how it stores it. `SQLiteStore` (Store/SQLite, the only folder that
// knows GRDB and SQL) implements it; a PostgreSQL store implements the same protocols.
//
// Two rules every implementation keeps, because the services rely on them:
// - a method that changes a conversation runs its engine step between a load and a save in one
//   transaction, with the step's effects (outbox rows, queued replies, notifications, AI
//   requests) written in that same transaction, and runs the closure it is given (an access
//   decision, on the stored labels) inside it;
// - live events of a change are published after its commit, never for a rollback.

/// Members and their API tokens (only a hash of each token is stored).
public protocol MemberDirectory: Sendable {
  /// Issues a new token for the member, replacing any previous one, and returns it.
  func addMember(_ email: String) throws -> String
  /// False when the member has no active token.
  func revokeMember(_ email: String) throws -> Bool
  func members() throws -> [MemberRow]
  /// The member of an active token.
  func member(forToken token: String) async throws -> String?
}

public struct MemberRow: Sendable, Hashable {
  public var email: String
  public var createdAt: Date
  public var revokedAt: Date?
}

/// Raw WhatsApp webhook bodies, committed before the 200 and processed in arrival order.
protocol WebhookInbox: Sendable {
  func storeWebhooks(_ bodies: [[UInt8]]) async throws -> [Int64]
  func pendingWebhookCount() async throws -> Int
  @discardableResult
  func processPendingWebhooks(
    rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub?,
    parsed: [Int64: WhatsAppPayload]
  ) async throws -> Int
  @discardableResult
  func retryFailedMessages(rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub?)
    async throws -> Int
}

extension WebhookInbox {
  /// Every pending body parsed from the store (at start, after a crash).
  @discardableResult
  func processPendingWebhooks(rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub?)
    async throws -> Int
  {
    try await processPendingWebhooks(rules: rules, metrics: metrics, hub: hub, parsed: [:])
  }
}

/// What one engine step did, as saved.
struct StepRecord: Sendable {
  var step: Step
  var conversation: Conversation
  var decision: Decision
  var document: DecisionDocument
}

/// `POST /v1/events`, validated against the rules.
struct EventSubmission: Sendable {
  struct ContactKey: Sendable {
    var phone: String?
    var userID: String?
    var name: String?
  }
  var idempotencyKey: String?
  var bodySHA256: String
  var contact: ContactKey
  var event: IntegrationEvent
  var attributes: [String: FieldValue]
}

enum EventOutcome: Sendable {
  case applied(status: Int, body: String)
  /// The key was seen with the same body: its first answer.
  case answered(status: Int, body: String)
  /// The key was seen with another body.
  case keyReused
}

/// Conversations: lists, details, and every change as one engine step.
protocol ConversationStore: Sendable {
  func conversationPage(member: String, query: ConversationListQuery, rules: LoadedRules)
    async throws -> ConversationPage
  func conversationDetail(
    id: String, member: String, rules: LoadedRules,
    mayView: @escaping @Sendable ([String]) -> Bool
  ) async throws -> ConversationDetail?
  func applyStep(
    to id: String, rules: LoadedRules, hub: IntegrationHub?,
    prepare: @escaping @Sendable ([String]?) throws -> (Step, mentions: [String])
  ) async throws -> StepRecord
  func markRead(
    conversation id: String, member: String, read: Bool, hub: IntegrationHub?,
    authorize: @escaping @Sendable ([String]?) throws -> Void
  ) async throws -> Int
  func applyEvent(
    _ submission: EventSubmission, rules: LoadedRules, hub: IntegrationHub?,
    answer: @escaping @Sendable (_ conversation: String, DecisionDocument) -> String
  ) async throws -> EventOutcome
  func aiSuggestions(
    conversation id: String, authorize: @escaping @Sendable ([String]?) throws -> Void
  ) async throws -> [AISuggestion]
  func applyAgentAIReply(
    _ step: Step, conversation id: String, version: Int, rules: LoadedRules, hub: IntegrationHub
  ) async throws -> (Decision, DecisionDocument)?
  func media(id: String, mayView: @escaping @Sendable ([String]) -> Bool) async throws
    -> StoredMedia?
}

/// Each member's notifications.
protocol NotificationStore: Sendable {
  func notificationPage(
    member: String, unreadOnly: Bool, limit: Int, before: Int64?, rules: LoadedRules
  ) async throws -> MemberNotifications.Page
  func markNotificationsRead(member: String, id: Int64?, hub: IntegrationHub) async throws
    -> Int?
}

// MARK: - Work done later (the workers' queues)

struct DeliveryAttemptRecord: Sendable {
  var status: String
  var attempts: Int
  var nextAttemptAt: Double
  var lastStatus: Int?
  var lastError: String?
  var at: Double
  var deliveredAt: Double?
}

struct DeliveryFilter: Sendable {
  var status: String?
  var subscription: String?
  var conversation: String?
  /// Deliveries older than this `seq` (the page cursor).
  var before: Int64?
  var limit = 50
}

enum ReplayOutcome: Sendable {
  case replayed(WebhookDeliveryDocument)
  case notFailed(status: String)
  case notFound
}

/// The outbox of outbound webhooks.
protocol DeliveryQueue: Sendable {
  func sweepDeliveries(deliveredBefore: Double, failedBefore: Double) async throws -> Int
  func dueDeliveryHeads(now: Double, limit: Int) async throws
    -> ([WebhookWorker.Delivery], Double?)
  func deliveryIfStillHead(seq: Int64, now: Double) async throws -> WebhookWorker.Delivery?
  func recordDeliveryAttempt(seq: Int64, _ record: DeliveryAttemptRecord) async throws
  func webhookDeliveries(_ filter: DeliveryFilter) async throws
    -> [(seq: Int64, document: WebhookDeliveryDocument)]
  func replayDelivery(id: String) async throws -> ReplayOutcome
}

enum SendAttemptRecord: Sendable {
  case sent(whatsappID: String?)
  case retry(errors: String, nextAttemptAt: Double)
  case failed(errors: String)
}

/// Replies queued for WhatsApp.
protocol OutgoingQueue: Sendable {
  func dueOutgoingHeads(now: Double, limit: Int) async throws -> [OutgoingSender.Outgoing]
  func nextOutgoingAttempt() async throws -> Double?
  func recordSendAttempt(
    message id: Int64, attempts: Int, _ record: SendAttemptRecord, rules: LoadedRules,
    hub: IntegrationHub
  ) async throws
}

enum MediaAttemptRecord: Sendable {
  case stored(MediaDownloads.Stored)
  case retry(String, nextAttemptAt: Double)
  case failed(String)
}

/// Inbound media to download.
protocol MediaQueue: Sendable {
  func dueMedia(now: Double, limit: Int) async throws -> [MediaDownloads.Pending]
  func nextMediaAttempt() async throws -> Double?
  func recordMediaAttempt(
    media id: String, attempts: Int, _ record: MediaAttemptRecord, at now: Double
  ) async throws
}

/// The AI connector's requests.
protocol AIRequestQueue: Sendable {
  func resetAIRequestsInFlight() async throws
  func claimAIRequests(now: Double, limit: Int) async throws -> [AIRequest]
  func nextAIAttempt() async throws -> Double?
  func aiPayload(conversation id: String, rules: LoadedRules) async throws
    -> (Conversation, IntegrationPayload)?
  func applyAIConnectorReply(
    _ step: Step, request: AIRequest, rules: LoadedRules, hub: IntegrationHub
  ) async throws -> Decision
  func storeAISuggestion(
    _ text: String, request: AIRequest, rules: LoadedRules, hub: IntegrationHub
  ) async throws
  func recordAIAttempt(
    request id: Int64, status: String, attempts: Int, error: String, nextAttemptAt: Double,
    at now: Double
  ) async throws
  func finishAIRequest(
    _ id: Int64, status: String, error: String?, called: Bool, at now: Double
  ) async throws
}

/// Everything the server stores.
protocol InboxStore: MemberDirectory, WebhookInbox, ConversationStore, NotificationStore,
  DeliveryQueue, OutgoingQueue, MediaQueue, AIRequestQueue
{
  /// What every stored timestamp reads.
  var clock: WallClock { get }
}

extension SQLiteStore: InboxStore {}
