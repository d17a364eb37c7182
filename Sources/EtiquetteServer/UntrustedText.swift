import EtiquetteEngine

/// Text from the outside (webhook bodies, API requests) made safe for the store: SQLite's C
/// interface ends a string at its first NUL, so "wamid.a\0x" and "wamid.a\0y" would be stored
/// as one id (the second message skipped as a redelivery) and a text would be cut short. Every
/// NUL becomes U+FFFD, the replacement character, at the edge, before anything reads the JSON.
extension JSONValue {
  var replacingNUL: JSONValue {
    switch self {
    case .string(let text): .string(text.replacingNUL)
    case .array(let items): .array(items.map(\.replacingNUL))
    case .object(let fields):
      .object(
        Dictionary(
          fields.map { ($0.key.replacingNUL, $0.value.replacingNUL) },
          uniquingKeysWith: { first, _ in first }))
    case .number, .bool, .null: self
    }
  }
}

extension String {
  var replacingNUL: String {
    guard utf8.contains(0) else { return self }
    return String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\u{0}" ? "\u{FFFD}" : $0 }))
  }
}
