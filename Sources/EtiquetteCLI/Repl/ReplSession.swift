import EtiquetteChecker
import EtiquetteCompiler
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteSyntax
import Foundation

/// A checked rule set and the files it came from.
struct LoadedRules {
  var engine: Engine
  var sources: SourceMap
  var fileCount: Int
  var ruleSet: RuleSet { engine.ruleSet }
}

/// Loading for the REPL: the same parse and check as `etiquette check`, rendered the same way.
enum ReplRuleLoading {
  struct Outcome {
    var rules: LoadedRules?
    /// The diagnostics and the summary line, as `check` prints them.
    var report: String
  }

  static func load(paths: [String], style: TerminalStyle) throws(UsageError) -> Outcome {
    let sources = try RuleSources.load(paths: paths)
    let outcome = RuleCompiler.compile(sources, strict: false)
    let diagnostics = outcome.diagnostics
    var report = DiagnosticRenderer(sources: sources.sources, style: style).render(diagnostics)
    let summary = DiagnosticRenderer.summary(
      errors: outcome.errorCount, warnings: outcome.warningCount, files: sources.parsed.count)
    let colour: TerminalStyle.Colour =
      outcome.hasErrors ? .red : (outcome.warningCount > 0 ? .yellow : .green)
    report += style.paint(summary, colour, bold: true) + "\n"
    guard let matcher = outcome.matcher, !outcome.hasErrors else {
      return Outcome(rules: nil, report: report)
    }
    return Outcome(
      rules: LoadedRules(
        engine: Engine(matcher: matcher), sources: sources.sources,
        fileCount: sources.parsed.count),
      report: report)
  }
}

/// What the REPL prints for one line, and whether the session ends.
struct ReplReply {
  var text: String
  var quit = false
  /// The line was an error (unknown command, bad JSON …): a scripted session exits 1.
  var failed = false
}

/// The REPL's state and its answer to each line; no terminal I/O, so tests drive it directly.
struct ReplSession {
  let paths: [String]
  let style: TerminalStyle
  private(set) var rules: LoadedRules
  private(set) var run: ConversationRun
  /// Conversations ended with `:new`, for `:save`.
  private(set) var finished: [ConversationRun] = []
  private(set) var member: String?
  private var conversationNumber = 1

  init(paths: [String], rules: LoadedRules, style: TerminalStyle) {
    self.paths = paths
    self.rules = rules
    self.style = style
    run = ConversationRun(engine: rules.engine, id: "repl-1", time: Engine.defaultInstant)
  }

  private var words: ReplVocabulary {
    ReplVocabulary(ruleSet: rules.ruleSet, sources: rules.sources, style: style)
  }
  private var ruleSet: RuleSet { rules.ruleSet }

  /// One line after loading: what the rules hold.
  var banner: String {
    let r = ruleSet
    return "\(r.labels.count) labels, \(r.teams.count) teams, \(r.members.count) members, "
      + "\(r.routing.rules.count) routing rules (default \(r.routing.defaultMode.rawValue)); "
      + ":help lists the commands\n"
  }

  /// Names for tab completion.
  var completionNames: [ReplArgumentKind: [String]] {
    [
      .label: ruleSet.labels.map(\.name),
      .labelOrRouting: ruleSet.labels.map(\.name) + ["routing"],
      .team: ruleSet.teams.map(\.name),
      .member: ruleSet.members.map(\.email),
      .event: ruleSet.events.map(\.name),
      .level: AccessLevel.allCases.map(\.rawValue),
    ]
  }

  // MARK: - Lines

  mutating func handle(_ rawLine: String) -> ReplReply {
    let line = rawLine.trimmingCharacters(in: .whitespaces)
    if line.isEmpty { return ReplReply(text: "") }
    guard line.hasPrefix(":") else { return say(line) }
    let body = line.dropFirst()
    let name = String(body.prefix { !$0.isWhitespace })
    let argument = body.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
    guard let spec = ReplCommandTable.command(named: name) else {
      let names = ReplCommandTable.all.map(\.name) + Array(ReplCommandTable.aliases.keys)
      return failure(
        "unknown command `:\(name)`" + Suggestion.hint(name, among: names, prefix: ":")
          + "; :help lists the commands")
    }
    if spec.argument == .none, !argument.isEmpty {
      return failure("`:\(spec.name)` takes no argument")
    }
    if let type = MessageType(rawValue: spec.name), type != .text {
      return send(type, argument.isEmpty ? nil : argument)
    }
    return command(spec.name, argument)
  }

