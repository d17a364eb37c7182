import EtiquetteChecker
import EtiquetteEngine
import Foundation
import GRDB

/// A conversation in a list.
public struct ConversationSummary: Codable, Sendable, Hashable {
  public var id: String
  public var contact: ContactDocument
  public var labels: [String]
  public var mode: String
  public var assignee: String?
  public var presence: String
  public var team: String?
  public var priority: String
  public var unread: Bool
  public var unreadCount: Int
  public var updatedAt: String
}

public struct ContactDocument: Codable, Sendable, Hashable {
  public var id: String
  public var phone: String?
  public var userId: String?
  public var name: String?
}

/// A conversation with everything an agent needs to answer it.
public struct ConversationDetail: Codable, Sendable, Hashable {
  public var id: String
  public var contact: ContactDocument
  public var attributes: [String: JSONValue]
  public var transcript: [MessageDocument]
  public var labels: [LabelDocument]
  public var notes: [NoteDocument]
  public var mode: String
  public var assignee: String?
  public var presence: String
  public var team: String?
  public var priority: String
  public var version: Int
  public var read: ReadDocument

  public struct MessageDocument: Codable, Sendable, Hashable {
    public var id: Int64
    /// `in` (customer), `out` (agent), `event` (integration) or `echo` (business app).
    public var direction: String
    public var author: String
    public var type: String?
    public var wireType: String?
    public var text: String
    public var attachments: [JSONValue]
    public var whatsappId: String?
    public var contextId: String?
    /// For `out`: `queued` (waiting to be sent, or retrying), `sent`, `delivered`, `read`,
    /// `played` or `failed`; `sent` for `echo`.
    public var status: String?
    /// Meta's errors as received (`statuses[].errors`, or the Graph API's answer to the send).
    public var errors: JSONValue?
    /// The first error, readable: why a reply `failed`, or why a `queued` one is retrying.
    public var error: DeliveryError?
    /// Send attempts made so far (replies only).
    public var attempts: Int?
    public var at: String
  }

  /// Meta's error code and title, with its message and details when given.
  public struct DeliveryError: Codable, Sendable, Hashable {
    public var code: Int?
    public var title: String
    public var message: String?
    public var details: String?

    /// Reads the first element of a stored `errors` array (Meta's shape).
    static func first(of errors: JSONValue?) -> DeliveryError? {
      guard let first = errors?.arrayValue?.first else { return nil }
      var code: Int?
      if case .number(let n)? = first["code"] { code = Int(exactly: n) }
      let message = first["message"]?.stringValue
      guard let title = first["title"]?.stringValue ?? message else { return nil }
      return DeliveryError(
        code: code, title: title, message: message,
        details: first["error_data"]?["details"]?.stringValue)
    }
  }

  public struct LabelDocument: Codable, Sendable, Hashable {
    public var name: String
    public var reason: JSONValue
  }

  public struct NoteDocument: Codable, Sendable, Hashable {
    public var author: String
    public var text: String
    public var mentions: [String]
    public var at: String
  }

  public struct ReadDocument: Codable, Sendable, Hashable {
    public var readCount: Int
    public var unreadCount: Int
    public var unread: Bool
  }
}

/// Options of `GET /v1/conversations`.
public struct ConversationListQuery: Sendable {
  public enum Sort: String, Sendable { case recent, priority }
  public var label: String?
  /// Label filters that combine (the web inbox's): conversations carrying at least one of
  /// `anyLabels`, every one of `allLabels` and none of `noLabels`. Empty lists filter nothing.
  public var anyLabels: [String] = []
  public var allLabels: [String] = []
  public var noLabels: [String] = []
  /// Conversations with an internal note that mentions this member.
  public var mentioning: String?
  /// The customer wrote last and nobody answered yet (« À répondre »): the last line that is
  /// not an event came in. Unlike `unread`, the same for every member.
  public var awaitingReply = false
  public var unread: Bool?
  public var mode: String?
  public var assignee: String?
  public var text: String?
  public var sort: Sort = .recent
  public var cursor: String?
  public var limit: Int = 50
  public init() {}
}

public struct ConversationPage: Codable, Sendable {
  public var conversations: [ConversationSummary]
  public var nextCursor: String?
}

/// The invalid cursor of a list request.
struct CursorError: Error {}

