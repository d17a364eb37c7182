import EtiquetteChecker
import EtiquetteMatcher
import EtiquetteSyntax
import Foundation

/// Every trigger of a rule set filed under the facts of a step that can make it true, so that a
/// step evaluates the triggers that may hold on it and not the others (issue 20): a step on
/// 5,000 labels that nothing concerns costs what a step on one label costs.
///
/// Each trigger is filed under a set of *keys* such that whenever its condition holds, one of
/// them is true of the step: its text (a phrase hit or a regex outcome, which the matcher's
/// scan reports trigger by trigger), a label the conversation has, its mode, hours open or
/// closed at the step's instant, the step's event or message type. A trigger whose condition
/// can hold with none of these — `not message contains "…"` holds when nothing matches,
/// `not label "X"` on nearly every conversation, `contact.plan == "pro"` on every step — is
/// filed under no key but in `always`: evaluated at every step.
///
/// Keys are about the step as it is, never about what changed since the previous one: a
/// trigger left out is false now whatever it was before, so `held` (what holds now) is the
/// same as if every trigger had been evaluated, and edge detection (fire when held now and not
/// before) needs no held trigger re-evaluated. That holds on a conversation's first step and
/// after a rule-set reload too, where no earlier evaluation by these rules exists.
///
/// Built once per rule set; immutable and `Sendable`. A class: a step reads it through one
/// reference, where a struct of a dozen arrays copied out of the engine's enum retained and
/// released every array at every step.
final class TriggerIndex: Sendable {
  /// A fact of a step under which triggers are filed. `Hashable` only for building.
  enum Key: Hashable {
    /// The matcher reports a text atom of this very trigger (phrase hit, regex outcome).
    case text
    case label(LabelID)
    case mode(Mode)
    case open(HoursID)
    case closed(HoursID)
    case event(name: String)
    case anyEvent
    case messageType(MessageType)
    case anyMessage
  }

  /// Per trigger ordinal (position in `RuleMatcher.allTriggers`): where its evaluation
  /// happens — the position of its label in `labelEvaluationOrder` (≥ 0), `-(r + 1)` for
  /// routing rule `r`, or `StepStops.never` for a label outside the order (a hand-built rule
  /// set's; the engine never evaluates those).
  let stop: [Int32]
  /// Per position in `labelEvaluationOrder`: the label there (raw id).
  let labelAtPosition: [Int32]
  /// Triggers evaluated at every step.
  let always: [Int32]
  /// Triggers by label raw id, by mode, by hours raw id (open, closed), by message type.
  let byLabel: FlatLists
  let byMode: FlatLists
  let byOpenHours: FlatLists
  let byClosedHours: FlatLists
  /// Hours that some trigger is filed under: the only ones whose clock a step reads.
  let indexedHours: [Int]
  let byMessageType: FlatLists
  let anyMessage: [Int32]
  /// Triggers by event name (list number in `byEventList`), and those of any event.
  let eventList: [String: Int]
  let byEventList: FlatLists
  let anyEvent: [Int32]

  init(ruleSet: RuleSet, triggers: [TriggerID]) {
    var position = [Int32](repeating: StepStops.never, count: ruleSet.labels.count)
    for (index, id) in ruleSet.labelEvaluationOrder.enumerated()
    where id.rawValue >= 0 && id.rawValue < position.count {
      position[id.rawValue] = Int32(index)
    }
    labelAtPosition = ruleSet.labelEvaluationOrder.map { Int32($0.rawValue) }

    let eventNames = ruleSet.events.map(\.name)
    var stop: [Int32] = []
    var always: [Int32] = []
    var byLabel = [[Int32]](repeating: [], count: ruleSet.labels.count)
    var byMode = [[Int32]](repeating: [], count: Mode.allCases.count)
    var byOpen = [[Int32]](repeating: [], count: ruleSet.hours.count)
    var byClosed = [[Int32]](repeating: [], count: ruleSet.hours.count)
    var byType = [[Int32]](repeating: [], count: MessageType.allCases.count)
    var anyMessage: [Int32] = []
    var eventList: [String: Int] = [:]
    var byEvent: [[Int32]] = []
    var anyEvent: [Int32] = []
    for (ordinal, trigger) in triggers.enumerated() {
      let condition: ConditionTree
      switch trigger {
      case .add(let label, let index):
        stop.append(position[label.rawValue])
        condition = ruleSet[label].addTriggers[index].condition
      case .remove(let label, let index):
        stop.append(position[label.rawValue])
        condition = ruleSet[label].removeTriggers[index].condition
      case .route(let index):
        stop.append(-Int32(index) - 1)
        condition = ruleSet.routing.rules[index].condition
      }
      let entry = Int32(ordinal)
      guard let keys = Self.keys(condition, negated: false, eventNames: eventNames) else {
        always.append(entry)
        continue
      }
      for key in keys {
        switch key {
        case .text: break  // the matcher's scan reports these triggers itself
        case .label(let id):
          if id.rawValue >= 0 && id.rawValue < byLabel.count { byLabel[id.rawValue].append(entry) }
        case .mode(let mode): byMode[Self.number(of: mode)].append(entry)
        case .open(let id): byOpen[id.rawValue].append(entry)
        case .closed(let id): byClosed[id.rawValue].append(entry)
        case .messageType(let type): byType[Self.number(of: type)].append(entry)
        case .anyMessage: anyMessage.append(entry)
        case .event(let name):
          let list = eventList[name] ?? byEvent.count
          if list == byEvent.count {
            eventList[name] = list
            byEvent.append([])
          }
          byEvent[list].append(entry)
        case .anyEvent: anyEvent.append(entry)
        }
      }
    }
    self.stop = stop
    self.always = always
    self.byLabel = FlatLists(byLabel)
    self.byMode = FlatLists(byMode)
    byOpenHours = FlatLists(byOpen)
    byClosedHours = FlatLists(byClosed)
    indexedHours = ruleSet.hours.indices.filter { !byOpen[$0].isEmpty || !byClosed[$0].isEmpty }
    byMessageType = FlatLists(byType)
    self.anyMessage = anyMessage
    self.eventList = eventList
    byEventList = FlatLists(byEvent)
    self.anyEvent = anyEvent
  }

