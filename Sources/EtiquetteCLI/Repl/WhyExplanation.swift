import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteMatcher
import EtiquetteSyntax
import Foundation

/// `:why LABEL` and `:why routing`: every trigger, whether it held on the last message, and for
/// each atom of its condition whether it held and what matched.
///
/// The engine's decision says what fired; this re-evaluates each condition with the engine's own
/// matcher (`RuleMatcher.evaluate`) and facts (`StepFacts`) so the tree shown agrees with it.
struct WhyExplanation {
  let words: ReplVocabulary
  let matcher: RuleMatcher

  private var ruleSet: RuleSet { words.ruleSet }
  private var style: TerminalStyle { words.style }

  private static let yes = "✓"
  private static let no = "✗"

  func explain(label: LabelDefinition, context: StepContext?, now: Conversation) -> String {
    var out = "label \(words.label(label.id))  \(words.location(label.nameSpan))  — "
    out += now.labels[label.id] == nil ? "not on the conversation\n" : "on the conversation\n"
    guard let context else {
      out += "  no message yet: send one, then ask again\n"
      return out
    }
    out += "  on the last step: \(describe(context.step))\n"
    let facts = StepFacts(
      ruleSet: ruleSet, step: context.step, contact: context.before.contact,
      mode: context.before.mode, labels: labelsSeen(by: label.id, in: context))
    let triggers =
      label.addTriggers.enumerated().map { (TriggerID.add(label.id, $0.offset), $0.element) }
      + label.removeTriggers.enumerated().map {
        (TriggerID.remove(label.id, $0.offset), $0.element)
      }
    if triggers.isEmpty { out += "  it has no `when`: only agents add it\n" }
    for (id, trigger) in triggers {
      out += explain(id, span: trigger.span, condition: trigger.condition, context, facts)
    }
    return out
  }

  func explainRouting(context: StepContext?) -> String {
    var out = "routing  default \(ruleSet.routing.defaultMode.rawValue)\n"
    guard let context else {
      out += "  no message yet: send one, then ask again\n"
      return out
    }
    out += "  on the last step: \(describe(context.step))\n"
    // Routing sees the labels after this step's label triggers, and the mode before routing.
    let facts = StepFacts(
      ruleSet: ruleSet, step: context.step, contact: context.before.contact,
      mode: context.before.mode, labels: context.after.labelSet)
    for (index, rule) in ruleSet.routing.rules.enumerated() {
      out += explain(.route(index), span: rule.span, condition: rule.condition, context, facts)
    }
    return out
  }

  private func describe(_ step: Step) -> String {
    switch step.kind {
    case .message(let message):
      let text = message.scannedText.map { " \(words.quoted($0))" } ?? ""
      return message.type == .text ? "message\(text)" : "\(message.type.rawValue) message\(text)"
    case .event(let event): return "event \(words.quoted(event.name))"
    case .agent(let member, let action): return "agent \(member) \(action.name)"
    case .tick: return "time passing"
    case .aiReply(let text, let version):
      return "AI reply \(words.quoted(text)) for version \(version)"
    }
  }

  /// The labels a label's triggers saw: those before the step, updated by the labels evaluated
  /// before it in `labelEvaluationOrder` (the engine's order).
  private func labelsSeen(by label: LabelID, in context: StepContext) -> Set<LabelID> {
    var labels = context.before.labelSet
    for id in ruleSet.labelEvaluationOrder {
      if id == label { break }
      for change in context.decision.removed where change.label == id { labels.remove(id) }
      for change in context.decision.added where change.label == id { labels.insert(id) }
    }
    return labels
  }

  private func explain(
    _ id: TriggerID, span: SourceSpan, condition: ConditionTree, _ context: StepContext,
    _ facts: StepFacts
  ) -> String {
    let evaluation = matcher.evaluate(id, scan: context.scan, facts: facts.holds)
    let kind: String
    switch id {
    case .add: kind = "when"
    case .remove: kind = "remove when"
    case .route: kind = "rule"
    }
    var verdict: String
    if !evaluation.holds {
      verdict = style.paint("does not hold", .red)
    } else if context.decision.fired.contains(where: { $0.trigger == id }) {
      verdict = style.paint("holds and fired", .green, bold: true)
      verdict += firedEffect(id, context)
    } else {
      verdict =
        style.paint("holds", .yellow)
        + ", but it already held at the step before: a trigger fires when it becomes true"
    }
    var out = "  \(kind)  \(words.location(span))  \(verdict)\n"
    for line in lines(for: condition, context: context, facts: facts, depth: 2).lines {
      out += line + "\n"
    }
    for error in evaluation.errors {
      out += "      " + style.paint("error", .red) + ": \(error.message)\n"
    }
    return out
  }

  private func firedEffect(_ id: TriggerID, _ context: StepContext) -> String {
    switch id {
    case .add(let label, _):
      if context.decision.added.contains(where: { $0.label == label }) {
        return ": added the label"
      }
      if context.decision.removed.contains(where: { $0.label == label }) {
        return ", but a `remove when` fired too and removal wins"
      }
      return " (the label was already there)"
    case .remove(let label, _):
      return context.decision.removed.contains(where: { $0.label == label })
        ? ": removed the label" : " (the label was not there)"
    case .route(let index):
      switch context.decision.routing {
      case .rule(let chosen, _) where chosen == index: return ": it decided the route"
      case .held(let chosen, _, let member) where chosen == index:
        return ", but \(member) holds the conversation"
      default: return ", but an earlier rule decided"
      }
    }
  }

  // MARK: - The condition tree

  private struct Explained {
    var holds: Bool
    var lines: [String]
  }

