import Foundation
import GRDB

// The published rule versions (migration "rule-versions-v1"): `rule_versions`, the files of
// each as one JSON array.
extension SQLiteStore: RuleVersionStore {
  func recordRuleVersion(
    author: String, at: Double, message: String, digest: String, files: [PublishedFile]
  ) async throws -> Int64 {
    let json = String(decoding: try JSONEncoder().encode(files), as: UTF8.self)
    return try await pool.write { db in
      try db.execute(
        sql: """
          INSERT INTO rule_versions (author, at, message, digest, files)
          VALUES (?, ?, ?, ?, ?)
          """,
        arguments: [author, at, message, digest, json])
      return db.lastInsertedRowID
    }
  }

  func ruleVersions(limit: Int) async throws -> [RuleVersion] {
    try await pool.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT number, author, at, message, digest, files FROM rule_versions
          ORDER BY number DESC LIMIT ?
          """,
        arguments: [limit]
      ).map(Self.ruleVersion)
    }
  }

  func ruleVersion(number: Int64) async throws -> RuleVersion? {
    try await pool.read { db in
      try Row.fetchOne(
        db,
        sql: """
          SELECT number, author, at, message, digest, files FROM rule_versions WHERE number = ?
          """,
        arguments: [number]
      ).map(Self.ruleVersion)
    }
  }

  private static func ruleVersion(_ row: Row) throws -> RuleVersion {
    let files: String = row["files"]
    return RuleVersion(
      number: row["number"], author: row["author"], at: row["at"], message: row["message"],
      digest: row["digest"],
      files: try JSONDecoder().decode([PublishedFile].self, from: Data(files.utf8)))
  }
}
