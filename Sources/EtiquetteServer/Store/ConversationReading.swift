import EtiquetteChecker
import EtiquetteEngine
import Foundation

// What reading conversations needs that is not one store's SQL: the list's WHERE clause (the
// engine's visibility compiled into SQL, the filters, the keyset cursor) written once for both
// stores in their own placeholders, and the documents built from the values a store read. Both
// stores answer the same because they run this same code; only how a value is fetched differs
// (`ConversationQueries` for SQLite, `Conversations+PostgreSQL.swift`).

/// SQL text being built with its bound values, in one store's placeholders: SQLite's `?`
/// (positional, in the order they appear) or PostgreSQL's `$n`.
struct BoundSQL: Sendable {
  enum Value: Sendable, Hashable {
    case text(String)
    case integer(Int)
    case real(Double)
  }

  enum Placeholders: Sendable {
    case questionMarks
    case numbered
  }

  let placeholders: Placeholders
  var sql = ""
  private(set) var values: [Value] = []

  init(_ placeholders: Placeholders) { self.placeholders = placeholders }

  /// Binds `value` and returns its placeholder, to write where the value goes (in text order:
  /// SQLite's `?` are positional).
  mutating func bind(_ value: Value) -> String {
    values.append(value)
    switch placeholders {
    case .questionMarks: return "?"
    case .numbered: return "$\(values.count)"
    }
  }

  mutating func bind(_ text: String) -> String { bind(.text(text)) }

  /// A comma-separated list of placeholders, one per text.
  mutating func list(_ texts: [String]) -> String {
    texts.map { bind(.text($0)) }.joined(separator: ", ")
  }
}

/// What SQLite and PostgreSQL spell differently in a conversation list's WHERE clause.
struct ConversationListDialect: Sendable {
  var placeholders: BoundSQL.Placeholders
  /// Conditions always true and always false (PostgreSQL wants booleans, not 1 and 0).
  var always: String
  var never: String
  /// What follows a text column to compare it byte by byte, as SQLite's default `BINARY`
  /// collation does (PostgreSQL's default follows the database's locale: `en_US` orders
  /// "c_2" and "c-1" otherwise, and a cursor would skip or repeat rows).
  var bytewise: String
  /// A condition on `c`: one of its notes mentions the member at `placeholder`.
  var mentions: @Sendable (_ placeholder: String) -> String
  /// The condition a search adds on `c`, with its values bound; nil when it filters nothing.
  var search: @Sendable (_ text: String, _ sql: inout BoundSQL) -> String?
}

/// Where a list's next page starts: the last row's sort keys, opaque to clients.
struct ConversationCursor: Sendable, Hashable {
  var rank: Int
  var updatedAt: Double
  var id: String

  init(rank: Int, updatedAt: Double, id: String) {
    self.rank = rank
    self.updatedAt = updatedAt
    self.id = id
  }

  /// Reads a cursor a page gave; `CursorError` when it is not one.
  init(parsing cursor: String) throws {
    guard let data = Data(base64Encoded: cursor),
      case let parts = String(decoding: data, as: UTF8.self).split(
        separator: "|", maxSplits: 2, omittingEmptySubsequences: false),
      parts.count == 3, let rank = Int(parts[0]), let updated = Double(parts[1])
    else { throw CursorError() }
    self.init(rank: rank, updatedAt: updated, id: String(parts[2]))
  }

  var encoded: String { Data("\(rank)|\(updatedAt)|\(id)".utf8).base64EncodedString() }
}

/// The columns of a conversation a list shows, as a store read them.
struct ConversationSummaryValues: Sendable {
  var id: String
  var contactID: String
  var phone: String?
  var userID: String?
  var name: String?
  var mode: String
  var assignee: String?
  var presence: String
  var team: String?
  var priority: String
  var priorityRank: Int
  var transcriptCount: Int
  var updatedAt: Double
  /// The member's read count (0 when never read).
  var readCount: Int

