import EtiquetteEngine
import Foundation

// The storage interface: what the services, the HTTP handlers and the workers need from a
// store, and nothing of how it stores it. `SQLiteStore` (Store/SQLite, the only folder that
// knows GRDB and SQLite's SQL) implements it; `PostgresStore` (Store/PostgreSQL, the only
// folder that knows PostgresNIO) implements members, the job queue and the read side so far
// (issue 15: conversation lists and details, notifications, sessions, statistics, history).
//
// Two rules every implementation keeps, because the services rely on them:
// - a method that changes a conversation runs its engine step between a load and a save in one
//   transaction, with the step's effects (outbox rows, queued replies, notifications, AI
//   requests) written in that same transaction, and runs the closure it is given (an access
//   decision, on the stored labels) inside it;
// - live events of a change are published after its commit, never for a rollback.

/// Members and their API tokens (only a hash of each token is stored), and their invitations
/// to the web inbox: what `etiquette member` manages, on every store.
public protocol MemberDirectory: Sendable {
  /// Issues a new token for the member, replacing any previous one, and returns it.
  func addMember(_ email: String) async throws -> String
  /// False when the member has no active token.
  func revokeMember(_ email: String) async throws -> Bool
  func members() async throws -> [MemberRow]
  /// The member of an active token.
  func member(forToken token: String) async throws -> String?
  /// Issues a one-time invitation valid `validFor` seconds and returns its token.
  func inviteMember(_ email: String, validFor: Double) async throws -> String
}

public struct MemberRow: Sendable, Hashable {
  public var email: String
  public var createdAt: Date
  public var revokedAt: Date?
}

/// Raw WhatsApp webhook bodies, committed before the 200 and processed in arrival order.
protocol WebhookInbox: Sendable {
  func storeWebhooks(_ bodies: [[UInt8]]) async throws -> [Int64]
  /// The same, with the payloads the intake parsed (a store may keep what orders them).
  func storeWebhooks(_ webhooks: [(body: [UInt8], payload: WhatsAppPayload?)]) async throws
    -> [Int64]
  @discardableResult
  func processPendingWebhooks(
    rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub?,
    parsed: [Int64: WhatsAppPayload]
  ) async throws -> Int
  /// The intake's round: commits the bodies, then processes the pending webhooks. Throws only
  /// when the bodies are not committed (no 200 may go out); returns why processing failed
  /// after the commit, if it did (the bodies stay pending or are kept as failed).
  func receiveWebhooks(
    _ webhooks: [(body: [UInt8], payload: WhatsAppPayload?)], rules: RuleHolder,
    metrics: ServerMetrics, hub: IntegrationHub?
  ) async throws -> (any Error)?
  @discardableResult
  func retryFailedMessages(rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub?)
    async throws -> Int
  /// The messages kept as failed, newest first, each with its key for the next page.
  func messageFailures(_ filter: MessageFailureFilter) async throws
    -> [(key: Int64, document: FailedMessageDocument)]
  /// How a busy intake's round waits for more webhooks on this store (nil: it does not wait).
  var roundGathering: RoundGathering? { get }
}

extension WebhookInbox {
  /// SQLite's round costs little beyond its messages: a round that waited for more measured
  /// slower (3,400 against 4,100 messages/s, `Benchmarks/webhook-load.py`).
  var roundGathering: RoundGathering? { nil }

  func storeWebhooks(_ webhooks: [(body: [UInt8], payload: WhatsAppPayload?)]) async throws
    -> [Int64]
  {
    try await storeWebhooks(webhooks.map(\.body))
  }

  /// Two steps: the bodies committed in one transaction, then processed (PostgreSQL: in
  /// several transactions side by side, see `Intake+PostgreSQL.swift`).
  func receiveWebhooks(
    _ webhooks: [(body: [UInt8], payload: WhatsAppPayload?)], rules: RuleHolder,
    metrics: ServerMetrics, hub: IntegrationHub?
  ) async throws -> (any Error)? {
    let ids = try await storeWebhooks(webhooks)
    do {
      try await processPendingWebhooks(
        rules: rules, metrics: metrics, hub: hub, parsed: Self.parsed(webhooks, ids: ids))
      return nil
    } catch {
      return error
    }
  }

