import EtiquetteChecker
import EtiquetteCompiler
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteSyntax
import Foundation

/// The rules directory as a set of files: what a publication replaces as a whole, what a
/// version keeps, and what a draft is based on.
extension RuleDraftService {
  /// The rule files as they are on disk, in reading order.
  func tree() throws -> [PublishedFile] {
    try listed().map { file in
      PublishedFile(
        name: file.name,
        text: FileManager.default.contents(atPath: file.path).map {
          String(decoding: $0, as: UTF8.self)
        } ?? "")
    }
  }

  /// What `files` load as (`LoadedRules.version`): the `base` an editor page carries, compared
  /// at publication with the files on disk then.
  func digest(of files: [PublishedFile]) -> String {
    let inDirectory = isDirectory
    return RuleLoading.version(
      of: ordered(files).map { (path(for: $0.name, inDirectory: inDirectory), Array($0.text.utf8)) }
    )
  }

  /// The digest of the files on disk now.
  func diskDigest() throws -> String { digest(of: try tree()) }

  /// Where the file `name` is on disk: below the rules directory, or the rules file itself
  /// when the rules are one file.
  func path(for name: String) -> String { path(for: name, inDirectory: isDirectory) }

  /// The same, the rules directory's kind known (one `stat` for a whole set of files).
  private func path(for name: String, inDirectory: Bool) -> String {
    guard inDirectory else { return rules.path }
    var folder = rules.path
    while folder.hasSuffix("/") { folder.removeLast() }
    return folder + "/" + name
  }

  /// In reading order (sorted paths), as `etiquette check` reads a directory.
  func ordered(_ files: [PublishedFile]) -> [PublishedFile] {
    let inDirectory = isDirectory
    return files.map { (path(for: $0.name, inDirectory: inDirectory), $0) }
      .sorted { $0.0 < $1.0 }.map(\.1)
  }

  /// The rule set made of `files` standing for the whole rules directory.
  func compiled(files: [PublishedFile]) -> CompiledRules {
    var sources = RuleSources()
    let inDirectory = isDirectory
    for file in ordered(files) {
      let source = sources.sources.add(
        path: path(for: file.name, inDirectory: inDirectory), bytes: Array(file.text.utf8))
      sources.parsed.append(Parser.parse(source))
    }
    return RuleCompiler.compile(sources)
  }

  /// The files on disk with `text` standing for `name`, or added as a new file `name` when
  /// the rules are a directory and `name` may be created there; nil otherwise.
  func draftFiles(_ name: String, text: String) throws -> [PublishedFile]? {
    var files = try tree()
    if let index = files.firstIndex(where: { $0.name == name }) {
      files[index].text = text
      return files
    }
    guard isDirectory, Self.isRuleFileName(name) else { return nil }
    files.append(PublishedFile(name: name, text: text))
    return ordered(files)
  }