  var cursor: ConversationCursor {
    ConversationCursor(rank: priorityRank, updatedAt: updatedAt, id: id)
  }
}

/// A message row as a store read it, for a conversation's detail.
struct StoredMessageValues: Sendable {
  var id: Int64
  var direction: String
  var author: String
  var type: String?
  var wireType: String?
  var text: String
  var attachments: String?
  var whatsappID: String?
  var contextID: String?
  var status: String?
  var errors: String?
  var sendAttempts: Int?
  var at: Double
}

/// A note row as a store read it.
struct StoredNoteValues: Sendable {
  var author: String
  var text: String
  var mentions: String?
  var at: Double
}

extension ConversationQueries {
  /// The member's visibility as SQL over `c`: the engine's predicate compiled into the WHERE
  /// clause, so conversations the member may not see are never loaded.
  static func visibility(
    _ filter: VisibilityFilter, ruleSet: RuleSet, dialect: ConversationListDialect,
    into sql: inout BoundSQL
  ) -> String {
    if filter.everything { return dialect.always }
    var clauses: [String] = []
    func list(_ labels: [LabelID]) -> String { sql.list(labels.map { ruleSet[$0].name }) }
    if !filter.anyOf.isEmpty {
      let placeholders = list(filter.anyOf.sorted())
      clauses.append(
        "EXISTS (SELECT 1 FROM conversation_labels v WHERE v.conversation_id = c.id "
          + "AND v.label IN (\(placeholders)))")
    }
    // An `all except` grant never covers a conversation carrying a label the rules do not
    // define (`LabelID.unknownStored`): a renamed label must not widen access.
    // (Each use binds the names again: SQLite's placeholders are positional.)
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
    if clauses.isEmpty { return dialect.never }
    return "(" + clauses.joined(separator: " OR ") + ")"
  }

  /// The conversations of `query` the member may view: the FROM and WHERE clauses over `c`
  /// (with the member's read state as `r`), shared by a page and a count.
  static func filtered(
    member: String, query: ConversationListQuery, rules: LoadedRules,
    dialect: ConversationListDialect
  ) -> BoundSQL {
    var sql = BoundSQL(dialect.placeholders)
    let memberPlaceholder = sql.bind(member)
    let visible = visibility(
      rules.engine.visibleFilter(member), ruleSet: rules.ruleSet, dialect: dialect, into: &sql)
    sql.sql = """
       FROM conversations c
      LEFT JOIN read_state r ON r.conversation_id = c.id AND r.member = \(memberPlaceholder)
      WHERE \(visible)
      """
    if let label = query.label {
      sql.sql +=
        " AND EXISTS (SELECT 1 FROM conversation_labels l WHERE l.conversation_id = c.id"
        + " AND l.label = \(sql.bind(label)))"
    }
    if !query.anyLabels.isEmpty {
      sql.sql +=
        " AND EXISTS (SELECT 1 FROM conversation_labels l WHERE l.conversation_id = c.id"
        + " AND l.label IN (\(sql.list(query.anyLabels))))"
    }
    for label in query.allLabels {
      sql.sql +=
        " AND EXISTS (SELECT 1 FROM conversation_labels l WHERE l.conversation_id = c.id"
        + " AND l.label = \(sql.bind(label)))"
    }
    if !query.noLabels.isEmpty {
      sql.sql +=
        " AND NOT EXISTS (SELECT 1 FROM conversation_labels l WHERE l.conversation_id = c.id"
        + " AND l.label IN (\(sql.list(query.noLabels))))"
    }
    if let mentioned = query.mentioning {
      sql.sql += " AND " + dialect.mentions(sql.bind(mentioned))
    }
    if query.awaitingReply {
      sql.sql +=
        " AND (SELECT m.direction FROM messages m WHERE m.conversation_id = c.id"
        + " AND m.direction <> 'event' ORDER BY m.id DESC LIMIT 1) = 'in'"
    }
    if let mode = query.mode {
      sql.sql += " AND c.mode = \(sql.bind(mode))"
    }
    if let assignee = query.assignee {
      sql.sql += " AND c.assignee = \(sql.bind(assignee))"
    }
    if let unread = query.unread {
      sql.sql +=
        unread
        ? " AND c.transcript_count > COALESCE(r.read_count, 0)"
        : " AND c.transcript_count <= COALESCE(r.read_count, 0)"
    }
    if let text = query.text, let condition = dialect.search(text, &sql) {
      sql.sql += " AND " + condition
    }
    return sql
  }

