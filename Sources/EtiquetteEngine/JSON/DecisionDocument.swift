import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteMatcher
import EtiquetteSyntax
import Foundation

/// A decision as JSON: names instead of ids, "path:line:column" instead of spans. One per step
/// in `etiquette run`; the server's API uses the same shape.
public struct DecisionDocument: Sendable, Hashable, Codable {
  public var line: Int?
  public var conversation: String
  public var step: Int
  public var version: Int
  /// The labels after the step, in declaration order.
  public var labels: [String]
  public var added: [LabelReasonDocument]
  public var removed: [LabelReasonDocument]
  public var route: RouteDocument
  public var mode: String
  public var assignee: String?
  public var presence: String
  public var team: String?
  public var priority: String
  public var ai: AIDocument
  public var notify: [NotificationDocument]
  public var errors: [ErrorDocument]
  public var refused: RefusalDocument?
  /// For an AI reply step: `accepted`, or `discarded` with why.
  public var aiReply: AIReplyDocument?
  /// The conversation's webhook document after the step, when asked for.
  public var payload: IntegrationPayload?

  public struct RouteDocument: Sendable, Hashable, Codable {
    /// `unchanged`, `default`, `rule` or `held`.
    public var outcome: String
    public var mode: String?
    public var team: String?
    public var priority: String?
    /// Location of the routing rule that fired.
    public var rule: String?
    public var heldBy: String?
  }

  public struct AIDocument: Sendable, Hashable, Codable {
    /// `reply`, `suggest` or `none`.
    public var action: String
    /// For `reply`: the conversation version the reply was decided for.
    public var version: Int?
  }

  public struct NotificationDocument: Sendable, Hashable, Codable {
    public var member: String
    /// `team`, `may_reply` or `assignee_away`.
    public var reason: String
    public var team: String?
  }

  public struct ErrorDocument: Sendable, Hashable, Codable {
    public var trigger: String
    public var pattern: String
    public var message: String
  }

  public struct AIReplyDocument: Sendable, Hashable, Codable {
    /// `accepted` or `discarded`.
    public var outcome: String
    public var madeFor: Int?
    public var current: Int?
    public var mode: String?
    public var assignee: String?
  }

  public struct RefusalDocument: Sendable, Hashable, Codable {
    public var member: String
    public var action: String
    public var needed: String
    public var reason: String
  }

  public init(
    _ decision: Decision, conversation: Conversation, ruleSet: RuleSet, sources: SourceMap,
    line: Int? = nil
  ) {
    let describe = LocationNames(ruleSet: ruleSet, sources: sources)
    self.line = line
    self.conversation = conversation.id
    step = decision.step
    version = decision.version
    labels = conversation.labelSet.sorted().map { ruleSet[$0].name }
    added = decision.added.map { describe.reason($0.label, $0.reason) }
    removed = decision.removed.map { describe.reason($0.label, $0.reason) }
    switch decision.routing {
    case .unchanged:
      route = RouteDocument(outcome: "unchanged")
    case .defaultMode(let mode):
      route = RouteDocument(outcome: "default", mode: mode.rawValue)
    case .rule(let index, let target):
      route = RouteDocument(
        outcome: "rule", mode: target.mode.rawValue, team: target.team.map { ruleSet[$0].name },
        priority: target.priority?.rawValue,
        rule: sources.describe(ruleSet.routing.rules[index].span))
    case .held(let index, let target, let member):
      route = RouteDocument(
        outcome: "held", mode: target.mode.rawValue, team: target.team.map { ruleSet[$0].name },
        priority: target.priority?.rawValue,
        rule: sources.describe(ruleSet.routing.rules[index].span), heldBy: member)
    }
    mode = decision.mode.rawValue
    assignee = decision.assignee
    presence = decision.presence.rawValue
    team = decision.team.map { ruleSet[$0].name }
    priority = decision.priority.rawValue
    switch decision.ai {
    case .none: ai = AIDocument(action: "none")
    case .suggest: ai = AIDocument(action: "suggest")
    case .reply(let version): ai = AIDocument(action: "reply", version: version)
    }
    notify = decision.notifications.map { note in
      switch note.reason {
      case .team(let team):
        NotificationDocument(member: note.member, reason: "team", team: ruleSet[team].name)
      case .mayReply: NotificationDocument(member: note.member, reason: "may_reply")
      case .assigneeAway: NotificationDocument(member: note.member, reason: "assignee_away")
      }
    }
    errors = decision.errors.map {
      ErrorDocument(
        trigger: describe.trigger($0.trigger), pattern: sources.describe($0.error.atomSpan),
        message: $0.error.message)
    }
    switch decision.aiReply {
    case nil: aiReply = nil
    case .accepted?: aiReply = AIReplyDocument(outcome: "accepted")
    case .discarded(let madeFor, let current, let mode, let assignee)?:
      aiReply = AIReplyDocument(
        outcome: "discarded", madeFor: madeFor, current: current, mode: mode.rawValue,
        assignee: assignee)
    }
    refused = decision.refusal.map {
      RefusalDocument(
        member: $0.member, action: $0.action.name, needed: $0.action.requiredLevel.rawValue,
        reason: describe.denial($0.access))
    }
  }

