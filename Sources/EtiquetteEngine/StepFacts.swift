import EtiquetteChecker
import EtiquetteSyntax
import Foundation

/// Answers the atoms that are not about the message text, for one step of one conversation.
/// Public so that `etiquette repl`'s `:why` explains atoms with the engine's own answers.
public struct StepFacts {
  /// Only the two tables the atoms look up, not the whole rule set: a copy of `RuleSet` is a
  /// retain and a release of each of its dozen arrays, at every step.
  let hours: [HoursDefinition]
  let events: [EventDefinition]
  let at: Date
  let kind: Step.Kind
  let contact: Contact
  let mode: Mode
  /// The labels as they are at this point of the step's evaluation.
  var labels: Set<LabelID>

  public init(ruleSet: RuleSet, step: Step, contact: Contact, mode: Mode, labels: Set<LabelID>) {
    hours = ruleSet.hours
    events = ruleSet.events
    at = step.at
    kind = step.kind
    self.contact = contact
    self.mode = mode
    self.labels = labels
  }

  /// What the step is, as far as the trigger index and the label reasons ask: read out of
  /// `Step.Kind` once (`Engine.apply`), since each match on the kind that binds its payload
  /// copies it (a retain and a release of every string in a message).
  enum What {
    case message(MessageType)
    case event(name: String)
    case other

    var eventName: String? { if case .event(let name) = self { name } else { nil } }
    var isMessage: Bool { if case .message = self { true } else { false } }
  }

  public func holds(_ atom: ConditionAtom) -> Bool {
    switch atom.kind {
    case .contains, .matches:
      // The matcher answers these; reaching here means the step has no text.
      return false
    case .label(let id): return labels.contains(id)
    case .mode(let wanted): return mode == wanted
    case .during(let id): return HoursClock.isOpen(hours[id.rawValue], at: at)
    case .event(let id):
      guard case .event(let event) = kind else { return false }
      return event.name == events[id.rawValue].name
    case .comparison(let field, let op, let expected):
      guard let actual = value(of: field) else { return false }
      return FieldComparison.holds(actual, op, expected)
    }
  }

  /// The field's value at this step; nil when it does not exist here (a message field on a
  /// step that is not a message, an attribute the contact does not have), which makes every
  /// comparison on it false.
  private func value(of field: FieldReference) -> FieldValue? {
    switch field {
    case .message(let messageField):
      guard case .message(let message) = kind else { return nil }
      switch messageField {
      case .type: return .string(message.type.rawValue)
      case .text: return .string(message.type == .text ? message.text ?? "" : "")
      case .caption: return message.caption.map(FieldValue.string)
      case .filename: return message.filename.map(FieldValue.string)
      }
    case .contact(let name, _):
      let value = contact.attributes[name]
      return value == .null ? nil : value
    case .event(let name, _, let events):
      guard case .event(let event) = kind else { return nil }
      if !events.isEmpty, !events.contains(where: { self.events[$0.rawValue].name == event.name }) {
        return nil
      }
      let value = event.fields[name]
      return value == .null ? nil : value
    }
  }
}

/// Comparison of a runtime value with a rule's typed literal.
enum FieldComparison {
  static func holds(_ actual: FieldValue, _ op: ComparisonOperator, _ expected: TypedValue)
    -> Bool
  {
    switch op {
    case .equal, .is: return equal(actual, expected)
    case .notEqual: return !equal(actual, expected)
    case .in:
      guard case .list(let items) = expected else { return equal(actual, expected) }
      return items.contains { equal(actual, $0) }
    case .startsWith:
      guard case .string(let s) = actual, case .string(let prefix) = expected else { return false }
      return s.hasPrefix(prefix)
    case .less, .lessOrEqual, .greater, .greaterOrEqual:
      switch (actual, expected) {
      case (.number(let a), .number(let b)): return ordered(a, op, b)
      case (.string(let a), .string(let b)): return ordered(a, op, b)
      // A number that arrived as a JSON string ("42") still compares as a number.
      case (.string(let a), .number(let b)):
        guard let a = Double(a) else { return false }
        return ordered(a, op, b)
      default: return false
      }
    }
  }

  private static func ordered<T: Comparable>(_ a: T, _ op: ComparisonOperator, _ b: T) -> Bool {
    switch op {
    case .less: a < b
    case .lessOrEqual: a <= b
    case .greater: a > b
    case .greaterOrEqual: a >= b
    default: false
    }
  }

  static func equal(_ actual: FieldValue, _ expected: TypedValue) -> Bool {
    switch (actual, expected) {
    case (.string(let a), .string(let b)): a == b
    case (.string(let a), .messageType(let t)): a == t.rawValue
    case (.number(let a), .number(let b)): a == b
    case (.string(let a), .number(let b)): Double(a) == b
    case (.bool(let a), .bool(let b)): a == b
    case (.list(let a), .list(let b)):
      a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
    default: false
    }
  }
}

/// Opening hours against an instant, in the hours' own zone (so a DST change moves the UTC
/// instants at which "09:00" falls, not the local opening time).
public enum HoursClock {
  public static func isOpen(_ hours: HoursDefinition, at instant: Date) -> Bool {
    guard let (day, minute) = localTime(instant, zone: hours.zone) else { return false }
    return hours.isOpen(on: day, atMinute: minute)
  }

  /// The weekday and minute since midnight of `instant` in the zone; nil for an unknown zone
  /// (the checker rejects those, so this only guards hand-built rule sets).
  public static func localTime(_ instant: Date, zone: String) -> (Weekday, Int)? {
    guard let timeZone = TimeZone(identifier: zone) else { return nil }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = timeZone
    let parts = calendar.dateComponents([.weekday, .hour, .minute], from: instant)
    guard let weekday = parts.weekday, let hour = parts.hour, let minute = parts.minute else {
      return nil
    }
    // Foundation numbers Sunday 1 … Saturday 7; ISO numbers Monday 1 … Sunday 7.
    guard let day = Weekday(rawValue: (weekday + 5) % 7 + 1) else { return nil }
    return (day, hour * 60 + minute)
  }
}