  /// The payloads the request handlers already parsed, by the id their body was stored under.
  static func parsed(_ webhooks: [(body: [UInt8], payload: WhatsAppPayload?)], ids: [Int64])
    -> [Int64: WhatsAppPayload]
  {
    Dictionary(uniqueKeysWithValues: zip(ids, webhooks.map(\.payload))).compactMapValues { $0 }
  }

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
  /// Every label name stored on conversations, with how many conversations carry it.
  func storedLabelCounts() async throws -> [String: Int]
  /// Moves the labels stored under each former name (the key) to its label (the value), with
  /// their reasons and the triggers held under the old name, in one transaction; returns how
  /// many conversations each former name was on.
  func renameStoredLabels(_ renames: [String: String]) async throws -> [String: Int]
  func conversationPage(member: String, query: ConversationListQuery, rules: LoadedRules)
    async throws -> ConversationPage
  /// How many conversations of `query` (its cursor and sort aside) the member may view, up
  /// to `limit`.
  func conversationCount(
    member: String, query: ConversationListQuery, rules: LoadedRules, limit: Int
  ) async throws -> Int
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

// MARK: - Work done later: one job queue with leases

/// The kinds of work the server does later, each run by its worker.
enum JobKind: String, Sendable, Hashable, CaseIterable {
  /// An outbound webhook (`webhook_deliveries`); ordered per subscription and conversation.
  case webhookDelivery = "webhook_delivery"
  /// A reply sent through the WhatsApp Cloud API (`messages`); ordered per conversation.
  case whatsappSend = "whatsapp_send"
  /// An inbound media file downloaded from the Graph API (`media`).
  case mediaDownload = "media_download"
  /// A call to the AI endpoint (`ai_requests`); one at a time per conversation.
  case aiRequest = "ai_request"
  /// Removing finished deliveries after their retention; re-scheduled by its own run.
  case sweep
}

/// A job as a worker holds it: claimed with a lease until `leaseExpiresAt`, after which any
/// worker (in this process or another) may claim it again.
struct Job: Sendable, Hashable {
  var id: Int64
  var kind: JobKind
  /// What the job works on: a delivery id, a message id, a media id, an AI request id.
  var subject: String
  /// Jobs with the same key run one at a time, oldest first; a job that failed for good no
  /// longer holds the later ones back.
  var orderingKey: String?
  /// How many times the job was claimed, this claim included.
  var claims: Int
  /// The worker holding the lease.
  var owner: String
}

/// The queue. Finishing or retrying a job is part of the transaction that records its outcome
/// (the `record…` methods below take the job): it happens only while the worker still holds
/// the lease, so a worker whose lease expired (and whose job another worker took) changes
/// nothing.
protocol JobQueue: Sendable {
  /// Due jobs of these kinds (pending, or leased with an expired lease) whose ordering key has
  /// no older live job, oldest first, leased to `owner` until `leaseUntil`.
  func claimJobs(
    _ kinds: Set<JobKind>, owner: String, now: Double, leaseUntil: Double, limit: Int
  ) async throws -> [Job]
  /// When the next job of these kinds falls due (a retry, or a lease that expires).
  func nextJobDue(_ kinds: Set<JobKind>, after now: Double) async throws -> Double?
  /// Finishes a job with nothing left to do (what it worked on is gone or done).
  func finishJob(_ job: Job) async throws
  /// Gives back the leases of a worker that stops, so its jobs run again at once.
  func releaseJobs(owner: String) async throws
  /// Adds a job unless a live one has the same kind and subject.
  func scheduleJob(_ kind: JobKind, subject: String, orderingKey: String?, at: Double)
    async throws
  /// Rung after every commit that makes jobs claimable.
  var jobBell: JobBell { get }
}

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
  /// The delivery of a job, while it is pending.
  func delivery(id: String) async throws -> WebhookWorker.Delivery?
  /// The attempt's outcome on the delivery; the job finishes, or is retried at
  /// `record.nextAttemptAt` while the delivery stays pending. False when the lease was lost.
  func recordDeliveryAttempt(_ record: DeliveryAttemptRecord, job: Job) async throws -> Bool
  /// The sweep's job, done, and due again at `next`.
  func rescheduleSweep(job: Job, at next: Double) async throws
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
  /// The reply of a job, while it is queued.
  func outgoingMessage(id: Int64) async throws -> OutgoingSender.Outgoing?
  func recordSendAttempt(
    _ record: SendAttemptRecord, attempts: Int, job: Job, rules: LoadedRules,
    hub: IntegrationHub
  ) async throws -> Bool
}

enum MediaAttemptRecord: Sendable {
  case stored(MediaDownloads.Stored)
  case retry(String, nextAttemptAt: Double)
  case failed(String)
}

/// Inbound media to download.
protocol MediaQueue: Sendable {
  /// The media of a job, while it is pending.
  func pendingMedia(id: String) async throws -> MediaDownloads.Pending?
  func recordMediaAttempt(_ record: MediaAttemptRecord, attempts: Int, job: Job, at now: Double)
    async throws -> Bool
}

/// The AI connector's requests.
protocol AIRequestQueue: Sendable {
  /// The request of a job while it waits for a call; nil when it is no longer pending or a
  /// newer request of its conversation supersedes it (marked so, and the job finished: the
  /// newer call sees the whole transcript, so the customer gets one answer, not one per
  /// message).
  func aiRequest(job: Job, now: Double) async throws -> AIRequest?
  func aiPayload(conversation id: String, rules: LoadedRules) async throws
    -> (Conversation, IntegrationPayload)?
  func applyAIConnectorReply(
    _ step: Step, request: AIRequest, job: Job, rules: LoadedRules, hub: IntegrationHub
  ) async throws -> Decision?
  func storeAISuggestion(
    _ text: String, request: AIRequest, job: Job, rules: LoadedRules, hub: IntegrationHub
  ) async throws -> Bool
  /// A failed call: retried at `nextAttemptAt`, or `failed` when `last`.
  func recordAIAttempt(
    _ request: AIRequest, job: Job, last: Bool, attempts: Int, error: String,
    nextAttemptAt: Double, at now: Double
  ) async throws -> Bool
  func finishAIRequest(
    _ request: AIRequest, job: Job, status: String, error: String?, called: Bool, at now: Double
  ) async throws -> Bool
}

/// Everything the server stores.
protocol InboxStore: MemberDirectory, WebhookInbox, ConversationStore, NotificationStore,
  JobQueue, DeliveryQueue, OutgoingQueue, MediaQueue, AIRequestQueue
{
  /// What every stored timestamp reads.
  var clock: WallClock { get }
}

extension SQLiteStore: InboxStore {}