  private mutating func command(_ name: String, _ argument: String) -> ReplReply {
    switch name {
    case "help": return ReplReply(text: ReplCommandTable.help)
    case "quit": return ReplReply(text: "", quit: true)
    case "say":
      guard !argument.isEmpty else { return failure("`:say` needs the message text") }
      return say(argument)
    case "event": return event(argument)
    case "contact": return contact(argument)
    case "at": return at(argument)
    case "as": return actAs(argument)
    case "can": return can(argument)
    case "takeover": return agent(.takeOver)
    case "transfer-ai": return agent(.transferToAI)
    case "keep-human": return agent(.keepHumanAndLeave)
    case "add-label", "remove-label":
      let label = unquoted(argument)
      guard let definition = ruleSet.label(named: label) else {
        return unknownLabel(label)
      }
      return agent(name == "add-label" ? .addLabel(definition.name) : .removeLabel(definition.name))
    case "reply", "note":
      guard !argument.isEmpty else { return failure("`:\(name)` needs the text") }
      return agent(name == "reply" ? .reply(argument) : .note(argument))
    case "state": return ReplReply(text: state())
    case "team": return team(argument)
    case "new": return newConversation()
    case "why": return why(argument)
    case "reload": return reload()
    case "save": return save(argument)
    default:
      // INVARIANT: every name in ReplCommandTable.all is handled above or is a message type.
      return failure("`:\(name)` is not available")
    }
  }

  private func failure(_ message: String) -> ReplReply {
    ReplReply(text: style.paint("error", .red, bold: true) + ": \(message)\n", failed: true)
  }

