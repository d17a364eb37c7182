/// The rule change a difference is attributed to: what a reviewer approves or rejects.
public struct ChangeCause: Hashable, Comparable, Sendable {
  public enum Kind: String, CaseIterable, Sendable {
    case newPhrase = "new_phrase"
    case removedPhrase = "removed_phrase"
    case newPattern = "new_pattern"
    case removedPattern = "removed_pattern"
    case newTrigger = "new_trigger"
    case removedTrigger = "removed_trigger"
    case changedTrigger = "changed_trigger"
    case newLabel = "new_label"
    case removedLabel = "removed_label"
    case newRoutingRule = "new_routing_rule"
    case removedRoutingRule = "removed_routing_rule"
    case changedRoutingRule = "changed_routing_rule"
    case changedRoutingDefault = "changed_routing_default"
    case access = "access"
    case other = "other"
  }
  public var kind: Kind
  /// The phrase, pattern, clause, label or member concerned.
  public var subject: String
  /// `path:line:column` of the rule in the side that has it (new, or old when removed).
  public var location: String?

  public static let other = ChangeCause(kind: .other, subject: "", location: nil)

  public var description: String {
    let at = location.map { " (\($0))" } ?? ""
    switch kind {
    case .newPhrase: return "new phrase '\(subject)'\(at)"
    case .removedPhrase: return "removed phrase '\(subject)'\(at)"
    case .newPattern: return "new pattern \(subject)\(at)"
    case .removedPattern: return "removed pattern \(subject)\(at)"
    case .newTrigger: return "new trigger '\(subject)'\(at)"
    case .removedTrigger: return "removed trigger '\(subject)'\(at)"
    case .changedTrigger: return "changed trigger '\(subject)'\(at)"
    case .newLabel: return "new label '\(subject)'\(at)"
    case .removedLabel: return "removed label '\(subject)'\(at)"
    case .newRoutingRule: return "new routing rule '\(subject)'\(at)"
    case .removedRoutingRule: return "removed routing rule '\(subject)'\(at)"
    case .changedRoutingRule: return "changed routing rule '\(subject)'\(at)"
    case .changedRoutingDefault: return "changed routing default '\(subject)'\(at)"
    case .access: return "access of \(subject) changed by \(location ?? "the teams")"
    case .other: return "other changes"
    }
  }

  /// "other changes" sorts last; the rest by description.
  public static func < (lhs: ChangeCause, rhs: ChangeCause) -> Bool {
    if (lhs.kind == .other) != (rhs.kind == .other) { return rhs.kind == .other }
    return lhs.description < rhs.description
  }
}

/// What kind of decision a difference is about; the summary counts conversations per category.
public enum DifferenceCategory: String, CaseIterable, Codable, Sendable {
  case labels, route, mode, priority, access, notifications, ai, refusals
}

/// One way the new rules decided a step differently from the old rules.
public struct StepDifference: Hashable, Sendable {
  public var category: DifferenceCategory
  /// The field of the decision: `added`, `removed`, `route`, `mode`, `priority`, `access`,
  /// `notify`, `ai` or `refused`.
  public var field: String
  /// The label or member concerned, when there is one.
  public var subject: String?
  /// Values as printed: what the old rules decided and what the new ones do.
  public var old: String
  public var new: String
  /// `+`, `-` or empty: whether the new rules add or take away something.
  public var sign: String
  /// The step-level sentence: `now labelled 'X' (matching 'prix')`.
  public var detail: String
  /// The group-level phrase after the count: `conversations labelled 'X'`.
  public var effect: String
  public var cause: ChangeCause
}

/// A step whose decisions differ, with every difference.
public struct DifferingStep: Sendable {
  public var line: Int
  public var conversation: String
  /// The step's number in its conversation.
  public var step: Int
  /// What happened: the message text, the agent's action, the event.
  public var summary: String
  public var differences: [StepDifference]
}
