import EtiquetteSyntax

/// The canonical spelling of leaves: strings, times, numbers, keys. Public so that tools writing
/// rule text (the REPL's `:save`) spell literals exactly as `etiquette fmt` does.
public enum CanonicalSpelling {
  /// `value` as a double-quoted literal: `"` `\` and the line-breaking controls get their short
  /// escapes, other control characters `\u{…}` (so no raw control byte ever reaches the file),
  /// and all other Unicode is written as is.
  public static func quoted(_ value: String) -> String {
    var result = "\""
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\t": result += "\\t"
      case "\r": result += "\\r"
      default:
        if scalar.properties.generalCategory == .control {
          result += "\\u{" + String(scalar.value, radix: 16) + "}"
        } else {
          result.unicodeScalars.append(scalar)
        }
      }
    }
    return result + "\""
  }

  static func quoted(_ literal: StringLiteral) -> String { quoted(literal.value) }

  /// `09:00`: hours and minutes zero-padded to two digits.
  static func time(_ time: TimeOfDay) -> String {
    twoDigits(time.hour) + ":" + twoDigits(time.minute)
  }

  private static func twoDigits(_ number: Int) -> String {
    (0...9).contains(number) ? "0\(number)" : "\(number)"
  }

  /// A number as the admin spelled it (`4.50` stays `4.50`); the value only for synthesised nodes.
  static func number(_ literal: NumberLiteral) -> String {
    if !literal.text.isEmpty { return literal.text }
    if literal.value.rounded() == literal.value, abs(literal.value) < 1e15 {
      return String(Int(literal.value))
    }
    return String(literal.value)
  }

  /// An object key: bare when it lexes as an identifier, else quoted (`"order-id": …`). Both
  /// spellings parse to the same key, so the bare one is canonical.
  static func key(_ key: Identifier) -> String {
    isIdentifier(key.name) ? key.name : quoted(key.name)
  }

  /// Whether `name` lexes as one IDENTIFIER token (mirrors the lexer): a letter or `_`, then
  /// letters, `_`, digits or combining marks (a decomposed "é" stays one identifier).
  static func isIdentifier(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic
    else { return false }
    return name.unicodeScalars.dropFirst().allSatisfy(isIdentifierContinue)
  }

  private static func isIdentifierContinue(_ scalar: Unicode.Scalar) -> Bool {
    if scalar == "_" || scalar.properties.isAlphabetic { return true }
    if scalar.isASCII { return ("0"..."9").contains(scalar) }
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .spacingMark, .decimalNumber: return true
    default: return false
    }
  }
}
