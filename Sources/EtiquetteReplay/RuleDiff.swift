import EtiquetteChecker
import EtiquetteEngine
import EtiquetteMatcher
import EtiquetteSyntax
import Foundation

/// Replays the same steps through two rule sets and records every decision that differs, each
/// difference attributed to the rule change that explains it.
///
/// Attribution compares the evidence of the side that acted (the trigger that fired, the phrase
/// or pattern that matched, the routing rule or grant that decided) with the other rule set: a
/// phrase the other side lacks is a new (or removed) phrase, a clause written differently is a
/// changed trigger, and so on. A difference that follows from an earlier one in the same
/// conversation (a label added earlier, so a routing rule now fires) inherits its cause.
public struct RuleDiff: Sendable {
  public let old: RuleSide
  public let new: RuleSide
  /// Every member of either rule set, sorted: whose access is compared after each step.
  public let members: [String]
  private var oldReplay: Replay
  private var newReplay: Replay
  private var memory: [String: ConversationMemory] = [:]

  public private(set) var differing: [DifferingStep] = []
  public private(set) var rejected: [RejectedStepLine] = []
  public private(set) var appliedSteps = 0
  /// Conversations in order of their first step.
  public private(set) var conversations: [String] = []

  public init(old: RuleSide, new: RuleSide) {
    self.old = old
    self.new = new
    members = Set(old.ruleSet.members.map(\.email) + new.ruleSet.members.map(\.email)).sorted()
    oldReplay = Replay(engine: old.engine)
    newReplay = Replay(engine: new.engine)
  }

  /// What one conversation's earlier differences left behind, for the steps after them.
  private struct ConversationMemory: Sendable {
    /// The cause of the last difference about each label (by name).
    var labelCauses: [String: ChangeCause] = [:]
    /// The most recent cause other than "other changes".
    var latest: ChangeCause?
    /// The values of state-like fields after the previous step, old and new: a difference in
    /// them is reported when it appears or changes, not again at every later step.
    var mode: [String] = ["", ""]
    var priority: [String] = ["", ""]
    var access: [String: [String]] = [:]
    /// Why the modes differ, while they do.
    var modeCause: ChangeCause?
  }

  /// Applies one input line (1-based `number`) to both sides; blank lines are skipped.
  ///
  /// `at`, when given, is the step's instant, for a line stored without one (the server keeps
  /// it in a column of its own: reading an ISO-8601 text builds a date formatter each time,
  /// which took three quarters of a replay's time).
  public mutating func feed(_ line: String, number: Int, at: Date? = nil) {
    let text = line.hasSuffix("\r") ? String(line.dropLast()) : line
    if text.allSatisfy(\.isWhitespace) { return }
    func decoded(_ side: RuleSide) -> Result<StepLine, StepLineError> {
      StepLine.decode(text, ruleSet: side.ruleSet).map { line in
        var line = line
        line.at = at ?? line.at
        return line
      }
    }
    let oldLine = decoded(old)
    let newLine = decoded(new)
    switch (oldLine, newLine) {
    case (.success(let o), .success(let n)):
      apply(old: o, new: n, number: number)
    case (.failure(let o), .failure(let n)):
      let message = o.message == n.message ? o.message : "\(o.message) (new rules: \(n.message))"
      rejected.append(RejectedStepLine(line: number, error: message, side: "both"))
    case (.failure(let o), .success):
      rejected.append(RejectedStepLine(line: number, error: o.message, side: "old"))
    case (.success, .failure(let n)):
      rejected.append(RejectedStepLine(line: number, error: n.message, side: "new"))
    }
  }