  /// One line of compact JSON with sorted keys.
  public func jsonLine() -> String { JSONLine.encode(self) }
}

extension DecisionDocument.RouteDocument {
  init(outcome: String, mode: String? = nil) {
    self.init(outcome: outcome, mode: mode, team: nil, priority: nil, rule: nil, heldBy: nil)
  }
}

/// Why a label is there (or went away), as JSON.
public struct LabelReasonDocument: Sendable, Hashable, Codable {
  public var label: String
  /// `trigger` or `agent`.
  public var by: String
  /// The `when` clause's location.
  public var rule: String?
  public var member: String?
  public var event: String?
  public var matches: [MatchDocument]
  public var step: Int
  public var at: String

  public struct MatchDocument: Sendable, Hashable, Codable {
    /// The phrase as written, or `/pattern/flags`.
    public var trigger: String
    /// Where the phrase or pattern is written.
    public var location: String
    /// The matched text and its UTF-8 byte range in the original message.
    public var text: String
    public var start: Int
    public var end: Int
    /// How the text matched the phrase when it is not spelt like it (issue 19), as
    /// `MatchExplanation.text`; absent otherwise.
    public var how: String?
  }
}

/// Turns ids and spans into what people read.
struct LocationNames {
  let ruleSet: RuleSet
  let sources: SourceMap

  func reason(_ label: LabelID, _ provenance: LabelProvenance) -> LabelReasonDocument {
    var document = LabelReasonDocument(
      label: ruleSet[label].name, by: "agent", rule: nil, member: nil, event: nil, matches: [],
      step: provenance.step, at: Instant.format(provenance.at))
    switch provenance.source {
    case .manual(let member):
      document.member = member
    case .trigger(_, let clause, let evidence, let event):
      document.by = "trigger"
      document.rule = sources.describe(clause)
      document.event = event
      document.matches = evidence.map {
        LabelReasonDocument.MatchDocument(
          trigger: $0.trigger, location: sources.describe($0.atomSpan), text: $0.matchedText,
          start: $0.range.lowerBound, end: $0.range.upperBound, how: $0.explanation(in: ruleSet))
      }
    }
    return document
  }

  func trigger(_ id: TriggerID) -> String {
    switch id {
    case .add(let label, let index): sources.describe(ruleSet[label].addTriggers[index].span)
    case .remove(let label, let index):
      sources.describe(ruleSet[label].removeTriggers[index].span)
    case .route(let index): sources.describe(ruleSet.routing.rules[index].span)
    }
  }

  func denial(_ answer: AccessAnswer) -> String {
    switch answer.denial {
    case .unknownMember, nil: "\"\(answer.member)\" is in no team"
    case .noGrant(let level): "no team of \"\(answer.member)\" grants \(level.rawValue)"
    case .notCovered:
      "no \(answer.level.rawValue) grant of \"\(answer.member)\" covers this conversation's labels"
    }
  }
}

/// Compact, key-sorted JSON on one line.
public enum JSONLine {
  public static func encode(_ value: some Encodable) -> String {
    // A tree prints the same text without `Encodable`'s machinery (`JSONValue.jsonText`).
    if let json = value as? JSONValue { return json.jsonText }
    return foundationEncode(value)
  }

  /// Foundation's own spelling, which `jsonText` matches (`JSONTextTests`).
  static func foundationEncode(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }

  /// `{"error":"…","line":N}` for a step line that could not be used.
  public static func error(line: Int, message: String) -> String {
    encode(["line": JSONValue.number(Double(line)), "error": .string(message)])
  }
}

/// Applies step lines to many conversations, keyed by id: the batch interface of
/// `etiquette run` and the base of a replay.
public struct Replay: Sendable {
  public let engine: Engine
  public private(set) var conversations: [String: Conversation] = [:]

  public init(engine: Engine) { self.engine = engine }

  /// A step without `at` happens at its conversation's previous step time, or at
  /// `Engine.defaultInstant` for a new conversation.
  public mutating func apply(_ line: StepLine) -> (Conversation, Decision) {
    let conversation =
      conversations[line.conversation]
      ?? engine.newConversation(
        id: line.conversation, contact: Contact(id: line.contact?.id ?? line.conversation))
    let at = line.at ?? conversation.lastStepTime ?? Engine.defaultInstant
    let (next, decision) = engine.apply(
      Step(line.kind, at: at, contact: line.contact), to: conversation)
    conversations[line.conversation] = next
    return (next, decision)
  }
}
