import EtiquetteChecker
import EtiquetteEngine
import EtiquetteFormat
import EtiquetteSyntax
import Foundation

/// `:save`: a replayed conversation as a `test` block whose expectations are the outcomes the
/// current rules give, so that `etiquette test` passes on it until the rules change behaviour.
///
/// What a test cannot say (an undeclared attribute or event field, a value of the wrong type,
/// a negative number) is written as a `#` comment, so the file still checks.
struct TestBlockWriter {
  let ruleSet: RuleSet

  func block(name: String, run: ConversationRun, applied: [AppliedEntry]) -> String {
    var lines: [String] = []
    if run.startTime != Engine.defaultInstant {
      lines.append("at \(quoted(Instant.format(run.startTime)))")
    }
    for (entry, outcome) in zip(run.entries, applied) {
      switch (entry, outcome) {
      case (.at(let date), _):
        lines.append("at \(quoted(Instant.format(date)))")
      case (.contact(let values), _):
        lines += contact(values)
      case (.access(let member, let level), .access(let answer)):
        lines.append("expect \(quoted(member)) \(answer.allowed ? "can" : "cannot") \(level)")
      case (_, .step(let context)):
        lines += step(entry, context)
      case (_, .skipped(let why)):
        lines.append("# skipped: \(why)")
      default:
        break
      }
    }
    return "test \(quoted(name)) {\n" + lines.map { "  " + $0 + "\n" }.joined() + "}\n"
  }

  private func step(_ entry: SessionEntry, _ context: StepContext) -> [String] {
    var lines: [String] = []
    switch entry {
    case .message(let message):
      if message.type == .text {
        lines.append("customer says \(quoted(message.text ?? ""))")
      } else {
        // A test's caption is what `contains` scans, as a document's file name is here.
        let caption = message.caption ?? message.filename
        lines.append(
          "customer sends \(message.type.rawValue)" + (caption.map { " " + quoted($0) } ?? ""))
      }
    case .event(let event):
      guard let definition = ruleSet.event(named: event.name) else {
        return ["# event \(quoted(event.name)) is not declared"]
      }
      var fields: [String] = []
      var dropped: [String] = []
      for key in event.fields.keys.sorted() {
        guard let value = event.fields[key] else { continue }
        if let schema = definition.field(named: key), let literal = literal(value, schema.type) {
          fields.append("\(key): \(literal)")
        } else {
          dropped.append(key)
        }
      }
      if !dropped.isEmpty {
        lines.append(
          "# fields not written (undeclared or mistyped): " + dropped.joined(separator: ", "))
      }
      lines.append(
        "event \(quoted(event.name))"
          + (fields.isEmpty ? "" : " { " + fields.joined(separator: ", ") + " }"))
    case .agent(let member, let request):
      lines.append("agent \(quoted(member)) " + action(request))
      if context.decision.refusal != nil {
        lines.append("# refused: \(member) may not do this here")
      }
      lines.append("expect mode \(context.after.mode.rawValue)")
      return lines
    case .at, .contact, .access:
      return []
    }
    lines += expectations(context)
    return lines
  }

  private func expectations(_ context: StepContext) -> [String] {
    let decision = context.decision
    var lines: [String] = []
    let labels = context.after.labelSet.sorted().map { quoted(ruleSet[$0].name) }
    lines.append("expect labels [" + labels.joined(separator: ", ") + "]")
    switch decision.routing {
    case .unchanged, .held:
      lines.append("expect route unchanged")
    case .defaultMode(let mode):
      lines.append("expect route \(mode.rawValue)")
    case .rule(_, let target):
      var text = "expect route \(target.mode.rawValue)"
      if let team = target.team { text += " team \(quoted(ruleSet[team].name))" }
      if let priority = target.priority { text += " priority \(priority.rawValue)" }
      lines.append(text)
    }
    lines.append("expect mode \(decision.mode.rawValue)")
    var seen = Set<String>()
    for note in decision.notifications where seen.insert(note.member).inserted {
      lines.append("expect notify \(quoted(note.member))")
    }
    return lines
  }

  private func action(_ request: AgentRequest) -> String {
    switch request {
    case .takeOver: "takes over"
    case .transferToAI: "transfers to ai"
    case .keepHumanAndLeave: "keeps human and leaves"
    case .addLabel(let name): "adds label \(quoted(name))"
    case .removeLabel(let name): "removes label \(quoted(name))"
    case .reply(let text): "replies \(quoted(text))"
    case .note(let text): "notes \(quoted(text))"
    }
  }

  private func contact(_ values: [String: FieldValue]) -> [String] {
    var fields: [String] = []
    var dropped: [String] = []
    for key in values.keys.sorted() {
      guard let value = values[key] else { continue }
      if let schema = ruleSet.contactAttribute(named: key),
        let literal = literal(value, schema.type)
      {
        fields.append("\(key): \(literal)")
      } else {
        dropped.append(key)
      }
    }
    var lines: [String] = []
    if !dropped.isEmpty {
      lines.append(
        "# contact attributes not written (undeclared or mistyped): "
          + dropped.joined(separator: ", "))
    }
    if !fields.isEmpty { lines.append("contact { " + fields.joined(separator: ", ") + " }") }
    return lines
  }

  /// The value as a rule-file literal of the declared type, or nil when it does not fit.
  private func literal(_ value: FieldValue, _ type: AttributeType) -> String? {
    switch (value, type) {
    case (.string(let s), .string): return quoted(s)
    case (.string(let s), .oneOf(let allowed)): return allowed.contains(s) ? quoted(s) : nil
    case (.bool(let b), .bool): return String(b)
    case (.number(let n), .number):
      // The grammar's NUMBER has no sign and no exponent.
      guard n >= 0, n < 1e15 else { return nil }
      return n == n.rounded() ? String(Int(n)) : String(format: "%.6f", n).trimmingTrailingZeros
    default: return nil
    }
  }

  /// A double-quoted string literal, spelled as `etiquette fmt` spells it.
  func quoted(_ value: String) -> String { CanonicalSpelling.quoted(value) }
}

extension String {
  fileprivate var trimmingTrailingZeros: String {
    var text = self
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
  }
}