  private mutating func apply(old oldLine: StepLine, new newLine: StepLine, number: Int) {
    let id = oldLine.conversation
    let oldBefore = oldReplay.conversations[id]
    let newBefore = newReplay.conversations[id]
    if oldBefore == nil { conversations.append(id) }
    let (oldAfter, oldDecision) = oldReplay.apply(oldLine)
    let (newAfter, newDecision) = newReplay.apply(newLine)
    appliedSteps += 1
    var comparison = StepComparison(
      old: old, new: new,
      oldBefore: oldBefore?.labelSet ?? [], newBefore: newBefore?.labelSet ?? [],
      oldAfter: oldAfter, newAfter: newAfter, oldDecision: oldDecision,
      newDecision: newDecision, memory: memory[id] ?? ConversationMemory(),
      kind: oldLine.kind)
    comparison.compare(members: members)
    memory[id] = comparison.memory
    guard !comparison.differences.isEmpty else { return }
    differing.append(
      DifferingStep(
        line: number, conversation: id, step: oldDecision.step,
        summary: StepComparison.summary(of: oldLine.kind, ruleSet: old.ruleSet),
        differences: comparison.differences))
  }

  /// The comparison of one step's two decisions.
  private struct StepComparison {
    let old: RuleSide
    let new: RuleSide
    let oldBefore: Set<LabelID>
    let newBefore: Set<LabelID>
    let oldAfter: Conversation
    let newAfter: Conversation
    let oldDecision: Decision
    let newDecision: Decision
    var memory: ConversationMemory
    let kind: Step.Kind
    var differences: [StepDifference] = []
    /// The cause of this step's routing difference, which the fields that follow from routing
    /// (mode, priority, notifications, AI action) share.
    var routeCause: ChangeCause?
    /// The cause of this step's refused (or newly allowed) agent action.
    var refusalCause: ChangeCause?

    init(
      old: RuleSide, new: RuleSide, oldBefore: Set<LabelID>, newBefore: Set<LabelID>,
      oldAfter: Conversation, newAfter: Conversation, oldDecision: Decision,
      newDecision: Decision, memory: ConversationMemory, kind: Step.Kind
    ) {
      self.old = old
      self.new = new
      self.oldBefore = oldBefore
      self.newBefore = newBefore
      self.oldAfter = oldAfter
      self.newAfter = newAfter
      self.oldDecision = oldDecision
      self.newDecision = newDecision
      self.memory = memory
      self.kind = kind
    }

    mutating func compare(members: [String]) {
      compareLabels(removing: false)
      compareLabels(removing: true)
      compareRoute()
      compareRefusal()
      compareState(
        field: "mode", category: .mode, old: oldDecision.mode.rawValue,
        new: newDecision.mode.rawValue, previous: \.mode,
        effect: { "in mode \($1) instead of \($0)" })
      compareState(
        field: "priority", category: .priority, old: oldDecision.priority.rawValue,
        new: newDecision.priority.rawValue, previous: \.priority,
        effect: { "at priority \($1) instead of \($0)" })
      compareAI()
      compareNotifications()
      for member in members { compareAccess(member) }
    }

    private mutating func record(_ difference: StepDifference) {
      differences.append(difference)
      if difference.cause.kind != .other { memory.latest = difference.cause }
    }

    /// Falls back on what this conversation's earlier differences explain.
    private var inheritedCause: ChangeCause {
      differences.first { $0.cause.kind != .other }?.cause ?? memory.latest ?? .other
    }

    // MARK: Labels

