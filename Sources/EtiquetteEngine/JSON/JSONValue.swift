import EtiquetteSyntax
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

  /// Parses one JSON document (`parse(bytes:)`).
  public static func parse(_ text: String) throws -> JSONValue {
    var text = text
    return try text.withUTF8 { bytes in try parse(bytes: bytes) }
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
  /// `2026-11-24T10:00:00+01:00`, `…Z`, fractions of a second allowed (`InstantLiteral`).
  public static func parse(_ text: String) -> Date? { InstantLiteral.parse(text) }

  /// UTC with milliseconds: `2026-11-24T09:00:00.250Z` (where retries less than a second
  /// apart must stay distinct: webhook deliveries).
  public static func formatWithMilliseconds(_ date: Date) -> String {
    let milliseconds = (date.timeIntervalSince1970 * 1_000).rounded()
    guard milliseconds.isFinite, abs(milliseconds) < 1e18 else { return format(date) }
    var fraction = Int64(milliseconds) % 1_000
    if fraction < 0 { fraction += 1_000 }
    let digits = String(fraction)
    return String(format(date).dropLast()) + "." + String(repeating: "0", count: 3 - digits.count)
      + digits + "Z"
  }

  /// UTC, whole seconds: `2026-11-24T09:00:00Z`.
  ///
  /// Computed directly (days to civil date, H. Hinnant's algorithm) rather than with
  /// `ISO8601DateFormatter`: every transcript line of every webhook payload is formatted, and
  /// building a formatter (ICU underneath) per call dominated the cost of a payload.
  public static func format(_ date: Date) -> String {
    // As Foundation does: to the nearest millisecond first, then the whole second.
    let interval = ((date.timeIntervalSince1970 * 1_000).rounded() / 1_000).rounded(.down)
    // Beyond ±10^15 s (30 million years) a Date is no instant a conversation has.
    let seconds = Int64(max(-1e15, min(1e15, interval.isFinite ? interval : 0)))
    var days = seconds / 86_400
    var rest = seconds % 86_400
    if rest < 0 {
      rest += 86_400
      days -= 1
    }
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let shiftedMonth = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
    let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
    let yearText =
      year >= 0 && year < 10_000
      ? String(repeating: "0", count: 4 - "\(year)".count) + "\(year)" : "\(year)"
    return "\(yearText)-\(two(month))-\(two(day))T\(two(rest / 3_600)):\(two(rest % 3_600 / 60)):"
      + "\(two(rest % 60))Z"
  }
}
