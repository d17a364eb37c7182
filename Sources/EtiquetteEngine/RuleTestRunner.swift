import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteMatcher
import EtiquetteSyntax
import Foundation

/// A failed `expect` line: what was expected, what the engine did, and why.
public struct ExpectationFailure: Sendable, Hashable {
  /// The `expect` line.
  public var span: SourceSpan
  public var expected: String
  public var actual: String
  /// Where the actual value came from ("B added by rules/labels.etq:14:8 matching 'prix'").
  public var explanation: String?

  /// `expected labels [A], got [A, B] — B added by rules/labels.etq:14:8 matching 'prix'`.
  public var message: String {
    "expected \(expected), got \(actual)" + (explanation.map { " — \($0)" } ?? "")
  }
}

/// The outcome of one `test` block.
public struct RuleTestResult: Sendable, Hashable {
  public var name: String
  public var span: SourceSpan
  /// Number of `expect` lines checked.
  public var expectations: Int
  public var failures: [ExpectationFailure]
  public var passed: Bool { failures.isEmpty }
}

/// Parts of the rule set that no test exercised.
public struct TestCoverage: Sendable, Hashable {
  /// A rule-file element with a one-line description of it.
  public struct Item: Sendable, Hashable {
    public var kind: Kind
    public var span: SourceSpan
    public var text: String
  }
  public enum Kind: String, Sendable, Hashable, CaseIterable {
    case trigger, phrase, pattern, routing, grant
  }
  /// Sorted by position.
  public var unexercised: [Item]
  /// How many elements of each kind there are, exercised or not.
  public var totals: [Kind: Int]
}

/// All results of a run, with coverage.
public struct RuleTestReport: Sendable, Hashable {
  public var results: [RuleTestResult]
  public var coverage: TestCoverage
  public var passed: Int { results.count { $0.passed } }
  public var failed: Int { results.count { !$0.passed } }
}

/// Runs a rule set's `test` blocks against the engine, each on a fresh conversation that starts
/// at `Engine.defaultInstant` with a contact that has no attributes.
public struct RuleTestRunner: Sendable {
  public let engine: Engine
  public let sources: SourceMap

  public init(engine: Engine, sources: SourceMap) {
    self.engine = engine
    self.sources = sources
  }

  private var ruleSet: RuleSet { engine.ruleSet }

  /// What the tests touched, for `--coverage`.
  private struct Exercised {
    var triggers = Set<TriggerID>()
    var atoms = Set<SourceSpan>()
    var grants = Set<[Int]>()
  }

  public func runAll() -> RuleTestReport {
    var exercised = Exercised()
    let results = ruleSet.tests.map { run($0, exercised: &exercised) }
    return RuleTestReport(results: results, coverage: coverage(exercised))
  }

  public func run(_ test: RuleTest) -> RuleTestResult {
    var exercised = Exercised()
    return run(test, exercised: &exercised)
  }

  private func run(_ test: RuleTest, exercised: inout Exercised) -> RuleTestResult {
    var conversation = engine.newConversation(id: "test", contact: Contact(id: "test-contact"))
    var time = Engine.defaultInstant
    var last: Decision?
    var history: [LabelID: (added: Bool, change: LabelChange)] = [:]
    var result = RuleTestResult(name: test.name, span: test.span, expectations: 0, failures: [])

    for entry in test.entries {
      switch entry {
      case .step(let step):
        switch step.kind {
        case .contact(let values):
          for (key, value) in values { conversation.contact.attributes[key] = FieldValue(value) }
        case .at(let date, _):
          time = date
        case .customerSays, .customerSends, .event, .agent:
          guard let engineStep = engineStep(step.kind, at: time) else { continue }
          if case .agent(let member, let action) = engineStep.kind {
            record(engine.can(member, action.requiredLevel, conversation), &exercised)
          }
          let (next, decision) = engine.apply(engineStep, to: conversation)
          conversation = next
          last = decision
          for fired in decision.fired {
            exercised.triggers.insert(fired.trigger)
            for evidence in fired.evidence { exercised.atoms.insert(evidence.atomSpan) }
          }
          for note in decision.notifications {
            record(engine.can(note.member, .reply, conversation), &exercised)
          }
          for change in decision.removed { history[change.label] = (false, change) }
          for change in decision.added { history[change.label] = (true, change) }
        }
      case .expectation(let expectation):
        result.expectations += 1
        if case .access(let member, _, let level) = expectation.kind {
          record(engine.can(member, level, conversation), &exercised)
        }
        if let failure = check(
          expectation, conversation: conversation, last: last, history: history)
        {
          result.failures.append(failure)
        }
      }
    }
    return result
  }

