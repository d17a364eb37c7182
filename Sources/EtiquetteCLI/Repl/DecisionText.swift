import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteMatcher
import EtiquetteSyntax
import Foundation

/// The words and spans the REPL's answers share: rule locations, clause text, matched spans.
struct ReplVocabulary {
  let ruleSet: RuleSet
  let sources: SourceMap
  let style: TerminalStyle

  func location(_ span: SourceSpan) -> String { style.paint(sources.describe(span), .cyan) }

  func quoted(_ name: String) -> String { "\"\(name)\"" }

  func label(_ id: LabelID) -> String { style.paint(quoted(ruleSet[id].name), nil, bold: true) }

  func team(_ id: TeamID) -> String { quoted(ruleSet[id].name) }

  /// A clause as written, on one line: blank runs folded, long text cut with "…".
  func clauseText(_ span: SourceSpan, limit: Int = 72) -> String {
    guard let file = sources[span.file] else { return "" }
    let folded = file.text(of: span).split(whereSeparator: \.isWhitespace).joined(separator: " ")
      .replacingOccurrences(of: "[ ", with: "[").replacingOccurrences(of: " ]", with: "]")
    guard folded.count > limit else { return folded }
    return String(folded.prefix(limit - 1)) + "…"
  }

  /// The message on one line, then a line of `^` under each matched span with what matched it.
  /// Control characters show as spaces (as many as their UTF-8 bytes, so byte ranges still
  /// apply) so that the carets stay under the text they mark.
  func highlighted(_ text: String, _ evidence: [MatchEvidence], indent: String) -> String {
    var bytes: [UInt8] = []
    for scalar in text.unicodeScalars {
      let utf8 = Array(String(scalar).utf8)
      if scalar.properties.generalCategory == .control {
        bytes += Array(repeating: UInt8(ascii: " "), count: utf8.count)
      } else {
        bytes += utf8
      }
    }
    let spans = evidence.filter { $0.range.upperBound <= bytes.count }.sorted {
      ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound)
    }
    var line = ""
    var cursor = 0
    // Paint the matched spans inside the message (a no-op without colour).
    for range in spans.map(\.range).sorted(by: { $0.lowerBound < $1.lowerBound })
    where range.lowerBound >= cursor {
      line += slice(bytes, cursor..<range.lowerBound)
      line += style.paint(slice(bytes, range), .yellow, bold: true)
      cursor = range.upperBound
    }
    line += slice(bytes, cursor..<bytes.count)
    var out = indent + "| " + line + "\n"
    for item in spans {
      let column = DisplayWidth.of(slice(bytes, 0..<item.range.lowerBound))
      let width = max(1, DisplayWidth.of(slice(bytes, item.range)))
      let carets = style.paint(String(repeating: "^", count: width), .yellow, bold: true)
      out +=
        indent + "| " + String(repeating: " ", count: column) + carets + " "
        + (item.trigger.hasPrefix("/") ? item.trigger : quoted(item.trigger)) + "  "
        + location(item.atomSpan) + "\n"
    }
    return out
  }

  private func slice(_ bytes: [UInt8], _ range: Range<Int>) -> String {
    String(decoding: bytes[range], as: UTF8.self)
  }

  func routeTarget(_ target: RoutingTarget) -> String {
    var text = target.mode.rawValue
    if let team = target.team { text += " team \(self.team(team))" }
    if let priority = target.priority { text += " priority \(priority.rawValue)" }
    return text
  }
}

/// The answer to one step: labels added and removed with why, routing, AI, notifications.
struct DecisionText {
  let words: ReplVocabulary

  private var ruleSet: RuleSet { words.ruleSet }
  private var style: TerminalStyle { words.style }

  func render(_ context: StepContext) -> String {
    let decision = context.decision
    var out = ""
    if let refusal = decision.refusal {
      out +=
        style.paint("refused", .red, bold: true) + ": \(refusal.member) cannot "
        + "\(refusal.action.requiredLevel.rawValue) here — "
        + AccessText(words: words).reason(refusal.access, labels: context.before.labelSet) + "\n"
    }
    for change in decision.removed {
      out += labelChange(change, added: false, text: context.scannedText)
    }
    for change in decision.added {
      out += labelChange(change, added: true, text: context.scannedText)
    }
    for error in decision.errors {
      out +=
        style.paint("regex error", .red, bold: true) + ": \(error.error.message)  "
        + words.location(error.error.atomSpan) + "\n"
    }
    out += row("route", route(decision, context: context))
    out += row("ai", ai(decision))
    out += row("notify", notifications(decision))
    out += row("priority", decision.priority.rawValue)
    let labels = context.after.labelSet.sorted().map(words.label)
    out += row("labels", labels.isEmpty ? "none" : labels.joined(separator: ", "))
    return out
  }

