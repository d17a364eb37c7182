import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A PostgreSQL server of one test's own, which the test may stop and start again (the shared
/// server of the suite cannot be: every other test uses it). Debian's binaries, a temporary
/// directory, loopback only, the role `etiquette` trusted; run as `postgres` when the tests
/// run as root, since PostgreSQL refuses to run as root.
final class ThrowawayCluster: Sendable {
  let directory: String
  let port: Int
  private let binaries: String

  /// The URL of its `postgres` database, as `db` takes it.
  var url: String { "postgres://etiquette@127.0.0.1:\(port)/postgres" }

  /// The newest installed server's binaries (`/usr/lib/postgresql/<version>/bin`), if any.
  static var installed: String? {
    let root = "/usr/lib/postgresql"
    let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
    return versions.sorted { $0.compare($1, options: .numeric) == .orderedAscending }
      .map { "\(root)/\($0)/bin" }
      .last { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
  }

  /// A new cluster, initialized and started.
  static func started() async throws -> ThrowawayCluster {
    let binaries = try #require(Self.installed, "no PostgreSQL server installed (initdb)")
    let directory = NSTemporaryDirectory() + "etiquette-cluster-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    if getuid() == 0 {
      try FileManager.default.setAttributes(
        [.ownerAccountName: "postgres"], ofItemAtPath: directory)
    }
    try await Self.run(
      "\(binaries)/initdb",
      ["-D", "\(directory)/data", "-U", "etiquette", "--auth=trust", "--no-sync"],
      asPostgres: true, log: "\(directory)/initdb.log")
    // A port outside the range the system hands out to outgoing connections (32768 and up),
    // so nothing takes it between the stop and the start again; tried until one is free.
    var lastError: (any Error)?
    for _ in 0..<20 {
      let cluster = ThrowawayCluster(
        directory: directory, port: Int.random(in: 20_000..<30_000), binaries: binaries)
      do {
        try await cluster.start()
        return cluster
      } catch {
        lastError = error
      }
    }
    throw lastError ?? CommandFailed(command: "pg_ctl start", log: "")
  }

  private init(directory: String, port: Int, binaries: String) {
    self.directory = directory
    self.port = port
    self.binaries = binaries
  }

  /// Starts the server and waits until it accepts connections (`pg_ctl -w`).
  func start() async throws {
    try await Self.run(
      "\(binaries)/pg_ctl",
      [
        "-D", "\(directory)/data", "-l", "\(directory)/server.log", "-w", "-t", "120", "-o",
        "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off", "start",
      ], asPostgres: true, log: "\(directory)/pg_ctl.log")
  }

  /// Stops the server the way a crash does (`immediate`: no checkpoint, every connection cut);
  /// its next start recovers from the write-ahead log.
  func crash() async throws {
    try await Self.run(
      "\(binaries)/pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"],
      asPostgres: true, log: "\(directory)/pg_ctl.log")
  }

  /// Stops the server if it runs and removes its files.
  func destroy() async {
    try? await crash()
    try? FileManager.default.removeItem(atPath: directory)
  }

  struct CommandFailed: Error, CustomStringConvertible {
    var command: String
    var log: String
    var description: String { "\(command) failed:\n\(log)" }
  }

  /// Runs a command to its end, its output into `log` (a file of the cluster's directory).
  ///
  /// `posix_spawn` and `waitpid`, not Foundation's `Process`: the server `pg_ctl start` leaves
  /// running inherits the descriptors `Process` watches for its child's exit, so
  /// `waitUntilExit` waited for PostgreSQL to end (a hung test; ReplTests' tmux runner met the
  /// same). The wait polls, so no cooperative thread is blocked.
  private static func run(
    _ executable: String, _ arguments: [String], asPostgres: Bool, log: String
  ) async throws {
    let command =
      asPostgres && getuid() == 0
      ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] + arguments
      : [executable] + arguments
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    // Nothing else of the test process: the server outlives this command, and a descriptor
    // it kept (another child's pipe, the test runner's own) would stay open as long. glibc
    // has the call (2.34 and later) but Swift's Glibc module does not declare it.
    if let symbol = dlsym(
      UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
    {
      typealias CloseFrom =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
      _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
    }
    let arguments = command.map { strdup($0) } + [nil]
    defer { for argument in arguments { free(argument) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, command[0], &actions, nil, arguments, environ)
    guard spawned == 0 else {
      throw CommandFailed(
        command: command.joined(separator: " "), log: String(cString: strerror(spawned)))
    }
    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) == 0 {
      try? await Task.sleep(for: .milliseconds(20))
    }
    // WIFEXITED and WEXITSTATUS, which Swift does not import.
    guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
      let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
      throw CommandFailed(command: command.joined(separator: " "), log: text)
    }
  }
}