    private mutating func compareLabels(removing: Bool) {
      func changes(_ decision: Decision, _ side: RuleSide) -> [String: LabelChange] {
        let list = removing ? decision.removed : decision.added
        return Dictionary(list.map { (side.ruleSet[$0.label].name, $0) }) { first, _ in first }
      }
      let oldChanges = changes(oldDecision, old)
      let newChanges = changes(newDecision, new)
      for name in Set(oldChanges.keys).union(newChanges.keys).sorted() {
        let byNew = newChanges[name]
        let byOld = oldChanges[name]
        guard (byNew == nil) != (byOld == nil) else { continue }
        let isNew = byNew != nil
        guard let change = byNew ?? byOld else { continue }
        let cause = labelCause(name, change: change, isNew: isNew, removing: removing)
        memory.labelCauses[name] = cause
        let evidence = evidenceText(change, isNew: isNew)
        let present = (
          old.labelNames(oldAfter.labelSet).contains(name),
          new.labelNames(newAfter.labelSet).contains(name)
        )
        // Both sides end the step alike: the step only closes an earlier difference.
        let converges = present.0 == present.1
        var difference = StepDifference(
          category: .labels, field: removing ? "removed" : "added", subject: name,
          old: isNew ? "no" : "yes", new: isNew ? "yes" : "no", sign: "", detail: "",
          effect: "", cause: cause)
        switch (removing, isNew, converges) {
        case (false, true, false):
          difference.sign = "+"
          difference.detail = "now labelled '\(name)'\(evidence)"
          difference.effect = "labelled '\(name)'"
        case (false, false, false):
          difference.sign = "-"
          difference.detail = "no longer labelled '\(name)'\(evidence)"
          difference.effect = "no longer labelled '\(name)'"
        case (false, true, true):
          difference.detail = "labelled '\(name)' only now\(evidence), the old rules earlier"
          difference.effect = "labelled '\(name)' later"
        case (false, false, true):
          difference.detail = "labelled '\(name)' earlier; the old rules only now\(evidence)"
          difference.effect = "labelled '\(name)' earlier"
        case (true, true, false):
          difference.detail = "now loses '\(name)'\(evidence)"
          difference.effect = "now losing '\(name)'"
        case (true, false, false):
          difference.detail = "now keeps '\(name)'\(evidence)"
          difference.effect = "keeping '\(name)'"
        case (true, true, true):
          difference.detail = "loses '\(name)'\(evidence), which the old rules did not have"
          difference.effect = "losing '\(name)' that the old rules did not have"
        case (true, false, true):
          difference.detail = "'\(name)' already gone; the old rules remove it now\(evidence)"
          difference.effect = "without '\(name)' earlier"
        }
        record(difference)
      }
    }

    /// ` (matching 'prix')`, or for the old side ` (old rules matched 'livraison')`.
    private func evidenceText(_ change: LabelChange, isNew: Bool) -> String {
      switch change.reason.source {
      case .manual(let member):
        return isNew ? " (by \(member))" : " (the old rules let \(member))"
      case .trigger(_, _, let evidence, let event):
        var parts = evidence.map { "'\($0.trigger)'" }
        if let event { parts.append("event \(event)") }
        guard !parts.isEmpty else { return "" }
        return (isNew ? " (matching " : " (the old rules matched ")
          + parts.joined(separator: ", ") + ")"
      }
    }

