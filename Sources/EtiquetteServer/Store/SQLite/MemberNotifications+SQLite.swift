import EtiquetteChecker
import EtiquetteEngine
import Foundation
import GRDB

extension MemberNotifications {
  /// Stores the step's notifications and publishes each to its member after the commit.
  static func record(_ effects: StepEffects, in db: Database, hub: IntegrationHub) throws {
    let pending = pending(effects)
    guard !pending.isEmpty else { return }
    let now = hub.clock.seconds
    var events: [(String, LiveEvent)] = []
    for item in pending {
      guard
        let row = try Row.fetchOne(
          db.cachedStatement(
            sql: """
              INSERT INTO notifications (member, conversation_id, reason, team, priority, text,
                created_at)
              VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *
              """),
          arguments: [
            item.member, effects.after.id, item.reason, item.team,
            effects.after.priority.rawValue, item.text, now,
          ])
      else { continue }
      events.append(
        (
          item.member,
          LiveEvent(
            "notification.created", conversation: effects.after.id,
            data: Event(conversation: effects.after.id, notification: Document(row: row)))
        ))
    }
    let live = hub.live
    let published = events
    db.afterNextTransaction { _ in
      for (member, event) in published { live.publish([event], to: .member(member)) }
    }
  }

  /// The conversations among `ids` that `member` may view now: notifications of a
  /// conversation the member lost access to are neither listed nor counted.
  static func visible(
    _ db: Database, ids: [String], member: String, rules: LoadedRules
  ) throws -> [String: [String]] {
    var labelsByConversation: [String: [String]] = [:]
    for id in ids {
      let labels = try ConversationQueries.labels(db, id: id)
      let set = ConversationService.labelIDs(labels, ruleSet: rules.ruleSet)
      if rules.engine.can(member, .view, labels: set).allowed {
        labelsByConversation[id] = labels
      }
    }
    return labelsByConversation
  }

  static func page(
    _ db: Database, member: String, unreadOnly: Bool, limit: Int, before: Int64?,
    rules: LoadedRules
  ) throws -> Page {
    let conversations = try String.fetchAll(
      db, sql: "SELECT DISTINCT conversation_id FROM notifications WHERE member = ?",
      arguments: [member])
    let visible = try visible(db, ids: conversations, member: member, rules: rules)
    var unread = 0
    var byLabel: [String: Int] = [:]
    for row in try Row.fetchAll(
      db,
      sql: """
        SELECT conversation_id, COUNT(*) AS n FROM notifications
        WHERE member = ? AND read_at IS NULL GROUP BY conversation_id
        """, arguments: [member])
    {
      guard let labels = visible[row["conversation_id"]] else { continue }
      let n: Int = row["n"]
      unread += n
      for label in labels { byLabel[label, default: 0] += n }
    }
    var documents: [Document] = []
    var cursor = before ?? Int64.max
    var more = false
    // Batches skip the conversations the member may not view, without an IN list.
    batches: while true {
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT * FROM notifications WHERE member = ? AND id < ?
            AND (? = 0 OR read_at IS NULL)
          ORDER BY id DESC LIMIT 200
          """, arguments: [member, cursor, unreadOnly ? 1 : 0])
      if rows.isEmpty { break }
      for row in rows {
        cursor = row["id"]
        guard visible[row["conversation_id"]] != nil else { continue }
        if documents.count == limit {
          more = true
          break batches
        }
        documents.append(Document(row: row))
      }
    }
    return Page(
      notifications: documents, unread: unread, unreadByLabel: byLabel,
      nextBefore: more ? documents.last?.id : nil)
  }
}

extension MemberNotifications.Document {
  init(row: Row) {
    id = row["id"]
    conversation = row["conversation_id"]
    reason = row["reason"]
    team = row["team"]
    priority = row["priority"]
    text = row["text"]
    createdAt = Instant.format(Date(timeIntervalSince1970: row["created_at"]))
    readAt = (row["read_at"] as Double?).map { Instant.format(Date(timeIntervalSince1970: $0)) }
  }
}

/// The notifications API's reads and writes.
extension SQLiteStore {
  func notificationPage(
    member: String, unreadOnly: Bool, limit: Int, before: Int64?, rules: LoadedRules
  ) async throws -> MemberNotifications.Page {
    try await pool.read { db in
      try MemberNotifications.page(
        db, member: member, unreadOnly: unreadOnly, limit: limit, before: before, rules: rules)
    }
  }

  /// One notification (`id`) or all of the member's (`nil`) marked read: how many changed, or
  /// nil when `id` is not one of the member's notifications. The member's other clients are
  /// told after the commit.
  func markNotificationsRead(member: String, id: Int64?, hub: IntegrationHub) async throws
    -> Int?
  {
    let live = hub.live
    let now = clock.seconds
    return try await pool.write { db -> Int? in
      if let id {
        guard
          try Int.fetchOne(
            db, sql: "SELECT 1 FROM notifications WHERE id = ? AND member = ?",
            arguments: [id, member]) != nil
        else { return nil }
        try db.execute(
          sql: "UPDATE notifications SET read_at = ? WHERE id = ? AND read_at IS NULL",
          arguments: [now, id])
      } else {
        try db.execute(
          sql: "UPDATE notifications SET read_at = ? WHERE member = ? AND read_at IS NULL",
          arguments: [now, member])
      }
      let count = db.changesCount
      let event = LiveEvent(
        "notification.read", conversation: nil,
        data: ReadEvent(ids: id.map { [$0] } ?? [], all: id == nil))
      if count > 0 {
        db.afterNextTransaction { _ in live.publish([event], to: .member(member)) }
      }
      return count
    }
  }
}
