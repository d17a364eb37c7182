import EtiquetteChecker
import EtiquetteMatcher
import EtiquetteSyntax
import Foundation

/// The conversation engine: applies steps to conversations and answers access questions.
///
/// Pure and deterministic: `apply` reads nothing but its arguments (never the wall clock), so
/// the server, the REPL, `etiquette test` and `etiquette run` all get the same decisions.
public struct Engine: Sendable {
  public let matcher: RuleMatcher
  public var ruleSet: RuleSet { matcher.ruleSet }
  private let access: AccessPolicy
  /// What names held state across reloads and in stores (`TriggerID` is only a position).
  public let triggerNames: TriggerNames

  /// The instant used for steps when a test (or a `run` line) gives no `at`:
  /// Monday 2026-01-05 10:00:00 UTC (11:00 in Paris, 05:00 in New York). Fixed so that tests
  /// never depend on the wall clock.
  public static let defaultInstant = Date(timeIntervalSince1970: 1_767_607_200)

  public init(matcher: RuleMatcher) {
    self.matcher = matcher
    self.access = AccessPolicy(ruleSet: matcher.ruleSet)
    self.triggerNames = TriggerNames(ruleSet: matcher.ruleSet)
  }

  public init(ruleSet: RuleSet) {
    self.init(matcher: RuleMatcher(ruleSet))
  }

  /// A conversation before its first step, in the `default` mode.
  public func newConversation(id: String, contact: Contact) -> Conversation {
    Conversation(id: id, contact: contact, mode: ruleSet.routing.defaultMode)
  }

  // MARK: - Access

  /// Whether `member` may `level` the conversation, and the grant that decided it.
  public func can(_ member: String, _ level: AccessLevel, _ conversation: Conversation)
    -> AccessAnswer
  {
    access.can(member, level, conversation.labelSet)
  }

  /// The same question over a bare label set.
  public func can(_ member: String, _ level: AccessLevel, labels: Set<LabelID>) -> AccessAnswer {
    access.can(member, level, labels)
  }

  /// The conversations `member` may view, as a predicate over label sets.
  public func visibleFilter(_ member: String) -> VisibilityFilter {
    access.visibleFilter(member)
  }

  /// Whether an AI reply decided for `version` may still be sent: nobody has taken over, handed
  /// off or otherwise changed who answers since.
  public static func acceptsAIReply(madeFor version: Int, in conversation: Conversation) -> Bool {
    conversation.version == version && conversation.mode == .ai && conversation.assignee == nil
  }

  /// The transcript author of the AI's replies.
  public static let aiAuthor = "ai"

  // MARK: - Steps

  /// Applies one step: the step's own effect (a message joins the transcript, an agent's action
  /// is carried out), then every label trigger in dependency order, then routing, then what the
  /// AI should do and who is notified.
  public func apply(_ step: Step, to conversation: Conversation) -> (Conversation, Decision) {
    var c = conversation
    let isFirstStep = c.stepCount == 0
    c.stepCount += 1
    c.lastStepTime = step.at
    var decision = Decision(step: c.stepCount)
    let control = Control(c)
    if let update = step.contact { c.contact.merge(update) }

    var scan = TextScan.empty
    switch step.kind {
    case .message(let message):
      c.transcript.append(
        TranscriptEntry(
          at: step.at, author: .customer, type: message.type,
          text: message.scannedText ?? "", attachments: message.attachments))
      if let text = message.scannedText { scan = matcher.scan(text) }
    case .event(let event):
      c.transcript.append(
        TranscriptEntry(at: step.at, author: .event(event.name), type: nil, text: event.name))
    case .agent(let member, let action):
      perform(action, by: member, on: &c, at: step.at, decision: &decision)
    case .tick:
      break
    case .aiReply(let text, let version):
      if Self.acceptsAIReply(madeFor: version, in: c) {
        c.transcript.append(
          TranscriptEntry(at: step.at, author: .agent(Self.aiAuthor), type: .text, text: text))
        decision.aiReply = .accepted
      } else {
        decision.aiReply = .discarded(
          madeFor: version, current: c.version, mode: c.mode, assignee: c.assignee)
      }
    }

    var held = Set<TriggerID>()
    let text = StepText(scan: scan, candidates: Set(matcher.candidateTriggers(for: scan)))
    evaluateLabels(step, text: text, conversation: &c, held: &held, decision: &decision)
    let routedNow = evaluateRouting(
      step, text: text, isFirstStep: isFirstStep, conversation: &c, held: &held,
      decision: &decision)
    c.heldTriggers = held

    if Control(c) != control { c.version += 1 }
    decideAIAndNotifications(step, routedToHuman: routedNow, conversation: c, decision: &decision)

    decision.version = c.version
    decision.mode = c.mode
    decision.assignee = c.assignee
    decision.presence = c.presence
    decision.team = c.team
    decision.priority = c.priority
    return (c, decision)
  }

