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

  /// Listens for recorded rules until the store closes; looks again after a lost connection.
  func followServedRules(_ instance: ServedInstance) async {
    let logger = instance.logger
    while !Task.isCancelled {
      do {
        try await client.withConnection { connection in
          try await connection.listen(on: Self.rulesChannel) { notifications in
            // What was recorded while nobody listened (the start, a reconnect) first.
            try await follow(instance, atStart: true)
            for try await _ in notifications { try await follow(instance, atStart: false) }
          }
        }
      } catch {
        if Task.isCancelled { return }
        logger.warning(
          "served rules: listening again after \(PostgresStoreError.readable(error))")
        try? await Task.sleep(for: .seconds(1))
      }
    }
  }

  private func follow(_ instance: ServedInstance, atStart: Bool) async throws {
    let own = try instance.files()
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