  /// The columns `summaryValues` reads, in its order.
  static let summaryColumns = """
    c.id, c.contact_id, c.phone, c.user_id, c.name, c.mode, c.assignee, c.presence, c.team,
      c.priority, c.priority_rank, c.transcript_count, c.updated_at,
      COALESCE(r.read_count, 0) AS read_count
    """

  /// How many rows a page shows.
  static func pageSize(_ query: ConversationListQuery) -> Int { max(1, min(query.limit, 200)) }

  /// The statement of one page of `query`: its columns are `summaryColumns`, one row more
  /// than the page (`pageSize`) says whether there is a next page.
  static func pageSQL(
    member: String, query: ConversationListQuery, rules: LoadedRules,
    dialect: ConversationListDialect
  ) throws -> BoundSQL {
    var sql = filtered(member: member, query: query, rules: rules, dialect: dialect)
    sql.sql = "SELECT " + summaryColumns + sql.sql
    if let text = query.cursor {
      let cursor = try ConversationCursor(parsing: text)
      switch query.sort {
      case .recent:
        sql.sql +=
          " AND (c.updated_at < \(sql.bind(.real(cursor.updatedAt)))"
          + " OR (c.updated_at = \(sql.bind(.real(cursor.updatedAt)))"
          + " AND c.id\(dialect.bytewise) < \(sql.bind(cursor.id))))"
      case .priority:
        sql.sql +=
          " AND (c.priority_rank < \(sql.bind(.integer(cursor.rank)))"
          + " OR (c.priority_rank = \(sql.bind(.integer(cursor.rank)))"
          + " AND (c.updated_at < \(sql.bind(.real(cursor.updatedAt)))"
          + " OR (c.updated_at = \(sql.bind(.real(cursor.updatedAt)))"
          + " AND c.id\(dialect.bytewise) < \(sql.bind(cursor.id))))))"
      }
    }
    switch query.sort {
    case .recent: sql.sql += " ORDER BY c.updated_at DESC, c.id\(dialect.bytewise) DESC"
    case .priority:
      sql.sql +=
        " ORDER BY c.priority_rank DESC, c.updated_at DESC, c.id\(dialect.bytewise) DESC"
    }
    sql.sql += " LIMIT \(pageSize(query) + 1)"
    return sql
  }

  /// The statement counting `query`'s conversations, no further than `limit` (a view's badge
  /// shows "100+" beyond it, and a count must stay cheap on a large inbox).
  static func countSQL(
    member: String, query: ConversationListQuery, rules: LoadedRules, limit: Int,
    dialect: ConversationListDialect
  ) -> BoundSQL {
    var sql = filtered(member: member, query: query, rules: rules, dialect: dialect)
    sql.sql = "SELECT COUNT(*) FROM (SELECT 1" + sql.sql + " LIMIT \(max(0, limit))) counted"
    return sql
  }

  /// A page from the rows its statement returned (one more than the page when there is a
  /// next one), each with its stored labels.
  static func page(
    _ rows: [ConversationSummaryValues], labels: [String: [String]], query: ConversationListQuery,
    ruleSet: RuleSet
  ) -> ConversationPage {
    let limit = pageSize(query)
    let shown = rows.prefix(limit)
    let next = rows.count > limit ? shown.last?.cursor.encoded : nil
    return ConversationPage(
      conversations: shown.map { summary($0, labels: labels[$0.id] ?? [], ruleSet: ruleSet) },
      nextCursor: next)
  }

