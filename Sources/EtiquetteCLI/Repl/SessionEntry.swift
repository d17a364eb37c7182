import EtiquetteChecker
import EtiquetteEngine
import EtiquetteMatcher
import EtiquetteSyntax
import Foundation

/// One thing the user did to a conversation in the REPL, kept so that the conversation can be
/// replayed: on new rules after `:reload`, and to write `:save`'s test block with the outcomes
/// of the rules loaded at that moment.
enum SessionEntry: Sendable, Hashable {
  /// `:at`: the time of the following steps.
  case at(Date)
  /// `:contact`: attributes set on the contact (no step, as a test's `contact` line).
  case contact([String: FieldValue])
  case message(CustomerMessage)
  case event(IntegrationEvent)
  case agent(member: String, action: AgentRequest)
  /// `:can`: a question about access, saved as an `expect "m" can|cannot LEVEL`.
  case access(member: String, level: AccessLevel)
}

/// An agent action with labels by name, so that it survives a reload that renumbers labels.
enum AgentRequest: Sendable, Hashable {
  case takeOver, transferToAI, keepHumanAndLeave
  case addLabel(String)
  case removeLabel(String)
  case reply(String)
  case note(String)
}

/// What applying one entry did.
enum AppliedEntry {
  case time(Date)
  case contact([String: FieldValue])
  /// A step went through the engine; `context` keeps what `:why` needs.
  case step(StepContext)
  case access(AccessAnswer)
  /// The entry cannot run on these rules (a label that no longer exists).
  case skipped(String)
}

/// A step as the engine saw it: the conversation before and after, the decision, the text scan.
struct StepContext {
  var step: Step
  var before: Conversation
  var after: Conversation
  var decision: Decision
  var scan: TextScan

  /// The text the rules' `contains` and `matches` looked at, for messages.
  var scannedText: String? {
    if case .message(let message) = step.kind { return message.scannedText }
    return nil
  }
}

/// A conversation driven entry by entry: the same engine calls as `etiquette test` makes for a
/// test block, so a saved session replays to the same outcomes.
struct ConversationRun {
  let engine: Engine
  private(set) var conversation: Conversation
  private(set) var time: Date
  /// The time the conversation started at, for replays.
  let startTime: Date
  /// The last customer message or integration event, for `:why`.
  private(set) var lastMessage: StepContext?
  private(set) var entries: [SessionEntry] = []
  /// Whether the last agent action was refused for lack of access.
  private(set) var lastStepRefused = false

  init(engine: Engine, id: String, time: Date) {
    self.engine = engine
    self.time = time
    startTime = time
    conversation = engine.newConversation(id: id, contact: Contact(id: "test-contact"))
  }

  /// Applies the entry and records it.
  mutating func apply(_ entry: SessionEntry) -> AppliedEntry {
    entries.append(entry)
    switch entry {
    case .at(let date):
      time = date
      return .time(date)
    case .contact(let values):
      for (key, value) in values { conversation.contact.attributes[key] = value }
      return .contact(values)
    case .access(let member, let level):
      return .access(engine.can(member, level, conversation))
    case .message(let message):
      return .step(run(Step(.message(message), at: time), remember: true))
    case .event(let event):
      return .step(run(Step(.event(event), at: time), remember: true))
    case .agent(let member, let request):
      guard let action = resolve(request) else {
        entries.removeLast()
        return .skipped("no label of that name in these rules")
      }
      return .step(run(Step(.agent(member: member, action: action), at: time), remember: false))
    }
  }

  private mutating func run(_ step: Step, remember: Bool) -> StepContext {
    let before = conversation
    let (after, decision) = engine.apply(step, to: before)
    conversation = after
    lastStepRefused = decision.refusal != nil
    var scan = TextScan.empty
    if case .message(let message) = step.kind, let text = message.scannedText {
      scan = engine.matcher.scan(text)
    }
    let context = StepContext(
      step: step, before: before, after: after, decision: decision, scan: scan)
    if remember { lastMessage = context }
    return context
  }

  private func resolve(_ request: AgentRequest) -> Step.AgentAction? {
    switch request {
    case .takeOver: return .takeOver
    case .transferToAI: return .transferToAI
    case .keepHumanAndLeave: return .keepHumanAndLeave
    case .reply(let text): return .reply(text)
    case .note(let text): return .note(text)
    case .addLabel(let name):
      return engine.ruleSet.label(named: name).map { .addLabel($0.id) }
    case .removeLabel(let name):
      return engine.ruleSet.label(named: name).map { .removeLabel($0.id) }
    }
  }

  /// The same entries on another engine (after `:reload`, or for `:save`), from the start.
  func replayed(on engine: Engine) -> (ConversationRun, [AppliedEntry]) {
    var run = ConversationRun(engine: engine, id: conversation.id, time: startTime)
    let applied = entries.map { run.apply($0) }
    return (run, applied)
  }
}
