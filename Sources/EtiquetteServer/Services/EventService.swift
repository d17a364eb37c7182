import EtiquetteChecker
import EtiquetteEngine
import Foundation

/// Integration events (`POST /v1/events`: a Calendly booking through Zapier, a CRM update):
/// checked against the rules' declaration, applied as an engine step on the contact's
/// conversation (created when new), once per idempotency key.
struct EventService: Sendable {
  let store: any InboxStore
  let rules: RuleHolder
  let hub: IntegrationHub
  let metrics: ServerMetrics

  struct EventAnswer: Codable {
    var conversation: String
    var decision: DecisionDocument
  }

  /// The answer's status and JSON body: the first answer again for a key seen with the same
  /// body, 422 for a key seen with another (a key reused for another event would otherwise
  /// drop that event behind a 200).
  func submit(_ body: [String: JSONValue], idempotencyKey: String?, bodySHA256: String)
    async throws -> (Int, String)
  {
    let loaded = rules.current
    let event = try Self.validateEvent(body, ruleSet: loaded.ruleSet)
    let attributes = try Self.validateAttributes(body, ruleSet: loaded.ruleSet)
    let contact = body["contact"]?.objectValue ?? [:]
    let submission = EventSubmission(
      idempotencyKey: idempotencyKey, bodySHA256: bodySHA256,
      contact: .init(
        phone: contact["phone"]?.stringValue, userID: contact["user_id"]?.stringValue,
        name: contact["name"]?.stringValue),
      event: event, attributes: attributes)
    let outcome = try await store.applyEvent(submission, rules: loaded, hub: hub) {
      conversation, document in
      JSONLine.encode(EventAnswer(conversation: conversation, decision: document))
    }
    metrics.recordDecision()
    switch outcome {
    case .keyReused:
      throw APIError.unprocessable(
        "idempotency_key_reused",
        "this Idempotency-Key was used with another body; use a new key for a new event")
    case .answered(let status, let body), .applied(let status, let body):
      return (status, body)
    }
  }

  /// The event as the engine takes it, or a 422 naming exactly what is wrong.
  static func validateEvent(_ body: [String: JSONValue], ruleSet: RuleSet) throws
    -> IntegrationEvent
  {
    let contact = body["contact"]?.objectValue
    guard contact?["phone"]?.stringValue != nil || contact?["user_id"]?.stringValue != nil else {
      throw APIError.unprocessable(
        "invalid_contact", "\"contact\" needs \"phone\" (with country code) or \"user_id\"")
    }
    guard let name = body["event"]?.stringValue else {
      throw APIError.unprocessable("invalid_body", "\"event\" must be the event's name")
    }
    guard let definition = ruleSet.event(named: name) else {
      let known = ruleSet.events.map { "\"\($0.name)\"" }.joined(separator: ", ")
      throw APIError.unprocessable(
        "unknown_event",
        "event \"\(name)\" is not declared in the rules"
          + (known.isEmpty ? "" : " (declared: \(known))"))
    }
    var fields: [String: FieldValue] = [:]
    let given: [String: JSONValue]
    switch body["fields"] {
    case nil, .null?: given = [:]
    case .object(let o)?: given = o
    default: throw APIError.unprocessable("invalid_body", "\"fields\" must be an object")
    }
    for key in given.keys.sorted() where definition.field(named: key) == nil {
      throw APIError.unprocessable(
        "unknown_field", "event \"\(name)\" has no field \"\(key)\"")
    }
    for field in definition.fields {
      guard let value = given[field.name] else {
        throw APIError.unprocessable(
          "missing_field", "field \"\(field.name)\" of event \"\(name)\" is missing")
      }
      guard matches(value, field.type) else {
        throw APIError.unprocessable(
          "wrong_field_type",
          "field \"\(field.name)\" of event \"\(name)\" must be \(field.type), got "
            + describe(value))
      }
      fields[field.name] = FieldValue(value)
    }
    return IntegrationEvent(name: name, fields: fields)
  }

  /// `contact.attributes`, checked against the rules' `contact { … }` declaration: a CRM can
  /// set `tier: "vip"` with the event that concerns the contact.
  static func validateAttributes(_ body: [String: JSONValue], ruleSet: RuleSet) throws
    -> [String: FieldValue]
  {
    guard let raw = body["contact"]?["attributes"], raw != .null else { return [:] }
    guard case .object(let given) = raw else {
      throw APIError.unprocessable("invalid_contact", "\"contact.attributes\" must be an object")
    }
    var attributes: [String: FieldValue] = [:]
    for key in given.keys.sorted() {
      guard let schema = ruleSet.contactAttribute(named: key), let value = given[key] else {
        throw APIError.unprocessable(
          "unknown_attribute", "contacts have no attribute \"\(key)\" in the rules")
      }
      guard matches(value, schema.type) else {
        throw APIError.unprocessable(
          "wrong_attribute_type",
          "attribute \"\(key)\" must be \(schema.type), got \(describe(value))")
      }
      attributes[key] = FieldValue(value)
    }
    return attributes
  }

  static func matches(_ value: JSONValue, _ type: AttributeType) -> Bool {
    switch (type, value) {
    case (.string, .string), (.number, .number), (.bool, .bool): true
    case (.oneOf(let allowed), .string(let s)): allowed.contains(s)
    default: false
    }
  }

  static func describe(_ value: JSONValue) -> String {
    switch value {
    case .string(let s): "the string \"\(s)\""
    case .number(let n): "the number \(FieldValue.number(n))"
    case .bool(let b): "\(b)"
    case .array: "an array"
    case .object: "an object"
    case .null: "null"
    }
  }
}
