import EtiquetteTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `etiquette serve` as `make run` starts it: development mode prints next steps that work when
/// pasted, a busy port is said in words, and Ctrl-C stops with a line.
@Suite(.serialized) struct ServeCommandTests {
  /// A running `etiquette serve`, its output collected as it comes.
  final class RunningServer: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var out = ""
    private var err = ""

    init(_ arguments: [String]) throws {
      process.executableURL = URL(fileURLWithPath: CommandRunner.executable)
      process.arguments = arguments
      process.currentDirectoryURL = URL(fileURLWithPath: CommandRunner.repositoryRoot)
      let stdout = Pipe()
      let stderr = Pipe()
      process.standardOutput = stdout
      process.standardError = stderr
      stdout.fileHandleForReading.readabilityHandler = { [weak self] handle in
        let text = String(decoding: handle.availableData, as: UTF8.self)
        self?.lock.withLock { self?.out += text }
      }
      stderr.fileHandleForReading.readabilityHandler = { [weak self] handle in
        let text = String(decoding: handle.availableData, as: UTF8.self)
        self?.lock.withLock { self?.err += text }
      }
      try process.run()
    }

    var stdout: String { lock.withLock { out } }
    var stderr: String { lock.withLock { err } }

    /// Waits until `condition` holds on the output (or the process ends); true when it held.
    /// 2,400 polls 50 ms apart: a budget of polls, not of wall-clock time, which a test
    /// waiting for its turn on a busy cooperative pool would spend without looking.
    func wait(for condition: (RunningServer) -> Bool) async -> Bool {
      for _ in 0..<2400 {
        if condition(self) { return true }
        if !process.isRunning { return condition(self) }
        try? await Task.sleep(for: .milliseconds(50))
      }
      return condition(self)
    }

