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
  /// The matcher's rule set, kept here too: read through the matcher (a class in another
  /// module) every use copied the whole struct, a retain and release per array, several times
  /// a step.
  public let ruleSet: RuleSet
  private let access: AccessPolicy
  /// What names held state across reloads and in stores (`TriggerID` is only a position).
  public let triggerNames: TriggerNames
  /// How a step chooses the triggers it evaluates.
  private let selection: TriggerSelection

  /// The triggers a step evaluates: those the index says may hold (the product), or every
  /// trigger, each by the reference evaluator (what the differential test compares it with).
  private enum TriggerSelection: Sendable {
    case indexed(TriggerIndex)
    case everyTriggerByReference(ReferenceMatcher)
  }

  /// The instant used for steps when a test (or a `run` line) gives no `at`:
  /// Monday 2026-01-05 10:00:00 UTC (11:00 in Paris, 05:00 in New York). Fixed so that tests
  /// never depend on the wall clock.
  public static let defaultInstant = Date(timeIntervalSince1970: 1_767_607_200)

  public init(matcher: RuleMatcher) {
    self.init(matcher: matcher, reference: false)
  }

  /// `reference`: every step evaluates every trigger with `ReferenceMatcher`, the slow
  /// evaluator that shares nothing with the matcher nor the index — for the differential test.
  package init(matcher: RuleMatcher, reference: Bool) {
    self.matcher = matcher
    self.ruleSet = matcher.ruleSet
    self.access = AccessPolicy(ruleSet: matcher.ruleSet)
    self.triggerNames = TriggerNames(ruleSet: matcher.ruleSet)
    selection =
      reference
      ? .everyTriggerByReference(ReferenceMatcher(matcher.ruleSet))
      : .indexed(TriggerIndex(ruleSet: matcher.ruleSet, triggers: matcher.allTriggers))
  }

  public init(ruleSet: RuleSet) {
    self.init(matcher: RuleMatcher(ruleSet))
  }

  package init(ruleSet: RuleSet, reference: Bool) {
    self.init(matcher: RuleMatcher(ruleSet), reference: reference)
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

  /// The most room a step reserves up front in its sets and tables for what it may hold and
  /// add (see `apply`).
  static let stepRoom = 64

  /// The transcript author of the AI's replies.
  public static let aiAuthor = "ai"

  // MARK: - Steps

  /// Applies one step: the step's own effect (a message joins the transcript, an agent's action
  /// is carried out), then every label trigger in dependency order, then routing, then what the
  /// AI should do and who is notified.
  ///
  /// `conversation` is consumed: a caller that hands over the only reference to its transcript
  /// (the server's intake) has the step's lines appended in place, where a shared transcript
  /// is copied whole first — a cost that grows with the conversation.
  public func apply(_ step: Step, to conversation: consuming Conversation) -> (
    Conversation, Decision
  ) {
    var c = consume conversation
    let isFirstStep = c.stepCount == 0
    c.stepCount += 1
    c.lastStepTime = step.at
    var decision = Decision(step: c.stepCount)
    let control = Control(c)
    if let update = step.contact { c.contact.merge(update) }

    var scan = TextScan.empty
    // What the step is, read out while the kind is matched anyway (one copy of its payload).
    var what = StepFacts.What.other
    switch step.kind {
    case .message(let message):
      what = .message(message.type)
      c.transcript.append(
        TranscriptEntry(
          at: step.at, author: .customer, type: message.type,
          text: message.scannedText ?? "", attachments: message.attachments))
      if let text = message.scannedText { scan = matcher.scan(text) }
    case .event(let event):
      what = .event(name: event.name)
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
    let routedNow: Bool
    switch selection {
    case .indexed(let index):
      var stops = StepStops()
      index.collect(
        into: &stops, scan: scan, matcher: matcher, at: step.at, what: what, ruleSet: ruleSet,
        mode: c.mode, labels: c.labels.keys)
      // Room, up front, for about what the step can hold and add: a set that grows mid-step
      // rehashes every member (SipHash each), which cost more than the rest of a step in which
      // a few labels fire.
      // Capped: a rule set whose triggers hold without text sends every label to every step,
      // and most of those hold nothing; past the cap, growth is amortised anyway.
      let chosen = min(stops.labels.count + stops.routes.count, Self.stepRoom)
      if chosen > 0 { held.reserveCapacity(c.heldTriggers.count + chosen) }
      var labels = Set<LabelID>(
        minimumCapacity: c.labels.count + min(stops.labels.count, Self.stepRoom))
      labels.formUnion(c.labels.keys)
      // The facts of the step, built once: only the labels change as labels are evaluated.
      var facts = StepFacts(
        ruleSet: ruleSet, step: step, contact: c.contact, mode: c.mode, labels: labels)
      evaluateLabels(
        step, eventName: what.eventName, index: index, stops: &stops, scan: scan,
        facts: &facts, conversation: &c, held: &held, decision: &decision)
      routedNow = evaluateRouting(
        step, routes: stops.sortedRoutes(), isFirstStep: isFirstStep, conversation: &c,
        held: &held, decision: &decision
      ) { trigger in
        matcher.evaluate(trigger, scan: scan, facts: { facts.holds($0) })
      }
    case .everyTriggerByReference(let reference):
      var facts = StepFacts(
        ruleSet: ruleSet, step: step, contact: c.contact, mode: c.mode, labels: c.labelSet)
      let scanned: String? = if case .message(let m) = step.kind { m.scannedText } else { nil }
      var text = reference.textEvaluator(text: scanned)
      var stops = StepStops()
      stops.labels = ruleSet.labelEvaluationOrder.indices.map { Int32($0) }
      evaluateLabels(
        step, eventName: what.eventName, stops: &stops, facts: &facts, conversation: &c,
        held: &held, decision: &decision
      ) { trigger, condition, facts in
        text.evaluate(condition, facts: { facts.holds($0) })
      }
      routedNow = evaluateRouting(
        step, routes: ruleSet.routing.rules.indices.map { Int32($0) }, isFirstStep: isFirstStep,
        conversation: &c, held: &held, decision: &decision
      ) { trigger in
        guard case .route(let index) = trigger else { return ConditionEvaluation(holds: false) }
        return text.evaluate(ruleSet.routing.rules[index].condition, facts: { facts.holds($0) })
      }
    }
    c.heldTriggers = held

    if Control(c) != control { c.version += 1 }
    decideAIAndNotifications(
      isMessage: what.isMessage, routedToHuman: routedNow, conversation: c, decision: &decision)

    decision.version = c.version
    decision.mode = c.mode
    decision.assignee = c.assignee
    decision.presence = c.presence
    decision.team = c.team
    decision.priority = c.priority
    return (c, decision)
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

  /// Records one trigger's evaluation: whether it holds now, and whether it fires (held now,
  /// not at the previous step); returns its evidence when it fires. The evidence is built
  /// once here: `ConditionEvaluation.evidence` builds its values at every read.
  private func record(
    _ trigger: TriggerID, _ evaluation: ConditionEvaluation, previous: Set<TriggerID>,
    held: inout Set<TriggerID>, decision: inout Decision
  ) -> [MatchEvidence]? {
    for error in evaluation.errors {
      decision.errors.append(TriggerError(trigger: trigger, error: error))
    }
    guard evaluation.holds else { return nil }
    held.insert(trigger)
    guard !previous.contains(trigger) else { return nil }
    let evidence = evaluation.evidence
    // Room for a few at the first: most steps that fire a trigger fire several (the label's
    // and the routing rules on it), and an array grown one by one reallocates at each doubling.
    if decision.fired.isEmpty { decision.fired.reserveCapacity(4) }
    decision.fired.append(FiredTrigger(trigger: trigger, evidence: evidence))
    return evidence
  }

  /// The labels the index chose, in evaluation order; a label added on the way files the
  /// triggers that depend on it.
  private func evaluateLabels(
    _ step: Step, eventName: String?, index: TriggerIndex, stops: inout StepStops,
    scan: TextScan, facts: inout StepFacts, conversation c: inout Conversation,
    held: inout Set<TriggerID>, decision: inout Decision
  ) {
    // A trigger the index did not choose is false at this step, so skipping it leaves `held`
    // exactly as evaluating it would; one it chose is evaluated in full, candidate or not.
    evaluateLabels(
      step, eventName: eventName, stops: &stops, facts: &facts, conversation: &c, held: &held,
      decision: &decision,
      added: { label, position, stops, next in
        index.labelAdded(label, at: position, into: &stops, from: next)
      }
    ) { trigger, _, facts in
      matcher.evaluate(trigger, scan: scan, facts: { facts.holds($0) })
    }
  }

  /// Evaluates the labels at `stops.labels` (positions in `labelEvaluationOrder`, sorted; more
  /// may be inserted after the current one by `added`) with `evaluation`.
  private func evaluateLabels(
    _ step: Step, eventName: String?, stops: inout StepStops, facts: inout StepFacts,
    conversation c: inout Conversation, held: inout Set<TriggerID>, decision: inout Decision,
    added: (LabelID, Int32, inout StepStops, Int) -> Void = { _, _, _, _ in },
    evaluation: (TriggerID, ConditionTree, StepFacts) -> ConditionEvaluation
  ) {
    let order = ruleSet.labelEvaluationOrder
    // INVARIANT: a label's triggers see the labels it depends on as already updated for this
    // step, because the checker's order puts every label after its dependencies.
    var next = 0
    var reservedLabels = false
    while next < stops.labels.count {
      let position = stops.labels[next]
      next += 1
      let id = order[Int(position)]
      // The trigger arrays, not the `LabelDefinition` nor each `LabelTrigger`: a copy of
      // either retains and releases every string and array in it, and most triggers a step
      // evaluates do not fire.
      let addTriggers = ruleSet.labels[id.rawValue].addTriggers
      let removeTriggers = ruleSet.labels[id.rawValue].removeTriggers
      var add: (TriggerID, LabelTrigger, [MatchEvidence])?
      var remove: (TriggerID, LabelTrigger, [MatchEvidence])?
      for index in addTriggers.indices {
        let tid = TriggerID.add(id, index)
        if let ev = record(
          tid, evaluation(tid, addTriggers[index].condition, facts), previous: c.heldTriggers,
          held: &held, decision: &decision), add == nil
        {
          add = (tid, addTriggers[index], ev)
        }
      }
      for index in removeTriggers.indices {
        let tid = TriggerID.remove(id, index)
        if let ev = record(
          tid, evaluation(tid, removeTriggers[index].condition, facts),
          previous: c.heldTriggers, held: &held, decision: &decision), remove == nil
        {
          remove = (tid, removeTriggers[index], ev)
        }
      }
      // Remove wins over add in the same step.
      if let (tid, trigger, ev) = remove {
        if c.labels.removeValue(forKey: id) != nil {
          facts.labels.remove(id)
          let reason = LabelProvenance(
            source: .trigger(tid, clause: trigger.span, evidence: ev, event: eventName),
            at: step.at, step: c.stepCount)
          decision.removed.append(LabelChange(label: id, reason: reason))
        }
      } else if let (tid, trigger, ev) = add, c.labels[id] == nil {
        let reason = LabelProvenance(
          source: .trigger(tid, clause: trigger.span, evidence: ev, event: eventName),
          at: step.at, step: c.stepCount)
        if !reservedLabels {
          // The first label added copies the conversation's table (it is shared with the
          // caller's conversation): copy it once with room for the labels still to come, and
          // make room in the decision for them too (an array grows by reallocating).
          reservedLabels = true
          let toCome = min(stops.labels.count - next + 1, Self.stepRoom)
          c.labels.reserveCapacity(c.labels.count + toCome)
          decision.added.reserveCapacity(toCome)
        }
        c.labels[id] = reason
        facts.labels.insert(id)
        decision.added.append(LabelChange(label: id, reason: reason))
        added(id, position, &stops, next)
      }
    }
  }

  /// Evaluates the routing rules at `routes` (in order) with `evaluation`, the labels as the
  /// step left them; returns whether the step routed the conversation to `human`.
  private func evaluateRouting(
    _ step: Step, routes: [Int32], isFirstStep: Bool, conversation c: inout Conversation,
    held: inout Set<TriggerID>, decision: inout Decision,
    evaluation: (TriggerID) -> ConditionEvaluation
  ) -> Bool {
    var chosen: Int?
    for route in routes {
      let index = Int(route)
      let fired = record(
        .route(index), evaluation(.route(index)), previous: c.heldTriggers, held: &held,
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
    isMessage: Bool, routedToHuman: Bool, conversation c: Conversation,
    decision: inout Decision
  ) {
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
