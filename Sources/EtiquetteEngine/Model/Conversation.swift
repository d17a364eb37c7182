import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteMatcher
import EtiquetteSyntax
import Foundation

/// A value of a contact attribute or an integration event field, as it arrives from outside
/// (JSON) or from a test's object.
public enum FieldValue: Sendable, Hashable, CustomStringConvertible {
  case string(String)
  case number(Double)
  case bool(Bool)
  case list([FieldValue])
  case null

  /// The checker's typed literal as a value (a message type becomes its name).
  public init(_ value: TypedValue) {
    switch value {
    case .string(let s): self = .string(s)
    case .number(let n): self = .number(n)
    case .bool(let b): self = .bool(b)
    case .messageType(let t): self = .string(t.rawValue)
    case .list(let items): self = .list(items.map(FieldValue.init))
    }
  }

  public var description: String {
    switch self {
    case .string(let s): "\"\(s)\""
    case .number(let n): TypedValue.number(n).description
    case .bool(let b): String(b)
    case .list(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
    case .null: "null"
    }
  }
}

/// The customer: a WhatsApp user id (which may have no phone number), an optional phone number,
/// the profile name and the declared attributes (`contact.tier`).
public struct Contact: Sendable, Hashable {
  public var id: String
  /// With country code (`+33612345678`); absent for users known only by id.
  public var phone: String?
  public var name: String?
  public var attributes: [String: FieldValue]

  public init(
    id: String, phone: String? = nil, name: String? = nil, attributes: [String: FieldValue] = [:]
  ) {
    self.id = id
    self.phone = phone
    self.name = name
    self.attributes = attributes
  }
}

/// Changes to the contact carried by a step (a message's sender profile, a CRM sync).
public struct ContactUpdate: Sendable, Hashable {
  public var id: String?
  public var phone: String?
  public var name: String?
  /// Attributes to set; other attributes are kept.
  public var attributes: [String: FieldValue]

  public init(
    id: String? = nil, phone: String? = nil, name: String? = nil,
    attributes: [String: FieldValue] = [:]
  ) {
    self.id = id
    self.phone = phone
    self.name = name
    self.attributes = attributes
  }
}

extension Contact {
  mutating func merge(_ update: ContactUpdate) {
    if let id = update.id { self.id = id }
    if let phone = update.phone { self.phone = phone }
    if let name = update.name { self.name = name }
    attributes.merge(update.attributes) { _, new in new }
  }
}

/// Whether the assigned agent is working on the conversation or stepped away while keeping it.
public enum Presence: String, Sendable, Hashable, CaseIterable {
  case active, away
}

/// Why a label is on a conversation (or why it was removed).
public struct LabelProvenance: Sendable, Hashable {
  public enum Source: Sendable, Hashable {
    /// A `when` (or `remove when`) clause fired: the clause's location and, for text atoms,
    /// the matched phrases or regexes with their spans in the original message text. `event`
    /// names the integration event of the step, when it was one.
    case trigger(TriggerID, clause: SourceSpan, evidence: [MatchEvidence], event: String?)
    /// An agent added or removed it by hand.
    case manual(member: String)
  }
  public var source: Source
  /// When: the step's time and its 1-based number in the conversation.
  public var at: Date
  public var step: Int

  public init(source: Source, at: Date, step: Int) {
    self.source = source
    self.at = at
    self.step = step
  }
}

/// Who wrote a transcript line.
public enum TranscriptAuthor: Sendable, Hashable {
  case customer
  case agent(String)
  /// An integration event (shown in the transcript as what happened).
  case event(String)
}

/// A file sent with a message.
public struct Attachment: Sendable, Hashable {
  public var url: String
  /// MIME type (`image/jpeg`).
  public var type: String?
  /// Size in bytes.
  public var size: Int?
  public init(url: String, type: String? = nil, size: Int? = nil) {
    self.url = url
    self.type = type
    self.size = size
  }
}

/// One line of the conversation.
public struct TranscriptEntry: Sendable, Hashable {
  public var at: Date
  public var author: TranscriptAuthor
  public var type: MessageType?
  /// Text, caption or file name; for an event, its name.
  public var text: String
  public var attachments: [Attachment]
  public init(
    at: Date, author: TranscriptAuthor, type: MessageType?, text: String,
    attachments: [Attachment] = []
  ) {
    self.at = at
    self.author = author
    self.type = type
    self.text = text
    self.attachments = attachments
  }
}

/// An internal note by an agent; never sent to the customer.
public struct Note: Sendable, Hashable {
  public var at: Date
  public var author: String
  public var text: String
  public init(at: Date, author: String, text: String) {
    self.at = at
    self.author = author
    self.text = text
  }
}

/// The state of one conversation between steps. Only `Engine.apply` changes it.
public struct Conversation: Sendable, Hashable {
  public var id: String
  public var contact: Contact
  /// Applied labels, each with why it is there.
  public var labels: [LabelID: LabelProvenance]
  public var mode: Mode
  /// The agent who took over (or kept the conversation when leaving).
  public var assignee: String?
  /// Meaningful only with an assignee.
  public var presence: Presence
  /// The team a routing rule assigned.
  public var team: TeamID?
  public var priority: Priority
  public var transcript: [TranscriptEntry]
  public var notes: [Note]
  /// Per member, how many transcript entries they have read.
  public var readState: [String: Int]
  /// Bumped whenever who answers changes (mode, assignee, presence): an AI reply decided for an
  /// older version must not be sent.
  public var version: Int
  /// Steps applied so far.
  public var stepCount: Int
  /// The time of the last step, used for steps that carry none.
  public var lastStepTime: Date?
  /// The triggers whose condition held at the previous step: what makes triggers react to
  /// change. INVARIANT: replaced as a whole at each step, never edited elsewhere.
  public var heldTriggers: Set<TriggerID>

  public init(id: String, contact: Contact, mode: Mode) {
    self.id = id
    self.contact = contact
    self.labels = [:]
    self.mode = mode
    self.assignee = nil
    self.presence = .active
    self.team = nil
    self.priority = .normal
    self.transcript = []
    self.notes = []
    self.readState = [:]
    self.version = 0
    self.stepCount = 0
    self.lastStepTime = nil
    self.heldTriggers = []
  }

  /// The applied labels, for access checks and filters.
  public var labelSet: Set<LabelID> { Set(labels.keys) }
}
