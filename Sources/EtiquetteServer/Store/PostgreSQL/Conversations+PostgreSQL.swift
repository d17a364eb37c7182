import EtiquetteChecker
import EtiquetteEngine
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Conversations as the lists, the detail and the media route read them, in PostgreSQL: the
/// same statements as SQLite's (`ConversationQueries`, built by the shared code in
/// `ConversationReading.swift`), in PostgreSQL's spelling.
///
/// Each read runs in one read-only `REPEATABLE READ` transaction: like SQLite's `pool.read`,
/// a page and its labels, or a detail and its messages, describe one moment of the store, even
/// while other instances write.
extension PostgresStore {
  /// PostgreSQL's spelling of a conversation list: `$n` placeholders, booleans, ids compared
  /// byte by byte (SQLite's order whatever the database's locale), a note's
  /// mentions read with `json_array_elements_text`, the search of `Search+PostgreSQL.swift`.
  static let conversationListDialect = ConversationListDialect(
    placeholders: .numbered, always: "TRUE", never: "FALSE", bytewise: #" COLLATE "C""#,
    mentions: { placeholder in
      "EXISTS (SELECT 1 FROM notes n, json_array_elements_text(n.mentions::json) j(value)"
        + " WHERE n.conversation_id = c.id AND j.value = \(placeholder))"
    },
    search: { text, sql in searchCondition(text, into: &sql) })

  /// The statement of shared SQL with its values bound.
  static func query(_ sql: BoundSQL) -> PostgresQuery {
    var binds = PostgresBindings(capacity: sql.values.count)
    for value in sql.values {
      switch value {
      case .text(let text): binds.append(text)
      case .integer(let integer): binds.append(integer)
      case .real(let real): binds.append(real)
      }
    }
    return PostgresQuery(unsafeSQL: sql.sql, binds: binds)
  }

