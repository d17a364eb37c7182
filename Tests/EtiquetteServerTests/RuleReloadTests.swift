import EtiquetteCompiler
import EtiquetteDiagnostics
import EtiquetteEngine
import Foundation
import GRDB
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// Reloading the rules: what it reports, and what it keeps of the conversations' state.
@Suite struct RuleReloadTests {
  /// A label whose clauses the tests reorder; its words appear in no other rule.
  static let label = """

    label "Essai Ordre" {
      when message contains "zorglub"
      when message contains "quibble"
      remove when message contains "fini"
    }

    """
  static let reorderedLabel = """

    label "Essai Ordre" {
      remove when message contains "fini"
      when message contains "quibble"
      when message contains "zorglub"
    }

    """

  static func labels(_ harness: ServerHarness, _ conversation: String) async throws -> [String] {
    try await harness.inspect.conversations().first { $0.id == conversation }?.labels.sorted() ?? []
  }

  /// "quibble" adds the label, "quibble fini" removes it while "quibble" still holds; a reload
  /// (`rewrite` edits the rules first); "quibble" again, which held at the last step and so
  /// fires nothing. The labels after each message are those without any reorder.
  static func expectSameLabels(
    phone: String, rewrite: @escaping @Sendable (String) -> String
  ) async throws {
    let (directory, file, complete) = try ServerHarness.editableRules()
    try (complete + label).write(to: file, atomically: true, encoding: .utf8)
    let harness = try await ServerHarness(rulesDirectory: directory.path)
    try await harness.test { client in
      var seen: [[String]] = []
      let id = try await APITests.converse(harness, client, phone: phone, text: "quibble")
      seen.append(try await labels(harness, id))
      _ = try await APITests.converse(harness, client, phone: phone, text: "quibble fini")
      seen.append(try await labels(harness, id))
      try rewrite(complete + label).write(to: file, atomically: true, encoding: .utf8)
      guard case .success = await harness.server.reloadRules(reason: "test") else {
        Issue.record("the rewritten rules were refused")
        return
      }
      _ = try await APITests.converse(harness, client, phone: phone, text: "quibble")
      seen.append(try await labels(harness, id))
      #expect(seen == [["Essai Ordre"], [], []])
    }
  }

  @Test func reorderedClausesDecideTheNextMessageAsWithoutTheReorder() async throws {
    try await Self.expectSameLabels(phone: "33650000070") { $0 + "\n# reloaded\n" }
    try await Self.expectSameLabels(phone: "33650000071") {
      $0.replacingOccurrences(of: Self.label, with: Self.reorderedLabel)
    }
  }

  /// State stored before triggers had stable names (`add|Label|1`) is read once as the clause
  /// at that position of the current rules, then saved under the stable name.
  @Test func positionalNamesStoredBeforeAreMigrated() async throws {
    let (directory, file, complete) = try ServerHarness.editableRules()
    try (complete + Self.label).write(to: file, atomically: true, encoding: .utf8)
    let harness = try await ServerHarness(rulesDirectory: directory.path)
    try await harness.test { client in
      let id = try await APITests.converse(harness, client, phone: "33650000072", text: "quibble")
      _ = try await APITests.converse(harness, client, phone: "33650000072", text: "quibble fini")
      try await harness.server.faults.storeHeldTriggers(
        ["add|Essai Ordre|1", "remove|Essai Ordre|0"], conversation: id)
      // A new rule-set version, so that no cached state hides the stored one.
      try (complete + Self.label + "\n# reloaded\n").write(
        to: file, atomically: true, encoding: .utf8)
      _ = await harness.server.reloadRules(reason: "test")
      _ = try await APITests.converse(harness, client, phone: "33650000072", text: "quibble")
      #expect(
        try await Self.labels(harness, id).isEmpty, "\"quibble\" held: it does not fire again")
      let stored =
        try await harness.inspect.conversations().first { $0.id == id }?.heldTriggers ?? []
      #expect(stored.contains(#"when|Essai Ordre|when message contains "quibble""#))
      #expect(!stored.contains { $0.hasPrefix("add|") })
    }
  }

  /// A rules directory with a pattern that runs on every message (W030): the reload's answer
  /// lists it, with the same document `RuleCompiler` (what `etiquette check` prints) gives.
  @Test func reloadReportsEveryDiagnosticOfCheck() async throws {
    let (directory, file, complete) = try ServerHarness.editableRules()
    let harness = try await ServerHarness(rulesDirectory: directory.path)
    try await harness.test { client in
      try (complete + "\nlabel \"Longs\" {\n  when message matches /^.{500,}$/s\n}\n").write(
        to: file, atomically: true, encoding: .utf8)
      let (status, body) = try await ServerHarness.send(
        client, .post, "/v1/rules/reload", headers: harness.auth("manon@exemple.fr"))
      #expect(status == .ok)
      let codes = body["diagnostics"]?.arrayValue?.compactMap {
        $0["code"]?.stringValue
      }
      #expect(codes?.contains("W030") == true)
      let compiled = try RuleCompiler.compile(paths: [directory.path])
      let expected = try JSONDecoder().decode(
        JSONValue.self,
        from: Data(
          DiagnosticJSON.encode(compiled.diagnostics, sources: compiled.sources.sources).utf8))
      // Beside `status`, one level, as a refusal puts them beside `error`.
      #expect(body["diagnostics"] == expected["diagnostics"])
      #expect(body["summary"] == expected["summary"])
      #expect(body["warnings"] == .number(Double(compiled.warningCount)))
    }
  }

  /// A rules directory reached through a symbolic link (a deployment's `current`) serves and
  /// reloads.
  @Test func aSymlinkedRulesDirectoryServesAndReloads() async throws {
    let (directory, _, _) = try ServerHarness.editableRules()
    let link = directory.deletingLastPathComponent().appendingPathComponent(
      "etiquette-link-\(UUID().uuidString)")
    try FileManager.default.createSymbolicLink(at: link, withDestinationURL: directory)
    defer { try? FileManager.default.removeItem(at: link) }
    let harness = try await ServerHarness(rulesDirectory: link.path)
    #expect(harness.server.rules.current.ruleSet.label(named: "VIP") != nil)
    guard case .success(let loaded) = await harness.server.reloadRules(reason: "test") else {
      Issue.record("the linked rules were refused")
      return
    }
    #expect(loaded.sources.files.map(\.path) == [link.path + "/rules.etq"])
  }
}
