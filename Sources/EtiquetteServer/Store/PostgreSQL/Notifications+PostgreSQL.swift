import EtiquetteChecker
import EtiquetteEngine
import Foundation
import Logging
import PostgresNIO

/// Each member's notifications in PostgreSQL: the page and the unread counts of SQLite's
/// `MemberNotifications.page`, the same visibility rule (a notification of a conversation the
/// member may no longer view is neither listed nor counted).
extension PostgresStore: NotificationStore {
  func notificationPage(
    member: String, unreadOnly: Bool, limit: Int, before: Int64?, rules: LoadedRules
  ) async throws -> MemberNotifications.Page {
    let logger = logger
    return try await readSnapshot { connection in
      var conversations: [String] = []
      for try await id in try await connection.query(
        "SELECT DISTINCT conversation_id FROM notifications WHERE member = \(member)",
        logger: logger
      ).decode(String.self) {
        conversations.append(id)
      }
      let stored = try await Self.labels(connection, of: conversations, logger: logger)
      var visible: [String: [String]] = [:]
      for id in conversations {
        let labels = stored[id] ?? []
        let set = ConversationService.labelIDs(labels, ruleSet: rules.ruleSet)
        if rules.engine.can(member, .view, labels: set).allowed { visible[id] = labels }
      }
      var unread = 0
      var byLabel: [String: Int] = [:]
      for try await (conversation, n) in try await connection.query(
        """
        SELECT conversation_id, COUNT(*) FROM notifications
        WHERE member = \(member) AND read_at IS NULL GROUP BY conversation_id
        """, logger: logger
      ).decode((String, Int).self) {
        guard let labels = visible[conversation] else { continue }
        unread += n
        for label in labels { byLabel[label, default: 0] += n }
      }
      var documents: [MemberNotifications.Document] = []
      var cursor = before ?? Int64.max
      var more = false
      // Batches skip the conversations the member may not view, without an IN list.
      batches: while true {
        var rows: [MemberNotifications.Document] = []
        for try await row in try await connection.query(
          """
          SELECT id, conversation_id, reason, team, priority, text, created_at, read_at
          FROM notifications WHERE member = \(member) AND id < \(cursor)
            AND (\(!unreadOnly) OR read_at IS NULL)
          ORDER BY id DESC LIMIT 200
          """, logger: logger)
        {
          let (id, conversation, reason, team, priority, text, createdAt, readAt) =
            try row.decode(
              (Int64, String, String, String?, String, String, Double, Double?).self)
          rows.append(
            MemberNotifications.Document(
              id: id, conversation: conversation, reason: reason, team: team,
              priority: priority, text: text,
              createdAt: Instant.format(Date(timeIntervalSince1970: createdAt)),
              readAt: readAt.map { Instant.format(Date(timeIntervalSince1970: $0)) }))
        }
        if rows.isEmpty { break }
        for row in rows {
          cursor = row.id
          guard visible[row.conversation] != nil else { continue }
          if documents.count == limit {
            more = true
            break batches
          }
          documents.append(row)
        }
      }
      return MemberNotifications.Page(
        notifications: documents, unread: unread, unreadByLabel: byLabel,
        nextBefore: more ? documents.last?.id : nil)
    }
  }

  /// One notification (`id`) or all of the member's (`nil`) marked read: how many changed, or
  /// nil when `id` is not one of the member's notifications. The member's other clients, on
  /// every instance, are told after the commit.
  func markNotificationsRead(member: String, id: Int64?, hub: IntegrationHub) async throws
    -> Int?
  {
    let logger = logger
    let now = clock.seconds
    return try await transaction { connection, _ -> Int? in
      let changed: PostgresRowSequence
      if let id {
        var mine = false
        for try await _ in try await connection.query(
          "SELECT 1 FROM notifications WHERE id = \(id) AND member = \(member)", logger: logger
        ).decode(Int32.self) {
          mine = true
        }
        guard mine else { return nil }
        changed = try await connection.query(
          """
          UPDATE notifications SET read_at = \(now) WHERE id = \(id) AND read_at IS NULL
          RETURNING id
          """, logger: logger)
      } else {
        changed = try await connection.query(
          """
          UPDATE notifications SET read_at = \(now) WHERE member = \(member) AND read_at IS NULL
          RETURNING id
          """, logger: logger)
      }
      var count = 0
      for try await _ in changed.decode(Int64.self) { count += 1 }
      if count > 0 {
        let event = LiveEvent(
          "notification.read", conversation: nil,
          data: ReadEvent(ids: id.map { [$0] } ?? [], all: id == nil))
        try await Self.storeLiveEvents(
          [event], to: .member(member), on: connection, now: now, logger: logger)
      }
      return count
    }
  }
}