  static func number(of mode: Mode) -> Int { Mode.allCases.firstIndex(of: mode) ?? 0 }
  static func number(of type: MessageType) -> Int {
    MessageType.allCases.firstIndex(of: type) ?? 0
  }

  // MARK: - What can make a condition true

  /// Keys of which at least one is true of every step on which `tree` holds (or, `negated`,
  /// on which it does not hold); nil when no such set exists short of "every step".
  ///
  /// `a and b` needs only the keys of one side (the more selective); `a or b` those of both;
  /// `not` is pushed down to the atoms (De Morgan), where a negated atom is keyed by what
  /// makes it false-then-negated true: `not mode ai` by mode human, `not during "h"` by the
  /// hours being closed, and every other negated atom — absent text, label, event, a
  /// comparison whose field may not exist — by nothing (every step).
  static func keys(_ tree: ConditionTree, negated: Bool, eventNames: [String]) -> Set<Key>? {
    switch tree {
    case .not(let child):
      return keys(child, negated: !negated, eventNames: eventNames)
    case .atom(let atom):
      return negated ? negatedKeys(atom) : keys(atom, eventNames: eventNames)
    case .and, .or:
      var isAnd = false
      if case .and = tree { isAnd = true }
      // The chain's operands, flattened with an explicit stack (the parser builds left-deep
      // trees: a long `or` would otherwise recurse once per operand).
      var operands: [ConditionTree] = []
      var stack: [ConditionTree] = [tree]
      while let node = stack.popLast() {
        switch node {
        case .and(let left, let right) where isAnd, .or(let left, let right) where !isAnd:
          stack.append(right)
          stack.append(left)
        default:
          operands.append(node)
        }
      }
      let sides = operands.map { keys($0, negated: negated, eventNames: eventNames) }
      // Under negation `and` behaves as `or` and the other way round.
      if isAnd != negated {
        return sides.dropFirst().reduce(sides[0]) { selective($0, $1) }
      }
      var union: Set<Key> = []
      for side in sides {
        guard let side else { return nil }
        union.formUnion(side)
      }
      return union
    }
  }

  /// The keys of one side of an `and`: text first (the matcher reports it trigger by trigger,
  /// and phrases rarely occur), then the fewest keys, preferring keys that are rarely true.
  private static func selective(_ l: Set<Key>?, _ r: Set<Key>?) -> Set<Key>? {
    guard let l else { return r }
    guard let r else { return l }
    return cost(l) <= cost(r) ? l : r
  }

  private static func cost(_ keys: Set<Key>) -> Int {
    keys.reduce(0) { total, key in
      let cost =
        switch key {
        case .text: 1
        case .event, .messageType: 4
        case .label, .open, .closed, .anyEvent: 16
        case .anyMessage, .mode: 64
        }
      return total + cost
    }
  }

  private static func keys(_ atom: ConditionAtom, eventNames: [String]) -> Set<Key>? {
    switch atom.kind {
    case .contains, .matches: return [.text]
    case .label(let id): return [.label(id)]
    case .mode(let mode): return [.mode(mode)]
    case .during(let id): return [.open(id)]
    // `StepFacts` compares the step's event name with the declared event's.
    case .event(let id): return [.event(name: eventNames[id.rawValue])]
    case .comparison(let field, let op, let expected):
      switch field {
      // A message field does not exist on other steps, which makes every comparison false.
      case .message(let messageField):
        if messageField == .type, let types = messageTypes(op, expected) {
          return Set(types.map(Key.messageType))
        }
        return [.anyMessage]
      case .event(_, _, let events):
        return events.isEmpty
          ? [.anyEvent] : Set(events.map { .event(name: eventNames[$0.rawValue]) })
      case .contact:
        return nil
      }
    }
  }