  private func unquoted(_ text: String) -> String {
    if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
      return String(text.dropFirst().dropLast())
    }
    return text
  }

  private func unknownLabel(_ name: String) -> ReplReply {
    guard !name.isEmpty else { return failure("a label name is needed") }
    return failure(
      "unknown label \"\(name)\""
        + Suggestion.hint(name, among: ruleSet.labels.map(\.name)).replacingOccurrences(
          of: "mean ", with: "mean \""
        ).replacingOccurrences(of: "?)", with: "\"?)"))
  }

  // MARK: - Steps

  private mutating func say(_ text: String) -> ReplReply {
    step(.message(CustomerMessage(type: .text, text: text)))
  }

  private mutating func send(_ type: MessageType, _ text: String?) -> ReplReply {
    let message =
      type == .document
      ? CustomerMessage(type: type, filename: text) : CustomerMessage(type: type, caption: text)
    return step(.message(message))
  }

  private mutating func step(_ entry: SessionEntry) -> ReplReply {
    switch run.apply(entry) {
    case .step(let context):
      return ReplReply(text: DecisionText(words: words).render(context))
    case .skipped(let why):
      return failure(why)
    case .time, .contact, .access:
      return ReplReply(text: "")
    }
  }

  private mutating func event(_ argument: String) -> ReplReply {
    let name: String
    var rest: Substring
    if argument.hasPrefix("\"") {
      let afterQuote = argument.dropFirst()
      guard let close = afterQuote.firstIndex(of: "\"") else {
        return failure("the event name has no closing quote")
      }
      name = String(afterQuote[..<close])
      rest = afterQuote[afterQuote.index(after: close)...]
    } else {
      name = String(argument.prefix { !$0.isWhitespace && $0 != "{" })
      rest = argument.dropFirst(name.count)
    }
    guard !name.isEmpty else {
      return failure(
        "`:event` needs a name, e.g. :event calendly.booking.confirmed {\"invitee\": \"Léa\"}")
    }
    guard ruleSet.event(named: name) != nil else {
      let known = ruleSet.events.map(\.name)
      return failure(
        "no event \"\(name)\" is declared" + Suggestion.hint(name, among: known)
          + (known.isEmpty ? " (the rules declare no `event`)" : ""))
    }
    var fields: [String: FieldValue] = [:]
    let json = rest.trimmingCharacters(in: .whitespaces)
    if !json.isEmpty {
      switch object(json, for: "event") {
      case .success(let object): fields = object.mapValues(FieldValue.init)
      case .failure(let problem): return problem.reply
      }
    }
    return step(.event(IntegrationEvent(name: name, fields: fields)))
  }

  private func object(_ text: String, for command: String) -> Result<
    [String: JSONValue], ReplFailure
  > {
    guard let value = try? JSONValue.parse(text) else {
      var hint = ""
      if text.contains("'") {
        hint = " (JSON strings use double quotes)"
      } else if !text.hasPrefix("{") {
        hint = " (an object starts with `{`)"
      } else if !text.hasSuffix("}") {
        hint = " (is a `}` missing?)"
      } else if text.range(of: #"[{,]\s*[A-Za-z_]"#, options: .regularExpression) != nil {
        hint = " (did you mean to quote the keys, as in {\"tier\": \"vip\"}?)"
      }
      return .failure(ReplFailure(failure("bad JSON for `:\(command)`: \(text)\(hint)")))
    }
    guard case .object(let object) = value else {
      return .failure(
        ReplFailure(failure("`:\(command)` needs a JSON object, e.g. {\"tier\": \"vip\"}")))
    }
    return .success(object)
  }

  private mutating func contact(_ argument: String) -> ReplReply {
    guard !argument.isEmpty else {
      return failure("`:contact` needs a JSON object, e.g. :contact {\"tier\": \"vip\"}")
    }
    let object: [String: JSONValue]
    switch self.object(argument, for: "contact") {
    case .success(let value): object = value
    case .failure(let problem): return problem.reply
    }
    var values: [String: FieldValue] = [:]
    var notes = ""
    let declared = ruleSet.contactAttributes.map(\.name)
    for key in object.keys.sorted() {
      guard let value = object[key] else { continue }
      values[key] = FieldValue(value)
      if !declared.contains(key) {
        notes +=
          style.paint("note", .yellow) + ": contact attribute \"\(key)\" is not declared, so no "
          + "rule can use it" + Suggestion.hint(key, among: declared) + "\n"
      }
    }
    _ = run.apply(.contact(values))
    let shown = run.conversation.contact.attributes.keys.sorted().map {
      "\($0) \(run.conversation.contact.attributes[$0]?.description ?? "")"
    }
    return ReplReply(text: notes + "contact  " + shown.joined(separator: ", ") + "\n")
  }

  private mutating func at(_ argument: String) -> ReplReply {
    guard let date = Instant.parse(argument) else {
      return failure(
        "`:at` needs an ISO-8601 instant such as 2026-11-24T10:00:00+01:00, not \"\(argument)\"")
    }
    _ = run.apply(.at(date))
    var text = "time     \(Instant.format(date))"
    let hours = ruleSet.hours.map { h in
      "\"\(h.name)\" " + (HoursClock.isOpen(h, at: date) ? "open" : "closed")
    }
    if !hours.isEmpty { text += " (" + hours.joined(separator: ", ") + ")" }
    return ReplReply(text: text + "\n")
  }

  private mutating func actAs(_ argument: String) -> ReplReply {
    let email = unquoted(argument)
    guard !email.isEmpty else {
      return failure("`:as` needs a member's email" + memberList())
    }
    guard let definition = ruleSet.member(email) else {
      let emails = ruleSet.members.map(\.email)
      return failure("\"\(email)\" is in no team" + Suggestion.hint(email, among: emails))
    }
    member = definition.email
    let teams = definition.teams.map { "\"\(ruleSet[$0].name)\"" }.joined(separator: ", ")
    return ReplReply(text: "acting as \(definition.email) (team \(teams))\n")
  }

  private func memberList() -> String {
    let emails = ruleSet.members.map(\.email)
    return emails.isEmpty ? "" : " (one of: " + emails.joined(separator: ", ") + ")"
  }

  private mutating func can(_ argument: String) -> ReplReply {
    guard let level = AccessLevel(rawValue: argument.lowercased()) else {
      return failure(
        "`:can` takes view, reply or manage, not \"\(argument)\""
          + Suggestion.hint(argument, among: AccessLevel.allCases.map(\.rawValue)))
    }
    guard let member else { return failure("say who first with `:as MEMBER`" + memberList()) }
    guard case .access(let answer) = run.apply(.access(member: member, level: level)) else {
      return failure("no answer")
    }
    let labels = run.conversation.labelSet
    return ReplReply(text: AccessText(words: words).answer(answer, labels: labels) + "\n")
  }

  private mutating func agent(_ request: AgentRequest) -> ReplReply {
    guard let member else {
      return failure("agent actions need a member: `:as MEMBER` first" + memberList())
    }
    let verb: String
    switch request {
    case .takeOver: verb = "takes over"
    case .transferToAI: verb = "transfers to ai"
    case .keepHumanAndLeave: verb = "keeps human and leaves"
    case .addLabel(let name): verb = "adds label \"\(name)\""
    case .removeLabel(let name): verb = "removes label \"\(name)\""
    case .reply: verb = "replies"
    case .note: verb = "notes"
    }
    var reply = step(.agent(member: member, action: request))
    if !reply.failed {
      let conversation = run.conversation
      var status = "mode \(conversation.mode.rawValue)"
      if let assignee = conversation.assignee {
        status += ", assigned to \(assignee) (\(conversation.presence.rawValue))"
      }
      // A refusal says itself who could not do what.
      let head = run.lastStepRefused ? "" : "\(member) \(verb)\n"
      reply.text =
        head + reply.text + style.paint("now     ", .blue) + " "
        + status + "\n"
    }
    return reply
  }

  // MARK: - Looking

  private func state() -> String {
    let c = run.conversation
    var out = "conversation \(c.id) · step \(c.stepCount) · version \(c.version) · "
    out += "time \(Instant.format(run.time))\n"
    let attributes = c.contact.attributes.keys.sorted().map {
      "\($0) \(c.contact.attributes[$0]?.description ?? "")"
    }
    out += "contact  " + (attributes.isEmpty ? "no attributes" : attributes.joined(separator: ", "))
    out += "\n"
    var control = "mode     \(c.mode.rawValue)"
    if let assignee = c.assignee { control += ", assigned to \(assignee) (\(c.presence.rawValue))" }
    if let team = c.team { control += ", team \"\(ruleSet[team].name)\"" }
    control += ", priority \(c.priority.rawValue)"
    out += control + "\n"
    if c.labels.isEmpty { out += "labels   none\n" }
    for id in c.labelSet.sorted() {
      guard let reason = c.labels[id] else { continue }
      out += "label    \(words.label(id))  " + provenance(reason) + "\n"
    }
    for (index, entry) in c.transcript.enumerated() {
      let author: String
      switch entry.author {
      case .customer: author = "customer"
      case .agent(let member): author = member
      case .event: author = "event"
      }
      let kind = entry.type.map { $0 == .text ? "" : "[\($0.rawValue)] " } ?? ""
      out += "  \(index + 1). \(Instant.format(entry.at))  \(author): \(kind)\(entry.text)\n"
    }
    for note in c.notes { out += "  note by \(note.author): \(note.text)\n" }
    out += "acting as \(member ?? "nobody (use :as MEMBER)")\n"
    return out
  }

  private func provenance(_ reason: LabelProvenance) -> String {
    switch reason.source {
    case .manual(let member): return "added by \(member) at step \(reason.step)"
    case .trigger(_, let clause, let evidence, let event):
      var text = "added at step \(reason.step) by \(words.location(clause))"
      if !evidence.isEmpty {
        text +=
          " matching " + evidence.map { $0.described(in: ruleSet) }.joined(separator: ", ")
      } else if let event {
        text += " on event \"\(event)\""
      }
      return text
    }
  }

  private func team(_ argument: String) -> ReplReply {
    let name = unquoted(argument)
    guard let team = ruleSet.team(named: name) else {
      return failure(
        "no team \"\(name)\"" + Suggestion.hint(name, among: ruleSet.teams.map(\.name)))
    }
    var out = "team \"\(team.name)\"  \(words.location(team.nameSpan))\n"
    out += "  members " + team.members.joined(separator: ", ") + "\n"
    for grant in team.grants {
      out += "  " + words.clauseText(grant.span) + "  " + words.location(grant.span) + "\n"
    }
    return ReplReply(text: out)
  }

  private func why(_ argument: String) -> ReplReply {
    let name = unquoted(argument)
    guard !name.isEmpty else { return failure("`:why` needs a label name, or `routing`") }
    let explanation = WhyExplanation(words: words, matcher: rules.engine.matcher)
    if let label = ruleSet.label(named: name) {
      return ReplReply(
        text: explanation.explain(label: label, context: run.lastMessage, now: run.conversation))
    }
    if name == "routing" {
      return ReplReply(text: explanation.explainRouting(context: run.lastMessage))
    }
    return unknownLabel(name)
  }

  // MARK: - Session

  private mutating func newConversation() -> ReplReply {
    finished.append(run)
    conversationNumber += 1
    run = ConversationRun(engine: rules.engine, id: "repl-\(conversationNumber)", time: run.time)
    return ReplReply(
      text: "new conversation \(run.conversation.id) (mode \(run.conversation.mode.rawValue))\n")
  }

  private mutating func reload() -> ReplReply {
    let outcome: ReplRuleLoading.Outcome
    do {
      outcome = try ReplRuleLoading.load(paths: paths, style: style)
    } catch {
      return failure("\(error.description); kept the previous rules")
    }
    guard let fresh = outcome.rules else {
      return ReplReply(
        text: outcome.report + style.paint("kept the previous rules", .yellow, bold: true) + "\n",
        failed: true)
    }
    rules = fresh
    // Replay every conversation on the new rules: label numbers may have changed, and the
    // state should be what the new rules make of the same steps.
    finished = finished.map { $0.replayed(on: fresh.engine).0 }
    let (replayed, applied) = run.replayed(on: fresh.engine)
    run = replayed
    let steps = applied.count { if case .step = $0 { true } else { false } }
    if let member, ruleSet.member(member) == nil { self.member = nil }
    var text = outcome.report + "reloaded: " + banner
    if steps > 0 {
      let labels = run.conversation.labelSet.sorted().map(words.label)
      text +=
        "replayed \(steps) step\(steps == 1 ? "" : "s") on the new rules: labels "
        + (labels.isEmpty ? "none" : labels.joined(separator: ", "))
        + ", mode \(run.conversation.mode.rawValue)\n"
    }
    return ReplReply(text: text)
  }

  private func save(_ argument: String) -> ReplReply {
    let path = unquoted(argument)
    guard !path.isEmpty else { return failure("`:save` needs a file name, e.g. :save session.etq") }
    let runs = (finished + [run]).filter { !$0.entries.isEmpty }
    guard !runs.isEmpty else { return failure("nothing to save yet: send a message first") }
    let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    let writer = TestBlockWriter(ruleSet: ruleSet)
    var text = "# Written by `etiquette repl` :save; expectations are the outcomes of the rules\n"
    text += "# at the time. Run with the rules: etiquette test RULES \(path)\n"
    for (index, conversation) in runs.enumerated() {
      let (replayed, applied) = conversation.replayed(on: rules.engine)
      let name = runs.count == 1 ? stem : "\(stem) \(index + 1)"
      text += "\n" + writer.block(name: name, run: replayed, applied: applied)
    }
    do {
      try text.write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
      return failure("cannot write \(path): \(error.localizedDescription)")
    }
    let count = runs.count
    return ReplReply(
      text: "saved \(count) test\(count == 1 ? "" : "s") to \(path); run it with "
        + "`etiquette test \(paths.joined(separator: " ")) \(path)`\n")
  }
}

/// A failed parse of a command's argument, already worded for the user.
struct ReplFailure: Error {
  var reply: ReplReply
  init(_ reply: ReplReply) { self.reply = reply }
}
