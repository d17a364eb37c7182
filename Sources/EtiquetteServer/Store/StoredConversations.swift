import EtiquetteChecker
import EtiquetteEngine
import EtiquetteMatcher
import EtiquetteSyntax
import Foundation

// What every store shares about stored conversations, with no SQL: how a contact is keyed, how
// names stored for labels, triggers and actions read back, and the values a step's load and
// save pass around. Moved here from SQLite's `ConversationRecords.swift` so that the PostgreSQL
// store uses the same code (`ConversationRecords+PostgreSQL.swift`).

/// What the store adds to a transcript line the engine appended: WhatsApp's id, the wire type,
/// the raw JSON; for an agent's reply, its delivery status.
struct EntryExtras: Sendable {
  var whatsappID: String?
  var wireType: String?
  var contextID: String?
  var raw: String?
  var status: String?
}

/// A conversation as loaded for one step, with the counts that tell what the step appended.
struct LoadedConversation {
  /// The state before a step. Once `ConversationRecords.apply` has handed its transcript to the
  /// engine the transcript is empty here: read `transcriptCount`, and the lines from the state
  /// after the step.
  var conversation: Conversation
  var transcriptCount: Int
  var notesCount: Int
  var readState: [String: Int]
}

extension ConversationRecords {
  static func newID() -> String {
    var generator = SystemRandomNumberGenerator()
    return "c" + (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexString
  }

  /// `+` and digits for WhatsApp ids made of digits; anything else as given.
  static func normalizePhone(_ phone: String?) -> String? {
    guard var text = phone?.filter({ !$0.isWhitespace }), !text.isEmpty else { return nil }
    if text.hasPrefix("+") { text.removeFirst() }
    guard !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) else {
      return phone
    }
    return "+" + text
  }

  /// The keys a contact is known by in `contact_keys`: its phone and its user id.
  static func contactKeys(phone: String?, userID: String?) -> [String] {
    [phone.map { "phone:" + $0 }, userID.map { "user:" + $0 }].compactMap { $0 }
  }

  static func rank(_ priority: Priority) -> Int {
    Priority.allCases.firstIndex(of: priority) ?? 1
  }

  struct AttachmentRow: Codable {
    var url: String
    var type: String?
    var size: Int?
  }

  /// The contact attributes as stored (a JSON object); none when the text cannot be read.
  static func storedAttributes(_ text: String?) -> [String: FieldValue] {
    guard let text, case .object(let json)? = try? JSONValue.parse(bytes: text.utf8) else {
      return [:]
    }
    return json.mapValues(FieldValue.init)
  }

  /// The triggers held as stored (a JSON array of their names), in the current rules.
  static func storedHeldTriggers(_ text: String?, engine: Engine) -> Set<TriggerID> {
    guard let text, let names = try? JSONDecoder().decode([String].self, from: Data(text.utf8))
    else { return [] }
    return Set(names.compactMap { trigger(named: $0, in: engine) })
  }

  /// Puts a label stored on the conversation back on `c`. Only the keys matter to the engine;
  /// the stored reason is what the API shows, and the placeholder below is never written back
  /// (only the step's own changes are). A former name (`was`) not yet moved in the store — a
  /// step that raced the reload — is its label already.
  static func addStoredLabel(_ name: String, to c: inout Conversation, ruleSet: RuleSet) {
    guard let label = ruleSet.label(named: name) ?? ruleSet.label(formerlyNamed: name) else {
      return
    }
    c.labels[label.id] = LabelProvenance(
      source: .manual(member: ""), at: Date(timeIntervalSince1970: 0), step: 0)
  }

  /// The `messages` row's `direction` and `author` of a transcript line's author (the
  /// inverse of `transcriptEntry`'s reading).
  static func storedAuthor(_ author: TranscriptAuthor) -> (direction: String, author: String) {
    switch author {
    case .customer: ("in", "customer")
    case .agent(let member): ("out", member)
    case .event(let name): ("event", name)
    }
  }

  /// A stored transcript line (a `messages` row) as the engine's entry.
  static func transcriptEntry(
    direction: String, author: String, type: String?, text: String, attachments: String?,
    at: Double
  ) -> TranscriptEntry {
    let who: TranscriptAuthor =
      switch direction {
      case "in": .customer
      case "event": .event(author)
      default: .agent(author)
      }
    var stored: [Attachment] = []
    if let attachments,
      let docs = try? JSONDecoder().decode([AttachmentRow].self, from: Data(attachments.utf8))
    {
      stored = docs.map { Attachment(url: $0.url, type: $0.type, size: $0.size) }
    }
    return TranscriptEntry(
      at: Date(timeIntervalSince1970: at), author: who,
      type: type.flatMap(MessageType.init(rawValue:)), text: text, attachments: stored)
  }

  /// The wire name of what a member did at the step (`take_over`, `reply` …), stored with its
  /// decision; nil for any other step and for an action the rules refused.
  static func memberAction(of step: Step, _ decision: Decision) -> String? {
    guard case .agent(_, let action) = step.kind, decision.refusal == nil else { return nil }
    return action.name
  }

  /// The trigger a stored name denotes in the current rules: a stable name (`TriggerNames`), or
  /// a positional one (`add|Label|1`) written before triggers had stable names.
  ///
  /// A positional name is read as the clause at that position of the CURRENT rules, once: the
  /// next step saves the stable name. A server is usually upgraded with the rules that wrote the
  /// state, and then the position is right; dropping the names instead would make every trigger
  /// that held fire again on the next message (a label removed by hand coming back, a routing
  /// rule sending the conversation again), which is worse than the rare shift when the rules
  /// were also reordered in the same restart (the old behaviour, at most once).
  static func trigger(named name: String, in engine: Engine) -> TriggerID? {
    if let trigger = engine.triggerNames.trigger(named: name) { return trigger }
    let ruleSet = engine.ruleSet
    let parts = name.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
    guard parts.count >= 3, let index = Int(parts[parts.count - 1]) else { return nil }
    let label = parts[1..<(parts.count - 1)].joined(separator: "|")
    switch parts[0] {
    case "route":
      return ruleSet.routing.rules.indices.contains(index) ? .route(index) : nil
    case "add":
      guard let l = ruleSet.label(named: label), l.addTriggers.indices.contains(index) else {
        return nil
      }
      return .add(l.id, index)
    case "remove":
      guard let l = ruleSet.label(named: label), l.removeTriggers.indices.contains(index) else {
        return nil
      }
      return .remove(l.id, index)
    default: return nil
    }
  }
}

enum StoreError: Error, CustomStringConvertible {
  case missingConversation(String)
  var description: String {
    switch self {
    case .missingConversation(let id): "no conversation \(id)"
    }
  }
}