  private static func negatedKeys(_ atom: ConditionAtom) -> Set<Key>? {
    switch atom.kind {
    case .mode(let mode): return Set(Mode.allCases.filter { $0 != mode }.map(Key.mode))
    case .during(let id): return [.closed(id)]
    case .contains, .matches, .label, .event, .comparison: return nil
    }
  }

  /// The message types `message.type OP expected` can hold for, when it names them.
  private static func messageTypes(_ op: ComparisonOperator, _ expected: TypedValue)
    -> [MessageType]?
  {
    func type(_ value: TypedValue) -> MessageType? {
      switch value {
      case .messageType(let type): type
      case .string(let text): MessageType(rawValue: text)
      default: nil
      }
    }
    switch op {
    case .equal, .is:
      guard let type = type(expected) else { return nil }
      return [type]
    case .in:
      guard case .list(let items) = expected else { return type(expected).map { [$0] } }
      let types = items.compactMap(type)
      return types.count == items.count ? types : nil
    default:
      return nil
    }
  }
}

extension TriggerIndex {
  /// Files at `stops` the triggers that may hold at this step, before its labels change:
  /// those the matcher reports for the text, those evaluated always, and those under a key
  /// true of the step (`mode` and `labels` as the step's label evaluation starts).
  func collect(
    into stops: inout StepStops, scan: TextScan, matcher: RuleMatcher, at instant: Date,
    what: StepFacts.What, ruleSet: RuleSet, mode: Mode,
    labels: Dictionary<LabelID, LabelProvenance>.Keys
  ) {
    for ordinal in always { stops.add(stop[Int(ordinal)]) }
    matcher.forEachTextCandidate(of: scan) { stops.add(stop[$0]) }
    byMode.forEach(of: Self.number(of: mode)) { stops.add(stop[Int($0)]) }
    for label in labels where label.rawValue >= 0 && label.rawValue < byLabel.count {
      byLabel.forEach(of: label.rawValue) { stops.add(stop[Int($0)]) }
    }
    for hours in indexedHours {
      let lists = HoursClock.isOpen(ruleSet.hours[hours], at: instant) ? byOpenHours : byClosedHours
      lists.forEach(of: hours) { stops.add(stop[Int($0)]) }
    }
    switch what {
    case .message(let type):
      for ordinal in anyMessage { stops.add(stop[Int(ordinal)]) }
      byMessageType.forEach(of: Self.number(of: type)) { stops.add(stop[Int($0)]) }
    case .event(let name):
      for ordinal in anyEvent { stops.add(stop[Int(ordinal)]) }
      if let list = eventList[name] {
        byEventList.forEach(of: list) { stops.add(stop[Int($0)]) }
      }
    case .other:
      break
    }
    stops.labels.sort()
    var distinct = 0
    for next in stops.labels.indices {
      let position = stops.labels[next]
      if distinct > 0 && stops.labels[distinct - 1] == position { continue }
      stops.labels[distinct] = position
      distinct += 1
    }
    stops.labels.removeSubrange(distinct...)
  }

  /// Files the triggers of labels that have `label` as it was just added at position `current`:
  /// a label later in the order sees it (the checker orders every label after those it
  /// depends on); one earlier or the same was evaluated before it was added, so it could not.
  func labelAdded(_ label: LabelID, at current: Int32, into stops: inout StepStops, from next: Int)
  {
    guard label.rawValue >= 0 && label.rawValue < byLabel.count else { return }
    byLabel.forEach(of: label.rawValue) { ordinal in
      let target = stop[Int(ordinal)]
      if target > current {
        stops.insertLabel(target, from: next)
      } else if target < 0 {
        stops.add(target)
      }
    }
  }
}

/// The labels (by position in `labelEvaluationOrder`) and routing rules one step evaluates.
struct StepStops {
  /// A label outside `labelEvaluationOrder`: never evaluated.
  static let never = Int32.min

  /// Label positions: sorted and distinct once `TriggerIndex.collect` returns.
  var labels: [Int32] = []
  /// Routing rule indices, in any order, repeats allowed.
  var routes: [Int32] = []

  @inline(__always)
  mutating func add(_ stop: Int32) {
    if stop >= 0 {
      labels.append(stop)
    } else if stop != Self.never {
      routes.append(-(stop + 1))
    }
  }

  /// Inserts a label position into the sorted `labels[next...]`, unless it is there.
  mutating func insertLabel(_ position: Int32, from next: Int) {
    var low = next
    var high = labels.count
    while low < high {
      let mid = (low + high) / 2
      if labels[mid] < position { low = mid + 1 } else { high = mid }
    }
    if low < labels.count && labels[low] == position { return }
    labels.insert(position, at: low)
  }

  /// The routing rules in order, each once.
  mutating func sortedRoutes() -> [Int32] {
    routes.sort()
    var out: [Int32] = []
    for route in routes where out.last != route { out.append(route) }
    return out
  }
}
