import EtiquetteDiagnostics

/// One lexical token of a `.etq` file.
///
/// Keywords are contextual, so they arrive as `.identifier` tokens and the parser compares their
/// `text`. Literal tokens carry their decoded value in `value`.
public struct Token: Sendable, Hashable {
  /// What kind of token this is; punctuation kinds are named after their spelling.
  public enum Kind: Sendable, Hashable, CaseIterable {
    case identifier
    case string
    case regex
    case number
    case time
    case leftBrace  // {
    case rightBrace  // }
    case leftBracket  // [
    case rightBracket  // ]
    case leftParen  // (
    case rightParen  // )
    case comma  // ,
    case colon  // :
    case dot  // .
    case pipe  // |
    case minus  // -
    case arrow  // ->
    case equalEqual  // ==
    case equal  // = (between the two strings of a synonym)
    case notEqual  // !=
    case less  // <
    case lessEqual  // <=
    case greater  // >
    case greaterEqual  // >=
    case endOfFile

    /// The fixed spelling of a punctuation token, nil for tokens whose text varies.
    public var spelling: String? {
      switch self {
      case .identifier, .string, .regex, .number, .time, .endOfFile: nil
      case .leftBrace: "{"
      case .rightBrace: "}"
      case .leftBracket: "["
      case .rightBracket: "]"
      case .leftParen: "("
      case .rightParen: ")"
      case .comma: ","
      case .colon: ":"
      case .dot: "."
      case .pipe: "|"
      case .minus: "-"
      case .arrow: "->"
      case .equalEqual: "=="
      case .equal: "="
      case .notEqual: "!="
      case .less: "<"
      case .lessEqual: "<="
      case .greater: ">"
      case .greaterEqual: ">="
      }
    }
  }

  /// The decoded value of a literal token.
  public enum Value: Sendable, Hashable {
    case none
    /// A string with its escapes decoded.
    case string(String)
    /// A regex literal: the raw pattern and flags with their exact byte spans.
    case regex(pattern: String, flags: String, patternSpan: SourceSpan, flagsSpan: SourceSpan)
    case number(Double)
    case time(hour: Int, minute: Int)
  }

  public var kind: Kind
  public var span: SourceSpan
  /// The source text of the token (invalid UTF-8 replaced by U+FFFD).
  public var text: String
  /// True when no other token precedes this one on its line (comments do not count). The parser
  /// uses it to resynchronise at the start of the next clause after an error.
  public var isFirstOnLine: Bool
  public var value: Value

  public init(kind: Kind, span: SourceSpan, text: String, isFirstOnLine: Bool, value: Value = .none)
  {
    self.kind = kind
    self.span = span
    self.text = text
    self.isFirstOnLine = isFirstOnLine
    self.value = value
  }

  /// True for an identifier spelled `keyword` (keywords are contextual).
  public func isKeyword(_ keyword: String) -> Bool {
    kind == .identifier && text == keyword
  }

  /// The decoded string of a `.string` token, nil otherwise.
  public var stringValue: String? {
    if case .string(let s) = value { return s }
    return nil
  }

  /// How a message names this token: `identifier "Support"`, `string "abc"`, `"{"`,
  /// `end of file`. Long texts are shortened so a message stays on one line.
  public var friendlyDescription: String {
    switch kind {
    case .identifier: "identifier \(Self.quoted(text))"
    case .string: "string \(Self.quoted(stringValue ?? text))"
    case .regex: "regex \(Self.shortened(text))"
    case .number: "number \(Self.shortened(text))"
    case .time: "time \(text)"
    case .endOfFile: "end of file"
    default: "\"\(kind.spelling ?? text)\""
    }
  }

  static func shortened(_ text: String, limit: Int = 40) -> String {
    text.count <= limit ? text : String(text.prefix(limit)) + "…"
  }

  static func quoted(_ text: String) -> String {
    "\"\(shortened(text))\""
  }
}
