import Foundation
import Logging
import PostgresNIO

/// One rule set for every instance: the files served are one row (`served_rules`); the
/// instance that records new files sends a `NOTIFY` with their digest, and every instance that
/// serves other files adopts them (`ServedInstance.adopt`: written into its rules directory,
/// then reloaded and checked as any reload).
///
/// At start an instance adopts the recorded files when they differ from its own — the
/// database, where the console publishes, is the reference — and records its own when none
/// are recorded. An operator who changes the files of one instance publishes them with a
/// reload there (SIGHUP, the endpoint, or the file poll).
extension PostgresStore {
  static let rulesChannel = "etiquette_rules"

  func rulesServed(_ files: ServedRuleFiles) async throws {
    let digest = files.digest
    let text = String(decoding: try JSONEncoder().encode(files), as: UTF8.self)
    let now = clock.seconds
    let instance = ProcessInfo.processInfo.hostName + ":\(getpid())"
    // Only a change notifies: an instance adopting the files records them again, unchanged.
    try await client.query(
      """
      WITH recorded AS (
        INSERT INTO served_rules (id, digest, files, at, by_instance)
        VALUES (1, \(digest), \(text), \(now), \(instance))
        ON CONFLICT (id) DO UPDATE SET digest = excluded.digest, files = excluded.files,
          at = excluded.at, by_instance = excluded.by_instance
        WHERE served_rules.digest <> excluded.digest
        RETURNING digest)
      SELECT pg_notify(\(Self.rulesChannel), digest) FROM recorded
      """, logger: logger)
  }

  /// The files recorded as served, if any.
  func servedRules() async throws -> ServedRuleFiles? {
    let rows = try await client.query(
      "SELECT files FROM served_rules WHERE id = 1", logger: logger)
    for try await text in rows.decode(String.self) {
      return try JSONDecoder().decode(ServedRuleFiles.self, from: Data(text.utf8))
    }
    return nil
  }

  fileprivate func follow(_ instance: ServedInstance, atStart: Bool) async throws {
    let own = instance.files()
    guard let recorded = try await servedRules() else {
      if atStart { try await rulesServed(own) }
      return
    }
    guard recorded.digest != own.digest else { return }
    if atStart {
      instance.logger.warning(
        "the database serves other rules than this instance's files: adopting them (reload to publish this instance's files instead)"
      )
    }
    await instance.adopt(recorded)
  }
}

/// Adopts the rules recorded by another instance whenever the listener hears of them (and once
/// at start).
final class RulesFollower: Sendable {
  let run: CoalescedRun

  init(store: PostgresStore, instance: ServedInstance) {
    let started = Started()
    run = CoalescedRun {
      do {
        try await store.follow(instance, atStart: started.first())
      } catch {
        instance.logger.warning("served rules: \(PostgresStoreError.readable(error))")
      }
    }
  }

  /// True the first time it is asked.
  private final class Started: @unchecked Sendable {
    private let lock = NSLock()
    private var asked = false
    func first() -> Bool {
      lock.withLock {
        defer { asked = true }
        return !asked
      }
    }
  }
}
