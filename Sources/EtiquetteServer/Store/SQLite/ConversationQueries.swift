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
  /// The member's visibility as SQL over `c`: the engine's predicate compiled into the WHERE
  /// clause, so conversations the member may not see are never loaded.
  static func visibility(_ filter: VisibilityFilter, ruleSet: RuleSet) -> (String, [String]) {
    if filter.everything { return ("1", []) }
    var clauses: [String] = []
    var arguments: [String] = []
    func list(_ labels: [LabelID]) -> String {
      arguments += labels.map { ruleSet[$0].name }
      return Array(repeating: "?", count: labels.count).joined(separator: ", ")
    }
    if !filter.anyOf.isEmpty {
      let placeholders = list(filter.anyOf.sorted())
      clauses.append(
        "EXISTS (SELECT 1 FROM conversation_labels v WHERE v.conversation_id = c.id "
          + "AND v.label IN (\(placeholders)))")
    }
    // An `all except` grant never covers a conversation carrying a label the rules do not
    // define (`LabelID.unknownStored`): a renamed label must not widen access.
    // (Each use binds the names again: placeholders are positional.)
    func noUnknownLabel() -> String {
      let known = list(ruleSet.labels.map(\.id))
      return "NOT EXISTS (SELECT 1 FROM conversation_labels u WHERE u.conversation_id = c.id"
        + (known.isEmpty ? ")" : " AND u.label NOT IN (\(known)))")
    }
    for none in filter.noneOf {
      if none.isEmpty {
        clauses.append(noUnknownLabel())
        continue
      }
      let placeholders = list(none)
      clauses.append(
        "(NOT EXISTS (SELECT 1 FROM conversation_labels v WHERE v.conversation_id = c.id "
          + "AND v.label IN (\(placeholders))) AND \(noUnknownLabel()))")
    }
    if clauses.isEmpty { return ("0", []) }
    return ("(" + clauses.joined(separator: " OR ") + ")", arguments)
  }

  static func placeholders(_ count: Int) -> String {
    Array(repeating: "?", count: count).joined(separator: ", ")
  }

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

  /// The conversations of `query` the member may view: the FROM and WHERE clauses over `c`
  /// (with the member's read state as `r`), shared by a page and a count.
  static func filtered(member: String, query: ConversationListQuery, rules: LoadedRules)
    -> (String, [(any DatabaseValueConvertible)?])
  {
    let (visible, visibleArguments) = visibility(
      rules.engine.visibleFilter(member), ruleSet: rules.ruleSet)
    var sql = """
       FROM conversations c
      LEFT JOIN read_state r ON r.conversation_id = c.id AND r.member = ?
      WHERE \(visible)
      """
    var arguments: [(any DatabaseValueConvertible)?] = [member]
    arguments += visibleArguments.map { $0 as (any DatabaseValueConvertible)? }
    if let label = query.label {
      sql +=
        " AND EXISTS (SELECT 1 FROM conversation_labels l WHERE l.conversation_id = c.id"
        + " AND l.label = ?)"
      arguments.append(label)
    }
    if !query.anyLabels.isEmpty {
      sql +=
        " AND EXISTS (SELECT 1 FROM conversation_labels l WHERE l.conversation_id = c.id"
        + " AND l.label IN (\(placeholders(query.anyLabels.count))))"
      arguments += query.anyLabels.map { $0 as (any DatabaseValueConvertible)? }
    }
    for label in query.allLabels {
      sql +=
        " AND EXISTS (SELECT 1 FROM conversation_labels l WHERE l.conversation_id = c.id"
        + " AND l.label = ?)"
      arguments.append(label)
    }
    if !query.noLabels.isEmpty {
      sql +=
        " AND NOT EXISTS (SELECT 1 FROM conversation_labels l WHERE l.conversation_id = c.id"
        + " AND l.label IN (\(placeholders(query.noLabels.count))))"
      arguments += query.noLabels.map { $0 as (any DatabaseValueConvertible)? }
    }
    if let mentioned = query.mentioning {
      sql +=
        " AND EXISTS (SELECT 1 FROM notes n, json_each(n.mentions) j"
        + " WHERE n.conversation_id = c.id AND j.value = ?)"
      arguments.append(mentioned)
    }
    if query.awaitingReply {
      sql +=
        " AND (SELECT m.direction FROM messages m WHERE m.conversation_id = c.id"
        + " AND m.direction <> 'event' ORDER BY m.id DESC LIMIT 1) = 'in'"
    }
    if let mode = query.mode {
      sql += " AND c.mode = ?"
      arguments.append(mode)
    }
    if let assignee = query.assignee {
      sql += " AND c.assignee = ?"
      arguments.append(assignee)
    }
    if let unread = query.unread {
      sql +=
        unread
        ? " AND c.transcript_count > COALESCE(r.read_count, 0)"
        : " AND c.transcript_count <= COALESCE(r.read_count, 0)"
    }
    if let text = query.text, let fts = ftsQuery(text) {
      sql += " AND c.id IN (SELECT conversation_id FROM search WHERE search MATCH ?)"
      arguments.append(fts)
    }
    return (sql, arguments)
  }

  /// How many conversations `query` finds for the member, counting no further than `limit`
  /// (a view's badge shows "100+" beyond it, and a count must stay cheap on a large inbox).
  static func count(
    _ db: Database, member: String, query: ConversationListQuery, rules: LoadedRules, limit: Int
  ) throws -> Int {
    let (from, arguments) = filtered(member: member, query: query, rules: rules)
    return try Int.fetchOne(
      db, sql: "SELECT COUNT(*) FROM (SELECT 1" + from + " LIMIT \(max(0, limit)))",
      arguments: StatementArguments(arguments)) ?? 0
  }

  static func list(
    _ db: Database, member: String, query: ConversationListQuery, rules: LoadedRules
  ) throws -> ConversationPage {
    var (from, arguments) = filtered(member: member, query: query, rules: rules)
    var sql = "SELECT c.*, COALESCE(r.read_count, 0) AS read_count" + from
    if let cursor = query.cursor {
      guard let data = Data(base64Encoded: cursor),
        case let parts = String(decoding: data, as: UTF8.self).split(
          separator: "|", maxSplits: 2, omittingEmptySubsequences: false),
        parts.count == 3, let rank = Int(parts[0]), let updated = Double(parts[1])
      else { throw CursorError() }
      let id = String(parts[2])
      switch query.sort {
      case .recent:
        sql += " AND (c.updated_at < ? OR (c.updated_at = ? AND c.id < ?))"
        arguments += [updated, updated, id]
      case .priority:
        sql +=
          " AND (c.priority_rank < ? OR (c.priority_rank = ? AND (c.updated_at < ?"
          + " OR (c.updated_at = ? AND c.id < ?))))"
        arguments += [rank, rank, updated, updated, id]
      }
    }
    switch query.sort {
    case .recent: sql += " ORDER BY c.updated_at DESC, c.id DESC"
    case .priority: sql += " ORDER BY c.priority_rank DESC, c.updated_at DESC, c.id DESC"
    }
    let limit = max(1, min(query.limit, 200))
    sql += " LIMIT \(limit + 1)"
    let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
    var summaries: [ConversationSummary] = []
    var next: String?
    for (index, row) in rows.enumerated() {
      if index == limit {
        let last = rows[index - 1]
        let rank: Int = last["priority_rank"]
        let updated: Double = last["updated_at"]
        let id: String = last["id"]
        next = Data("\(rank)|\(updated)|\(id)".utf8).base64EncodedString()
        break
      }
      summaries.append(try summary(db, row: row, ruleSet: rules.ruleSet))
    }
    return ConversationPage(conversations: summaries, nextCursor: next)
  }

  static func labels(_ db: Database, id: String) throws -> [String] {
    try String.fetchAll(
      db, sql: "SELECT label FROM conversation_labels WHERE conversation_id = ?", arguments: [id])
  }

  /// Label names in declaration order; names the rules no longer declare come last.
  static func ordered(_ names: [String], ruleSet: RuleSet) -> [String] {
    names.sorted { a, b in
      let ia = ruleSet.label(named: a)?.id.rawValue ?? Int.max
      let ib = ruleSet.label(named: b)?.id.rawValue ?? Int.max
      return ia == ib ? a < b : ia < ib
    }
  }

  static func contact(_ row: Row) -> ContactDocument {
    ContactDocument(
      id: row["contact_id"], phone: row["phone"], userId: row["user_id"],
      name: row["name"])
  }

  static func summary(_ db: Database, row: Row, ruleSet: RuleSet) throws -> ConversationSummary {
    let id: String = row["id"]
    let total: Int = row["transcript_count"]
    let read: Int = row["read_count"]
    return ConversationSummary(
      id: id, contact: contact(row), labels: ordered(try labels(db, id: id), ruleSet: ruleSet),
      mode: row["mode"], assignee: row["assignee"], presence: row["presence"], team: row["team"],
      priority: row["priority"], unread: total > read, unreadCount: max(0, total - read),
      updatedAt: Instant.format(Date(timeIntervalSince1970: row["updated_at"])))
  }

  static func decode(_ text: String?) -> JSONValue? {
    guard let text else { return nil }
    return try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
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
    let transcript = try Row.fetchAll(
      db, sql: "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", arguments: [id]
    ).map { m in
      let direction: String = m["direction"]
      let errors = decode(m["errors"])
      return ConversationDetail.MessageDocument(
        id: m["id"], direction: direction, author: m["author"], type: m["type"],
        wireType: m["wire_type"], text: m["text"],
        attachments: decode(m["attachments"])?.arrayValue ?? [], whatsappId: m["wa_id"],
        contextId: m["context_id"], status: m["status"], errors: errors,
        error: ConversationDetail.DeliveryError.first(of: errors),
        attempts: direction == "out" ? (m["send_attempts"] as Int?) : nil,
        at: Instant.format(Date(timeIntervalSince1970: m["at"])))
    }
    let labelRows = try Row.fetchAll(
      db, sql: "SELECT label, reason FROM conversation_labels WHERE conversation_id = ?",
      arguments: [id])
    var reasons: [String: JSONValue] = [:]
    for l in labelRows { reasons[l["label"]] = decode(l["reason"]) ?? .null }
    let labels = ordered(Array(reasons.keys), ruleSet: ruleSet).map {
      ConversationDetail.LabelDocument(name: $0, reason: reasons[$0] ?? .null)
    }
    let notes = try Row.fetchAll(
      db, sql: "SELECT * FROM notes WHERE conversation_id = ? ORDER BY id", arguments: [id]
    ).map { n in
      let mentions = decode(n["mentions"])?.arrayValue?.compactMap(\.stringValue) ?? []
      return ConversationDetail.NoteDocument(
        author: n["author"], text: n["text"], mentions: mentions,
        at: Instant.format(Date(timeIntervalSince1970: n["at"])))
    }
    let total: Int = row["transcript_count"]
    let read: Int = row["read_count"]
    return ConversationDetail(
      id: id, contact: contact(row),
      attributes: decode(row["attributes"])?.objectValue ?? [:], transcript: transcript,
      labels: labels, notes: notes, mode: row["mode"], assignee: row["assignee"],
      presence: row["presence"], team: row["team"], priority: row["priority"],
      version: row["version"],
      read: .init(readCount: read, unreadCount: max(0, total - read), unread: total > read))
  }
}
