import EtiquetteChecker
import EtiquetteEngine
import Foundation

/// The live stream's events of a committed step, and the realtime tables.
///
/// Events are built inside the step's transaction (where the step's rows and ids are known) and
/// published only after its commit, so a client never sees a change that was rolled back.
enum LiveEvents {
  /// `ai_requests` (the AI connector's work), `ai_suggestions` (drafts for the humans) and
  /// `notifications` (per member).

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
      let (direction, author) = ConversationRecords.storedAuthor(entry.author)
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

}