enum ConversationQueries {
  /// SQLite's spelling of a conversation list: `?` placeholders, the mentions of a note read
  /// with `json_each`, a search through the FTS5 table.
  static let dialect = ConversationListDialect(
    placeholders: .questionMarks, always: "1", never: "0", bytewise: "",
    mentions: { placeholder in
      "EXISTS (SELECT 1 FROM notes n, json_each(n.mentions) j"
        + " WHERE n.conversation_id = c.id AND j.value = \(placeholder))"
    },
    search: { text, sql in
      guard let fts = ftsQuery(text) else { return nil }
      return "c.id IN (SELECT conversation_id FROM search WHERE search MATCH \(sql.bind(fts)))"
    })

  /// Words of a search, each quoted, so that FTS5 operators typed by a user are plain text. A
  /// NUL ends FTS5's string early ("unterminated string", a 500): it separates tokens instead,
  /// as every other non-word character does.
  static func ftsQuery(_ text: String) -> String? {
    let words = text.split(whereSeparator: \.isWhitespace).map {
      "\""
        + $0.replacingOccurrences(of: "\"", with: "\"\"").replacingOccurrences(
          of: "\u{0}", with: " ") + "\""
    }
    return words.isEmpty ? nil : words.joined(separator: " ")
  }

  static func arguments(_ sql: BoundSQL) -> StatementArguments {
    StatementArguments(
      sql.values.map { value -> any DatabaseValueConvertible in
        switch value {
        case .text(let text): text
        case .integer(let integer): integer
        case .real(let real): real
        }
      })
  }

  /// How many conversations `query` finds for the member, counting no further than `limit`.
  static func count(
    _ db: Database, member: String, query: ConversationListQuery, rules: LoadedRules, limit: Int
  ) throws -> Int {
    let sql = countSQL(member: member, query: query, rules: rules, limit: limit, dialect: dialect)
    return try Int.fetchOne(db, sql: sql.sql, arguments: arguments(sql)) ?? 0
  }

  static func list(
    _ db: Database, member: String, query: ConversationListQuery, rules: LoadedRules
  ) throws -> ConversationPage {
    let sql = try pageSQL(member: member, query: query, rules: rules, dialect: dialect)
    let rows = try Row.fetchAll(db, sql: sql.sql, arguments: arguments(sql)).map(summaryValues)
    var labels: [String: [String]] = [:]
    for row in rows.prefix(pageSize(query)) { labels[row.id] = try self.labels(db, id: row.id) }
    return page(rows, labels: labels, query: query, ruleSet: rules.ruleSet)
  }

  static func labels(_ db: Database, id: String) throws -> [String] {
    try String.fetchAll(
      db, sql: "SELECT label FROM conversation_labels WHERE conversation_id = ?", arguments: [id])
  }

  static func summaryValues(_ row: Row) -> ConversationSummaryValues {
    ConversationSummaryValues(
      id: row["id"], contactID: row["contact_id"], phone: row["phone"], userID: row["user_id"],
      name: row["name"], mode: row["mode"], assignee: row["assignee"], presence: row["presence"],
      team: row["team"], priority: row["priority"], priorityRank: row["priority_rank"],
      transcriptCount: row["transcript_count"], updatedAt: row["updated_at"],
      readCount: row["read_count"])
  }

  static func detail(_ db: Database, id: String, member: String, ruleSet: RuleSet) throws
    -> ConversationDetail?
  {
    guard
      let row = try Row.fetchOne(
        db,
        sql: """
          SELECT c.*, COALESCE(r.read_count, 0) AS read_count FROM conversations c
          LEFT JOIN read_state r ON r.conversation_id = c.id AND r.member = ?
          WHERE c.id = ?
          """, arguments: [member, id])
    else { return nil }
    let messages = try Row.fetchAll(
      db, sql: "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", arguments: [id]
    ).map { m in
      StoredMessageValues(
        id: m["id"], direction: m["direction"], author: m["author"], type: m["type"],
        wireType: m["wire_type"], text: m["text"], attachments: m["attachments"],
        whatsappID: m["wa_id"], contextID: m["context_id"], status: m["status"],
        errors: m["errors"], sendAttempts: m["send_attempts"], at: m["at"])
    }
    let labels = try Row.fetchAll(
      db, sql: "SELECT label, reason FROM conversation_labels WHERE conversation_id = ?",
      arguments: [id]
    ).map { (name: $0["label"] as String, reason: $0["reason"] as String?) }
    let notes = try Row.fetchAll(
      db, sql: "SELECT * FROM notes WHERE conversation_id = ? ORDER BY id", arguments: [id]
    ).map { n in
      StoredNoteValues(author: n["author"], text: n["text"], mentions: n["mentions"], at: n["at"])
    }
    return detail(
      summaryValues(row), attributes: row["attributes"], version: row["version"],
      messages: messages, labels: labels, notes: notes, ruleSet: ruleSet)
  }
}
