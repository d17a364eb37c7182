import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteMatcher

/// Names of a rule set's triggers that do not depend on where their clause is written.
///
/// `TriggerID` is a position (the second `when` of a label, the fourth routing rule): the
/// matcher's arrays are built in that order. State that outlives one rule set (the triggers
/// that held at the last step, stored with a conversation and carried across reloads) is kept
/// under these names instead, so that reordering clauses and reloading keeps each clause's
/// state on that clause. A name is the kind, the label and the clause's canonical text
/// (`ClauseText`): `when|Urgent|when message contains "urgent"`,
/// `remove when|Urgent|remove when label "Resolved"`, `routing|when label "VIP" -> human`.
/// Identical clauses of one label (or identical routing rules) are told apart by their
/// occurrence, ` #2` onwards: the only case where the order still matters.
public struct TriggerNames: Sendable {
  private var names: [TriggerID: String] = [:]
  private var triggers: [String: TriggerID] = [:]

  public init(ruleSet: RuleSet) {
    for label in ruleSet.labels {
      for (index, trigger) in label.addTriggers.enumerated() {
        record(.add(label.id, index), "when|\(label.name)|\(trigger.canonicalText)")
      }
      for (index, trigger) in label.removeTriggers.enumerated() {
        record(.remove(label.id, index), "remove when|\(label.name)|\(trigger.canonicalText)")
      }
    }
    for (index, rule) in ruleSet.routing.rules.enumerated() {
      record(.route(index), "routing|\(rule.canonicalText)")
    }
  }

  private mutating func record(_ trigger: TriggerID, _ base: String) {
    var name = base
    var occurrence = 1
    while triggers[name] != nil {
      occurrence += 1
      name = "\(base) #\(occurrence)"
    }
    names[trigger] = name
    triggers[name] = trigger
  }

  /// The trigger's stable name; nil only for an id that is not of this rule set.
  public func name(of trigger: TriggerID) -> String? { names[trigger] }

  /// The trigger a stable name denotes in this rule set; nil when no clause has that text now
  /// (its state is then dropped: the clause it belonged to is gone or changed).
  public func trigger(named name: String) -> TriggerID? { triggers[name] }
}

extension Engine {
  /// `conversation`, built under `previous`, with its rule-set references moved to this engine's
  /// rule set: labels and team by name, held triggers by `TriggerNames`. What a reload does to
  /// conversations kept in memory; anything that no longer exists is dropped, as it would be
  /// when the conversation is read back from a store.
  public func carrying(_ conversation: Conversation, from previous: Engine) -> Conversation {
    var c = conversation
    let old = previous.ruleSet
    c.heldTriggers = Set(
      conversation.heldTriggers.compactMap { id in
        previous.triggerNames.name(of: id).flatMap(triggerNames.trigger(named:))
      })
    c.labels = [:]
    for (id, provenance) in conversation.labels {
      guard let label = ruleSet.label(named: old[id].name) else { continue }
      var provenance = provenance
      if case .trigger(let trigger, _, let evidence, let event) = provenance.source {
        // The clause that added the label may be gone: the label stays, said to be added by
        // hand rather than by a clause that no longer exists.
        if let moved = previous.triggerNames.name(of: trigger).flatMap(triggerNames.trigger(named:))
        {
          provenance.source = .trigger(
            moved, clause: span(of: moved), evidence: evidence, event: event)
        } else {
          provenance.source = .manual(member: "")
        }
      }
      c.labels[label.id] = provenance
    }
    c.team = conversation.team.flatMap { ruleSet.team(named: old[$0].name)?.id }
    return c
  }

  private func span(of trigger: TriggerID) -> SourceSpan {
    switch trigger {
    case .add(let label, let index): ruleSet[label].addTriggers[index].span
    case .remove(let label, let index): ruleSet[label].removeTriggers[index].span
    case .route(let index): ruleSet.routing.rules[index].span
    }
  }
}
