import EtiquetteEngine
import EtiquetteReplay
import Foundation
import GRDB

/// Every step's input, kept beside its decision (`step_inputs`, written in the step's
/// transaction): the stored traffic the console's impact replay feeds to `etiquette diff`'s code.
/// The line has no `at`: the instant is the column `at`, given to the replay as a date.
enum StepRecords {
  /// Records the input of a step just applied. The first step also carries the contact the
  /// conversation started with, so a replay starts it alike.
  static func record(
    _ step: Step, number: Int, before: Conversation, in db: Database, rules: LoadedRules
  ) throws {
    var contact = step.contact
    if number == 1 {
      var first = contact ?? ContactUpdate()
      first.id = first.id ?? before.contact.id
      first.phone = first.phone ?? before.contact.phone
      first.name = first.name ?? before.contact.name
      for (key, value) in before.contact.attributes where first.attributes[key] == nil {
        first.attributes[key] = value
      }
      contact = first
    }
    let line = StepLine.encode(
      step, conversation: before.id, contact: contact, ruleSet: rules.ruleSet,
      withInstant: false)
    try db.executeCached(
      sql: """
        INSERT OR REPLACE INTO step_inputs (conversation_id, step, at, line) VALUES (?, ?, ?, ?)
        """,
      arguments: [before.id, number, step.at.timeIntervalSince1970, line])
  }
}

extension SQLiteStore: StepHistory {
  func stepCount(from: Date, to: Date) async throws -> Int {
    try await pool.read { db in
      try Int.fetchOne(
        db, sql: "SELECT COUNT(*) FROM step_inputs WHERE at >= ? AND at < ?",
        arguments: [from.timeIntervalSince1970, to.timeIntervalSince1970]) ?? 0
    }
  }

  func steps(from: Date, to: Date, after cursor: Int64?, limit: Int) async throws -> [StoredStep] {
    try await pool.read { db in
      // The rowid follows the order steps were committed in: the single writer's order.
      try Row.fetchAll(
        db,
        sql: """
          SELECT rowid, conversation_id, step, at, line FROM step_inputs
          WHERE at >= ? AND at < ? AND rowid > ? ORDER BY rowid LIMIT ?
          """,
        arguments: [
          from.timeIntervalSince1970, to.timeIntervalSince1970, cursor ?? 0, limit,
        ]
      ).map { row in
        StoredStep(
          conversation: row["conversation_id"], step: row["step"],
          at: Date(timeIntervalSince1970: row["at"]), line: row["line"], cursor: row["rowid"])
      }
    }
  }

  func labels(ofConversations ids: [String]) async throws -> [String: [String]] {
    guard !ids.isEmpty else { return [:] }
    return try await pool.read { db in
      var labels: [String: [String]] = [:]
      for id in ids { labels[id] = [] }
      let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT conversation_id, label FROM conversation_labels
          WHERE conversation_id IN (\(marks))
          """, arguments: StatementArguments(ids))
      {
        labels[row["conversation_id"], default: []].append(row["label"])
      }
      return labels
    }
  }
}
