import EtiquetteDiagnostics

/// The tokens, comments and lexical diagnostics of one file.
public struct LexedFile: Sendable {
  /// Every token in source order, always ending with one `.endOfFile` token.
  public var tokens: [Token]
  /// Every `#` comment in source order.
  public var comments: [Comment]
  public var diagnostics: [Diagnostic]
}

/// Splits the raw bytes of a `SourceFile` into tokens.
///
/// The lexer never stops at a problem: it reports it and goes on, producing the token the admin
/// most likely meant (an unterminated string still becomes a string token) so the parser does not
/// report a second error for the same mistake.
public enum Lexer {
  public static func tokenize(_ file: SourceFile) -> LexedFile {
    var scanner = Scanner(file: file)
    scanner.run()
    return LexedFile(
      tokens: scanner.tokens, comments: scanner.comments, diagnostics: scanner.diagnostics)
  }
}

/// Decodes one UTF-8 scalar at `index`; nil when the bytes there are not valid UTF-8.
func decodeScalar(_ bytes: [UInt8], at index: Int) -> (scalar: Unicode.Scalar, length: Int)? {
  let b0 = bytes[index]
  if b0 < 0x80 { return (Unicode.Scalar(b0), 1) }
  func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> UInt32? {
    let i = index + offset
    guard i < bytes.count, range.contains(bytes[i]) else { return nil }
    return UInt32(bytes[i] & 0x3F)
  }
  let value: UInt32
  let length: Int
  switch b0 {
  case 0xC2...0xDF:
    guard let c1 = continuation(1) else { return nil }
    value = (UInt32(b0 & 0x1F) << 6) | c1
    length = 2
  case 0xE0...0xEF:
    let first: ClosedRange<UInt8> =
      b0 == 0xE0 ? 0xA0...0xBF : b0 == 0xED ? 0x80...0x9F : 0x80...0xBF
    guard let c1 = continuation(1, first), let c2 = continuation(2) else { return nil }
    value = (UInt32(b0 & 0x0F) << 12) | (c1 << 6) | c2
    length = 3
  case 0xF0...0xF4:
    let first: ClosedRange<UInt8> =
      b0 == 0xF0 ? 0x90...0xBF : b0 == 0xF4 ? 0x80...0x8F : 0x80...0xBF
    guard let c1 = continuation(1, first), let c2 = continuation(2), let c3 = continuation(3)
    else { return nil }
    value = (UInt32(b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3
    length = 4
  default:
    return nil
  }
  guard let scalar = Unicode.Scalar(value) else { return nil }
  return (scalar, length)
}

private enum ASCII {
  static let newline = UInt8(ascii: "\n")
  static let carriageReturn = UInt8(ascii: "\r")
  static let space = UInt8(ascii: " ")
  static let tab = UInt8(ascii: "\t")
  static let quote = UInt8(ascii: "\"")
  static let backslash = UInt8(ascii: "\\")
  static let slash = UInt8(ascii: "/")
  static let hash = UInt8(ascii: "#")
  static let colon = UInt8(ascii: ":")
  static let dot = UInt8(ascii: ".")
  static let underscore = UInt8(ascii: "_")

  static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
  static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
  static func isHexDigit(_ b: UInt8) -> Bool {
    isDigit(b) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66)
  }
}

private struct Scanner {
  let file: SourceFile
  let bytes: [UInt8]
  var index = 0
  var tokens: [Token] = []
  var comments: [Comment] = []
  var diagnostics: [Diagnostic] = []
  /// True until a token is produced on the current line.
  var lineHasNoToken = true

  init(file: SourceFile) {
    self.file = file
    self.bytes = file.bytes
  }

  func span(_ start: Int, _ end: Int) -> SourceSpan {
    SourceSpan(file: file.id, start: start, end: end)
  }

  func text(_ start: Int, _ end: Int) -> String {
    String(decoding: bytes[start..<end], as: UTF8.self)
  }

  mutating func emit(_ kind: Token.Kind, _ start: Int, _ end: Int, value: Token.Value = .none) {
    tokens.append(
      Token(
        kind: kind, span: span(start, end), text: text(start, end),
        isFirstOnLine: lineHasNoToken, value: value))
    lineHasNoToken = false
  }

  mutating func run() {
    // A byte order mark is harmless but invisible; skip it and say so.
    if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
      diagnostics.append(SyntaxCatalogue.byteOrderMark(at: span(0, 3)))
      index = 3
    }
    while index < bytes.count {
      let b = bytes[index]
      switch b {
      case ASCII.newline:
        lineHasNoToken = true
        index += 1
      case ASCII.space, ASCII.tab, ASCII.carriageReturn:
        index += 1
      case ASCII.hash: lexComment()
      case ASCII.quote: lexString()
      case ASCII.slash: lexRegex()
      case _ where ASCII.isDigit(b): lexNumberOrTime()
      case _ where ASCII.isLetter(b) || b == ASCII.underscore: lexIdentifier()
      case _ where b >= 0x80: lexNonASCII()
      default: lexPunctuation()
      }
    }
    tokens.append(
      Token(
        kind: .endOfFile, span: span(bytes.count, bytes.count), text: "",
        isFirstOnLine: lineHasNoToken))
  }

  // MARK: Comments

  mutating func lexComment() {
    let start = index
    while index < bytes.count, bytes[index] != ASCII.newline {
      if bytes[index] >= 0x80 {
        consumeScalar()
      } else {
        index += 1
      }
    }
    var end = index
    if end > start, bytes[end - 1] == ASCII.carriageReturn { end -= 1 }
    comments.append(
      Comment(text: text(start, end), span: span(start, end), isOnOwnLine: lineHasNoToken))
  }

  /// Steps over the scalar at `index` (a non-ASCII byte), reporting invalid UTF-8.
  @discardableResult
  mutating func consumeScalar() -> Unicode.Scalar? {
    if let (scalar, length) = decodeScalar(bytes, at: index) {
      index += length
      return scalar
    }
    // One report per run of invalid bytes: a binary file would otherwise give one per byte.
    let start = index
    index += 1
    while index < bytes.count, bytes[index] >= 0x80, decodeScalar(bytes, at: index) == nil {
      index += 1
    }
    diagnostics.append(SyntaxCatalogue.invalidUTF8(byte: bytes[start], at: span(start, index)))
    return nil
  }

  // MARK: Identifiers

  static func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "_" || scalar.properties.isAlphabetic
  }

  static func isIdentifierContinue(_ scalar: Unicode.Scalar) -> Bool {
    if scalar == "_" || scalar.properties.isAlphabetic { return true }
    if scalar.isASCII { return ASCII.isDigit(UInt8(scalar.value)) }
    // Combining accents keep a decomposed "é" (e + U+0301) inside one identifier.
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .spacingMark, .decimalNumber: return true
    default: return false
    }
  }

  mutating func lexIdentifier() {
    let start = index
    scanIdentifierTail()
    emit(.identifier, start, index)
  }

  mutating func scanIdentifierTail() {
    while index < bytes.count {
      let b = bytes[index]
      if b < 0x80 {
        guard ASCII.isLetter(b) || ASCII.isDigit(b) || b == ASCII.underscore else { return }
        index += 1
      } else {
        guard let (scalar, length) = decodeScalar(bytes, at: index),
          Self.isIdentifierContinue(scalar)
        else { return }
        index += length
      }
    }
  }

  mutating func lexNonASCII() {
    let start = index
    guard let scalar = consumeScalar() else { return }
    if Self.isIdentifierStart(scalar) {
      scanIdentifierTail()
      emit(.identifier, start, index)
      return
    }
    diagnostics.append(
      SyntaxCatalogue.unexpectedCharacter(String(scalar), at: span(start, index)))
  }

  // MARK: Numbers and times

  mutating func lexNumberOrTime() {
    let start = index
    while index < bytes.count, ASCII.isDigit(bytes[index]) { index += 1 }
    let integerEnd = index
    if index < bytes.count, bytes[index] == ASCII.colon {
      lexTime(start: start, hourEnd: integerEnd)
      return
    }
    if index + 1 < bytes.count, bytes[index] == ASCII.dot, ASCII.isDigit(bytes[index + 1]) {
      index += 1
      while index < bytes.count, ASCII.isDigit(bytes[index]) { index += 1 }
    }
    let numberEnd = index
    // `18h` or `3rd`: letters glued to a number are one mistake, reported once.
    if index < bytes.count, ASCII.isLetter(bytes[index]) || bytes[index] == ASCII.underscore {
      scanIdentifierTail()
      diagnostics.append(
        SyntaxCatalogue.invalidNumber(text(start, index), at: span(start, index)))
    }
    let value = Double(text(start, numberEnd)) ?? 0
    emit(.number, start, index, value: .number(value))
  }

  mutating func lexTime(start: Int, hourEnd: Int) {
    index += 1  // ':'
    let minuteStart = index
    while index < bytes.count, ASCII.isDigit(bytes[index]) { index += 1 }
    let hourDigits = hourEnd - start
    let minuteDigits = index - minuteStart
    let hour = Int(text(start, hourEnd)) ?? 0
    let minute = Int(text(minuteStart, index)) ?? 0
    if !(1...2).contains(hourDigits) || minuteDigits != 2 {
      diagnostics.append(
        SyntaxCatalogue.invalidTime(text(start, index), at: span(start, index)))
    }
    emit(.time, start, index, value: .time(hour: hour, minute: minute))
  }

  // MARK: Strings

  mutating func lexString() {
    let start = index
    index += 1
    var value: [UInt8] = []
    while true {
      guard index < bytes.count, bytes[index] != ASCII.newline else {
        // INVARIANT: a string never spans lines, so one missing quote costs one line, not the
        // rest of the file.
        var end = index
        if end > start + 1, bytes[end - 1] == ASCII.carriageReturn {
          end -= 1
          if value.last == ASCII.carriageReturn { value.removeLast() }
        }
        diagnostics.append(
          SyntaxCatalogue.unterminatedString(
            opening: span(start, start + 1), line: span(start, end)))
        // `label "Support {`: the quote was forgotten before the block's brace. Give the brace
        // back so the block still parses.
        var brace = end
        while brace > start + 1, bytes[brace - 1] == ASCII.space || bytes[brace - 1] == ASCII.tab {
          brace -= 1
        }
        if brace > start + 2, bytes[brace - 1] == UInt8(ascii: "{"),
          bytes[brace - 2] != ASCII.backslash
        {
          brace -= 1
          value.removeLast(min(value.count, end - brace))
          var stringEnd = brace
          while stringEnd > start + 1,
            bytes[stringEnd - 1] == ASCII.space || bytes[stringEnd - 1] == ASCII.tab
          {
            stringEnd -= 1
            if value.last == ASCII.space || value.last == ASCII.tab { value.removeLast() }
          }
          emit(.string, start, stringEnd, value: .string(String(decoding: value, as: UTF8.self)))
          emit(.leftBrace, brace, brace + 1)
          return
        }
        emit(.string, start, end, value: .string(String(decoding: value, as: UTF8.self)))
        return
      }
      let b = bytes[index]
      if b == ASCII.quote {
        index += 1
        emit(.string, start, index, value: .string(String(decoding: value, as: UTF8.self)))
        return
      }
      if b == ASCII.backslash {
        lexEscape(into: &value)
        continue
      }
      if b >= 0x80 {
        let scalarStart = index
        if consumeScalar() != nil {
          value.append(contentsOf: bytes[scalarStart..<index])
        } else {
          value.append(contentsOf: [0xEF, 0xBF, 0xBD])  // U+FFFD
        }
        continue
      }
      if b < 0x20 && b != ASCII.tab && b != ASCII.carriageReturn || b == 0x7F {
        diagnostics.append(SyntaxCatalogue.controlCharacter(b, at: span(index, index + 1)))
      }
      value.append(b)
      index += 1
    }
  }

  mutating func lexEscape(into value: inout [UInt8]) {
    let start = index
    index += 1
    guard index < bytes.count, bytes[index] != ASCII.newline else {
      diagnostics.append(SyntaxCatalogue.unknownEscape("\\", at: span(start, index)))
      return
    }
    let b = bytes[index]
    switch b {
    case ASCII.quote, ASCII.backslash:
      value.append(b)
      index += 1
    case UInt8(ascii: "n"):
      value.append(ASCII.newline)
      index += 1
    case UInt8(ascii: "t"):
      value.append(ASCII.tab)
      index += 1
    case UInt8(ascii: "r"):
      value.append(ASCII.carriageReturn)
      index += 1
    case UInt8(ascii: "u"):
      lexUnicodeEscape(start: start, into: &value)
    default:
      var end = index + 1
      if b >= 0x80, let (_, length) = decodeScalar(bytes, at: index) { end = index + length }
      if b >= 0x80, decodeScalar(bytes, at: index) == nil {
        // Leave the invalid byte to the string loop, which reports it as invalid UTF-8.
        diagnostics.append(SyntaxCatalogue.unknownEscape("\\", at: span(start, index)))
        return
      }
      diagnostics.append(SyntaxCatalogue.unknownEscape(text(start, end), at: span(start, end)))
      index = end
    }
  }

  /// `\u{1F600}`: one to six hex digits naming a Unicode scalar (not a surrogate).
  mutating func lexUnicodeEscape(start: Int, into value: inout [UInt8]) {
    index += 1  // 'u'
    guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else {
      diagnostics.append(
        SyntaxCatalogue.invalidUnicodeEscape(
          text(start, index), reason: .missingBrace, at: span(start, index)))
      return
    }
    index += 1
    let digitsStart = index
    while index < bytes.count, ASCII.isHexDigit(bytes[index]) { index += 1 }
    let digits = text(digitsStart, index)
    guard index < bytes.count, bytes[index] == UInt8(ascii: "}") else {
      diagnostics.append(
        SyntaxCatalogue.invalidUnicodeEscape(
          text(start, index), reason: .unclosed, at: span(start, index)))
      return
    }
    index += 1
    let escapeSpan = span(start, index)
    guard !digits.isEmpty else {
      diagnostics.append(
        SyntaxCatalogue.invalidUnicodeEscape(text(start, index), reason: .empty, at: escapeSpan))
      return
    }
    guard digits.count <= 6, let number = UInt32(digits, radix: 16),
      let scalar = Unicode.Scalar(number)
    else {
      diagnostics.append(
        SyntaxCatalogue.invalidUnicodeEscape(
          text(start, index), reason: .notAScalar, at: escapeSpan))
      return
    }
    value.append(contentsOf: Array(String(Character(scalar)).utf8))
  }

  // MARK: Regexes

  mutating func lexRegex() {
    let start = index
    index += 1
    var inClass = false
    var classStart = 0
    while true {
      guard index < bytes.count, bytes[index] != ASCII.newline else {
        var end = index
        if end > start + 1, bytes[end - 1] == ASCII.carriageReturn { end -= 1 }
        diagnostics.append(
          SyntaxCatalogue.unterminatedRegex(opening: span(start, start + 1), line: span(start, end))
        )
        emit(
          .regex, start, end,
          value: .regex(
            pattern: text(start + 1, end), flags: "", patternSpan: span(start + 1, end),
            flagsSpan: span(end, end)))
        return
      }
      let b = bytes[index]
      if b == ASCII.backslash {
        index += 1
        // The escaped character is part of the pattern, except a line break, which ends it.
        if index < bytes.count, bytes[index] != ASCII.newline {
          if bytes[index] >= 0x80 { consumeScalar() } else { index += 1 }
        }
        continue
      }
      if b >= 0x80 {
        consumeScalar()
        continue
      }
      if inClass {
        // `]` directly after `[` or `[^` is a literal bracket in PCRE2, not the end of the class.
        let isLeading =
          index == classStart || (index == classStart + 1 && bytes[classStart] == 0x5E)
        if b == UInt8(ascii: "]") && !isLeading { inClass = false }
      } else if b == UInt8(ascii: "[") {
        inClass = true
        classStart = index + 1
      } else if b == ASCII.slash {
        break
      }
      index += 1
    }
    let patternEnd = index
    index += 1  // closing '/'
    let flagsStart = index
    while index < bytes.count {
      if ASCII.isLetter(bytes[index]) {
        index += 1
      } else if bytes[index] >= 0x80, let (scalar, length) = decodeScalar(bytes, at: index),
        scalar.properties.isAlphabetic
      {
        index += length
      } else {
        break
      }
    }
    emit(
      .regex, start, index,
      value: .regex(
        pattern: text(start + 1, patternEnd), flags: text(flagsStart, index),
        patternSpan: span(start + 1, patternEnd), flagsSpan: span(flagsStart, index)))
  }

  // MARK: Punctuation

  mutating func lexPunctuation() {
    let start = index
    let b = bytes[index]
    let next: UInt8? = index + 1 < bytes.count ? bytes[index + 1] : nil
    func single(_ kind: Token.Kind) -> (Token.Kind, Int) { (kind, 1) }
    let result: (Token.Kind, Int)?
    switch b {
    case UInt8(ascii: "{"): result = single(.leftBrace)
    case UInt8(ascii: "}"): result = single(.rightBrace)
    case UInt8(ascii: "["): result = single(.leftBracket)
    case UInt8(ascii: "]"): result = single(.rightBracket)
    case UInt8(ascii: "("): result = single(.leftParen)
    case UInt8(ascii: ")"): result = single(.rightParen)
    case UInt8(ascii: ","): result = single(.comma)
    case UInt8(ascii: ":"): result = single(.colon)
    case UInt8(ascii: "."): result = single(.dot)
    case UInt8(ascii: "|"): result = single(.pipe)
    case UInt8(ascii: "-"): result = next == UInt8(ascii: ">") ? (.arrow, 2) : single(.minus)
    case UInt8(ascii: "<"): result = next == UInt8(ascii: "=") ? (.lessEqual, 2) : single(.less)
    case UInt8(ascii: ">"):
      result = next == UInt8(ascii: "=") ? (.greaterEqual, 2) : single(.greater)
    case UInt8(ascii: "="):
      if next == UInt8(ascii: "=") {
        result = (.equalEqual, 2)
      } else if next != UInt8(ascii: ">") && tokens.last?.kind == .string {
        // `"rdv" = "rendez-vous"` in a `synonyms` block: no comparison has a string on its
        // left, so a lone `=` there is the synonym's, not a mistyped `==`.
        result = single(.equal)
      } else if next == UInt8(ascii: ">") {
        // `=>` for `->`: report it, then carry on as if the arrow were right.
        diagnostics.append(SyntaxCatalogue.fatArrow(at: span(index, index + 2)))
        result = (.arrow, 2)
      } else {
        // A lone `=` for `==`: same recovery.
        diagnostics.append(SyntaxCatalogue.singleEquals(at: span(index, index + 1)))
        result = (.equalEqual, 1)
      }
    case UInt8(ascii: "!"):
      result = next == UInt8(ascii: "=") ? (.notEqual, 2) : nil
    default: result = nil
    }
    guard let (kind, length) = result else {
      index += 1
      diagnostics.append(
        SyntaxCatalogue.unexpectedCharacter(text(start, index), at: span(start, index)))
      return
    }
    index += length
    emit(kind, start, index)
  }
}