  private func record(_ answer: AccessAnswer, _ exercised: inout Exercised) {
    if let grant = answer.grant { exercised.grants.insert([grant.team.rawValue, grant.index]) }
  }

  private func engineStep(_ kind: RuleTestStep.Kind, at time: Date) -> Step? {
    switch kind {
    case .contact, .at:
      return nil
    case .customerSays(let text):
      return Step(.message(CustomerMessage(type: .text, text: text)), at: time)
    case .customerSends(let type, let caption):
      return Step(.message(CustomerMessage(type: type, caption: caption)), at: time)
    case .event(let id, let fields):
      let event = IntegrationEvent(
        name: ruleSet[id].name, fields: fields.mapValues(FieldValue.init))
      return Step(.event(event), at: time)
    case .agent(let member, let action):
      let engineAction: Step.AgentAction =
        switch action {
        case .takesOver: .takeOver
        case .transfersToAI: .transferToAI
        case .keepsHumanAndLeaves: .keepHumanAndLeave
        case .addsLabel(let label): .addLabel(label)
        case .removesLabel(let label): .removeLabel(label)
        case .replies(let text): .reply(text)
        case .notes(let text): .note(text)
        }
      return Step(.agent(member: member, action: engineAction), at: time)
    }
  }

  // MARK: - Expectations

  private func check(
    _ expectation: RuleTestExpectation, conversation: Conversation, last: Decision?,
    history: [LabelID: (added: Bool, change: LabelChange)]
  ) -> ExpectationFailure? {
    let span = expectation.span
    let labels = conversation.labelSet
    switch expectation.kind {
    case .labels(let expected):
      let wanted = Set(expected)
      guard wanted != labels else { return nil }
      var why: [String] = []
      for extra in labels.subtracting(wanted).sorted() {
        why.append(explainPresence(extra, conversation: conversation))
      }
      for missing in wanted.subtracting(labels).sorted() {
        why.append(explainAbsence(missing, history: history))
      }
      return ExpectationFailure(
        span: span, expected: "labels \(list(wanted))", actual: list(labels),
        explanation: why.joined(separator: "; "))
    case .label(let id):
      guard !labels.contains(id) else { return nil }
      return ExpectationFailure(
        span: span, expected: "label \(quoted(id))", actual: list(labels),
        explanation: explainAbsence(id, history: history))
    case .noLabel(let id):
      guard labels.contains(id) else { return nil }
      return ExpectationFailure(
        span: span, expected: "no label \(quoted(id))", actual: list(labels),
        explanation: explainPresence(id, conversation: conversation))
    case .route(let mode, let team, let priority):
      let expected = describeRoute(mode: mode, team: team, priority: priority)
      guard let last else {
        return ExpectationFailure(
          span: span, expected: expected, actual: "no step", explanation: "no step before it")
      }
      if routeMatches(last.routing, mode: mode, team: team, priority: priority) { return nil }
      return ExpectationFailure(
        span: span, expected: expected, actual: describe(last.routing),
        explanation: explainRoute(last.routing))
    case .mode(let mode):
      guard conversation.mode != mode else { return nil }
      var why: String?
      if let assignee = conversation.assignee {
        why = "assigned to \"\(assignee)\" (\(conversation.presence.rawValue))"
      }
      return ExpectationFailure(
        span: span, expected: "mode \(mode.rawValue)", actual: "mode \(conversation.mode.rawValue)",
        explanation: why)
    case .notify(let member):
      let notified = last?.notifications.map(\.member) ?? []
      guard !notified.contains(member) else { return nil }
      let actual =
        notified.isEmpty
        ? "nobody notified"
        : "notified [" + notified.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
      var why = "mode \(conversation.mode.rawValue)"
      if let assignee = conversation.assignee {
        why += ", assigned to \"\(assignee)\" (\(conversation.presence.rawValue))"
      }
      return ExpectationFailure(
        span: span, expected: "notify \"\(member)\"", actual: actual, explanation: why)
    case .access(let member, let allowed, let level):
      let answer = engine.can(member, level, conversation)
      guard answer.allowed != allowed else { return nil }
      let verb = { (yes: Bool) in yes ? "can" : "cannot" }
      return ExpectationFailure(
        span: span, expected: "\"\(member)\" \(verb(allowed)) \(level.rawValue)",
        actual: "\(verb(answer.allowed)) \(level.rawValue)", explanation: explain(answer, labels))
    }
  }