  /// Label names in declaration order; names the rules no longer declare come last.
  static func ordered(_ names: [String], ruleSet: RuleSet) -> [String] {
    names.sorted { a, b in
      let ia = ruleSet.label(named: a)?.id.rawValue ?? Int.max
      let ib = ruleSet.label(named: b)?.id.rawValue ?? Int.max
      return ia == ib ? a < b : ia < ib
    }
  }

  static func summary(_ row: ConversationSummaryValues, labels: [String], ruleSet: RuleSet)
    -> ConversationSummary
  {
    ConversationSummary(
      id: row.id,
      contact: ContactDocument(
        id: row.contactID, phone: row.phone, userId: row.userID, name: row.name),
      labels: ordered(labels, ruleSet: ruleSet), mode: row.mode, assignee: row.assignee,
      presence: row.presence, team: row.team, priority: row.priority,
      unread: row.transcriptCount > row.readCount,
      unreadCount: max(0, row.transcriptCount - row.readCount),
      updatedAt: Instant.format(Date(timeIntervalSince1970: row.updatedAt)))
  }

  static func decode(_ text: String?) -> JSONValue? {
    guard let text else { return nil }
    return try? JSONValue.parse(bytes: text.utf8)
  }

  /// The columns of a conversation's detail `detail` reads besides its summary's.
  static func detail(
    _ row: ConversationSummaryValues, attributes: String?, version: Int,
    messages: [StoredMessageValues], labels: [(name: String, reason: String?)],
    notes: [StoredNoteValues], ruleSet: RuleSet
  ) -> ConversationDetail {
    let transcript = messages.map { m in
      let errors = decode(m.errors)
      return ConversationDetail.MessageDocument(
        id: m.id, direction: m.direction, author: m.author, type: m.type,
        wireType: m.wireType, text: m.text,
        attachments: decode(m.attachments)?.arrayValue ?? [], whatsappId: m.whatsappID,
        contextId: m.contextID, status: m.status, errors: errors,
        error: ConversationDetail.DeliveryError.first(of: errors),
        attempts: m.direction == "out" ? m.sendAttempts : nil,
        at: Instant.format(Date(timeIntervalSince1970: m.at)))
    }
    var reasons: [String: JSONValue] = [:]
    for label in labels { reasons[label.name] = decode(label.reason) ?? .null }
    let labelDocuments = ordered(Array(reasons.keys), ruleSet: ruleSet).map {
      ConversationDetail.LabelDocument(name: $0, reason: reasons[$0] ?? .null)
    }
    let noteDocuments = notes.map { n in
      ConversationDetail.NoteDocument(
        author: n.author, text: n.text,
        mentions: decode(n.mentions)?.arrayValue?.compactMap(\.stringValue) ?? [],
        at: Instant.format(Date(timeIntervalSince1970: n.at)))
    }
    let total = row.transcriptCount
    let read = row.readCount
    return ConversationDetail(
      id: row.id,
      contact: ContactDocument(
        id: row.contactID, phone: row.phone, userId: row.userID, name: row.name),
      attributes: decode(attributes)?.objectValue ?? [:], transcript: transcript,
      labels: labelDocuments, notes: noteDocuments, mode: row.mode, assignee: row.assignee,
      presence: row.presence, team: row.team, priority: row.priority, version: version,
      read: .init(readCount: read, unreadCount: max(0, total - read), unread: total > read))
  }
}

extension LiveEvents {
  /// The event a member's own clients get when they mark a conversation read or unread.
  static func readStateEvent(conversation: String, member: String, unreadCount: Int)
    -> LiveEvent
  {
    LiveEvent(
      "read_state.changed", conversation: conversation,
      data: ReadStateEvent(conversation: conversation, member: member, unreadCount: unreadCount))
  }
}