    private func labelCause(
      _ name: String, change: LabelChange, isNew: Bool, removing: Bool
    ) -> ChangeCause {
      let side = isNew ? new : old
      let other = isNew ? old : new
      guard let definition = side.ruleSet.label(named: name) else { return .other }
      guard let counterpart = other.ruleSet.label(named: name) else {
        return ChangeCause(
          kind: isNew ? .newLabel : .removedLabel, subject: name,
          location: side.describe(definition.nameSpan))
      }
      // The label was already on one side only: this step only reveals an earlier difference.
      let before = (
        old.labelNames(oldBefore).contains(name), new.labelNames(newBefore).contains(name)
      )
      if before.0 != before.1 {
        return memory.labelCauses[name] ?? memory.latest ?? .other
      }
      switch change.reason.source {
      case .manual(let member):
        return accessCause(member, oldLabels: oldBefore, newLabels: newBefore)
      case .trigger(let id, _, let evidence, _):
        let index: Int
        switch id {
        case .add(_, let i), .remove(_, let i): index = i
        case .route: return inheritedCause
        }
        let triggers = side.triggers(of: definition, removing: removing)
        guard triggers.indices.contains(index) else { return inheritedCause }
        let trigger = triggers[index]
        let (phrases, patterns) = other.textAtoms(of: counterpart, removing: removing)
        for item in evidence {
          switch side.evidenceAtom(item, in: trigger) {
          case .phrase(let normalized, let text, let span) where !phrases.contains(normalized):
            return ChangeCause(
              kind: isNew ? .newPhrase : .removedPhrase, subject: text,
              location: side.describe(span))
          case .pattern(let pattern, let span) where !patterns.contains(pattern):
            return ChangeCause(
              kind: isNew ? .newPattern : .removedPattern, subject: pattern,
              location: side.describe(span))
          case .phrase, .pattern, nil: continue
          }
        }
        // A label the trigger tests differs between the sides: that difference explains it.
        let oldNow = old.labelNames(oldAfter.labelSet)
        let newNow = new.labelNames(newAfter.labelSet)
        for dependency in trigger.condition.referencedLabels {
          let dependencyName = side.ruleSet[dependency].name
          if oldNow.contains(dependencyName) != newNow.contains(dependencyName),
            let cause = memory.labelCauses[dependencyName]
          {
            return cause
          }
        }
        let text = side.clauseText(trigger.span)
        let otherTriggers = other.triggers(of: counterpart, removing: removing)
        if !otherTriggers.contains(where: { other.clauseText($0.span) == text }) {
          if otherTriggers.indices.contains(index) {
            // Name the new version of the clause, so both directions of one edit group together.
            let changed = isNew ? trigger : otherTriggers[index]
            let changedSide = isNew ? side : other
            return ChangeCause(
              kind: .changedTrigger, subject: changedSide.clauseText(changed.span),
              location: changedSide.describe(changed.span))
          }
          return ChangeCause(
            kind: isNew ? .newTrigger : .removedTrigger, subject: text,
            location: side.describe(trigger.span))
        }
        return memory.latest ?? .other
      }
    }

    /// Why a member's access differs: a grant or a membership changed (the same labels give a
    /// different answer), or the labels differ.
    private func accessCause(_ member: String, oldLabels: Set<LabelID>, newLabels: Set<LabelID>)
      -> ChangeCause
    {
      let (oldLevel, oldGrant) = old.access(member, labels: oldLabels)
      let sameLabels = new.labelIDs(named: old.labelNames(oldLabels))
      let (counterfactual, newGrant) = new.access(member, labels: sameLabels)
      if oldLevel != counterfactual {
        let location: String?
        if let newGrant,
          counterfactual.map({ level in oldLevel.map { level > $0 } ?? true })
            == true
        {
          location = new.describe(newGrant.grant.span)
        } else if let oldGrant {
          // Point at the new version of the grant when the team still has one there.
          let team = new.ruleSet.team(named: old.ruleSet[oldGrant.team].name)
          if let team, team.grants.indices.contains(oldGrant.index) {
            location = new.describe(team.grants[oldGrant.index].span)
          } else {
            location = old.describe(oldGrant.grant.span)
          }
        } else if let definition = new.ruleSet.member(member) {
          location = new.describe(definition.span)
        } else {
          location = old.ruleSet.member(member).map { old.describe($0.span) }
        }
        return ChangeCause(kind: .access, subject: member, location: location)
      }
      let oldNames = old.labelNames(oldLabels)
      let newNames = new.labelNames(newLabels)
      for name in oldNames.symmetricDifference(newNames).sorted() {
        if let cause = memory.labelCauses[name] { return cause }
      }
      return inheritedCause
    }

    // MARK: Routing and what follows from it

    private mutating func compareRoute() {
      let oldRoute = old.routeText(oldDecision.routing)
      let newRoute = new.routeText(newDecision.routing)
      guard oldRoute != newRoute else { return }
      let cause = routingCause()
      routeCause = cause
      record(
        StepDifference(
          category: .route, field: "route", subject: nil, old: oldRoute, new: newRoute, sign: "",
          detail: "route \(oldRoute) → \(newRoute)",
          effect: "routed \(newRoute) instead of \(oldRoute)", cause: cause))
    }