  private func name(_ id: LabelID) -> String { ruleSet[id].name }
  private func quoted(_ id: LabelID) -> String { "\"\(name(id))\"" }
  private func list(_ labels: Set<LabelID>) -> String {
    "[" + labels.sorted().map(name).joined(separator: ", ") + "]"
  }

  /// "B added by rules/labels.etq:14:8 matching 'prix'".
  private func explainPresence(_ id: LabelID, conversation: Conversation) -> String {
    guard let reason = conversation.labels[id] else { return "\(name(id)) present" }
    return "\(name(id)) added by " + describe(reason)
  }

  private func explainAbsence(
    _ id: LabelID, history: [LabelID: (added: Bool, change: LabelChange)]
  ) -> String {
    if let entry = history[id], !entry.added {
      return "\(name(id)) removed by " + describe(entry.change.reason)
    }
    return "\(name(id)) never added: no `when` of it fired"
  }

  /// The origin of a label change: location, then what matched.
  public func describe(_ reason: LabelProvenance) -> String {
    switch reason.source {
    case .manual(let member):
      return "agent \"\(member)\" at step \(reason.step)"
    case .trigger(_, let clause, let evidence, let event):
      if let first = evidence.first {
        let matched = evidence.map { $0.described(in: ruleSet) }.joined(separator: ", ")
        return "\(sources.describe(first.atomSpan)) matching \(matched)"
      }
      if let event { return "\(sources.describe(clause)) on event \"\(event)\"" }
      return "\(sources.describe(clause)) at step \(reason.step)"
    }
  }

  private func describeRoute(mode: Mode?, team: TeamID?, priority: Priority?) -> String {
    guard let mode else { return "route unchanged" }
    var text = "route \(mode.rawValue)"
    if let team { text += " team \"\(ruleSet[team].name)\"" }
    if let priority { text += " priority \(priority.rawValue)" }
    return text
  }

  private func describe(_ outcome: RoutingOutcome) -> String {
    switch outcome {
    case .unchanged, .held: "route unchanged"
    case .defaultMode(let mode): "route \(mode.rawValue)"
    case .rule(_, let target):
      describeRoute(mode: target.mode, team: target.team, priority: target.priority)
    }
  }

  private func explainRoute(_ outcome: RoutingOutcome) -> String {
    switch outcome {
    case .unchanged: "no routing rule fired at the last step"
    case .defaultMode: "no routing rule fired at the first step: the `default` mode"
    case .rule(let index, _):
      "routed by \(sources.describe(ruleSet.routing.rules[index].span))"
    case .held(let index, _, let member):
      "the rule at \(sources.describe(ruleSet.routing.rules[index].span)) fired, but "
        + "\"\(member)\" holds the conversation"
    }
  }

