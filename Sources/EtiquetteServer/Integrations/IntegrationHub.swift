import AsyncHTTPClient
import EtiquetteEngine
import Foundation
import Logging

/// What the integrations share: the configuration, one HTTP client, the signals that wake each
/// background worker after a commit, and the live stream members subscribe to.
///
/// Every integration starts from a step committed by `ConversationRecords.apply`: it records
/// its work (an outbox row, a notification, an AI request) in the SAME transaction as the
/// decision, through `IntegrationHub.record`, so a crash can never keep the decision and lose
/// its effects, or the reverse. Workers then deliver from those tables, at least once.
public final class IntegrationHub: Sendable {
  public let configuration: ServerConfiguration
  let http: HTTPClient
  let logger: Logger
  /// Outcomes of the workers' outbound calls, for `/metrics`.
  let metrics: ServerMetrics
  /// Wakes the outbound webhook worker.
  let webhookSignal = WakeSignal()
  /// Wakes the WhatsApp sending worker.
  let sendingSignal = WakeSignal()
  /// Wakes the AI connector.
  let aiSignal = WakeSignal()
  /// Server-sent events to connected members.
  let live: LiveStream
  /// The server's clock: stored timestamps, step instants and when retries fall due.
  let clock: WallClock

  public init(
    configuration: ServerConfiguration, logger: Logger = Logger(label: "etiquette"),
    metrics: ServerMetrics = ServerMetrics(), clock: WallClock = .system
  ) {
    self.configuration = configuration
    self.clock = clock
    self.logger = logger
    self.metrics = metrics
    http = HTTPClient.shared
    live = LiveStream()
  }

}

/// One step as the integrations see it, inside the transaction that saved it.
struct StepEffects {
  /// The conversation before the step, as loaded.
  var before: LoadedConversation
  /// The conversation after the step.
  var after: Conversation
  var step: Step
  var decision: Decision
  var document: DecisionDocument
  var rules: LoadedRules
  /// `@mentions` of members in a note added by the step.
  var mentions: [String]
  /// `messages.id` of each transcript line the step appended, in transcript order.
  var messageRows: [Int64]
}

/// The background workers of the integrations; `cancel` stops them all.
public struct IntegrationWorkers: Sendable {
  let tasks: [Task<Void, Never>]

  public func cancel() {
    for task in tasks { task.cancel() }
  }

  /// Cancels and waits for every worker to finish its current attempt.
  public func stop() async {
    cancel()
    for task in tasks { await task.value }
  }
}

extension InboxServer {
  /// Starts the webhook, sending and AI workers; `run` calls this, tests may call it directly.
  public func startIntegrations() -> IntegrationWorkers {
    IntegrationWorkers(
      tasks: [startWebhookWorker(), startSendingWorker(), startAIWorker()].compactMap { $0 })
  }
}
