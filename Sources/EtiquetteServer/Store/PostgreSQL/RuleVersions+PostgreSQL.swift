import Foundation
import PostgresNIO

// The published rule versions in PostgreSQL (migration "rule-versions-v1"), as in SQLite.
extension PostgresStore: RuleVersionStore {
  func recordRuleVersion(
    author: String, at: Double, message: String, digest: String, files: [PublishedFile]
  ) async throws -> Int64 {
    let json = String(decoding: try JSONEncoder().encode(files), as: UTF8.self)
    for try await number in try await client.query(
      """
      INSERT INTO rule_versions (author, at, message, digest, files)
      VALUES (\(author), \(at), \(message), \(digest), \(json)) RETURNING number
      """, logger: logger
    ).decode(Int64.self) {
      return number
    }
    // An INSERT … RETURNING without a row: the server broke its contract.
    throw PostgresStoreError.refused(
      message: "INSERT INTO rule_versions returned no number", sqlState: nil)
  }

  func ruleVersions(limit: Int) async throws -> [RuleVersion] {
    var versions: [RuleVersion] = []
    for try await row in try await client.query(
      """
      SELECT number, author, at, message, digest, files FROM rule_versions
      ORDER BY number DESC LIMIT \(limit)
      """, logger: logger
    ).decode((Int64, String, Double, String, String, String).self) {
      versions.append(try Self.ruleVersion(row))
    }
    return versions
  }

  func ruleVersion(number: Int64) async throws -> RuleVersion? {
    for try await row in try await client.query(
      """
      SELECT number, author, at, message, digest, files FROM rule_versions
      WHERE number = \(number)
      """, logger: logger
    ).decode((Int64, String, Double, String, String, String).self) {
      return try Self.ruleVersion(row)
    }
    return nil
  }

  private static func ruleVersion(
    _ row: (Int64, String, Double, String, String, String)
  ) throws -> RuleVersion {
    RuleVersion(
      number: row.0, author: row.1, at: row.2, message: row.3, digest: row.4,
      files: try JSONDecoder().decode([PublishedFile].self, from: Data(row.5.utf8)))
  }
}
