import EtiquetteChecker
import EtiquetteEngine
import Foundation
import GRDB
import Hummingbird

/// Per-member notifications: the engine's `notify` outcomes (the team on routing to a human,
/// every member who may reply, the assignee who left) and `@mentions` in notes.
///
/// Rows are written in the step's transaction, so a notification exists exactly when its
/// decision does; clients are told on the live stream after the commit.
enum MemberNotifications {
  /// A notification as the API returns it.
  struct Document: Codable, Sendable, Hashable {
    var id: Int64
    var conversation: String
    /// `team`, `may_reply`, `assignee_away` or `mention`.
    var reason: String
    var team: String?
    /// The conversation's priority after the step that caused it.
    var priority: String
    var text: String
    var createdAt: String
    var readAt: String?

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

  /// `notification.created` on the stream.
  struct Event: Encodable {
    var conversation: String
    var notification: Document
  }

  struct Pending {
    var member: String
    var reason: String
    var team: String?
    var text: String
  }

  /// Longest quoted excerpt of a message or note in a notification's text.
  static let excerptLength = 140

  static func excerpt(_ text: String) -> String {
    let flat = text.replacingOccurrences(of: "\n", with: " ")
    return flat.count <= excerptLength ? flat : String(flat.prefix(excerptLength - 1)) + "…"
  }

  /// The notifications a step causes, before they are stored.
  static func pending(_ effects: StepEffects) -> [Pending] {
    let after = effects.after
    let ruleSet = effects.rules.ruleSet
    let contact = after.contact.name ?? after.contact.phone ?? after.contact.id
    let newCustomerLine = after.transcript.dropFirst(effects.before.transcriptCount).last {
      $0.author == .customer
    }
    let quoted = newCustomerLine.map { ": “\(excerpt($0.text))”" } ?? ""
    var result: [Pending] = []
    for note in effects.decision.notifications {
      switch note.reason {
      case .team(let team):
        let name = ruleSet[team].name
        result.append(
          Pending(
            member: note.member, reason: "team", team: name,
            text: newCustomerLine == nil
              ? "\(contact) needs a human reply (team \(name))"
              : "New message from \(contact) for team \(name)\(quoted)"))
      case .mayReply:
        result.append(
          Pending(
            member: note.member, reason: "may_reply", team: nil,
            text: newCustomerLine == nil
              ? "\(contact) needs a human reply"
              : "New message from \(contact)\(quoted)"))
      case .assigneeAway:
        result.append(
          Pending(
            member: note.member, reason: "assignee_away", team: nil,
            text: "\(contact) wrote while you were away\(quoted)"))
      }
    }
    if let note = after.notes.dropFirst(effects.before.notesCount).last {
      for member in effects.mentions where member != note.author {
        // A mention must not reveal a conversation the member may not open.
        guard effects.rules.engine.can(member, .view, labels: after.labelSet).allowed else {
          continue
        }
        result.append(
          Pending(
            member: member, reason: "mention", team: nil,
            text: "\(note.author) mentioned you in a note on \(contact): “\(excerpt(note.text))”"
          ))
      }
    }
    return result
  }

  /// Stores the step's notifications and publishes each to its member after the commit.
  static func record(_ effects: StepEffects, in db: Database, hub: IntegrationHub) throws {
    let pending = pending(effects)
    guard !pending.isEmpty else { return }
    let now = hub.clock.seconds
    var events: [(String, LiveEvent)] = []
    for item in pending {
      try db.executeCached(
        sql: """
          INSERT INTO notifications (member, conversation_id, reason, team, priority, text,
            created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          item.member, effects.after.id, item.reason, item.team,
          effects.after.priority.rawValue, item.text, now,
        ])
      let id = db.lastInsertedRowID
      guard
        let row = try Row.fetchOne(
          db, sql: "SELECT * FROM notifications WHERE id = ?", arguments: [id])
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

  // MARK: - Queries

  /// The conversations among `ids` that `member` may view now: notifications of a
  /// conversation the member lost access to are neither listed nor counted.
  static func visible(
    _ db: Database, ids: [String], member: String, rules: LoadedRules
  ) throws -> [String: [String]] {
    var labelsByConversation: [String: [String]] = [:]
    for id in ids {
      let labels = try ConversationQueries.labels(db, id: id)
      let set = EtiquetteServer.labelIDs(labels, ruleSet: rules.ruleSet)
      if rules.engine.can(member, .view, labels: set).allowed {
        labelsByConversation[id] = labels
      }
    }
    return labelsByConversation
  }

  struct Page: Encodable {
    var notifications: [Document]
    var unread: Int
    /// Unread notifications per label of their conversation (a conversation with two labels
    /// counts under both), for an inbox sidebar.
    var unreadByLabel: [String: Int]
    /// Pass as `before` for the next (older) page.
    var nextBefore: Int64?
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

/// `notification.read` on the stream: other clients of the member clear their badges.
struct ReadEvent: Encodable {
  var ids: [Int64]
  var all: Bool
}

extension EtiquetteServer {
  func registerNotificationRoutes(on r: inout RouteRecorder) {
    r.add(.get, "/v1/notifications") { request, _ in try await listNotifications(request) }
    r.add(.post, "/v1/notifications/read-all") { request, _ in
      try await markNotificationsRead(request, id: nil)
    }
    r.add(.post, "/v1/notifications/{id}/read") { request, context in
      let raw = context.parameters.get("id") ?? ""
      guard let id = Int64(raw) else { throw APIError.notFound("no such notification") }
      return try await markNotificationsRead(request, id: id)
    }
  }

  func listNotifications(_ request: Request) async throws -> Response {
    let member = try await authenticate(request)
    let q = request.uri.queryParameters
    var unreadOnly = false
    if let unread = q["unread"] {
      guard unread == "true" || unread == "false" else {
        throw APIError.badRequest("\"unread\" must be true or false")
      }
      unreadOnly = unread == "true"
    }
    var limit = 50
    if let text = q["limit"] {
      guard let value = Int(text), (1...200).contains(value) else {
        throw APIError.badRequest("\"limit\" must be an integer from 1 to 200")
      }
      limit = value
    }
    var before: Int64?
    if let text = q["before"] {
      guard let value = Int64(text) else {
        throw APIError.badRequest("\"before\" must be a notification id")
      }
      before = value
    }
    let loaded = rules.current
    let page = try await store.pool.read { [limit, before, unreadOnly] db in
      try MemberNotifications.page(
        db, member: member, unreadOnly: unreadOnly, limit: limit, before: before, rules: loaded)
    }
    return JSONResponse.make(page)
  }

  /// One notification (`id`) or all of the member's (`nil`) marked read.
  func markNotificationsRead(_ request: Request, id: Int64?) async throws -> Response {
    let member = try await authenticate(request)
    let live = hub.live
    let marked = try await store.pool.write { db -> Int in
      let now = store.clock.seconds
      if let id {
        guard
          try Int.fetchOne(
            db, sql: "SELECT 1 FROM notifications WHERE id = ? AND member = ?",
            arguments: [id, member]) != nil
        else { throw APIError.notFound("no such notification") }
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
    return JSONResponse.make(["marked": marked])
  }
}
