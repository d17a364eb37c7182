import EtiquetteEngine
import Foundation

/// One event of a committed step, as outbound webhooks carry it. The body's shape is
/// `schemas/webhook-event.v1.json`: `schema`, `id`, `type`, `time`, `conversationId`, the
/// event's own `data`, and the conversation's integration `payload` after the step.
struct WebhookEvent: Sendable {
  static let schemaIdentifier = "etiquette/webhook-event/v1"

  enum Kind: String, Sendable, CaseIterable {
    case messageReceived = "message.received"
    case messageSent = "message.sent"
    case labelAdded = "label.added"
    case labelRemoved = "label.removed"
    case conversationRouted = "conversation.routed"
    case handoff
    case noteAdded = "note.added"
    case aiRequested = "ai.requested"
    case notificationCreated = "notification.created"
  }

  var type: Kind
  /// One id per event, shared by its deliveries to several subscriptions.
  var id: String
  var time: String
  var data: EventData

  /// The event-specific part; only the members of the event's type are present.
  struct EventData: Sendable, Encodable {
    var message: MessageData?
    var label: String?
    var reason: LabelReasonDocument?
    var route: DecisionDocument.RouteDocument?
    var handoff: HandoffData?
    var note: NoteData?
    var ai: AIRequestData?
    var notification: NotificationData?
  }

  struct MessageData: Sendable, Encodable {
    var text: String
    var type: String
    /// `customer`, a member's email, or `ai`.
    var author: String
    var at: String
    var attachments: [AttachmentData]
  }

  struct AttachmentData: Sendable, Encodable {
    var url: String
    var type: String?
    /// Bytes.
    var size: Int?
  }

  struct HandoffData: Sendable, Encodable {
    /// `take_over`, `transfer_to_ai` or `keep_human_and_leave`.
    var action: String
    var member: String
    var mode: String
    var assignee: String?
    var presence: String
  }

  struct NoteData: Sendable, Encodable {
    var author: String
    var text: String
    var at: String
    var mentions: [String]
  }

  struct AIRequestData: Sendable, Encodable {
    /// `reply` (answer the customer) or `suggest` (draft for the human).
    var instruction: String
    /// The conversation version the answer must be made for: a reply is accepted only while
    /// the conversation is still at this version.
    var version: Int
    /// Where the external agent posts its answer.
    var answer: String
  }

  struct NotificationData: Sendable, Encodable {
    var member: String
    /// `team`, `may_reply`, `assignee_away` or `mention`.
    var reason: String
    var team: String?
  }

  /// The whole body for one event.
  struct Body: Encodable {
    var schema = WebhookEvent.schemaIdentifier
    var id: String
    var type: String
    var time: String
    var conversationId: String
    var data: EventData
    var payload: IntegrationPayload
  }

  func body(payload: IntegrationPayload) -> Body {
    Body(
      id: id, type: type.rawValue, time: time, conversationId: payload.conversationId,
      data: data, payload: payload)
  }

  /// Whether `subscription` receives this event. A member's subscription receives only that
  /// member's notifications; the others receive every event but notifications. The labels
  /// filter looks at the labels after the step, plus the label a `label.removed` took away
  /// (a subscription on "VIP" wants to hear that "VIP" went).
  func matches(_ subscription: ServerConfiguration.WebhookSubscription, labels: [String]) -> Bool {
    if let member = subscription.member {
      guard type == .notificationCreated, data.notification?.member == member else {
        return false
      }
    } else if type == .notificationCreated {
      return false
    }
    if !subscription.events.isEmpty, !subscription.events.contains(type.rawValue) {
      return false
    }
    if !subscription.labels.isEmpty {
      var seen = labels
      if type == .labelRemoved, let label = data.label { seen.append(label) }
      guard seen.contains(where: subscription.labels.contains) else { return false }
    }
    return true
  }

  /// Every event of a committed step, in a fixed order: the message, label changes, routing,
  /// handoff, note, AI request, notifications.
  static func derive(from effects: StepEffects, aiConfigured: Bool) -> [WebhookEvent] {
    let time = Instant.format(effects.step.at)
    var events: [WebhookEvent] = []
    func add(_ type: Kind, _ data: EventData) {
      events.append(
        WebhookEvent(type: type, id: UUID().uuidString.lowercased(), time: time, data: data))
    }
    let appended = Array(effects.after.transcript.dropFirst(effects.before.transcriptCount))
    let decision = effects.decision
    let document = effects.document
    let refused = decision.refusal != nil

    switch effects.step.kind {
    case .message:
      if let entry = appended.last(where: { $0.author == .customer }) {
        add(.messageReceived, EventData(message: message(entry)))
      }
    case .agent(_, .reply):
      if !refused, let entry = appended.last(where: \.isAgent) {
        add(.messageSent, EventData(message: message(entry)))
      }
    case .aiReply:
      if decision.aiReply == .accepted, let entry = appended.last(where: \.isAgent) {
        add(.messageSent, EventData(message: message(entry)))
      }
    case .agent, .event, .tick:
      break
    }
    for reason in document.added {
      add(.labelAdded, EventData(label: reason.label, reason: reason))
    }
    for reason in document.removed {
      add(.labelRemoved, EventData(label: reason.label, reason: reason))
    }
    switch decision.routing {
    case .rule, .defaultMode:
      add(.conversationRouted, EventData(route: document.route))
    case .unchanged, .held:
      break
    }
    if case .agent(let member, let action) = effects.step.kind, !refused {
      switch action {
      case .takeOver, .transferToAI, .keepHumanAndLeave:
        add(
          .handoff,
          EventData(
            handoff: HandoffData(
              action: action.name, member: member, mode: document.mode,
              assignee: document.assignee, presence: document.presence)))
      case .note(let text):
        let at = effects.after.notes.last.map { Instant.format($0.at) } ?? time
        add(
          .noteAdded,
          EventData(
            note: NoteData(author: member, text: text, at: at, mentions: effects.mentions)))
      case .addLabel, .removeLabel, .reply:
        break
      }
    }
    if !aiConfigured {
      let conversation = effects.after.id
      let answer = "POST /v1/conversations/\(conversation)/ai-replies"
      switch decision.ai {
      case .reply(let version):
        add(
          .aiRequested,
          EventData(ai: AIRequestData(instruction: "reply", version: version, answer: answer)))
      case .suggest:
        add(
          .aiRequested,
          EventData(
            ai: AIRequestData(
              instruction: "suggest", version: decision.version, answer: answer)))
      case .none:
        break
      }
    }
    // The same notifications the inbox records (MemberNotifications), so a member's webhook
    // never hears of a mention in a conversation that member may not view.
    for pending in MemberNotifications.pending(effects) where !refused {
      add(
        .notificationCreated,
        EventData(
          notification: NotificationData(
            member: pending.member, reason: pending.reason, team: pending.team)))
    }
    return events
  }

  static func message(_ entry: TranscriptEntry) -> MessageData {
    let author: String =
      switch entry.author {
      case .customer: "customer"
      case .agent(let member): member
      case .event(let name): name
      }
    return MessageData(
      text: entry.text, type: entry.type?.rawValue ?? "text", author: author,
      at: Instant.format(entry.at),
      attachments: entry.attachments.map {
        AttachmentData(url: $0.url, type: $0.type, size: $0.size)
      })
  }
}

extension TranscriptEntry {
  fileprivate var isAgent: Bool {
    if case .agent = author { true } else { false }
  }
}