  /// A step's text as the matcher scanned it, with the triggers that may hold on it.
  private struct StepText {
    let scan: TextScan
    let candidates: Set<TriggerID>
  }

  /// Who answers: a change of any part bumps the conversation version.
  private struct Control: Equatable {
    var mode: Mode
    var assignee: String?
    var presence: Presence
    init(_ c: Conversation) {
      mode = c.mode
      assignee = c.assignee
      presence = c.presence
    }
  }

  private func perform(
    _ action: Step.AgentAction, by member: String, on c: inout Conversation, at time: Date,
    decision: inout Decision
  ) {
    let answer = access.can(member, action.requiredLevel, c.labelSet)
    guard answer.allowed else {
      decision.refusal = Refusal(member: member, action: action, access: answer)
      return
    }
    switch action {
    case .takeOver:
      c.mode = .human
      c.assignee = member
      c.presence = .active
      c.readState[member] = c.transcript.count
    case .transferToAI:
      c.mode = .ai
      c.assignee = nil
      c.presence = .active
    case .keepHumanAndLeave:
      c.mode = .human
      // The leaving agent keeps the conversation if nobody held it yet.
      if c.assignee == nil { c.assignee = member }
      c.presence = .away
    case .addLabel(let label):
      if c.labels[label] == nil {
        let reason = LabelProvenance(source: .manual(member: member), at: time, step: c.stepCount)
        c.labels[label] = reason
        decision.added.append(LabelChange(label: label, reason: reason))
      }
    case .removeLabel(let label):
      if c.labels.removeValue(forKey: label) != nil {
        let reason = LabelProvenance(source: .manual(member: member), at: time, step: c.stepCount)
        decision.removed.append(LabelChange(label: label, reason: reason))
      }
    case .reply(let text):
      c.transcript.append(
        TranscriptEntry(at: time, author: .agent(member), type: .text, text: text))
      c.readState[member] = c.transcript.count
    case .note(let text):
      c.notes.append(Note(at: time, author: member, text: text))
    }
  }

  /// Evaluates one trigger: whether it holds now, and whether it fires (held now, not at the
  /// previous step).
  private func evaluate(
    _ trigger: TriggerID, text: StepText, facts: StepFacts, previous: Set<TriggerID>,
    held: inout Set<TriggerID>, decision: inout Decision
  ) -> ConditionEvaluation? {
    // The matcher guarantees that a trigger outside the candidates is false on this text, so
    // skipping it leaves `held` exactly as evaluating it would.
    guard text.candidates.contains(trigger) else { return nil }
    let evaluation = matcher.evaluate(trigger, scan: text.scan, facts: facts.holds)
    for error in evaluation.errors {
      decision.errors.append(TriggerError(trigger: trigger, error: error))
    }
    guard evaluation.holds else { return nil }
    held.insert(trigger)
    guard !previous.contains(trigger) else { return nil }
    decision.fired.append(FiredTrigger(trigger: trigger, evidence: evaluation.evidence))
    return evaluation
  }

