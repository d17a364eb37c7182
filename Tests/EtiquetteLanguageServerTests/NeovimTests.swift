import Foundation
import Testing

/// `etiquette lsp` in a real editor: Neovim's built-in LSP client, headless, runs
/// `Fixtures/neovim-e2e.lua` on a copy of the example rules with a misspelt label.
///
/// Without `nvim` the test is skipped on a developer's machine, but fails in CI (`CI=true`),
/// where `.ci/run` installs it.
@Suite struct NeovimTests {
  static let nvim = ["/usr/bin/nvim", "/usr/local/bin/nvim"].first {
    FileManager.default.isExecutableFile(atPath: $0)
  }
  static let inCI = ProcessInfo.processInfo.environment["CI"] == "true"

  @Test(.enabled(if: nvim != nil || inCI, "nvim is not installed (apt-get install neovim)"))
  func diagnosticsHoverDefinitionCompletionQuickFixAndRename() async throws {
    let nvim = try #require(Self.nvim, "nvim must be installed in CI")
    let binary = try #require(Self.etiquetteBinary(), "build the etiquette binary first")
    let folder = try RuleFolder.examples()
    defer { folder.remove() }
    let routing = try folder.text("routing.etq")
    let misspelt = routing.replacingOccurrences(
      of: "when label \"Support Technique\"", with: "when label \"Suport technique\"")
    #expect(misspelt != routing)
    try Data(misspelt.utf8).write(to: folder.url.appendingPathComponent("routing.etq"))
    let reportURL = folder.url.appendingPathComponent("report.txt")

    let process = Process()
    process.executableURL = URL(fileURLWithPath: nvim)
    process.arguments = [
      "--headless", "-n", "-u", "NONE", "-i", "NONE", "-c", "luafile \(Self.script)",
    ]
    var environment = ProcessInfo.processInfo.environment
    environment["ETQ_BIN"] = binary
    environment["ETQ_ROOT"] = folder.url.path
    environment["ETQ_REPORT"] = reportURL.path
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // The script's own waits are bounded; this only stops a Neovim that never gets that far.
    let watchdog = Task {
      try await Task.sleep(for: .seconds(1800))
      process.terminate()
    }
    await Task.detached { process.waitUntilExit() }.value
    watchdog.cancel()

    let report = try String(contentsOf: reportURL, encoding: .utf8)
    var facts: [String: String] = [:]
    for line in report.split(separator: "\n") {
      let parts = line.split(separator: "=", maxSplits: 1)
      if parts.count == 2 { facts[String(parts[0])] = String(parts[1]) }
    }
    #expect(facts["error"] == nil, "\(report)")
    #expect(process.terminationStatus == 0)
    #expect(facts["code"] == "E030")
    // 0-based line 12; columns in bytes as Neovim counts them: the string `"Suport technique"`.
    #expect(facts["range"] == "12:13-12:31")
    #expect(facts["message"]?.contains("did you mean \"Support Technique\"?") == true)
    #expect(facts["hover"] == "true")
    #expect(facts["definition"] == "labels.etq:40")
    #expect(facts["completion"] == "Support Technique")
    #expect(facts["quickfix"] == "Change to \"Support Technique\"")
    #expect(facts["fixed"] == "true")
    #expect(facts["renamed_files"] == "3")
    #expect(facts["done"] == "true")

    let fixed = try folder.text("routing.etq")
    #expect(fixed.contains("when label \"Support Technique\" -> human team \"Support\""))
    #expect(fixed.contains("when label \"Clients VIP\" -> human"))
    #expect(try folder.text("labels.etq").contains("label \"Clients VIP\" {"))
    #expect(try folder.text("tests.etq").contains("\"Clients VIP\"]"))
  }

  static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/neovim-e2e.lua").path

  /// The `etiquette` binary built beside the tests (`.build/debug/etiquette`).
  static func etiquetteBinary() -> String? {
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    let candidates = [
      URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        .appendingPathComponent("etiquette"),
      packageRoot.appendingPathComponent(".build/debug/etiquette"),
    ]
    return candidates.map(\.path).first { FileManager.default.isExecutableFile(atPath: $0) }
  }
}