    func interrupt() {
      if process.isRunning { kill(process.processIdentifier, SIGINT) }
      process.waitUntilExit()
    }
  }

  /// The commands under a numbered step of the guide (`  # 1. …`), as pasted into a shell.
  static func step(_ number: Int, of guide: String) -> String {
    var lines: [Substring] = []
    var inside = false
    for line in guide.split(separator: "\n", omittingEmptySubsequences: false) {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.hasPrefix("# \(number).") {
        inside = true
      } else if inside, trimmed.isEmpty || trimmed.hasPrefix("#") {
        break
      } else if inside {
        lines.append(line)
      }
    }
    return lines.joined(separator: "\n")
  }

  static func shell(_ script: String) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  static let curlInstalled = FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")

  /// The guide's commands, pasted into a shell: the signed webhook is received, and the member
  /// it names sees the new conversation with its label.
  @Test(
    .enabled(
      if: curlInstalled || ProcessInfo.processInfo.environment["CI"] == "true",
      "curl is not installed (apt-get install curl)"))
  func developmentModePrintsNextStepsThatWork() async throws {
    let directory = try CommandRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let server = try RunningServer([
      "serve", "--rules", "rules", "--dev", "--port", "0", "--db", directory + "/dev.db",
    ])
    defer { server.interrupt() }
    #expect(await server.wait { $0.stdout.contains("Stop: Ctrl-C") }, "\(server.stderr)")
    let guide = server.stdout
    #expect(guide.contains("DEVELOPMENT MODE"))
    #expect(server.stderr.contains("DEVELOPMENT MODE"), "development mode is logged as such")

    let webhook = try Self.shell(Self.step(1, of: guide))
    #expect(webhook.status == 0)
    #expect(webhook.output == #"{"status":"received"}"#)
    let list = try Self.shell(Self.step(2, of: guide))
    #expect(list.status == 0)
    let json = try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [String: Any]
    let conversations = json?["conversations"] as? [[String: Any]] ?? []
    // The guide's customer, beside the demo's conversations the member may see.
    let sample = conversations.first {
      ((($0["contact"] as? [String: Any])?["phone"] as? String) ?? "").hasSuffix("33612345678")
    }
    #expect((sample?["labels"] as? [String])?.isEmpty == false, "\(list.output)")
    #expect(guide.contains("Demo data: 9 conversations replayed through the intake"))
    #expect(conversations.count > 1, "alice sees the demo's bookings too")

    server.interrupt()
    #expect(server.process.terminationStatus == 0)
    // The process has exited; its last lines may still be on their way through the pipe.
    var stopped = server.stderr.contains("stopped")
    for _ in 0..<400 where !stopped {
      try? await Task.sleep(for: .milliseconds(50))
      stopped = server.stderr.contains("stopped")
    }
    #expect(stopped, "stopping logs a line")
  }

  /// The demo goes into an empty store only: a restart on the same file adds nothing, and
  /// `--no-demo` leaves the store empty.
  @Test func developmentModeReplaysTheDemoOnce() async throws {
    let directory = try CommandRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for (round, flags) in [(1, [String]()), (2, []), (3, ["--no-demo"])] {
      let database = directory + (round == 3 ? "/empty.db" : "/dev.db")
      let server = try RunningServer(
        ["serve", "--rules", "rules", "--dev", "--port", "0", "--db", database] + flags)
      defer { server.interrupt() }
      #expect(await server.wait { $0.stdout.contains("Stop: Ctrl-C") }, "\(server.stderr)")
      #expect(
        server.stdout.contains("Demo data: 9 conversations") == (round == 1),
        "round \(round): \(server.stdout)")
      server.interrupt()
    }
  }

  @Test func developmentModeIsRefusedForAnHTTPSPublicURL() throws {
    let directory = try CommandRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let config = directory + "/server.json"
    try #"{"public_url": "https://inbox.exemple.fr"}"#.write(
      toFile: config, atomically: true, encoding: .utf8)
    let result = try CommandRunner.run([
      "serve", "--rules", "rules", "--dev", "--config", config, "--db", directory + "/x.db",
    ])
    #expect(result.status == 2)
    #expect(result.stderr.contains("--dev prints secrets and tokens, so it is refused"))
    #expect(result.stdout.isEmpty, "no secret printed")
  }

  @Test func aBusyPortIsSaidInWords() async throws {
    let directory = try CommandRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let first = try RunningServer([
      "serve", "--rules", "rules", "--port", "0", "--db", directory + "/a.db",
    ])
    defer { first.interrupt() }
    var port = 0
    #expect(
      await first.wait { server in
        guard let range = server.stderr.range(of: "listening on http://127.0.0.1:") else {
          return false
        }
        port = Int(server.stderr[range.upperBound...].prefix { $0.isNumber }) ?? 0
        return true
      })
    let second = try CommandRunner.run([
      "serve", "--rules", "rules", "--port", String(port), "--db", directory + "/b.db",
    ])
    #expect(second.status == 1)
    #expect(
      second.stderr.contains(
        "error: port \(port) is already in use; choose another with --port"))
  }

  /// Help text is written as paragraphs, which ArgumentParser wraps to the terminal: printed
  /// 1,000 columns wide, every paragraph is one line. A line break written into the source
  /// shows as a line that stops mid-sentence (the re-wrapping at 80 columns then left single
  /// words on lines of their own).
  @Test(arguments: [
    "", "check", "fmt", "explain", "test", "run", "diff", "repl", "serve", "member",
    "member add", "lsp",
  ])
  func helpIsWrittenAsParagraphs(_ command: String) throws {
    let words = command.split(separator: " ").map(String.init)
    let result = try CommandRunner.run(words + ["--help"], environment: ["COLUMNS": "1000"])
    #expect(result.status == 0)
    let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    var broken: [String] = []
    for (line, next) in zip(lines, lines.dropFirst()) {
      let prose = { (text: Substring) in !text.isEmpty && text.first?.isWhitespace == false }
      guard prose(line), prose(next), !line.hasPrefix("USAGE"), !next.hasPrefix("USAGE") else {
        continue
      }
      if let last = line.last, !".:!?)".contains(last) { broken.append(String(line)) }
    }
    #expect(broken.isEmpty, "lines that stop mid-sentence:\n\(broken.joined(separator: "\n"))")
  }
}