  private func evaluateLabels(
    _ step: Step, text: StepText, conversation c: inout Conversation, held: inout Set<TriggerID>,
    decision: inout Decision
  ) {
    let eventName: String? = if case .event(let e) = step.kind { e.name } else { nil }
    var labels = c.labelSet
    // INVARIANT: a label's triggers see the labels it depends on as already updated for this
    // step, because the checker's order puts every label after its dependencies.
    for id in ruleSet.labelEvaluationOrder {
      let definition = ruleSet[id]
      let facts = StepFacts(
        ruleSet: ruleSet, step: step, contact: c.contact, mode: c.mode, labels: labels)
      var add: (TriggerID, LabelTrigger, ConditionEvaluation)?
      var remove: (TriggerID, LabelTrigger, ConditionEvaluation)?
      for (index, trigger) in definition.addTriggers.enumerated() {
        let tid = TriggerID.add(id, index)
        if let ev = evaluate(
          tid, text: text, facts: facts, previous: c.heldTriggers, held: &held,
          decision: &decision), add == nil
        {
          add = (tid, trigger, ev)
        }
      }
      for (index, trigger) in definition.removeTriggers.enumerated() {
        let tid = TriggerID.remove(id, index)
        if let ev = evaluate(
          tid, text: text, facts: facts, previous: c.heldTriggers, held: &held,
          decision: &decision), remove == nil
        {
          remove = (tid, trigger, ev)
        }
      }
      // Remove wins over add in the same step.
      if let (tid, trigger, ev) = remove {
        if c.labels.removeValue(forKey: id) != nil {
          labels.remove(id)
          let reason = LabelProvenance(
            source: .trigger(tid, clause: trigger.span, evidence: ev.evidence, event: eventName),
            at: step.at, step: c.stepCount)
          decision.removed.append(LabelChange(label: id, reason: reason))
        }
      } else if let (tid, trigger, ev) = add, c.labels[id] == nil {
        let reason = LabelProvenance(
          source: .trigger(tid, clause: trigger.span, evidence: ev.evidence, event: eventName),
          at: step.at, step: c.stepCount)
        c.labels[id] = reason
        labels.insert(id)
        decision.added.append(LabelChange(label: id, reason: reason))
      }
    }
  }

  /// Returns whether the step routed the conversation to `human`.
  private func evaluateRouting(
    _ step: Step, text: StepText, isFirstStep: Bool, conversation c: inout Conversation,
    held: inout Set<TriggerID>, decision: inout Decision
  ) -> Bool {
    let facts = StepFacts(
      ruleSet: ruleSet, step: step, contact: c.contact, mode: c.mode, labels: c.labelSet)
    var chosen: Int?
    for index in ruleSet.routing.rules.indices {
      let fired = evaluate(
        .route(index), text: text, facts: facts, previous: c.heldTriggers, held: &held,
        decision: &decision)
      if fired != nil, chosen == nil { chosen = index }
    }
    guard let index = chosen else {
      if isFirstStep {
        c.mode = ruleSet.routing.defaultMode
        decision.routing = .defaultMode(c.mode)
      }
      return false
    }
    let target = ruleSet.routing.rules[index].target
    if target.mode == .ai, c.mode == .human, let holder = c.assignee {
      decision.routing = .held(index, target, by: holder)
      return false
    }
    decision.routing = .rule(index, target)
    c.mode = target.mode
    if let team = target.team { c.team = team }
    switch target.mode {
    case .human:
      c.priority = target.priority ?? .normal
      return true
    case .ai:
      if let priority = target.priority { c.priority = priority }
      c.assignee = nil
      c.presence = .active
      return false
    }
  }

  private func decideAIAndNotifications(
    _ step: Step, routedToHuman: Bool, conversation c: Conversation, decision: inout Decision
  ) {
    let isMessage: Bool = if case .message = step.kind { true } else { false }
    if isMessage {
      switch c.mode {
      case .ai:
        decision.ai = .reply(version: c.version)
      case .human:
        let away = c.assignee != nil && c.presence == .away
        // Suggestions belong to human-first rule sets; an agent who left keeps the AI silent.
        decision.ai = !away && ruleSet.routing.defaultMode == .human ? .suggest : .none
      }
    }
    guard c.mode == .human, isMessage || routedToHuman else { return }
    if let assignee = c.assignee {
      if c.presence == .away {
        decision.notifications.append(
          Decision.Notification(member: assignee, reason: .assigneeAway))
      }
      return
    }
    let candidates: [String]
    let reason: Decision.Notification.Reason
    if let team = c.team {
      candidates = ruleSet[team].members
      reason = .team(team)
    } else {
      candidates = ruleSet.members.map(\.email)
      reason = .mayReply
    }
    for member in candidates where access.can(member, .reply, c.labelSet).allowed {
      decision.notifications.append(Decision.Notification(member: member, reason: reason))
    }
  }
}