    private func routingCause() -> ChangeCause {
      let oldTexts = old.ruleSet.routing.rules.map { old.clauseText($0.span) }
      let newTexts = new.ruleSet.routing.rules.map { new.clauseText($0.span) }
      func condition(_ text: String) -> Substring {
        guard let arrow = text.range(of: " -> ", options: .backwards) else { return text[...] }
        return text[..<arrow.lowerBound]
      }
      let newIndex = new.routingRule(newDecision.routing)
      let oldIndex = old.routingRule(oldDecision.routing)
      // Both sides fired the same condition but it now leads elsewhere.
      if let n = newIndex, let o = oldIndex, newTexts[n] != oldTexts[o],
        condition(newTexts[n]) == condition(oldTexts[o])
      {
        return ChangeCause(
          kind: .changedRoutingRule, subject: newTexts[n],
          location: new.describe(new.ruleSet.routing.rules[n].span))
      }
      if let n = newIndex, !oldTexts.contains(where: { condition($0) == condition(newTexts[n]) }) {
        return ChangeCause(
          kind: .newRoutingRule, subject: newTexts[n],
          location: new.describe(new.ruleSet.routing.rules[n].span))
      }
      if let o = oldIndex, !newTexts.contains(where: { condition($0) == condition(oldTexts[o]) }) {
        return ChangeCause(
          kind: .removedRoutingRule, subject: oldTexts[o],
          location: old.describe(old.ruleSet.routing.rules[o].span))
      }
      let routing = new.ruleSet.routing
      if routing.defaultMode != old.ruleSet.routing.defaultMode {
        switch (oldDecision.routing, newDecision.routing) {
        case (.defaultMode, _), (_, .defaultMode):
          return ChangeCause(
            kind: .changedRoutingDefault, subject: "default \(routing.defaultMode.rawValue)",
            location: new.describe(routing.defaultSpan))
        default: break
        }
      }
      let oldNames = old.labelNames(oldAfter.labelSet)
      let newNames = new.labelNames(newAfter.labelSet)
      for name in oldNames.symmetricDifference(newNames).sorted() {
        if let cause = memory.labelCauses[name] { return cause }
      }
      if let n = newIndex, !oldTexts.contains(newTexts[n]) {
        return ChangeCause(
          kind: .changedRoutingRule, subject: newTexts[n],
          location: new.describe(new.ruleSet.routing.rules[n].span))
      }
      return inheritedCause
    }

    private mutating func compareRefusal() {
      guard (oldDecision.refusal == nil) != (newDecision.refusal == nil),
        case .agent(let member, let action) = kind
      else { return }
      let cause = accessCause(member, oldLabels: oldBefore, newLabels: newBefore)
      refusalCause = cause
      let oldText = oldDecision.refusal == nil ? "allowed" : "refused"
      let newText = newDecision.refusal == nil ? "allowed" : "refused"
      record(
        StepDifference(
          category: .refusals, field: "refused", subject: member, old: oldText, new: newText,
          sign: "", detail: "\(member) \(action.name) \(oldText) → \(newText)",
          effect: "where \(member)'s \(action.name) is \(newText) instead of \(oldText)",
          cause: cause))
    }

    /// Why the modes differ after this step, for the fields that follow from the mode.
    private var modeCause: ChangeCause? {
      oldDecision.mode == newDecision.mode ? nil : memory.modeCause
    }

    /// A state-like field (mode, priority): reported when the sides start to differ or differ
    /// in a new way, not again at every later step.
    private mutating func compareState(
      field: String, category: DifferenceCategory, old oldValue: String, new newValue: String,
      previous: WritableKeyPath<ConversationMemory, [String]>,
      effect: (String, String) -> String
    ) {
      let pair = [oldValue, newValue]
      defer { memory[keyPath: previous] = pair }
      guard oldValue != newValue, memory[keyPath: previous] != pair else { return }
      record(
        StepDifference(
          category: category, field: field, subject: nil, old: oldValue, new: newValue, sign: "",
          detail: "\(field) \(oldValue) → \(newValue)", effect: effect(oldValue, newValue),
          cause: routeCause ?? refusalCause ?? inheritedCause))
      if field == "mode" { memory.modeCause = differences.last?.cause }
    }

