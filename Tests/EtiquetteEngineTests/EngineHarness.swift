import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteSyntax
import EtiquetteTestSupport
import Foundation
import Testing

/// A rule set compiled from inline source, as `etiquette test` would compile it.
struct CompiledRules {
  let engine: Engine
  let sources: SourceMap

  struct Failure: Error, CustomStringConvertible {
    let description: String
  }

  static func compile(_ files: [(path: String, text: String)]) throws -> CompiledRules {
    var sources = SourceMap()
    var ruleFiles: [RuleFile] = []
    var diagnostics: [Diagnostic] = []
    for (path, text) in files {
      let parsed = Parser.parse(sources.add(path: path, text: text))
      diagnostics += parsed.diagnostics
      ruleFiles.append(parsed.ruleFile)
    }
    let result = Checker.check(ruleFiles, sources: sources)
    diagnostics += result.diagnostics
    guard !diagnostics.hasErrors, let ruleSet = result.ruleSet else {
      throw Failure(
        description: DiagnosticRenderer(sources: sources, style: .plain).render(diagnostics))
    }
    return CompiledRules(engine: Engine(ruleSet: ruleSet), sources: sources)
  }

  static func compile(_ text: String, path: String = "rules.etq") throws -> CompiledRules {
    try compile([(path, text)])
  }

  /// The example rule set of the repository (rules/*.etq).
  static func exampleRules() throws -> CompiledRules {
    let root = GoldenFile.repositoryRoot(from: #filePath)
    let names = ["labels", "routing", "teams", "tests"]
    return try compile(
      names.map { name in
        let text = (try? String(contentsOfFile: "\(root)/rules/\(name).etq", encoding: .utf8)) ?? ""
        return ("rules/\(name).etq", text)
      })
  }

  var ruleSet: RuleSet { engine.ruleSet }

  func label(_ name: String) -> LabelID {
    guard let definition = ruleSet.label(named: name) else {
      Issue.record("no label \"\(name)\"")
      return LabelID(-1)
    }
    return definition.id
  }

  func team(_ name: String) -> TeamID? { ruleSet.team(named: name)?.id }

  func names(_ labels: Set<LabelID>) -> [String] { labels.sorted().map { ruleSet[$0].name } }
}

/// One scripted step, written compactly for tables.
enum ScriptStep: Sendable, CustomStringConvertible {
  case says(String)
  case sends(MessageType, caption: String?)
  case event(String, [String: FieldValue])
  case agent(String, Step.AgentAction)
  case contact([String: FieldValue])
  case at(String)
  case tick
  case aiReplies(String, version: Int)

  var description: String {
    switch self {
    case .says(let text): "says \"\(text)\""
    case .sends(let type, let caption): "sends \(type.rawValue) \(caption ?? "")"
    case .event(let name, _): "event \(name)"
    case .agent(let member, let action): "\(member) \(action.name)"
    case .contact(let values): "contact \(values)"
    case .at(let text): "at \(text)"
    case .tick: "tick"
    case .aiReplies(let text, let version): "AI replies \"\(text)\" for version \(version)"
    }
  }
}

/// A conversation driven step by step, keeping every decision.
struct Script {
  let rules: CompiledRules
  var conversation: Conversation
  var time = Engine.defaultInstant
  var decisions: [Decision] = []

  init(_ rules: CompiledRules, contact: [String: FieldValue] = [:]) {
    self.rules = rules
    conversation = rules.engine.newConversation(
      id: "c", contact: Contact(id: "u1", attributes: contact))
  }

  var last: Decision? { decisions.last }
  var labels: [String] { rules.names(conversation.labelSet) }

  @discardableResult
  mutating func run(_ steps: [ScriptStep]) -> Decision? {
    for step in steps { run(step) }
    return last
  }

  mutating func run(_ step: ScriptStep) {
    let kind: Step.Kind
    switch step {
    case .contact(let values):
      conversation.contact.attributes.merge(values) { _, new in new }
      return
    case .at(let text):
      time = Instant.parse(text) ?? time
      return
    case .says(let text): kind = .message(CustomerMessage(type: .text, text: text))
    case .sends(let type, let caption):
      kind = .message(CustomerMessage(type: type, caption: caption))
    case .event(let name, let fields): kind = .event(IntegrationEvent(name: name, fields: fields))
    case .agent(let member, let action): kind = .agent(member: member, action: action)
    case .tick: kind = .tick
    case .aiReplies(let text, let version): kind = .aiReply(text: text, version: version)
    }
    let (next, decision) = rules.engine.apply(Step(kind, at: time), to: conversation)
    conversation = next
    decisions.append(decision)
  }
}

/// The repository root, for files the tests read.
enum RepositoryRoot {
  static let path = GoldenFile.repositoryRoot(from: #filePath)
}