  private func row(_ name: String, _ value: String) -> String {
    style.paint(name.padding(toLength: 9, withPad: " ", startingAt: 0), .blue) + value + "\n"
  }

  private func labelChange(_ change: LabelChange, added: Bool, text: String?) -> String {
    let sign = added ? style.paint("+", .green, bold: true) : style.paint("-", .red, bold: true)
    var out = "\(sign) label \(words.label(change.label))"
    switch change.reason.source {
    case .manual(let member):
      out += "  by agent \(member)\n"
    case .trigger(_, let clause, let evidence, let event):
      out += "  \(words.location(clause))  \(words.clauseText(clause))\n"
      if let event { out += "    on event \(words.quoted(event))\n" }
      if let text, !evidence.isEmpty {
        out += words.highlighted(text, evidence, indent: "    ")
      }
    }
    return out
  }

  private func route(_ decision: Decision, context: StepContext) -> String {
    switch decision.routing {
    case .unchanged, .defaultMode:
      return "no rule fired: mode stays \(decision.mode.rawValue)"
    case .rule(let index, let target):
      let rule = ruleSet.routing.rules[index]
      var text = style.paint(words.routeTarget(target), nil, bold: true)
      text += "  \(words.location(rule.span))  \(words.clauseText(rule.span))"
      let evidence = decision.fired.first { $0.trigger == .route(index) }?.evidence ?? []
      if let message = context.scannedText, !evidence.isEmpty {
        text += "\n" + words.highlighted(message, evidence, indent: "         ").dropLast()
      }
      return text
    case .held(let index, let target, let member):
      let rule = ruleSet.routing.rules[index]
      return "\(words.location(rule.span)) would route to \(words.routeTarget(target)), but "
        + "\(member) holds the conversation: mode stays \(decision.mode.rawValue)"
    }
  }

  private func ai(_ decision: Decision) -> String {
    switch decision.ai {
    case .reply(let version): return "reply (for conversation version \(version))"
    case .suggest: return "suggest a reply for the agent"
    case .none:
      if let assignee = decision.assignee {
        return "none (\(assignee) is \(decision.presence.rawValue))"
      }
      return "none (mode \(decision.mode.rawValue))"
    }
  }

  private func notifications(_ decision: Decision) -> String {
    guard !decision.notifications.isEmpty else { return "nobody" }
    return decision.notifications.map { note in
      switch note.reason {
      case .team(let team): "\(note.member) (team \(words.team(team)))"
      case .mayReply: "\(note.member) (may reply)"
      case .assigneeAway: "\(note.member) (assignee, away)"
      }
    }.joined(separator: ", ")
  }
}

/// Access answers in sentences: the deciding grant, or the grant that is missing.
struct AccessText {
  let words: ReplVocabulary

  func answer(_ answer: AccessAnswer, labels: Set<LabelID>) -> String {
    let verb = answer.allowed ? "can" : "cannot"
    let head =
      words.style.paint(
        "\(answer.member) \(verb) \(answer.level.rawValue)", answer.allowed ? .green : .red,
        bold: true)
    if let grant = answer.grant {
      return head + " — granted by team \(words.team(grant.team)): `"
        + words.clauseText(grant.grant.span) + "`  " + words.location(grant.grant.span)
    }
    return head + " — " + reason(answer, labels: labels)
  }

  func reason(_ answer: AccessAnswer, labels: Set<LabelID>) -> String {
    let ruleSet = words.ruleSet
    let level = answer.level.rawValue
    switch answer.denial {
    case .unknownMember, nil:
      return "\(answer.member) is in no team"
    case .noGrant:
      let teams = ruleSet.member(answer.member)?.teams.map(words.team) ?? []
      return "no team of \(answer.member) grants \(level) (missing: a `can \(level) …` in "
        + "team \(teams.joined(separator: " or "))"
        + ")"
    case .notCovered(let grants):
      let names = labels.sorted().map { words.quoted(ruleSet[$0].name) }
      let shown = names.isEmpty ? "no labels" : "labels [" + names.joined(separator: ", ") + "]"
      let places = grants.map {
        "team \(words.team($0.team)): `\(words.clauseText($0.grant.span))` "
          + words.location($0.grant.span)
      }
      return "no \(level) grant covers \(shown); missing a grant that does (not covering: "
        + places.joined(separator: "; ") + ")"
    }
  }
}
