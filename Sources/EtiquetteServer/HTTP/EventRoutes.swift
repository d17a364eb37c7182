import Crypto
import EtiquetteChecker
import EtiquetteEngine
import Foundation
import Hummingbird

extension InboxServer {
  /// `POST /v1/events`: `{"contact": {"phone" | "user_id", "name"?}, "event": NAME,
  /// "fields": {…}}` with an integration key. The event and its fields are checked against the
  /// rules' declaration; an `Idempotency-Key` seen before returns the first answer unchanged
  /// when the body is the same, and 422 when it is not (a key reused for another event would
  /// otherwise drop that event behind a 200). An empty key is no key.
  func receiveEvent(_ request: Request) async throws -> Response {
    guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
      case let key = String(header.dropFirst("Bearer ".count)),
      configuration.integrationKeys.contains(where: { Self.constantTimeEqual($0, key) })
    else { throw APIError.unauthorized("a valid integration key is required") }
    let idempotencyKey = request.headers.first {
      $0.name.canonicalName == "idempotency-key"
    }.map { $0.value.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
    let bytes = Array(try await request.body.collect(upTo: 1024 * 1024).readableBytesView)
    let bodyHash = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    let body = try Self.jsonObject(bytes)
    let loaded = rules.current
    let event = try Self.validateEvent(body, ruleSet: loaded.ruleSet)
    let attributes = try Self.validateAttributes(body, ruleSet: loaded.ruleSet)
    let contact = body["contact"]?.objectValue ?? [:]
    let submission = EventSubmission(
      idempotencyKey: idempotencyKey, bodySHA256: bodyHash,
      contact: .init(
        phone: contact["phone"]?.stringValue, userID: contact["user_id"]?.stringValue,
        name: contact["name"]?.stringValue),
      event: event, attributes: attributes)
    let outcome = try await store.applyEvent(submission, rules: loaded, hub: hub) {
      conversation, document in
      JSONLine.encode(EventAnswer(conversation: conversation, decision: document))
    }
    let (status, text): (Int, String)
    switch outcome {
    case .keyReused:
      throw APIError.unprocessable(
        "idempotency_key_reused",
        "this Idempotency-Key was used with another body; use a new key for a new event")
    case .answered(let s, let body): (status, text) = (s, body)
    case .applied(let s, let body):
      (status, text) = (s, body)
    }
    metrics.recordDecision()
    return JSONResponse.text(
      text, status: HTTPResponse.Status(code: status), contentType: "application/json")
  }

  struct EventAnswer: Codable {
    var conversation: String
    var decision: DecisionDocument
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
