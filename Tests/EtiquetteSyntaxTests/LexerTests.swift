import EtiquetteDiagnostics
import EtiquetteSyntax
import Testing

func lex(_ text: String) -> LexedFile {
  Lexer.tokenize(SourceFile(id: SourceFileID(0), path: "lex.etq", text: text))
}

/// Kinds and texts of all tokens but the final end of file.
func kindsAndTexts(_ text: String) -> [String] {
  lex(text).tokens.dropLast().map { "\($0.kind):\($0.text)" }
}

@Suite struct LexerTests {
  @Test(arguments: [
    ("label", ["identifier:label"]),
    ("Étiquette_2 x", ["identifier:Étiquette_2", "identifier:x"]),
    ("_a", ["identifier:_a"]),
    (
      "{ } [ ] ( ) , : . |",
      [
        "leftBrace:{", "rightBrace:}", "leftBracket:[", "rightBracket:]", "leftParen:(",
        "rightParen:)", "comma:,", "colon::", "dot:.", "pipe:|",
      ]
    ),
    (
      "- -> == != < <= > >=",
      [
        "minus:-", "arrow:->", "equalEqual:==", "notEqual:!=", "less:<", "lessEqual:<=",
        "greater:>", "greaterEqual:>=",
      ]
    ),
    ("mon-fri", ["identifier:mon", "minus:-", "identifier:fri"]),
    ("09:00-18:00", ["time:09:00", "minus:-", "time:18:00"]),
    ("9:30", ["time:9:30"]),
    ("18 4.5", ["number:18", "number:4.5"]),
    ("1.", ["number:1", "dot:."]),
    ("contact.tier", ["identifier:contact", "dot:.", "identifier:tier"]),
    ("a # comment\nb", ["identifier:a", "identifier:b"]),
    ("\"a\"\"b\"", ["string:\"a\"", "string:\"b\""]),
  ])
  func tokens(source: String, expected: [String]) {
    let lexed = lex(source)
    #expect(lexed.diagnostics.isEmpty)
    #expect(lexed.tokens.dropLast().map { "\($0.kind):\($0.text)" } == expected)
    #expect(lexed.tokens.last?.kind == .endOfFile)
  }

