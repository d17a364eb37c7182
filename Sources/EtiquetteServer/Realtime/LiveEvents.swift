import EtiquetteChecker
import EtiquetteEngine
import Foundation
import GRDB

/// The live stream's events of a committed step, and the realtime tables.
///
/// Events are built inside the step's transaction (where the step's rows and ids are known) and
/// published only after its commit, so a client never sees a change that was rolled back.
enum LiveEvents {
  /// `ai_requests` (the AI connector's work), `ai_suggestions` (drafts for the humans) and
  /// `notifications` (per member).
  static func registerMigrations(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("realtime-v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE ai_requests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            kind TEXT NOT NULL,
            version INTEGER NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            next_attempt_at REAL NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
          );
          CREATE INDEX ai_requests_due ON ai_requests(status, next_attempt_at);
          CREATE INDEX ai_requests_conversation ON ai_requests(conversation_id, id);
          CREATE TABLE ai_suggestions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            request_id INTEGER REFERENCES ai_requests(id),
            version INTEGER NOT NULL,
            text TEXT NOT NULL,
            created_at REAL NOT NULL
          );
          CREATE INDEX ai_suggestions_conversation ON ai_suggestions(conversation_id, id);
          CREATE TABLE notifications (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            member TEXT NOT NULL,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            reason TEXT NOT NULL,
            team TEXT,
            priority TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at REAL NOT NULL,
            read_at REAL
          );
          CREATE INDEX notifications_member ON notifications(member, id);
          CREATE INDEX notifications_unread ON notifications(member, conversation_id)
            WHERE read_at IS NULL;
          """)
    }
  }

  // MARK: - Event documents

  struct MessageEvent: Encodable {
    var conversation: String
    var message: Message
    struct Message: Encodable {
      var id: Int64
      var direction: String
      var author: String
      var type: String?
      var text: String
      var status: String?
      var at: String
    }
  }

  struct LabelEvent: Encodable {
    var conversation: String
    var label: LabelReasonDocument
    var labels: [String]
  }

  struct StateEvent: Encodable {
    var conversation: String
    var route: DecisionDocument.RouteDocument?
    var action: String?
    var member: String?
    var mode: String
    var assignee: String?
    var presence: String
    var team: String?
    var priority: String
    var version: Int
  }

  struct NoteEvent: Encodable {
    var conversation: String
    var author: String
    var text: String
    var mentions: [String]
    var at: String
  }

  struct AIReplyEvent: Encodable {
    var conversation: String
    var aiReply: DecisionDocument.AIReplyDocument
  }

  struct ReadStateEvent: Encodable {
    var conversation: String
    var member: String
    var unreadCount: Int
  }

  struct StatusEvent: Encodable {
    var conversation: String
    var message: Int64
    var status: String?
    var errors: JSONValue?
  }

  /// The events of one step, in the order a client should apply them.
  static func events(of effects: StepEffects) -> [LiveEvent] {
    let id = effects.after.id
    let after = effects.after
    let document = effects.document
    var events: [LiveEvent] = []
    let appended = after.transcript.dropFirst(effects.before.transcriptCount)
    for (entry, row) in zip(appended, effects.messageRows) {
      let (direction, author): (String, String) =
        switch entry.author {
        case .customer: ("in", "customer")
        case .agent(let member): ("out", member)
        case .event(let name): ("event", name)
        }
      events.append(
        LiveEvent(
          "message.created", conversation: id,
          data: MessageEvent(
            conversation: id,
            message: .init(
              id: row, direction: direction, author: author, type: entry.type?.rawValue,
              text: entry.text, status: direction == "out" ? "queued" : nil,
              at: Instant.format(entry.at)))))
    }
    for label in document.added {
      events.append(
        LiveEvent(
          "label.added", conversation: id,
          data: LabelEvent(conversation: id, label: label, labels: document.labels)))
    }
    for label in document.removed {
      events.append(
        LiveEvent(
          "label.removed", conversation: id,
          data: LabelEvent(conversation: id, label: label, labels: document.labels)))
    }
    func state(route: DecisionDocument.RouteDocument?, action: String?, member: String?)
      -> StateEvent
    {
      StateEvent(
        conversation: id, route: route, action: action, member: member, mode: document.mode,
        assignee: document.assignee, presence: document.presence, team: document.team,
        priority: document.priority, version: document.version)
    }
    if document.route.outcome != "unchanged" {
      events.append(
        LiveEvent(
          "conversation.routed", conversation: id,
          data: state(route: document.route, action: nil, member: nil)))
    }
    if case .agent(let member, let action) = effects.step.kind, effects.decision.refusal == nil {
      switch action {
      case .takeOver, .transferToAI, .keepHumanAndLeave:
        events.append(
          LiveEvent(
            "handoff", conversation: id,
            data: state(route: nil, action: action.name, member: member)))
      case .addLabel, .removeLabel, .reply, .note:
        break
      }
    }
    for note in after.notes.dropFirst(effects.before.notesCount) {
      events.append(
        LiveEvent(
          "note.added", conversation: id,
          data: NoteEvent(
            conversation: id, author: note.author, text: note.text, mentions: effects.mentions,
            at: Instant.format(note.at))))
    }
    if let outcome = document.aiReply, outcome.outcome == "discarded" {
      events.append(
        LiveEvent(
          "ai.reply_discarded", conversation: id,
          data: AIReplyEvent(conversation: id, aiReply: outcome)))
    }
    return events
  }

  /// Publishes the step's events after its commit, to the members who may view the
  /// conversation with the labels it has after the step.
  static func publish(_ effects: StepEffects, in db: Database, hub: IntegrationHub) throws {
    // Nobody connected: skip encoding the events on the intake's hot path. A client that
    // connects meanwhile gets the next change (and loads the list when it connects anyway).
    guard hub.live.subscriberCount > 0 else { return }
    let events = events(of: effects)
    guard !events.isEmpty else { return }
    let before = effects.before.conversation
    let audience = LiveAudience.viewers(
      engine: effects.rules.engine, before: before.stepCount == 0 ? nil : before.labelSet,
      after: effects.after.labelSet)
    let live = hub.live
    db.afterNextTransaction { _ in live.publish(events, to: audience) }
  }

  /// A member marked a conversation read or unread (not a step): their own clients are told.
  static func readStateChanged(
    conversation: String, member: String, unreadCount: Int, in db: Database, hub: IntegrationHub
  ) {
    let event = LiveEvent(
      "read_state.changed", conversation: conversation,
      data: ReadStateEvent(conversation: conversation, member: member, unreadCount: unreadCount))
    let live = hub.live
    db.afterNextTransaction { _ in live.publish([event], to: .member(member)) }
  }

  /// A message's delivery status changed (a WhatsApp status webhook, a send that failed): the
  /// members who may view its conversation see it after the commit. `messageID` is `messages.id`.
  static func messageStatusChanged(
    messageID: Int64, in db: Database, rules: LoadedRules, hub: IntegrationHub
  ) throws {
    guard hub.live.subscriberCount > 0,
      let row = try Row.fetchOne(
        db, sql: "SELECT conversation_id, status, errors FROM messages WHERE id = ?",
        arguments: [messageID])
    else { return }
    let conversation: String = row["conversation_id"]
    let errors = (row["errors"] as String?).flatMap {
      try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8))
    }
    let labels = EtiquetteServer.labelIDs(
      try ConversationQueries.labels(db, id: conversation), ruleSet: rules.ruleSet)
    let event = LiveEvent(
      "message.status", conversation: conversation,
      data: StatusEvent(
        conversation: conversation, message: messageID, status: row["status"], errors: errors))
    let live = hub.live
    let audience = LiveAudience.viewers(engine: rules.engine, before: labels, after: labels)
    db.afterNextTransaction { _ in live.publish([event], to: audience) }
  }

  /// The same for a status reported by WhatsApp, by the message's WhatsApp id.
  static func messageStatusChanged(
    whatsappID: String, in db: Database, rules: LoadedRules, hub: IntegrationHub
  ) throws {
    guard
      let id = try Int64.fetchOne(
        db, sql: "SELECT id FROM messages WHERE wa_id = ?", arguments: [whatsappID])
    else { return }
    try messageStatusChanged(messageID: id, in: db, rules: rules, hub: hub)
  }

  /// An event about a conversation, to its current viewers, after the commit (suggestions).
  static func publishToViewers(
    _ event: LiveEvent, conversation: String, in db: Database, rules: LoadedRules,
    hub: IntegrationHub
  ) throws {
    let labels = EtiquetteServer.labelIDs(
      try ConversationQueries.labels(db, id: conversation), ruleSet: rules.ruleSet)
    let live = hub.live
    let audience = LiveAudience.viewers(engine: rules.engine, before: labels, after: labels)
    db.afterNextTransaction { _ in live.publish([event], to: audience) }
  }
}