  private func routeMatches(
    _ outcome: RoutingOutcome, mode: Mode?, team: TeamID?, priority: Priority?
  ) -> Bool {
    switch outcome {
    case .unchanged, .held: return mode == nil
    case .defaultMode(let actual): return mode == actual && team == nil && priority == nil
    case .rule(_, let target):
      return mode == target.mode && (team == nil || team == target.team)
        && (priority == nil || priority == target.priority)
    }
  }

  private func explain(_ answer: AccessAnswer, _ labels: Set<LabelID>) -> String {
    if let grant = answer.grant {
      return "granted by team \"\(ruleSet[grant.team].name)\" at "
        + sources.describe(grant.grant.span)
    }
    switch answer.denial {
    case .unknownMember, nil:
      return "\"\(answer.member)\" is in no team"
    case .noGrant(let level):
      return "no team of \"\(answer.member)\" grants \(level.rawValue)"
    case .notCovered(let candidates):
      let places = candidates.map { sources.describe($0.grant.span) }.joined(separator: ", ")
      return "no grant covers labels \(list(labels)) (grants at \(places))"
    }
  }

  // MARK: - Coverage

  private func coverage(_ exercised: Exercised) -> TestCoverage {
    var items: [TestCoverage.Item] = []
    var totals: [TestCoverage.Kind: Int] = [:]
    var seenAtoms = Set<SourceSpan>()
    func add(_ kind: TestCoverage.Kind, _ span: SourceSpan, _ text: String, _ used: Bool) {
      totals[kind, default: 0] += 1
      if !used { items.append(TestCoverage.Item(kind: kind, span: span, text: text)) }
    }
    func atoms(_ condition: ConditionTree) {
      for atom in condition.atoms {
        switch atom.kind {
        case .contains(_, let phrases):
          for phrase in phrases where seenAtoms.insert(phrase.span).inserted {
            add(.phrase, phrase.span, "\"\(phrase.text)\"", exercised.atoms.contains(phrase.span))
          }
        case .matches(let pattern):
          if seenAtoms.insert(pattern.span).inserted {
            add(
              .pattern, pattern.span, "/\(pattern.source)/\(pattern.flagText)",
              exercised.atoms.contains(pattern.span))
          }
        default: break
        }
      }
    }
    for label in ruleSet.labels {
      for (index, trigger) in label.addTriggers.enumerated() {
        add(
          .trigger, trigger.span, "label \"\(label.name)\": " + firstLine(trigger.span),
          exercised.triggers.contains(.add(label.id, index)))
        atoms(trigger.condition)
      }
      for (index, trigger) in label.removeTriggers.enumerated() {
        add(
          .trigger, trigger.span, "label \"\(label.name)\": " + firstLine(trigger.span),
          exercised.triggers.contains(.remove(label.id, index)))
        atoms(trigger.condition)
      }
    }
    for (index, rule) in ruleSet.routing.rules.enumerated() {
      add(.routing, rule.span, firstLine(rule.span), exercised.triggers.contains(.route(index)))
      atoms(rule.condition)
    }
    for team in ruleSet.teams {
      for (index, grant) in team.grants.enumerated() {
        add(
          .grant, grant.span, "team \"\(team.name)\": " + firstLine(grant.span),
          exercised.grants.contains([team.id.rawValue, index]))
      }
    }
    items.sort { ($0.span.file, $0.span.start) < ($1.span.file, $1.span.start) }
    return TestCoverage(unexercised: items, totals: totals)
  }

  private func firstLine(_ span: SourceSpan) -> String {
    guard let file = sources[span.file] else { return "" }
    let text = file.text(of: span)
    let line = text.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    return text.contains("\n") ? trimmed + " …" : trimmed
  }
}
