import EtiquetteEngine
import Foundation
import PostgresNIO

/// Labels renamed by the rules (`was "Old"`), in PostgreSQL: SQLite's statements, with the
/// held triggers renamed by the same shared code (`StoredLabelRenames`).
extension PostgresStore {
  func storedLabelCounts() async throws -> [String: Int] {
    var counts: [String: Int] = [:]
    for try await (label, count) in try await client.query(
      "SELECT label, COUNT(*) FROM conversation_labels GROUP BY label", logger: logger
    ).decode((String, Int).self) {
      counts[label] = count
    }
    return counts
  }

  /// Moves the labels stored under each former name to its new one, with their reasons and
  /// held triggers, in one transaction; returns how many conversations each former name was on.
  ///
  /// A reason that is a JSON object gets the new name as its `label` (SQLite's `json_set`);
  /// it is rewritten here in Swift, with sorted keys, where SQLite keeps the object's order:
  /// the same JSON, not always the same text. PostgreSQL 15 has no `json_valid`, and a cast of
  /// a reason that is not JSON would abort the whole rename.
  func renameStoredLabels(_ renames: [String: String]) async throws -> [String: Int] {
    guard !renames.isEmpty else { return [:] }
    let logger = logger
    return try await transaction { connection, _ in
      // Under the intake's lock: the intake updates many conversations in one transaction,
      // and so does a rename; two such transactions locking rows in different orders could
      // deadlock. (A member's step holds one conversation and waits for nothing the rename
      // holds.)
      try await connection.query(
        "SELECT pg_advisory_xact_lock(\(Self.intakeLock))", logger: logger)
      var moved: [String: Int] = [:]
      for (old, new) in renames.sorted(by: { $0.key < $1.key }) {
        // A conversation that carries both names keeps the new one (and its reason).
        var rows: [(conversation: String, reason: String)] = []
        for try await (conversation, reason) in try await connection.query(
          """
          SELECT conversation_id, reason FROM conversation_labels WHERE label = \(old)
          ORDER BY conversation_id FOR UPDATE
          """, logger: logger
        ).decode((String, String).self) {
          rows.append((conversation, reason))
        }
        moved[old] = rows.count
        try await connection.query(
          """
          DELETE FROM conversation_labels WHERE label = \(old) AND conversation_id IN
            (SELECT conversation_id FROM conversation_labels WHERE label = \(new))
          """, logger: logger)
        for row in rows {
          try await connection.query(
            """
            UPDATE conversation_labels SET label = \(new),
              reason = \(Self.renamedReason(row.reason, to: new))
            WHERE conversation_id = \(row.conversation) AND label = \(old)
            """, logger: logger)
        }
      }
      var held: [(id: String, text: String)] = []
      for try await (id, text) in try await connection.query(
        "SELECT id, held_triggers FROM conversations WHERE held_triggers <> '[]' FOR UPDATE",
        logger: logger
      ).decode((String, String).self) {
        held.append((id, text))
      }
      for conversation in held {
        guard
          let renamed = StoredLabelRenames.heldTriggers(conversation.text, renames: renames)
        else { continue }
        try await connection.query(
          "UPDATE conversations SET held_triggers = \(renamed) WHERE id = \(conversation.id)",
          logger: logger)
      }
      return moved
    }
  }

  /// A label's reason with `label` set to the new name when it is a JSON object; as it was
  /// otherwise.
  static func renamedReason(_ reason: String, to label: String) -> String {
    guard
      case .object(var object)? = try? JSONDecoder().decode(
        JSONValue.self, from: Data(reason.utf8))
    else { return reason }
    object["label"] = .string(label)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(JSONValue.object(object)) else { return reason }
    return String(decoding: data, as: UTF8.self)
  }
}
