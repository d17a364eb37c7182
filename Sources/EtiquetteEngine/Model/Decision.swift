import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteMatcher
import EtiquetteSyntax
import Foundation

/// Everything one step decided: what the server does next and why.
public struct Decision: Sendable, Hashable {
  /// The step's 1-based number in the conversation.
  public var step: Int
  /// The conversation version after the step; an AI reply carries it.
  public var version: Int
  public var added: [LabelChange]
  public var removed: [LabelChange]
  public var routing: RoutingOutcome
  public var mode: Mode
  public var assignee: String?
  public var presence: Presence
  public var team: TeamID?
  public var priority: Priority
  public var ai: AIAction
  public var notifications: [Decision.Notification]
  /// Every trigger that fired, with its evidence, in evaluation order.
  public var fired: [FiredTrigger]
  /// Regexes that hit a limit or failed on this step's text.
  public var errors: [TriggerError]
  /// Set when an agent's action was refused for lack of access; the conversation is unchanged
  /// by the action itself.
  public var refusal: Refusal?
  /// For an `aiReply` step: whether the reply joined the transcript (and is to be sent) or was
  /// discarded because the conversation changed hands since the decision it answers.
  public var aiReply: AIReplyOutcome?

  init(step: Int) {
    self.step = step
    version = 0
    added = []
    removed = []
    routing = .unchanged
    mode = .ai
    assignee = nil
    presence = .active
    team = nil
    priority = .normal
    ai = .none
    notifications = []
    fired = []
    errors = []
    refusal = nil
    aiReply = nil
  }
}

/// What became of an AI reply.
public enum AIReplyOutcome: Sendable, Hashable {
  case accepted
  /// The conversation moved on: `current` is its version, `mode` and `assignee` who answers.
  case discarded(madeFor: Int, current: Int, mode: Mode, assignee: String?)
}

/// A label added or removed, with why.
public struct LabelChange: Sendable, Hashable {
  public var label: LabelID
  public var reason: LabelProvenance
}

/// The routing outcome of a step (what `expect route` checks).
public enum RoutingOutcome: Sendable, Hashable {
  /// No rule fired and it was not the first step.
  case unchanged
  /// The first step, with no rule firing: the `default` mode.
  case defaultMode(Mode)
  /// The first firing rule in file order (index into `routing.rules`) decided.
  case rule(Int, RoutingTarget)
  /// A rule to `ai` fired while an agent holds the conversation: people's decisions stick, so
  /// only that agent's handoff gives it back to the AI. The conversation is unchanged.
  case held(Int, RoutingTarget, by: String)
}

/// What the AI should do after the step.
public enum AIAction: Sendable, Hashable {
  case none
  /// Answer the customer; the server sends it only if the conversation is still at `version`.
  case reply(version: Int)
  /// Draft a reply that a human may send (human-first rule sets).
  case suggest
}

extension Decision {
  /// A member to notify and why.
  public struct Notification: Sendable, Hashable {
    public enum Reason: Sendable, Hashable {
      /// A member of the conversation's team who may reply, while nobody has taken over.
      case team(TeamID)
      /// No team is assigned: every member who may reply, while nobody has taken over.
      case mayReply
      /// The assignee kept the conversation in human mode and left.
      case assigneeAway
    }
    public var member: String
    public var reason: Reason
  }
}

/// A trigger that fired at a step.
public struct FiredTrigger: Sendable, Hashable {
  public var trigger: TriggerID
  public var evidence: [MatchEvidence]
}

/// A regex that could not be decided on this step's text, for one trigger.
public struct TriggerError: Sendable, Hashable {
  public var trigger: TriggerID
  public var error: MatchError
}

/// An agent action the engine refused.
public struct Refusal: Sendable, Hashable {
  public var member: String
  public var action: Step.AgentAction
  public var access: AccessAnswer
}