  @Test(arguments: [
    (#""plain""#, "plain"),
    (#""J’ai réservé""#, "J’ai réservé"),
    (#""a\"b""#, "a\"b"),
    (#""a\\b""#, "a\\b"),
    (#""1\n2\t3\r""#, "1\n2\t3\r"),
    (#""caf\u{E9}""#, "café"),
    (#""\u{1F600}""#, "😀"),
    (#""""#, ""),
  ])
  func stringValues(source: String, value: String) {
    let lexed = lex(source)
    #expect(lexed.diagnostics.isEmpty)
    #expect(lexed.tokens.first?.kind == .string)
    #expect(lexed.tokens.first?.stringValue == value)
    #expect(
      lexed.tokens.first?.span
        == SourceSpan(file: SourceFileID(0), start: 0, end: source.utf8.count))
  }

  @Test(arguments: [
    (#""\q""#, "E003"),
    (#""C:\dossier""#, "E003"),
    (#""\u{D800}""#, "E004"),
    (#""\u{110000}""#, "E004"),
    (#""\u{}""#, "E004"),
    (#""\u{41""#, "E004"),
    (#""\u41""#, "E004"),
    ("\"open", "E002"),
    ("/open", "E005"),
    ("@", "E006"),
    (";", "E006"),
    ("9:0", "E007"),
    ("123:00", "E007"),
    ("9h", "E008"),
    ("=", "E006"),
    ("\u{FEFF}", "W001"),
    ("\"a\u{1}b\"", "W002"),
  ])
  func lexicalDiagnostics(source: String, code: String) {
    let lexed = lex(source)
    #expect(lexed.diagnostics.map(\.code.rawValue) == [code])
  }

  @Test(arguments: [
    (#"/\b(?:CMD|ORD)-\d{6}\b/"#, #"\b(?:CMD|ORD)-\d{6}\b"#, ""),
    (#"/bug|erreur/i"#, "bug|erreur", "i"),
    (#"/a\/b/"#, #"a\/b"#, ""),
    (#"/[/]x/ims"#, "[/]x", "ims"),
    (#"/[]/]/"#, "[]/]", ""),
    (#"/[^]/]/"#, "[^]/]", ""),
    (#"/[\]/]/"#, #"[\]/]"#, ""),
    (#"/é/xu"#, "é", "xu"),
    (#"//"#, "", ""),
  ])
  func regexes(source: String, pattern: String, flags: String) throws {
    let lexed = lex(source + " next")
    #expect(lexed.diagnostics.isEmpty)
    let token = try #require(lexed.tokens.first)
    #expect(token.kind == .regex)
    guard case .regex(let p, let f, let patternSpan, let flagsSpan) = token.value else {
      Issue.record("not a regex value")
      return
    }
    #expect(p == pattern)
    #expect(f == flags)
    // Exact byte spans: the pattern starts after the slash, the flags after the closing slash.
    #expect(patternSpan.start == 1)
    #expect(patternSpan.end == 1 + pattern.utf8.count)
    #expect(flagsSpan.start == patternSpan.end + 1)
    #expect(flagsSpan.end == flagsSpan.start + flags.utf8.count)
    #expect(token.span.end == source.utf8.count)
    #expect(lexed.tokens[1].text == "next")
  }

  @Test func regexFlagsStopAtNonLetters() {
    #expect(kindsAndTexts("/a/i)") == ["regex:/a/i", "rightParen:)"])
  }

  @Test func unterminatedRegexEndsAtLineBreak() {
    let lexed = lex("/abc\nlabel")
    #expect(lexed.diagnostics.map(\.code) == ["E005"])
    #expect(lexed.diagnostics.first?.span == SourceSpan(file: SourceFileID(0), start: 0, end: 1))
    #expect(lexed.tokens.map(\.kind) == [.regex, .identifier, .endOfFile])
  }

  @Test func unterminatedStringEndsAtLineBreakAndPointsAtTheQuote() {
    let lexed = lex("x \"abc\ny")
    #expect(lexed.diagnostics.map(\.code) == ["E002"])
    #expect(lexed.diagnostics.first?.span == SourceSpan(file: SourceFileID(0), start: 2, end: 3))
    #expect(lexed.diagnostics.first?.help != nil)
    #expect(lexed.tokens.map(\.kind) == [.identifier, .string, .identifier, .endOfFile])
    #expect(lexed.tokens[1].stringValue == "abc")
  }

  @Test func unterminatedStringGivesBackABlockBrace() {
    let lexed = lex("label \"Support {\n}")
    #expect(lexed.diagnostics.map(\.code) == ["E002"])
    #expect(
      lexed.tokens.map(\.kind) == [.identifier, .string, .leftBrace, .rightBrace, .endOfFile])
    #expect(lexed.tokens[1].stringValue == "Support")
  }

  @Test func invalidUTF8IsReportedWithItsOffsetAndLexingContinues() {
    let bytes: [UInt8] =
      Array("ab ".utf8) + [0xFF] + Array(" cd \"x".utf8) + [0xC3] + Array("\"".utf8)
    let lexed = Lexer.tokenize(SourceFile(id: SourceFileID(0), path: "x", bytes: bytes))
    #expect(
      lexed.diagnostics.map(\.message) == [
        "invalid UTF-8 byte 0xFF at byte offset 3", "invalid UTF-8 byte 0xC3 at byte offset 10",
      ])
    #expect(lexed.tokens.map(\.kind) == [.identifier, .identifier, .string, .endOfFile])
    #expect(lexed.tokens[2].stringValue == "x\u{FFFD}")
  }

  @Test(
    arguments: [
      [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80],
    ] as [[UInt8]])
  func malformedSequencesAreRejected(bytes: [UInt8]) {
    let lexed = Lexer.tokenize(SourceFile(id: SourceFileID(0), path: "x", bytes: bytes))
    #expect(lexed.diagnostics.map(\.code) == ["E001"])
    #expect(lexed.diagnostics.first?.span.start == 0)
  }

  @Test func commentsAreCollectedWithPlacement() {
    let lexed = lex("# own line\nlabel \"A\" { # trailing\r\n  # indented\n}")
    #expect(lexed.comments.map(\.text) == ["# own line", "# trailing", "# indented"])
    #expect(lexed.comments.map(\.isOnOwnLine) == [true, false, true])
    #expect(lexed.comments[0].span == SourceSpan(file: SourceFileID(0), start: 0, end: 10))
    #expect(lexed.tokens.allSatisfy { $0.text.first != "#" })
  }

  @Test func firstOnLineFlags() {
    let lexed = lex("a b\n  c # x\nd")
    #expect(lexed.tokens.map(\.isFirstOnLine) == [true, false, true, true, false])
  }

  @Test func timeValues() throws {
    let token = try #require(lex("07:45").tokens.first)
    #expect(token.value == .time(hour: 7, minute: 45))
  }

  @Test func numberValues() throws {
    let token = try #require(lex("4.25").tokens.first)
    #expect(token.value == .number(4.25))
  }
}