    private mutating func compareAI() {
      func action(_ ai: AIAction) -> String {
        switch ai {
        case .none: "none"
        case .reply: "reply"
        case .suggest: "suggest"
        }
      }
      let oldAction = action(oldDecision.ai)
      let newAction = action(newDecision.ai)
      guard oldAction != newAction else { return }
      record(
        StepDifference(
          category: .ai, field: "ai", subject: nil, old: oldAction, new: newAction, sign: "",
          detail: "AI action \(oldAction) → \(newAction)",
          effect: "with AI action \(newAction) instead of \(oldAction)",
          cause: routeCause ?? refusalCause ?? modeCause ?? inheritedCause))
    }

    private mutating func compareNotifications() {
      let oldMembers = Set(oldDecision.notifications.map(\.member))
      let newMembers = Set(newDecision.notifications.map(\.member))
      for member in oldMembers.symmetricDifference(newMembers).sorted() {
        let isNew = newMembers.contains(member)
        let (oldLevel, _) = old.access(member, labels: oldAfter.labelSet)
        let (newLevel, _) = new.access(member, labels: newAfter.labelSet)
        // The member's own access first: a new team member is notified because of the grant,
        // whatever the route.
        let cause =
          oldLevel != newLevel
          ? accessCause(member, oldLabels: oldAfter.labelSet, newLabels: newAfter.labelSet)
          : routeCause ?? refusalCause ?? modeCause ?? inheritedCause
        record(
          StepDifference(
            category: .notifications, field: "notify", subject: member,
            old: isNew ? "not notified" : "notified", new: isNew ? "notified" : "not notified",
            sign: isNew ? "+" : "-",
            detail: isNew ? "now notifies \(member)" : "no longer notifies \(member)",
            effect: isNew ? "notifying \(member)" : "no longer notifying \(member)", cause: cause))
      }
    }

    private mutating func compareAccess(_ member: String) {
      let (oldLevel, _) = old.access(member, labels: oldAfter.labelSet)
      let (newLevel, _) = new.access(member, labels: newAfter.labelSet)
      let pair = [oldLevel?.rawValue ?? "none", newLevel?.rawValue ?? "none"]
      defer { memory.access[member] = pair }
      guard pair[0] != pair[1], memory.access[member] != pair else { return }
      record(
        StepDifference(
          category: .access, field: "access", subject: member, old: pair[0], new: pair[1],
          sign: "", detail: "access of \(member) \(pair[0]) → \(pair[1])",
          effect: "with access of \(member) \(pair[0]) → \(pair[1])",
          cause: accessCause(member, oldLabels: oldAfter.labelSet, newLabels: newAfter.labelSet)))
    }

    /// What a step did, in a few words, for the listing of differing steps.
    static func summary(of kind: Step.Kind, ruleSet: RuleSet) -> String {
      func quoted(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return "\"" + (flat.count > 60 ? flat.prefix(59) + "…" : flat) + "\""
      }
      switch kind {
      case .message(let message):
        let text = message.scannedText.map(quoted)
        if message.type == .text { return text ?? "\"\"" }
        return message.type.rawValue + (text.map { " " + $0 } ?? "")
      case .event(let event): return "event \(event.name)"
      case .agent(let member, let action):
        switch action {
        case .addLabel(let label), .removeLabel(let label):
          return "agent \(member) \(action.name) '\(ruleSet[label].name)'"
        case .reply(let text), .note(let text):
          return "agent \(member) \(action.name) \(quoted(text))"
        case .takeOver, .transferToAI, .keepHumanAndLeave:
          return "agent \(member) \(action.name)"
        }
      case .tick: return "time passes"
      case .aiReply(let text, let version): return "AI reply \(quoted(text)) (version \(version))"
      }
    }
  }
}

/// A step line that one or both rule sets could not use; it is skipped on both sides so the
/// replays stay aligned.
public struct RejectedStepLine: Codable, Sendable {
  public var line: Int
  public var error: String
  /// `both`, `old` or `new`: which rule set rejected it.
  public var side: String
}
