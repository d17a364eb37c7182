import Foundation

/// Any JSON value, decoded strictly (a number is never taken for a boolean).
public enum JSONValue: Sendable, Hashable, Codable {
  case string(String)
  case number(Double)
  case bool(Bool)
  case array([JSONValue])
  case object([String: JSONValue])
  case null

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .string(let s): try container.encode(s)
    case .number(let n):
      // Whole numbers print without ".0", as people write them.
      if n == n.rounded(), abs(n) < 1e15 {
        try container.encode(Int(n))
      } else {
        try container.encode(n)
      }
    case .bool(let b): try container.encode(b)
    case .array(let a): try container.encode(a)
    case .object(let o): try container.encode(o)
    case .null: try container.encodeNil()
    }
  }

  /// Parses one JSON document.
  public static func parse(_ text: String) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
  }

  var string: String? { if case .string(let s) = self { s } else { nil } }
  var object: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
}

extension FieldValue {
  /// A JSON value as a field value; nested objects have no rule-language meaning and become
  /// `null`, which no comparison matches.
  public init(_ json: JSONValue) {
    switch json {
    case .string(let s): self = .string(s)
    case .number(let n): self = .number(n)
    case .bool(let b): self = .bool(b)
    case .array(let items): self = .list(items.map(FieldValue.init))
    case .object, .null: self = .null
    }
  }

  public var json: JSONValue {
    switch self {
    case .string(let s): .string(s)
    case .number(let n): .number(n)
    case .bool(let b): .bool(b)
    case .list(let items): .array(items.map(\.json))
    case .null: .null
    }
  }
}

/// ISO-8601 instants as Etiquette reads and writes them.
public enum Instant {
  /// `2026-11-24T10:00:00+01:00`, `…Z`, fractions of a second allowed.
  public static func parse(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text)
  }

  /// UTC, whole seconds: `2026-11-24T09:00:00Z`.
  public static func format(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
  }
}