  /// Whether the rules are a directory (files may be added and removed) rather than one file.
  var isDirectory: Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: rules.path, isDirectory: &isDirectory)
      && isDirectory.boolValue
  }

  /// A name the console may create: a relative `.etq` path inside the rules directory, no
  /// hidden or parent component, nothing a shell or a URL would read otherwise.
  static func isRuleFileName(_ name: String) -> Bool {
    guard name.hasSuffix(".etq"), name.utf8.count <= 200, !name.hasPrefix("/") else {
      return false
    }
    let components = name.split(separator: "/", omittingEmptySubsequences: false)
    return components.allSatisfy { part in
      !part.isEmpty && !part.hasPrefix(".")
        && part.unicodeScalars.allSatisfy {
          !CharacterSet.controlCharacters.contains($0) && $0 != "\\"
        }
    }
  }

  // MARK: - Tests of a draft

  /// The draft's `test` blocks run as `etiquette test` runs them: failures on their lines.
  struct TestRun: Encodable, Sendable {
    struct Failure: Encodable, Sendable {
      var test: String
      var file: String
      var line: Int
      var column: Int
      var message: String
    }
    var passed: Int
    var failed: Int
    var failures: [Failure]
    /// The draft's diagnostics when it has errors (then no test runs).
    var diagnostics: DiagnosticJSON.Document?
  }

  func runTests(_ name: String, text: String) throws -> TestRun? {
    guard let compiled = try compiled(name, text: text) else { return nil }
    return testRun(compiled)
  }

  func testRun(_ compiled: CompiledRules) -> TestRun {
    guard let matcher = compiled.matcher, !compiled.hasErrors else {
      return TestRun(passed: 0, failed: 0, failures: [], diagnostics: diagnostics(compiled))
    }
    let sources = compiled.sources.sources
    let report = RuleTestRunner(engine: Engine(matcher: matcher), sources: sources).runAll()
    var failures: [TestRun.Failure] = []
    for result in report.results {
      for failure in result.failures {
        let file = sources[failure.span.file]
        let position = file?.location(ofOffset: failure.span.start)
        failures.append(
          TestRun.Failure(
            test: result.name, file: relative(file?.path ?? ""), line: position?.line ?? 0,
            column: position?.column ?? 0, message: failure.message))
      }
    }
    return TestRun(
      passed: report.passed, failed: report.failed, failures: failures, diagnostics: nil)
  }

  // MARK: - « Enregistrer comme test »

  /// The `test` block that pins what the draft decided for `input`: its labels, its route,
  /// and every member's access, so a later change that alters any of them fails.
  func testBlock(_ trial: Trial, input: TrialInput) -> String? {
    guard let decision = trial.decision else { return nil }
    func quoted(_ text: String) -> String {
      "\""
        + text.replacingOccurrences(of: "\\", with: "\\\\")
        .replacingOccurrences(of: "\"", with: "\\\"")
        .replacingOccurrences(of: "\n", with: " ") + "\""
    }
    func literal(_ value: FieldValue) -> String {
      switch value {
      case .string(let text): quoted(text)
      case .number(let number):
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : "\(number)"
      case .bool(let flag): flag ? "true" : "false"
      case .list(let values): "[" + values.map(literal).joined(separator: ", ") + "]"
      case .null: "null"
      }
    }
    func object(_ fields: [TrialInput.Field]) -> String {
      "{ "
        + fields.map { field in
          let plain =
            field.key.first.map { $0.isLetter || $0 == "_" } == true
            && field.key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
          return (plain ? field.key : quoted(field.key)) + ": " + literal(field.value)
        }.joined(separator: ", ") + " }"
    }
    let about = input.event.isEmpty ? input.message : input.event
    let words = about.split(whereSeparator: \.isWhitespace).prefix(6).joined(separator: " ")
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    var lines = ["test \(quoted("essai : " + (words.isEmpty ? input.type.rawValue : words))) {"]
    if !input.contact.isEmpty { lines.append("  contact \(object(input.contact))") }
    lines.append("  at \(quoted(formatter.string(from: input.at)))")
    if !input.event.isEmpty {
      lines.append(
        "  event \(quoted(input.event))"
          + (input.eventFields.isEmpty ? "" : " \(object(input.eventFields))"))
    } else if input.type == .text {
      lines.append("  customer says \(quoted(input.message))")
    } else {
      lines.append(
        "  customer sends \(input.type.rawValue)"
          + (input.message.isEmpty ? "" : " \(quoted(input.message))"))
    }
    lines.append("  expect labels [\(decision.labels.map(quoted).joined(separator: ", "))]")
    var route = "  expect route "
    if decision.route.outcome == "unchanged" || decision.route.mode == nil {
      route += "unchanged"
    } else {
      route += decision.route.mode ?? "unchanged"
      if let team = decision.route.team { route += " team \(quoted(team))" }
      if let priority = decision.route.priority { route += " priority \(priority)" }
    }
    lines.append(route)
    for access in trial.members {
      let verb = access.reply ? "can reply" : access.view ? "can view" : "cannot view"
      lines.append("  expect \(quoted(access.member)) \(verb)")
      if access.view && !access.reply {
        lines.append("  expect \(quoted(access.member)) cannot reply")
      }
    }
    lines.append("}")
    return lines.joined(separator: "\n")
  }

  /// The draft with a test for `input` appended, and the draft's tests run on it.
  func savingTest(_ name: String, text: String, input: TrialInput) throws
    -> (text: String, run: TestRun)?
  {
    guard let trial = try trial(name, text: text, input: input) else { return nil }
    guard let block = testBlock(trial, input: input) else {
      return (text, TestRun(passed: 0, failed: 0, failures: [], diagnostics: trial.diagnostics))
    }
    var draft = text
    while draft.hasSuffix("\n\n") { draft.removeLast() }
    if !draft.isEmpty && !draft.hasSuffix("\n") { draft += "\n" }
    draft += (draft.isEmpty ? "" : "\n") + block + "\n"
    guard let run = try runTests(name, text: draft) else { return nil }
    return (draft, run)
  }
}