  private func lines(
    for tree: ConditionTree, context: StepContext, facts: StepFacts, depth: Int
  ) -> Explained {
    let pad = String(repeating: "  ", count: depth)
    switch tree {
    case .and, .or:
      let isAnd: Bool = if case .and = tree { true } else { false }
      let children = flatten(tree, and: isAnd).map {
        lines(for: $0, context: context, facts: facts, depth: depth + 1)
      }
      let holds = isAnd ? children.allSatisfy(\.holds) : children.contains(where: \.holds)
      let head = pad + mark(holds) + (isAnd ? " all of:" : " any of:")
      return Explained(holds: holds, lines: [head] + children.flatMap(\.lines))
    case .not(let child):
      let inner = lines(for: child, context: context, facts: facts, depth: depth + 1)
      return Explained(
        holds: !inner.holds, lines: [pad + mark(!inner.holds) + " not:"] + inner.lines)
    case .atom(let atom):
      let (holds, detail) = explain(atom, context: context, facts: facts)
      var line = pad + mark(holds) + " " + words.clauseText(atom.span, limit: 60)
      if !detail.isEmpty { line += "  — " + detail }
      return Explained(holds: holds, lines: [line])
    }
  }

  private func flatten(_ tree: ConditionTree, and isAnd: Bool) -> [ConditionTree] {
    var operands: [ConditionTree] = []
    var stack = [tree]
    while let node = stack.popLast() {
      switch node {
      case .and(let l, let r) where isAnd:
        stack.append(r)
        stack.append(l)
      case .or(let l, let r) where !isAnd:
        stack.append(r)
        stack.append(l)
      default: operands.append(node)
      }
    }
    return operands
  }

  private func mark(_ holds: Bool) -> String {
    holds ? style.paint(Self.yes, .green, bold: true) : style.paint(Self.no, .red, bold: true)
  }

  private func explain(_ atom: ConditionAtom, context: StepContext, facts: StepFacts)
    -> (Bool, String)
  {
    let scan = context.scan
    switch atom.kind {
    case .contains(let quantifier, let phrases):
      guard context.scannedText != nil else { return (false, "the step has no text") }
      var found: [String] = []
      var missing: [String] = []
      for phrase in phrases {
        if let range = scan.phraseHits(phrase).first {
          let matched = substring(scan.text, range)
          let how = MatchExplanation(matched: matched, phrase: phrase.text, ruleSet: ruleSet).text
          found.append(
            "\(words.quoted(phrase.text)) matched '\(matched)'" + (how.map { ": " + $0 } ?? ""))
        } else {
          missing.append(words.quoted(phrase.text))
        }
      }
      let holds = quantifier == .all ? missing.isEmpty : !found.isEmpty
      var parts: [String] = []
      if !found.isEmpty { parts.append(found.joined(separator: ", ")) }
      if !missing.isEmpty, found.isEmpty || quantifier == .all {
        let shown = missing.prefix(3).joined(separator: ", ")
        parts.append(
          "not found: " + shown + (missing.count > 3 ? " and \(missing.count - 3) more" : ""))
      } else if !missing.isEmpty {
        parts.append("\(missing.count) other\(missing.count == 1 ? "" : "s") not found")
      }
      return (holds, parts.joined(separator: "; "))
    case .matches(let pattern):
      guard context.scannedText != nil else { return (false, "the step has no text") }
      switch scan.patternOutcome(pattern) {
      case .match(let range): return (true, "matched '\(substring(scan.text, range))'")
      case .noMatch: return (false, "no match")
      case .limitExceeded(let reason):
        return (false, "undecided: a match limit was hit (\(reason))")
      case .failed(let reason): return (false, "failed: \(reason)")
      }
    case .label:
      let holds = facts.holds(atom)
      return (holds, holds ? "the conversation has it" : "the conversation does not have it")
    case .mode:
      return (facts.holds(atom), "mode was \(context.before.mode.rawValue)")
    case .during(let id):
      let holds = facts.holds(atom)
      let hours = ruleSet[id]
      return (
        holds,
        "\(holds ? "open" : "closed") at \(Instant.format(context.step.at)) "
          + "(\(localTime(context.step.at, zone: hours.zone)) in \(hours.zone))"
      )
    case .event:
      let holds = facts.holds(atom)
      if holds { return (true, "the step is this event") }
      return (false, "the step is \(describe(context.step))")
    case .comparison(let field, _, _):
      let holds = facts.holds(atom)
      return (holds, "\(field) is " + (actual(field, context) ?? "not set"))
    }
  }

  private func actual(_ field: FieldReference, _ context: StepContext) -> String? {
    switch field {
    case .contact(let name, _):
      return context.before.contact.attributes[name].map(\.description)
    case .message(let messageField):
      guard case .message(let message) = context.step.kind else { return nil }
      switch messageField {
      case .type: return message.type.rawValue
      case .text: return words.quoted(message.type == .text ? message.text ?? "" : "")
      case .caption: return message.caption.map(words.quoted)
      case .filename: return message.filename.map(words.quoted)
      }
    case .event(let name, _, _):
      guard case .event(let event) = context.step.kind else { return nil }
      return event.fields[name].map(\.description)
    }
  }

  private func localTime(_ date: Date, zone: String) -> String {
    guard let (day, minute) = HoursClock.localTime(date, zone: zone) else { return "?" }
    let hour = minute / 60
    let rest = minute % 60
    return "\(day.shortName) " + (hour < 10 ? "0" : "") + "\(hour):" + (rest < 10 ? "0" : "")
      + "\(rest)"
  }

  private func substring(_ text: String, _ range: Range<Int>) -> String {
    let bytes = Array(text.utf8)
    guard range.upperBound <= bytes.count else { return "" }
    return String(decoding: bytes[range], as: UTF8.self)
  }
}
