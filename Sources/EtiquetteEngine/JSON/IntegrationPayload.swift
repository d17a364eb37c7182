import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteSyntax
import Foundation

/// The document an outbound webhook carries for a conversation. Its JSON shape is versioned:
/// `schemas/integration-payload.v1.json` in the repository describes it, and `schema` names
/// that version so receivers can tell versions apart.
public struct IntegrationPayload: Sendable, Hashable, Codable {
  public static let schemaIdentifier = "etiquette/integration-payload/v1"

  public var schema: String
  public var conversationId: String
  public var user: User
  /// The customer's last message, if any.
  public var lastUserMessage: Message?
  /// The last message an agent sent, if any.
  public var lastSentMessage: Message?
  /// The type of the customer's last message.
  public var messageType: String?
  /// The "conversation paragraph": one timestamped line per transcript entry.
  public var transcript: String
  public var labels: [AppliedLabel]
  public var notes: [NoteDocument]
  /// Every attachment the customer sent, oldest first.
  public var attachments: [AttachmentDocument]
  public var mode: String
  public var assignee: String?
  public var presence: String
  public var team: String?
  public var priority: String
  public var version: Int

  public struct User: Sendable, Hashable, Codable {
    /// The WhatsApp user id; a user may have no phone number.
    public var id: String
    public var name: String?
    /// With country code (`+33612345678`).
    public var phone: String?
    public var attributes: [String: JSONValue]
  }

  public struct Message: Sendable, Hashable, Codable {
    public var text: String
    public var type: String
    public var at: String
    public var author: String
  }

  public struct AppliedLabel: Sendable, Hashable, Codable {
    public var name: String
    public var color: String?
    public var reason: LabelReasonDocument
  }

  public struct NoteDocument: Sendable, Hashable, Codable {
    public var at: String
    public var author: String
    public var text: String
  }

  public struct AttachmentDocument: Sendable, Hashable, Codable {
    public var url: String
    public var type: String?
    /// Bytes.
    public var size: Int?
  }

  public init(_ c: Conversation, ruleSet: RuleSet, sources: SourceMap) {
    let names = LocationNames(ruleSet: ruleSet, sources: sources)
    schema = Self.schemaIdentifier
    conversationId = c.id
    user = User(
      id: c.contact.id, name: c.contact.name, phone: c.contact.phone,
      attributes: c.contact.attributes.mapValues(\.json))
    let customer = c.transcript.last { $0.author == .customer }
    lastUserMessage = customer.map(Self.message)
    lastSentMessage = c.transcript.last { if case .agent = $0.author { true } else { false } }
      .map(Self.message)
    messageType = customer?.type?.rawValue
    transcript = c.transcript.map { entry in
      "[\(Instant.format(entry.at))] \(Self.author(entry.author)): "
        + entry.text.replacingOccurrences(of: "\n", with: " ")
    }.joined(separator: "\n")
    labels = c.labels.sorted { $0.key < $1.key }.map {
      AppliedLabel(
        name: ruleSet[$0.key].name, color: ruleSet[$0.key].color,
        reason: names.reason($0.key, $0.value))
    }
    notes = c.notes.map {
      NoteDocument(at: Instant.format($0.at), author: $0.author, text: $0.text)
    }
    attachments = c.transcript.filter { $0.author == .customer }.flatMap(\.attachments).map {
      AttachmentDocument(url: $0.url, type: $0.type, size: $0.size)
    }
    mode = c.mode.rawValue
    assignee = c.assignee
    presence = c.presence.rawValue
    team = c.team.map { ruleSet[$0].name }
    priority = c.priority.rawValue
    version = c.version
  }

  private static func author(_ author: TranscriptAuthor) -> String {
    switch author {
    case .customer: "customer"
    case .agent(let member): "agent \(member)"
    case .event(let name): "event \(name)"
    }
  }

  private static func message(_ entry: TranscriptEntry) -> Message {
    Message(
      text: entry.text, type: entry.type?.rawValue ?? "text", at: Instant.format(entry.at),
      author: author(entry.author))
  }

  /// Pretty JSON with sorted keys; optional members that are absent are left out (the schema
  /// does not require them).
  public func json() -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
    guard let data = try? encoder.encode(self) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }
}
