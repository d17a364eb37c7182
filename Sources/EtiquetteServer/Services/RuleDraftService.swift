import EtiquetteChecker
import EtiquetteCompiler
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteFormat
import EtiquetteSyntax
import Foundation

/// The admin console's rule files (issue 17): what a manager reads and edits in the browser,
/// checked and formatted by the same code as `etiquette check` and `etiquette fmt`. A draft is
/// checked with the other files as they are on disk, so a name defined in another file
/// resolves as it will once published. Only members who may manage every conversation (`can
/// manage all`) reach any of it: every other member gets 403.
struct RuleDraftService: Sendable {
  let rules: RuleHolder

  /// `can manage all`: a manager of some labels (`all except labels […]` included) may not
  /// change the rules that decide who sees the others.
  func mayEdit(_ member: String) -> Bool {
    rules.current.managesAll(member)
  }

  /// The rule files, relative to the rules directory, in the order they are read.
  func files() throws -> [String] { try listed().map(\.name) }

  /// Each rule file's path as the compiler reads it, and its name in the console.
  func listed() throws -> [(path: String, name: String)] {
    try RuleCompiler.filePaths(for: [rules.path]).map { ($0, relative($0)) }
  }

  /// A file's text on disk; nil when `name` is not one of the rule files (never a path
  /// outside the rules directory).
  func text(of name: String) throws -> String? {
    guard let path = try listed().first(where: { $0.name == name })?.path else { return nil }
    return FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
  }

  /// The rule set compiled with `text` standing for the file `name` (a new file when the
  /// rules directory has none of that name); nil when `name` can be neither.
  func compiled(_ name: String, text: String) throws -> CompiledRules? {
    try draftFiles(name, text: text).map { compiled(files: $0) }
  }

  /// The diagnostics of the rule set with `text` standing for the file `name`, as
  /// `etiquette check --format json` writes them (paths relative to the rules directory).
  func check(_ name: String, text: String) throws -> DiagnosticJSON.Document? {
    try compiled(name, text: text).map(diagnostics)
  }

  /// A compilation's diagnostics as `etiquette check --format json` writes them, with paths
  /// relative to the rules directory and the summary counting those left out too.
  func diagnostics(_ compiled: CompiledRules) -> DiagnosticJSON.Document {
    var document = DiagnosticJSON.document(
      compiled.diagnostics, sources: compiled.sources.sources)
    for index in document.diagnostics.indices {
      document.diagnostics[index].file = relative(document.diagnostics[index].file)
    }
    document.summary = DiagnosticJSON.Summary(
      errors: compiled.errorCount, warnings: compiled.warningCount)
    return document
  }

  /// What the draft rules decide for one customer message in a new conversation: the REPL's
  /// answer (labels with the phrases that matched and where, the route and the rule that
  /// chose it, the AI's action) and who may view and reply to the conversation after it.
  struct Trial: Encodable, Sendable {
    struct Access: Encodable, Sendable {
      var member: String
      var view: Bool
      var reply: Bool
    }
    var decision: DecisionDocument?
    var members: [Access]
    /// The draft's diagnostics when it has errors (then nothing is decided).
    var diagnostics: DiagnosticJSON.Document?
  }

  /// What « Essayer » runs: a customer's message (of a type), or an integration event, for a
  /// contact with some fields, at an instant.
  struct TrialInput: Sendable {
    struct Field: Sendable, Hashable {
      var key: String
      var value: FieldValue
    }
    var message = ""
    var type: MessageType = .text
    var contact: [Field] = []
    /// An event's name: the step is that event rather than the message.
    var event = ""
    var eventFields: [Field] = []
    var at: Date

    /// `tier: vip; ville: "Lyon"; commandes: 3` (or one per line): numbers and true/false
    /// as such, quotes optional; a key must be a name (`a-z`, digits, `_`, `.`).
    static func fields(_ text: String) -> [Field] {
      text.split(whereSeparator: { $0 == ";" || $0 == "\n" }).compactMap { pair in
        guard let colon = pair.firstIndex(of: ":") else { return nil }
        let key = pair[..<colon].trimmingCharacters(in: .whitespaces)
        var raw = pair[pair.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty,
          key.unicodeScalars.allSatisfy({
            CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "."
          })
        else { return nil }
        if raw.count >= 2, raw.hasPrefix("\""), raw.hasSuffix("\"") {
          raw = String(raw.dropFirst().dropLast())
          return Field(key: key, value: .string(raw))
        }
        if raw == "true" || raw == "false" { return Field(key: key, value: .bool(raw == "true")) }
        if let number = Double(raw), raw.first?.isNumber == true || raw.first == "-" {
          return Field(key: key, value: .number(number))
        }
        return Field(key: key, value: .string(raw))
      }
    }

    var step: Step {
      if !event.isEmpty {
        return Step(
          .event(
            IntegrationEvent(
              name: event,
              fields: Dictionary(
                eventFields.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last }))),
          at: at)
      }
      let customer =
        type == .text
        ? CustomerMessage(text: message)
        : CustomerMessage(type: type, caption: message.isEmpty ? nil : message)
      return Step(.message(customer), at: at)
    }
  }

  func trial(_ name: String, text: String, message: String, at now: Date) throws -> Trial? {
    try trial(name, text: text, input: TrialInput(message: message, at: now))
  }

  func trial(_ name: String, text: String, input: TrialInput) throws -> Trial? {
    guard let compiled = try compiled(name, text: text) else { return nil }
    guard let ruleSet = compiled.ruleSet, let matcher = compiled.matcher, !compiled.hasErrors
    else {
      return Trial(decision: nil, members: [], diagnostics: diagnostics(compiled))
    }
    let engine = Engine(matcher: matcher)
    let conversation = engine.newConversation(
      id: "essai",
      contact: Contact(
        id: "33600000000", phone: "+33600000000",
        attributes: Dictionary(
          input.contact.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })))
    let (after, decision) = engine.apply(input.step, to: conversation)
    var document = DecisionDocument(
      decision, conversation: after, ruleSet: ruleSet, sources: compiled.sources.sources)
    for index in document.added.indices {
      for match in document.added[index].matches.indices {
        document.added[index].matches[match].location = relative(
          document.added[index].matches[match].location)
      }
      document.added[index].rule = document.added[index].rule.map(relative)
    }
    document.route.rule = document.route.rule.map(relative)
    return Trial(
      decision: document,
      members: ruleSet.members.map {
        Trial.Access(
          member: $0.email, view: engine.can($0.email, .view, after).allowed,
          reply: engine.can($0.email, .reply, after).allowed)
      }, diagnostics: nil)
  }

  enum Formatted: Sendable {
    case formatted(String)
    /// The text does not parse: the formatter never guesses (`etiquette fmt` refuses too).
    case syntaxErrors(DiagnosticJSON.Document)
  }

  /// `etiquette fmt` on a draft.
  func format(_ name: String, text: String) -> Formatted {
    var sources = SourceMap()
    let file = sources.add(path: name, bytes: Array(text.utf8))
    let parsed = Parser.parse(file)
    guard !parsed.diagnostics.hasErrors else {
      return .syntaxErrors(DiagnosticJSON.document(parsed.diagnostics, sources: sources))
    }
    return .formatted(Formatter.format(parsed.ruleFile, source: file))
  }

  func relative(_ path: String) -> String {
    WebRenderer.relative(path, to: rules.path)
  }
}
