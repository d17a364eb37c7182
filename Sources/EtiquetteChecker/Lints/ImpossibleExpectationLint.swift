import EtiquetteDiagnostics

/// W020: a test expects a label that nothing before the expectation can add. A label can be
/// added when an agent adds it, or when one of its `when` triggers could hold given the kinds of
/// steps so far: message atoms need a customer message, `event "X"` that event, `contact.f` a
/// contact step setting `f`, `label "Y"` a label that can itself be added. `not`, `mode` and
/// `during` may hold at any step. This over-approximates, so a warning is never a false alarm
/// about the engine: it means no run of these steps could produce the label.
enum ImpossibleExpectationLint: Lint {
  /// What the steps so far make possible.
  struct StepsSoFar: Hashable {
    var hasMessage = false
    var hasEvent = false
    var events = Set<EventID>()
    var contactFields = Set<String>()
    var manualLabels = Set<LabelID>()
  }

  static func check(_ ruleSet: RuleSet, _ ctx: CheckContext) -> [Diagnostic] {
    var out: [Diagnostic] = []
    for test in ruleSet.tests {
      var steps = StepsSoFar()
      var cached: (StepsSoFar, Set<LabelID>)?
      for entry in test.entries {
        switch entry {
        case .step(let step):
          record(step, into: &steps)
        case .expectation(let expectation):
          let expected: [LabelID]
          switch expectation.kind {
          case .label(let id): expected = [id]
          case .labels(let ids): expected = ids
          case .noLabel, .route, .mode, .notify, .access: expected = []
          }
          guard !expected.isEmpty else { continue }
          let possible: Set<LabelID>
          if let (state, labels) = cached, state == steps {
            possible = labels
          } else {
            possible = possibleLabels(ruleSet, steps)
            cached = (steps, possible)
          }
          for id in expected where !possible.contains(id) {
            out.append(
              CheckerCatalogue.impossibleExpectation(ruleSet[id].name, at: expectation.span))
          }
        }
      }
    }
    return out
  }

  private static func record(_ step: RuleTestStep, into steps: inout StepsSoFar) {
    switch step.kind {
    case .contact(let fields): steps.contactFields.formUnion(fields.keys)
    case .at: break
    case .customerSays, .customerSends: steps.hasMessage = true
    case .event(let id, _):
      steps.hasEvent = true
      steps.events.insert(id)
    case .agent(_, let action):
      switch action {
      case .addsLabel(let id): steps.manualLabels.insert(id)
      case .takesOver, .transfersToAI, .keepsHumanAndLeaves, .removesLabel, .replies, .notes:
        break
      }
    }
  }

  /// Labels that could be on the conversation, in evaluation order so `label "Y"` sees Y's
  /// answer first. Labels in a cycle (an error anyway) are simply not reached.
  private static func possibleLabels(_ ruleSet: RuleSet, _ steps: StepsSoFar) -> Set<LabelID> {
    var possible = steps.manualLabels
    for id in ruleSet.labelEvaluationOrder {
      let label = ruleSet[id]
      if label.addTriggers.contains(where: { canHold($0.condition, steps, possible) }) {
        possible.insert(id)
      }
    }
    return possible
  }

  private static func canHold(
    _ condition: ConditionTree, _ steps: StepsSoFar, _ possible: Set<LabelID>
  ) -> Bool {
    switch condition {
    case .and(let l, let r): canHold(l, steps, possible) && canHold(r, steps, possible)
    case .or(let l, let r): canHold(l, steps, possible) || canHold(r, steps, possible)
    case .not: true
    case .atom(let atom):
      switch atom.kind {
      case .contains, .matches: steps.hasMessage
      case .event(let id): steps.events.contains(id)
      case .comparison(let field, _, _):
        switch field {
        case .message: steps.hasMessage
        case .event: steps.hasEvent
        case .contact(let name, _): steps.contactFields.contains(name)
        }
      case .label(let id): possible.contains(id)
      case .mode, .during: true
      }
    }
  }
}
