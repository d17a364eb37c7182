import EtiquetteChecker
import EtiquetteSyntax
import Foundation

/// What happens to a conversation at one step.
public struct Step: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    case message(CustomerMessage)
    case event(IntegrationEvent)
    case agent(member: String, action: Step.AgentAction)
    /// Time passes (hours open or close) with nothing said.
    case tick
    /// The AI's answer to the decision made at `version`. Applied only while the conversation
    /// is still at that version, in `ai` mode and unassigned (`Engine.acceptsAIReply`):
    /// a takeover committed before the reply always wins, and the reply is discarded.
    case aiReply(text: String, version: Int)
  }
  public var kind: Kind
  public var at: Date
  /// Contact details that arrive with the step, merged before the rules run.
  public var contact: ContactUpdate?

  public init(_ kind: Kind, at: Date, contact: ContactUpdate? = nil) {
    self.kind = kind
    self.at = at
    self.contact = contact
  }
}

/// A message from the customer.
public struct CustomerMessage: Sendable, Hashable {
  public var type: MessageType
  /// The text of a text message.
  public var text: String?
  public var caption: String?
  public var filename: String?
  public var attachments: [Attachment]

  public init(
    type: MessageType = .text, text: String? = nil, caption: String? = nil,
    filename: String? = nil, attachments: [Attachment] = []
  ) {
    self.type = type
    self.text = text
    self.caption = caption
    self.filename = filename
    self.attachments = attachments
  }

  /// The text the rules' `contains` and `matches` look at: the text of a text message, the
  /// caption of media, or else the file name of a document.
  public var scannedText: String? {
    if type == .text { return text }
    return caption ?? filename ?? text
  }
}

/// An event from an integration (Zapier, Make, Calendly …) with its JSON fields.
public struct IntegrationEvent: Sendable, Hashable {
  public var name: String
  public var fields: [String: FieldValue]
  public init(name: String, fields: [String: FieldValue] = [:]) {
    self.name = name
    self.fields = fields
  }
}

extension Step {
  /// What an agent does.
  public enum AgentAction: Sendable, Hashable {
    /// Mode human, the agent assigned and active.
    case takeOver
    /// Mode ai, no assignee: the AI answers the next customer message.
    case transferToAI
    /// Mode human, assignee kept, presence away: new messages notify the assignee.
    case keepHumanAndLeave
    case addLabel(LabelID)
    case removeLabel(LabelID)
    case reply(String)
    case note(String)

    /// The access level the action needs on the conversation.
    public var requiredLevel: AccessLevel {
      switch self {
      case .note: .view
      case .takeOver, .transferToAI, .keepHumanAndLeave, .addLabel, .removeLabel, .reply: .reply
      }
    }

    /// The wire name used by `etiquette run` and in decisions.
    public var name: String {
      switch self {
      case .takeOver: "take_over"
      case .transferToAI: "transfer_to_ai"
      case .keepHumanAndLeave: "keep_human_and_leave"
      case .addLabel: "add_label"
      case .removeLabel: "remove_label"
      case .reply: "reply"
      case .note: "note"
      }
    }
  }
}