  /// Runs `body` in a read-only transaction that sees one snapshot of the store.
  func readSnapshot<Value: Sendable>(
    _ body: @Sendable (PostgresConnection) async throws -> Value
  ) async throws -> Value {
    try await client.withConnection { connection in
      try await connection.query(
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
      let value: Value
      do {
        value = try await body(connection)
      } catch {
        _ = try? await connection.query("ROLLBACK", logger: logger)
        throw error
      }
      try await connection.query("COMMIT", logger: logger)
      return value
    }
  }

  /// The stored label names of a conversation, or nil when there is no such conversation.
  static func readStoredLabels(
    _ connection: PostgresConnection, conversation id: String, logger: Logger
  ) async throws -> [String]? {
    var exists = false
    for try await _ in try await connection.query(
      "SELECT 1 FROM conversations WHERE id = \(id)", logger: logger
    ).decode(Int32.self) {
      exists = true
    }
    guard exists else { return nil }
    return try await labels(connection, of: [id], logger: logger)[id] ?? []
  }

  /// The stored labels of each conversation of `ids` that has any.
  static func labels(_ connection: PostgresConnection, of ids: [String], logger: Logger)
    async throws -> [String: [String]]
  {
    guard !ids.isEmpty else { return [:] }
    var labels: [String: [String]] = [:]
    for try await (id, label) in try await connection.query(
      "SELECT conversation_id, label FROM conversation_labels WHERE conversation_id = ANY(\(ids))",
      logger: logger
    ).decode((String, String).self) {
      labels[id, default: []].append(label)
    }
    return labels
  }

  /// Rows of `ConversationQueries.summaryColumns`.
  static func summaryValues(_ rows: PostgresRowSequence) async throws
    -> [ConversationSummaryValues]
  {
    var values: [ConversationSummaryValues] = []
    for try await row in rows {
      let (
        id, contactID, phone, userID, name, mode, assignee, presence, team, priority, rank,
        transcriptCount, updatedAt, readCount
      ) = try row.decode(
        (
          String, String, String?, String?, String?, String, String?, String, String?, String,
          Int, Int, Double, Int
        ).self)
      values.append(
        ConversationSummaryValues(
          id: id, contactID: contactID, phone: phone, userID: userID, name: name, mode: mode,
          assignee: assignee, presence: presence, team: team, priority: priority,
          priorityRank: rank, transcriptCount: transcriptCount, updatedAt: updatedAt,
          readCount: readCount))
    }
    return values
  }

  func conversationPage(member: String, query: ConversationListQuery, rules: LoadedRules)
    async throws -> ConversationPage
  {
    let sql = try ConversationQueries.pageSQL(
      member: member, query: query, rules: rules, dialect: Self.conversationListDialect)
    let logger = logger
    return try await readSnapshot { connection in
      let rows = try await Self.summaryValues(
        try await connection.query(Self.query(sql), logger: logger))
      let shown = rows.prefix(ConversationQueries.pageSize(query)).map(\.id)
      let labels = try await Self.labels(connection, of: Array(shown), logger: logger)
      return ConversationQueries.page(rows, labels: labels, query: query, ruleSet: rules.ruleSet)
    }
  }

  func conversationCount(
    member: String, query: ConversationListQuery, rules: LoadedRules, limit: Int
  ) async throws -> Int {
    let sql = ConversationQueries.countSQL(
      member: member, query: query, rules: rules, limit: limit,
      dialect: Self.conversationListDialect)
    for try await count in try await client.query(Self.query(sql), logger: logger).decode(
      Int.self)
    {
      return count
    }
    return 0
  }

  /// The conversation as `member` sees it, or nil when it does not exist or `mayView` refuses
  /// its stored labels.
  func conversationDetail(
    id: String, member: String, rules: LoadedRules,
    mayView: @escaping @Sendable ([String]) -> Bool
  ) async throws -> ConversationDetail? {
    let logger = logger
    return try await readSnapshot { connection -> ConversationDetail? in
      guard
        let labels = try await Self.readStoredLabels(connection, conversation: id, logger: logger),
        mayView(labels)
      else { return nil }
      return try await Self.detail(
        connection, id: id, member: member, ruleSet: rules.ruleSet, logger: logger)
    }
  }

  static func detail(
    _ connection: PostgresConnection, id: String, member: String, ruleSet: RuleSet,
    logger: Logger
  ) async throws -> ConversationDetail? {
    var conversation: (ConversationSummaryValues, String, Int)?
    for try await row in try await connection.query(
      """
      SELECT c.id, c.contact_id, c.phone, c.user_id, c.name, c.mode, c.assignee, c.presence,
        c.team, c.priority, c.priority_rank, c.transcript_count, c.updated_at,
        COALESCE(r.read_count, 0), c.attributes, c.version
      FROM conversations c
      LEFT JOIN read_state r ON r.conversation_id = c.id AND r.member = \(member)
      WHERE c.id = \(id)
      """, logger: logger)
    {
      let (
        id, contactID, phone, userID, name, mode, assignee, presence, team, priority, rank,
        transcriptCount, updatedAt, readCount, attributes, version
      ) = try row.decode(
        (
          String, String, String?, String?, String?, String, String?, String, String?, String,
          Int, Int, Double, Int, String, Int
        ).self)
      conversation = (
        ConversationSummaryValues(
          id: id, contactID: contactID, phone: phone, userID: userID, name: name, mode: mode,
          assignee: assignee, presence: presence, team: team, priority: priority,
          priorityRank: rank, transcriptCount: transcriptCount, updatedAt: updatedAt,
          readCount: readCount), attributes, version
      )
    }
    guard let conversation else { return nil }
    let (row, attributes, version) = conversation
    var messages: [StoredMessageValues] = []
    for try await message in try await connection.query(
      """
      SELECT id, direction, author, type, wire_type, text, attachments, wa_id, context_id,
        status, errors, send_attempts, at
      FROM messages WHERE conversation_id = \(id) ORDER BY id
      """, logger: logger)
    {
      let (
        id, direction, author, type, wireType, text, attachments, whatsappID, contextID, status,
        errors, attempts, at
      ) = try message.decode(
        (
          Int64, String, String, String?, String?, String, String?, String?, String?, String?,
          String?, Int, Double
        ).self)
      messages.append(
        StoredMessageValues(
          id: id, direction: direction, author: author, type: type, wireType: wireType,
          text: text, attachments: attachments, whatsappID: whatsappID, contextID: contextID,
          status: status, errors: errors, sendAttempts: attempts, at: at))
    }
    var labels: [(name: String, reason: String?)] = []
    for try await (label, reason) in try await connection.query(
      "SELECT label, reason FROM conversation_labels WHERE conversation_id = \(id)",
      logger: logger
    ).decode((String, String).self) {
      labels.append((name: label, reason: reason))
    }
    var notes: [StoredNoteValues] = []
    for try await (author, text, mentions, at) in try await connection.query(
      "SELECT author, text, mentions, at FROM notes WHERE conversation_id = \(id) ORDER BY id",
      logger: logger
    ).decode((String, String, String, Double).self) {
      notes.append(StoredNoteValues(author: author, text: text, mentions: mentions, at: at))
    }
    return ConversationQueries.detail(
      row, attributes: attributes, version: version, messages: messages, labels: labels,
      notes: notes, ruleSet: ruleSet)
  }

  /// Marks the conversation read (every line) or unread (the last line new again) for
  /// `member`, after `authorize` accepted its stored labels; returns the unread count. The
  /// member's own clients, on every instance, are told after the commit.
  func markRead(
    conversation id: String, member: String, read: Bool, hub: IntegrationHub?,
    authorize: @escaping @Sendable ([String]?) throws -> Void
  ) async throws -> Int {
    let logger = logger
    let now = clock.seconds
    return try await transaction { connection, _ -> Int in
      // The conversation's row is locked first: its labels cannot change between the access
      // check and the write, as under SQLite's single writer.
      for try await _ in try await connection.query(
        "SELECT 1 FROM conversations WHERE id = \(id) FOR SHARE", logger: logger
      ).decode(Int32.self) {}
      try authorize(try await Self.readStoredLabels(connection, conversation: id, logger: logger))
      var total = 0
      for try await count in try await connection.query(
        "SELECT transcript_count FROM conversations WHERE id = \(id)", logger: logger
      ).decode(Int.self) {
        total = count
      }
      let count = read ? total : max(0, total - 1)
      try await connection.query(
        """
        INSERT INTO read_state (conversation_id, member, read_count) VALUES (\(id), \(member),
          \(count))
        ON CONFLICT (conversation_id, member) DO UPDATE SET read_count = excluded.read_count
        """, logger: logger)
      if hub != nil {
        try await Self.storeLiveEvents(
          [
            LiveEvents.readStateEvent(
              conversation: id, member: member, unreadCount: total - count)
          ], to: .member(member), countsAsChange: false, on: connection, now: now,
          logger: logger)
      }
      return total - count
    }
  }

  /// The AI's drafts of a conversation, newest first, after `authorize` accepted the
  /// conversation's stored labels (nil: no such conversation) in the same read.
  func aiSuggestions(
    conversation id: String, authorize: @escaping @Sendable ([String]?) throws -> Void
  ) async throws -> [AISuggestion] {
    let logger = logger
    return try await readSnapshot { connection in
      try authorize(try await Self.readStoredLabels(connection, conversation: id, logger: logger))
      var suggestions: [AISuggestion] = []
      for try await (suggestion, text, version, createdAt) in try await connection.query(
        """
        SELECT id, text, version, created_at FROM ai_suggestions WHERE conversation_id = \(id)
        ORDER BY id DESC LIMIT 20
        """, logger: logger
      ).decode((Int64, String, Int, Double).self) {
        suggestions.append(
          AISuggestion(
            id: suggestion, text: text, version: version,
            createdAt: Instant.format(Date(timeIntervalSince1970: createdAt))))
      }
      return suggestions
    }
  }

  /// A media row, when `mayView` accepts its conversation's stored labels. Its bytes are read
  /// from `media_chunks` when the route serves them, not here: the inbox page reads media rows
  /// for their status and size only.
  func media(id: String, mayView: @escaping @Sendable ([String]) -> Bool) async throws
    -> StoredMedia?
  {
    let logger = logger
    let client = client
    return try await readSnapshot { connection -> StoredMedia? in
      var found: StoredMedia?
      var conversation = ""
      for try await row in try await connection.query(
        """
        SELECT status, mime_type, size, sha256, error, kind, conversation_id FROM media
        WHERE id = \(id)
        """, logger: logger)
      {
        let (status, mimeType, size, sha256, error, kind, owner) = try row.decode(
          (String, String?, Int?, String?, String?, String, String).self)
        conversation = owner
        found = StoredMedia(
          status: status, mimeType: mimeType, size: size, sha256: sha256,
          content: .stored({
            try await Self.mediaBytes(id: id, client: client, logger: logger)
          }), error: error, kind: kind)
      }
      guard let found else { return nil }
      let labels = try await Self.labels(connection, of: [conversation], logger: logger)
      return mayView(labels[conversation] ?? []) ? found : nil
    }
  }

  /// The downloaded bytes of a media, its chunks in order; nil when none is stored.
  static func mediaBytes(id: String, client: PostgresClient, logger: Logger) async throws
    -> Data?
  {
    var bytes: Data?
    for try await chunk in try await client.query(
      "SELECT bytes FROM media_chunks WHERE media_id = \(id) ORDER BY part", logger: logger
    ).decode(ByteBuffer.self) {
      bytes = (bytes ?? Data()) + Data(chunk.readableBytesView)
    }
    return bytes
  }
}
