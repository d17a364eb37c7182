import AsyncHTTPClient
import EtiquetteEngine
import Foundation
import Logging

/// What the integrations share: the configuration, one HTTP client, the wake-up of the job
/// queue, and the live stream members subscribe to.
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
  /// The job queue's wake-up, rung by the store after a commit that added jobs.
  let jobs: JobBell
  /// Server-sent events to connected members.
  let live: LiveStream
  /// The server's clock: stored timestamps, step instants and when retries fall due.
  let clock: WallClock

  public convenience init(
    configuration: ServerConfiguration, logger: Logger = Logger(label: "etiquette"),
    metrics: ServerMetrics = ServerMetrics(), clock: WallClock = .system
  ) {
    self.init(
      configuration: configuration, logger: logger, metrics: metrics, clock: clock,
      jobs: JobBell())
  }

  init(
    configuration: ServerConfiguration, logger: Logger, metrics: ServerMetrics,
    clock: WallClock, jobs: JobBell
  ) {
    self.jobs = jobs
    self.configuration = configuration
    self.clock = clock
    self.logger = logger
    self.metrics = metrics
    http = HTTPClient.shared
    // One process numbers its changes from the clock's milliseconds: above any id a client
    // kept from an earlier run, so `Last-Event-ID` never resumes across a restart by mistake.
    live = LiveStream(after: UInt64(max(0, clock.seconds * 1_000)))
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
