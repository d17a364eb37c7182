import EtiquetteChecker
import EtiquetteSyntax
import Foundation

/// One line of `etiquette run` input: a step for a named conversation.
///
/// ```
/// {"conversation": "c1", "type": "text", "text": "…", "contact": {…}, "at": "ISO-8601"}
/// {"conversation": "c1", "event": "name", "fields": {…}}
/// {"conversation": "c1", "agent": "m@x.fr", "action": "take_over"}
/// {"conversation": "c1", "ai_reply": "…", "version": 3}
/// ```
public struct StepLine: Sendable, Hashable {
  public var conversation: String
  public var kind: Step.Kind
  /// Nil when the line has no `at`: the caller uses the conversation's previous time.
  public var at: Date?
  public var contact: ContactUpdate?

  /// Decodes a line against the rule set (label names of agent actions are resolved); the
  /// error is a sentence for the user.
  public static func decode(_ line: String, ruleSet: RuleSet) -> Result<StepLine, StepLineError> {
    let json: JSONValue
    do {
      json = try JSONValue.parse(line)
    } catch {
      return .failure(StepLineError("not valid JSON"))
    }
    guard let object = json.object else {
      return .failure(StepLineError("a step must be a JSON object"))
    }
    do {
      return .success(try decode(object, ruleSet: ruleSet))
    } catch {
      return .failure(error)
    }
  }

  private static func decode(_ o: [String: JSONValue], ruleSet: RuleSet) throws(StepLineError)
    -> StepLine
  {
    guard let conversation = o["conversation"]?.string, !conversation.isEmpty else {
      throw StepLineError("missing \"conversation\" (a non-empty string)")
    }
    var at: Date?
    if let value = o["at"], value != .null {
      guard let text = value.string, let date = Instant.parse(text) else {
        throw StepLineError("\"at\" must be an ISO-8601 instant such as 2026-11-24T10:00:00+01:00")
      }
      at = date
    }
    let contact = try contactUpdate(o["contact"])
    let kind: Step.Kind
    if let agent = o["agent"] {
      kind = try agentStep(agent, o, ruleSet: ruleSet)
    } else if let event = o["event"] {
      guard let name = event.string, !name.isEmpty else {
        throw StepLineError("\"event\" must be the event's name")
      }
      var fields: [String: FieldValue] = [:]
      if let raw = o["fields"], raw != .null {
        guard let object = raw.object else { throw StepLineError("\"fields\" must be an object") }
        fields = object.mapValues(FieldValue.init)
      }
      kind = .event(IntegrationEvent(name: name, fields: fields))
    } else if let reply = o["ai_reply"] {
      guard let text = reply.string, !text.isEmpty else {
        throw StepLineError("\"ai_reply\" must be the reply's text")
      }
      guard case .number(let number)? = o["version"], number >= 0, number == number.rounded(),
        number < 1e15
      else {
        throw StepLineError(
          "an AI reply needs \"version\": the conversation version its decision was made for")
      }
      kind = .aiReply(text: text, version: Int(number))
    } else if o["tick"] != nil {
      kind = .tick
    } else if o["type"] != nil || o["text"] != nil || o["caption"] != nil
      || o["filename"] != nil
    {
      kind = .message(try message(o))
    } else {
      throw StepLineError(
        "a step needs \"text\" or \"type\" (a message), \"event\", \"agent\", \"ai_reply\" "
          + "or \"tick\"")
    }
    return StepLine(conversation: conversation, kind: kind, at: at, contact: contact)
  }

  private static func optionalString(_ o: [String: JSONValue], _ key: String)
    throws(StepLineError) -> String?
  {
    guard let value = o[key], value != .null else { return nil }
    guard let text = value.string else { throw StepLineError("\"\(key)\" must be a string") }
    return text
  }

  private static func message(_ o: [String: JSONValue]) throws(StepLineError) -> CustomerMessage {
    var type = MessageType.text
    if let name = try optionalString(o, "type") {
      guard let known = MessageType(rawValue: name) else {
        let names = MessageType.allCases.map(\.rawValue).joined(separator: ", ")
        throw StepLineError("unknown message type \"\(name)\" (one of \(names))")
      }
      type = known
    }
    var attachments: [Attachment] = []
    if let raw = o["attachments"], raw != .null {
      guard case .array(let items) = raw else {
        throw StepLineError("\"attachments\" must be an array")
      }
      for item in items {
        guard let a = item.object, let url = a["url"]?.string else {
          throw StepLineError("each attachment needs a \"url\"")
        }
        var size: Int?
        if case .number(let n)? = a["size"], n >= 0, n < 1e15 { size = Int(n) }
        attachments.append(Attachment(url: url, type: a["type"]?.string, size: size))
      }
    }
    return CustomerMessage(
      type: type, text: try optionalString(o, "text"), caption: try optionalString(o, "caption"),
      filename: try optionalString(o, "filename"), attachments: attachments)
  }

  private static func agentStep(
    _ agent: JSONValue, _ o: [String: JSONValue], ruleSet: RuleSet
  ) throws(StepLineError) -> Step.Kind {
    guard let member = agent.string, !member.isEmpty else {
      throw StepLineError("\"agent\" must be the member's email")
    }
    guard let name = try optionalString(o, "action") else {
      throw StepLineError(
        "missing \"action\" (take_over, transfer_to_ai, keep_human_and_leave, add_label, "
          + "remove_label, reply or note)")
    }
    func label() throws(StepLineError) -> LabelID {
      guard let labelName = try optionalString(o, "label") else {
        throw StepLineError("\"\(name)\" needs \"label\"")
      }
      guard let definition = ruleSet.label(named: labelName) else {
        throw StepLineError("unknown label \"\(labelName)\"")
      }
      return definition.id
    }
    func text() throws(StepLineError) -> String {
      guard let text = try optionalString(o, "text") else {
        throw StepLineError("\"\(name)\" needs \"text\"")
      }
      return text
    }
    let action: Step.AgentAction
    switch name {
    case "take_over": action = .takeOver
    case "transfer_to_ai": action = .transferToAI
    case "keep_human_and_leave": action = .keepHumanAndLeave
    case "add_label": action = .addLabel(try label())
    case "remove_label": action = .removeLabel(try label())
    case "reply": action = .reply(try text())
    case "note": action = .note(try text())
    default:
      throw StepLineError(
        "unknown action \"\(name)\" (take_over, transfer_to_ai, keep_human_and_leave, "
          + "add_label, remove_label, reply or note)")
    }
    return .agent(member: member, action: action)
  }

  private static func contactUpdate(_ value: JSONValue?) throws(StepLineError) -> ContactUpdate? {
    guard let value, value != .null else { return nil }
    guard let o = value.object else { throw StepLineError("\"contact\" must be an object") }
    var update = ContactUpdate()
    update.id = try optionalString(o, "id")
    update.phone = try optionalString(o, "phone")
    update.name = try optionalString(o, "name")
    for (key, field) in o where !["id", "phone", "name", "attributes"].contains(key) {
      update.attributes[key] = FieldValue(field)
    }
    if let nested = o["attributes"], nested != .null {
      guard let attributes = nested.object else {
        throw StepLineError("\"contact.attributes\" must be an object")
      }
      for (key, field) in attributes { update.attributes[key] = FieldValue(field) }
    }
    return update
  }
}

/// Why a step line was rejected.
public struct StepLineError: Error, Sendable, Hashable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
