import EtiquetteDiagnostics

/// Every lexical and syntax diagnostic of Etiquette: codes E001–E029, E064–E066, E068 and W001–W009,
/// their
/// explanations for `etiquette explain`, and the functions that build each message, so the
/// wording is reviewed in this one file.
public enum SyntaxCatalogue {
  /// The codes, named by what they mean.
  public enum Code {
    public static let invalidUTF8: DiagnosticCode = "E001"
    public static let unterminatedString: DiagnosticCode = "E002"
    public static let unknownEscape: DiagnosticCode = "E003"
    public static let invalidUnicodeEscape: DiagnosticCode = "E004"
    public static let unterminatedRegex: DiagnosticCode = "E005"
    public static let unexpectedCharacter: DiagnosticCode = "E006"
    public static let invalidTime: DiagnosticCode = "E007"
    public static let invalidNumber: DiagnosticCode = "E008"
    public static let unexpectedToken: DiagnosticCode = "E009"
    public static let expectedQuotedName: DiagnosticCode = "E010"
    public static let unknownItem: DiagnosticCode = "E011"
    public static let unknownClause: DiagnosticCode = "E012"
    public static let unclosedBlock: DiagnosticCode = "E013"
    public static let unmatchedClosingBrace: DiagnosticCode = "E014"
    public static let missingArrow: DiagnosticCode = "E015"
    public static let invalidMode: DiagnosticCode = "E016"
    public static let invalidPriority: DiagnosticCode = "E017"
    public static let invalidAccessLevel: DiagnosticCode = "E018"
    public static let unknownAgentAction: DiagnosticCode = "E019"
    public static let unknownExpectation: DiagnosticCode = "E020"
    public static let missingCondition: DiagnosticCode = "E021"
    public static let unknownCondition: DiagnosticCode = "E022"
    public static let nestingTooDeep: DiagnosticCode = "E023"
    public static let conditionTooLong: DiagnosticCode = "E024"
    public static let malformedList: DiagnosticCode = "E025"
    public static let invalidGrantScope: DiagnosticCode = "E026"
    public static let invalidComparison: DiagnosticCode = "E027"
    public static let removeWithoutWhen: DiagnosticCode = "E028"
    public static let expectedTypeOrValue: DiagnosticCode = "E029"
    public static let repeatedPhraseMode: DiagnosticCode = "E064"
    public static let misplacedQuantifier: DiagnosticCode = "E065"
    public static let unknownLanguage: DiagnosticCode = "E066"
    public static let binaryFile: DiagnosticCode = "E068"
    public static let byteOrderMark: DiagnosticCode = "W001"
    public static let controlCharacter: DiagnosticCode = "W002"
    public static let doubleNegation: DiagnosticCode = "W003"
    public static let emptyPhraseList: DiagnosticCode = "W004"
  }

  // MARK: - Explanations

  public static let explanations: [CodeExplanation] = [
    CodeExplanation(
      Code.invalidUTF8, title: "invalid UTF-8",
      explanation: """
        Rule files must be encoded in UTF-8, because labels and phrases are written in French and \
        other languages. The file contains a byte sequence that is not valid UTF-8, often because \
        it was saved in Latin-1 or Windows-1252 by an old editor. Re-save the file as UTF-8; the \
        message gives the byte offset of the first bad byte.
        """,
      example: "label \"R\\xE9servation\" { }   # \\xE9 is \"é\" in Latin-1, not UTF-8"),
    CodeExplanation(
      Code.unterminatedString, title: "unterminated string",
      explanation: """
        A string starts with a double quote and must end with one on the same line: strings never \
        span lines, so a forgotten quote only affects its own line. Add the closing quote. To put \
        a line break inside a string, write \\n; to put a double quote inside, write \\".
        """,
      example: "label \"Support {"),
    CodeExplanation(
      Code.unknownEscape, title: "unknown escape sequence",
      explanation: """
        Inside a string a backslash starts an escape. The escapes are \\" (quote), \\\\ \
        (backslash), \\n (line break), \\t (tab), \\r (carriage return) and \\u{…} (a Unicode \
        character by its hexadecimal number). Any other letter after a backslash is an error; to \
        write a backslash itself, double it.
        """,
      example: "when message contains \"C:\\dossier\""),
    CodeExplanation(
      Code.invalidUnicodeEscape, title: "invalid unicode escape",
      explanation: """
        A \\u escape names one Unicode character by its hexadecimal number between braces, with \
        one to six hex digits: \\u{E9} is "é", \\u{1F600} is an emoji. The braces are required, \
        the number must not be empty, and it must be a Unicode scalar value (at most 10FFFF and \
        not a surrogate between D800 and DFFF).
        """,
      example: "when message contains \"caf\\u{D800}\""),
    CodeExplanation(
      Code.unterminatedRegex, title: "unterminated regex",
      explanation: """
        A regular expression literal starts with / and ends with the next / that is not escaped \
        and not inside a character class [...]; flags may follow the closing slash. It must end \
        on the same line. Add the closing slash, or escape a slash that belongs to the pattern as \
        \\/.
        """,
      example: "when message matches /commande \\d+"),
    CodeExplanation(
      Code.unexpectedCharacter, title: "unexpected character",
      explanation: """
        The character cannot start any token of the rule language. Clauses end at the end of the \
        line, so no semicolon is needed; comparisons use == and routes use ->; strings use \
        straight double quotes, not typographic ones. Remove or replace the character.
        """,
      example: "when label \"VIP\" -> human;"),
    CodeExplanation(
      Code.invalidTime, title: "invalid time",
      explanation: """
        Times of day in opening hours are written HH:MM: one or two digits for the hour, a colon \
        and exactly two digits for the minutes, as in 9:30 or 18:00. Whether the hour and minute \
        are in range is checked later; this error is about the shape of the time.
        """,
      example: "hours \"bureau\" {\n  mon-fri 9:0-18:00\n}"),
    CodeExplanation(
      Code.invalidNumber, title: "invalid number",
      explanation: """
        A number is written with digits and an optional decimal part (18, 4.5). Letters glued to \
        a number, as in 18h or 3rd, make no token of the language. For a time of day write \
        18:00; for a word, separate it from the number with a space.
        """,
      example: "hours \"bureau\" {\n  mon-fri 9h-18h\n}"),
    CodeExplanation(
      Code.unexpectedToken, title: "unexpected token",
      explanation: """
        The parser expected a particular token here (a brace, a colon, a string, a time…) and \
        found something else. The message says what was expected and what was found; when the \
        expected token belongs at the end of a line, the caret points just after the last token \
        of that line. Each clause stands on its own line.
        """,
      example: "label \"VIP\"\n  when contact.tier == \"vip\"\n}"),
    CodeExplanation(
      Code.expectedQuotedName, title: "expected a name in quotes",
      explanation: """
        Names of labels, teams, events, hours and members are strings, written in double quotes, \
        so that they may contain spaces and accents. Bare words are reserved for keywords and \
        attribute names. Put the name in quotes.
        """,
      example: "label Support {\n  when message contains \"bug\"\n}"),
    CodeExplanation(
      Code.unknownItem, title: "unknown top-level item",
      explanation: """
        A rule file is a sequence of declarations, each starting with one of the keywords \
        contact, event, hours, label, team, routing or test at the start of a line. Anything \
        else at the top level is an error; the parser skips to the next declaration.
        """,
      example: "lable \"VIP\" {\n  when contact.tier == \"vip\"\n}"),
    CodeExplanation(
      Code.unknownClause, title: "unknown clause",
      explanation: """
        Each kind of block accepts a fixed set of clauses: a label has color, description, when, \
        remove when and was; a team has members and can; routing has default and when; a test has \
        contact, at, customer, event, agent and expect steps. The message lists the clauses of \
        the block and suggests the closest one.
        """,
      example: "label \"VIP\" {\n  whenn contact.tier == \"vip\"\n}"),
    CodeExplanation(
      Code.unclosedBlock, title: "unclosed block",
      explanation: """
        A block opened with { must be closed with }. The error is reported at the end of the file \
        or where the next declaration starts, with a pointer to the opening brace. The clauses \
        read before the problem are kept.
        """,
      example: "label \"VIP\" {\n  when contact.tier == \"vip\"\n\nteam \"Support\" { }"),
    CodeExplanation(
      Code.unmatchedClosingBrace, title: "unmatched closing brace",
      explanation: """
        A } appears at the top level, where no block is open. It is usually a duplicated brace, \
        or the block it was meant to close was already closed earlier. Remove it.
        """,
      example: "label \"VIP\" {\n  when contact.tier == \"vip\"\n}\n}"),
    CodeExplanation(
      Code.missingArrow, title: "missing `->` in routing rule",
      explanation: """
        A routing rule reads `when CONDITION -> TARGET`: the arrow separates the condition from \
        the route target (ai or human, optionally a team and a priority). The condition ended \
        and no arrow followed; add it, or join the condition with and/or if it continues.
        """,
      example: "routing {\n  when label \"VIP\" human\n}"),
    CodeExplanation(
      Code.invalidMode, title: "invalid mode",
      explanation: """
        A conversation is answered by the AI or by a human, so a mode is one of the two keywords \
        ai and human (expect route also accepts unchanged). The words are English keywords, \
        whatever the language of the labels.
        """,
      example: "routing {\n  default humain\n}"),
    CodeExplanation(
      Code.invalidPriority, title: "invalid priority",
      explanation: """
        A routing rule may give a priority, one of low, normal, high and urgent, from least to \
        most pressing. Any other word is an error.
        """,
      example: "routing {\n  when label \"VIP\" -> human priority critical\n}"),
    CodeExplanation(
      Code.invalidAccessLevel, title: "invalid access level",
      explanation: """
        A team grant gives one of three access levels: view, reply (which implies view) and \
        manage (which implies both). The same words are used in `expect \"member\" can LEVEL`.
        """,
      example: "team \"Support\" {\n  can write all\n}"),
    CodeExplanation(
      Code.unknownAgentAction, title: "unknown agent action",
      explanation: """
        An agent step in a test is `agent "member" ACTION`, where the action is one of: takes \
        over, transfers to ai, keeps human and leaves, adds label "X", removes label "X", \
        replies "…" and notes "…". The words are fixed and must be written in full.
        """,
      example: "test \"t\" {\n  agent \"alice@exemple.fr\" take over\n}"),
    CodeExplanation(
      Code.unknownExpectation, title: "unknown expectation",
      explanation: """
        An expectation in a test starts with expect followed by labels [...], label "X", no label \
        "X", route ai|human|unchanged, mode ai|human, notify "member", or "member" can|cannot \
        LEVEL. Any other word after expect is an error.
        """,
      example: "test \"t\" {\n  expect lables [\"VIP\"]\n}"),
    CodeExplanation(
      Code.missingCondition, title: "missing condition",
      explanation: """
        A condition was expected here (after when, and, or, not or an opening parenthesis) but \
        the line ended or an arrow followed. A condition is, for example, message contains \
        "bonjour", label "VIP", contact.tier == "vip", mode is human or during "bureau".
        """,
      example: "label \"VIP\" {\n  when\n}"),
    CodeExplanation(
      Code.unknownCondition, title: "unknown condition",
      explanation: """
        A condition starts with one of the words message, contact, event, label, mode, during or \
        not, or with an opening parenthesis. The word found here starts no condition; the \
        message suggests the closest one when there is one.
        """,
      example: "label \"VIP\" {\n  when mesage contains \"vip\"\n}"),
    CodeExplanation(
      Code.nestingTooDeep, title: "nesting too deep",
      explanation: """
        Parentheses, not and nested lists may be nested at most 128 levels deep. Deeper nesting \
        is never needed by real rules, and refusing it keeps the tools safe from inputs that \
        would exhaust the stack. Simplify the condition.
        """,
      example: "when ((((((((( … label \"VIP\" … )))))))))"),
    CodeExplanation(
      Code.conditionTooLong, title: "condition too long",
      explanation: """
        A single condition may combine at most 1024 tests with and/or. Such a long chain is hard \
        to read and slow to evaluate; a list of phrases is usually what is meant. Use message \
        contains any [...] or split the rule into several when clauses.
        """,
      example: "when message contains \"a\" or message contains \"b\" or … (1025 times)"),
    CodeExplanation(
      Code.malformedList, title: "malformed list",
      explanation: """
        A list is written in square brackets with its items separated by commas: ["a", "b"]. A \
        trailing comma is allowed and a list may span several lines. The list here is missing \
        its brackets, a comma between two items or its closing bracket.
        """,
      example: "team \"Support\" {\n  members [\"a@x.fr\" \"b@x.fr\"]\n}"),
    CodeExplanation(
      Code.invalidGrantScope, title: "invalid grant scope",
      explanation: """
        A team grant says which conversations it covers after the access level: all, all except \
        labels [...] or labels [...]. The word after the level is none of these.
        """,
      example: "team \"Support\" {\n  can reply everything\n}"),
    CodeExplanation(
      Code.invalidComparison, title: "invalid comparison",
      explanation: """
        A field such as contact.tier or message.type is compared with ==, !=, <, <=, >, >=, is, \
        in [...] or starts with "…". The field here is followed by no comparison operator.
        """,
      example: "label \"VIP\" {\n  when contact.tier equals \"vip\"\n}"),
    CodeExplanation(
      Code.removeWithoutWhen, title: "remove without when",
      explanation: """
        A label's removal rule reads `remove when CONDITION`: the word remove alone is not a \
        clause. Add when after remove.
        """,
      example: "label \"VIP\" {\n  remove message contains \"stop\"\n}"),
    CodeExplanation(
      Code.expectedTypeOrValue, title: "expected a type or value",
      explanation: """
        An attribute declaration needs a type after its colon (string, number, bool, or a closed \
        set of strings such as "standard" | "vip"), and a comparison or an object field needs a \
        value: a string, a number, true, false, a word or a list. The line ended, or something \
        else followed, before the type or value was written.
        """,
      example: "contact {\n  tier:\n}"),
    CodeExplanation(
      Code.repeatedPhraseMode, title: "phrase mode written twice",
      explanation: """
        `forms` (every inflection of each word) and `typos` (a spelling mistake per long word) \
        are written at most once each, after `any` or `all`: `message contains any forms typos \
        [...]`. Writing one twice changes nothing and is usually an editing slip; remove one.
        """,
      example: "label \"A\" {\n  when message contains forms forms \"annuler\"\n}"),
    CodeExplanation(
      Code.misplacedQuantifier, title: "any or all after forms or typos",
      explanation: """
        A `contains` reads `message contains [any|all] [forms] [typos]` followed by a phrase or \
        a list: the quantifier comes first, then the modes. Move `any` or `all` right after \
        `contains`.
        """,
      example: "label \"A\" {\n  when message contains forms any [\"annuler\", \"annulation\"]\n}"),
    CodeExplanation(
      Code.unknownLanguage, title: "unknown language",
      explanation: """
        `language` names the language of the rule set's phrases and customers' messages, which \
        decides how `forms` finds the inflections of a word. The languages are `fr` (French, \
        the default) and `en` (English).
        """,
      example: "language de"),
    CodeExplanation(
      Code.binaryFile, title: "binary file, not rule text",
      explanation: """
        The file is not text: it contains NUL bytes, or many bytes that are neither UTF-8 text \
        nor the tabs and line breaks of a rule file (an image, an archive, a database, a file \
        saved as UTF-16). Etiquette reports this once instead of one error per byte, and \
        does not parse the file. Check that the path names the rule file you meant, or re-save \
        the file as UTF-8.
        """,
      example:
        "\\x89PNG\\r\\n\\x1A\\n\\x00\\x00\\x00\\rIHDR"
        + "   # the start of a PNG image named rules.etq"),
    CodeExplanation(
      Code.byteOrderMark, title: "byte order mark",
      explanation: """
        The file starts with a UTF-8 byte order mark (EF BB BF), which some Windows editors add. \
        It is ignored, but it is invisible and makes byte offsets surprising. Save the file as \
        UTF-8 without BOM.
        """,
      example: "\\u{FEFF}label \"VIP\" { }"),
    CodeExplanation(
      Code.controlCharacter, title: "control character in string",
      explanation: """
        A string contains a raw control character (such as a NUL or an escape character), \
        invisible in most editors and never typed on purpose. If it is wanted, write it as an \
        escape such as \\u{1B}; otherwise delete it.
        """,
      example: "label \"VIP\u{1B}\" { }"),
    CodeExplanation(
      Code.doubleNegation, title: "double negation",
      explanation: """
        `not not X` means the same as X. It is allowed but is usually a slip, for example when \
        editing a rule; remove both negations or one of them, as intended.
        """,
      example: "label \"Hors VIP\" {\n  when not not label \"VIP\"\n}"),
    CodeExplanation(
      Code.emptyPhraseList, title: "empty phrase list",
      explanation: """
        `message contains any []` can never be true and `message contains all []` is always true, \
        so an empty list is almost certainly unfinished. Add the phrases to look for.
        """,
      example: "label \"Vente\" {\n  when message contains any []\n}"),
  ]

  // MARK: - Lexical messages

  static func invalidUTF8(byte: UInt8, at span: SourceSpan) -> Diagnostic {
    let hex = String(byte, radix: 16, uppercase: true)
    return Diagnostic(
      Code.invalidUTF8,
      "invalid UTF-8 byte 0x\(hex.count == 1 ? "0" + hex : hex) at byte offset \(span.start)",
      at: span, label: "not UTF-8",
      help: "save the file as UTF-8 (it may have been saved as Latin-1 or Windows-1252)")
  }

  static func binaryFile(at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.binaryFile, "binary file, not rule text", at: span,
      label: "the first byte that is not text",
      help: "rule files are UTF-8 text: check that this is the file you meant, or save it as UTF-8")
  }

  static func byteOrderMark(at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.byteOrderMark, "file starts with a UTF-8 byte order mark", at: span,
      label: "ignored", help: "save the file as UTF-8 without BOM")
  }

  static func unterminatedString(opening: SourceSpan, line: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.unterminatedString, "unterminated string", at: opening,
      label: "this string is not closed on its line",
      help:
        "add the closing `\"` on the same line; strings cannot span lines "
        + "(write \\n for a line break)"
    )
  }

  static func unknownEscape(_ text: String, at span: SourceSpan) -> Diagnostic {
    let shown = text == "\\" ? "a backslash at the end of the line" : "`\(text)`"
    return Diagnostic(
      Code.unknownEscape, "unknown escape sequence \(shown) in string", at: span,
      label: "unknown escape",
      help: "valid escapes are \\\" \\\\ \\n \\t \\r and \\u{…}; write \\\\ for a backslash")
  }

  enum UnicodeEscapeProblem {
    case missingBrace, unclosed, empty, notAScalar
  }

  static func invalidUnicodeEscape(
    _ text: String, reason: UnicodeEscapeProblem, at span: SourceSpan
  ) -> Diagnostic {
    let label: String
    switch reason {
    case .missingBrace: label = "`\\u` must be followed by `{`"
    case .unclosed: label = "expected hex digits and `}`"
    case .empty: label = "no hex digits"
    case .notAScalar: label = "not a Unicode scalar value"
    }
    return Diagnostic(
      Code.invalidUnicodeEscape, "invalid unicode escape `\(Token.shortened(text))`", at: span,
      label: label,
      help: "write 1 to 6 hex digits in braces naming a character, e.g. \\u{E9} for \"é\"")
  }

  static func unterminatedRegex(opening: SourceSpan, line: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.unterminatedRegex, "unterminated regex", at: opening,
      label: "this regex is not closed on its line",
      help: "end the pattern with `/` on the same line; write `\\/` for a slash inside the pattern")
  }

  static func unexpectedCharacter(_ text: String, at span: SourceSpan) -> Diagnostic {
    let help: String
    switch text {
    case ";": help = "clauses end at the end of the line; remove the `;`"
    case "“", "”", "«", "»": help = "strings use straight double quotes: \"…\""
    case "'", "‘", "’": help = "strings use double quotes: \"…\""
    case "!": help = "write `!=` to compare, or `not` to negate a condition"
    case "&": help = "write `and` to combine conditions"
    default: help = "remove this character"
    }
    let shown: String
    if let scalar = text.unicodeScalars.first, text.unicodeScalars.count == 1,
      scalar.value < 0x20 || scalar.value == 0x7F
    {
      shown = "U+" + String(scalar.value, radix: 16, uppercase: true)
    } else {
      shown = "`\(text)`"
    }
    return Diagnostic(
      Code.unexpectedCharacter, "unexpected character \(shown)", at: span,
      label: "not part of the language", help: help)
  }

  static func singleEquals(at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.unexpectedCharacter, "unexpected character `=`", at: span, label: "write `==`",
      help: "compare with `==`")
  }

  static func fatArrow(at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.unexpectedCharacter, "unexpected `=>`", at: span, label: "write `->`",
      help: "a routing rule reads `when CONDITION -> TARGET`")
  }

  static func controlCharacter(_ byte: UInt8, at span: SourceSpan) -> Diagnostic {
    let hex = String(byte, radix: 16, uppercase: true)
    return Diagnostic(
      Code.controlCharacter, "control character U+\(hex.count == 1 ? "000" : "00")\(hex) in string",
      at: span, label: "invisible character",
      help: "delete it, or write it as an escape such as \\u{\(hex)} if it is wanted")
  }

  static func invalidTime(_ text: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.invalidTime, "invalid time `\(Token.shortened(text))`", at: span,
      label: "expected HH:MM",
      help: "write the hour with one or two digits and the minutes with two, e.g. 09:00 or 18:30")
  }

  static func invalidNumber(_ text: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.invalidNumber, "invalid number `\(Token.shortened(text))`", at: span,
      label: "letters directly after a number",
      help: "write a time of day as HH:MM (18:00); separate a word from a number with a space")
  }

  // MARK: - Syntax messages

  static func unmatchedClosingBrace(at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.unmatchedClosingBrace, "unmatched `}`", at: span, label: "no block is open here",
      help: "remove this brace")
  }

  static func unknownItem(_ token: Token, at span: SourceSpan) -> Diagnostic {
    let keywords = "contact, event, hours, label, team, routing or test"
    guard token.kind == .identifier else {
      return Diagnostic(
        Code.unknownItem,
        "expected a declaration (\(keywords)), found \(token.friendlyDescription)", at: span,
        label: "not a declaration",
        help: "each declaration starts at the beginning of a line with one of these keywords")
    }
    let help =
      Spelling.suggestion(for: token.text, among: topLevelKeywords).map {
        "did you mean \"\($0)\"?"
      }
      ?? "a declaration starts with \(keywords)"
    return Diagnostic(
      Code.unknownItem, "unknown declaration \(Token.quoted(token.text))", at: span,
      label: "not a declaration", help: help)
  }

  static func expectedOpeningBrace(owner: String, found: String, at span: SourceSpan)
    -> Diagnostic
  {
    Diagnostic(
      Code.unexpectedToken, "expected \"{\" after \(owner), found \(found)", at: span,
      label: "expected \"{\"", help: "open the block on the same line: `\(owner) {`")
  }

  static func unclosedBlock(
    owner: String, opening: SourceSpan, beforeNextItem: Bool, at span: SourceSpan
  ) -> Diagnostic {
    let place = beforeNextItem ? "before the next declaration" : "at end of file"
    return Diagnostic(
      Code.unclosedBlock, "missing \"}\" to close \(owner)", at: span,
      label: "expected \"}\" \(place)",
      secondary: [DiagnosticLabel(opening, "block opened here")],
      help: "add `}` after the last clause of \(owner)")
  }

  static func unexpectedAfterClause(
    _ token: Token, ending: RuleFileParser.ClauseEnding, at span: SourceSpan
  ) -> Diagnostic {
    switch ending {
    case .condition:
      return Diagnostic(
        Code.unexpectedToken,
        "expected \"and\", \"or\" or the end of the line after the condition, found "
          + token.friendlyDescription,
        at: span, label: "unexpected here",
        help: "combine conditions with `and` or `or`; start each clause on its own line")
    case .routeTarget:
      return Diagnostic(
        Code.unexpectedToken,
        "unexpected \(token.friendlyDescription) after the route target", at: span,
        label: "unexpected here",
        help: "a route target reads `ai|human [team \"Name\"] [priority low|normal|high|urgent]`")
    case .clause:
      return Diagnostic(
        Code.unexpectedToken, "unexpected \(token.friendlyDescription) after the clause",
        at: span, label: "unexpected here", help: "start each clause on its own line")
    }
  }

  static func unknownClause(_ token: Token, owner: String, valid: [String], at span: SourceSpan)
    -> Diagnostic
  {
    let list = valid.map { $0 == "remove" ? "remove when" : $0 }.joined(separator: ", ")
    var help = "\(owner) may contain: \(list)"
    guard token.kind == .identifier else {
      return Diagnostic(
        Code.unknownClause, "expected a clause in \(owner), found \(token.friendlyDescription)",
        at: span, label: "not a clause", help: help)
    }
    if let suggestion = Spelling.suggestion(for: token.text, among: valid) {
      help += "; did you mean \"\(suggestion)\"?"
    }
    return Diagnostic(
      Code.unknownClause, "unknown clause \(Token.quoted(token.text)) in \(owner)", at: span,
      label: "unknown clause", help: help)
  }

  static func expectedName(
    of what: String, keyword: String, found: String, identifier: String?, at span: SourceSpan
  ) -> Diagnostic {
    let noun = what.hasPrefix("an ") ? String(what.dropFirst(3)) : String(what.dropFirst(2))
    let help =
      identifier.map { "names are strings: write \(keyword) \"\($0)\"" }
      ?? "write \(keyword) \"Name\""
    return Diagnostic(
      Code.expectedQuotedName, "expected \(what) in quotes, found \(found)", at: span,
      label: identifier != nil ? "\(noun) must be in quotes" : "expected \(what)", help: help)
  }

  static func expectedStringInList(found: String, word: String, at span: SourceSpan)
    -> Diagnostic
  {
    Diagnostic(
      Code.expectedQuotedName, "expected a string in quotes, found \(found)", at: span,
      label: "must be in quotes", help: "list items are strings: write \"\(word)\"")
  }

  static func expected(
    _ what: String, after context: String, found: String, example: String, at span: SourceSpan
  ) -> Diagnostic {
    Diagnostic(
      Code.unexpectedToken, "expected \(what) after \(quoteKeyword(context)), found \(found)",
      at: span, label: "expected \(what)", help: "write `\(example)`")
  }

  /// `when` → `"when"`; phrases that are already quoted or descriptive are kept.
  static func quoteKeyword(_ context: String) -> String {
    if context.hasPrefix("\"") || context.hasPrefix("the ") || context.hasPrefix("attribute ")
      || context.hasPrefix("field ") || context.first?.isNumber == true
    {
      return context
    }
    return "\"\(context)\""
  }

  static func expectedKeyword(
    _ words: [String], after context: String, found: String, foundWord: String?,
    code: DiagnosticCode, help: String, at span: SourceSpan
  ) -> Diagnostic {
    let quoted = words.map { "\"\($0)\"" }
    let list =
      quoted.count <= 1
      ? quoted.joined()
      : quoted.dropLast().joined(separator: ", ") + " or " + (quoted.last ?? "")
    var helpText = help
    if let word = foundWord, let suggestion = Spelling.suggestion(for: word, among: words) {
      helpText = "did you mean \"\(suggestion)\"? " + help
    }
    return Diagnostic(
      code, "expected \(list) after \(quoteKeyword(context)), found \(found)", at: span,
      label: "expected \(list)", help: helpText)
  }

  static func vocabulary(
    _ code: DiagnosticCode, noun: String, words: [String], found: String, word: String?,
    after context: String, at span: SourceSpan
  ) -> Diagnostic {
    let list = words.dropLast().joined(separator: ", ") + " or " + (words.last ?? "")
    var help = "\(noun == "mode" ? "a mode" : "an \(noun)") is \(list)"
    if noun == "priority" { help = "a priority is \(list)" }
    if let word, let suggestion = Spelling.suggestion(for: word, among: words) {
      help += "; did you mean \"\(suggestion)\"?"
    }
    if let word {
      return Diagnostic(
        code, "unknown \(noun) \(Token.quoted(word))", at: span,
        label: "not \(noun == "access level" ? "an" : "a") \(noun)",
        help: help)
    }
    return Diagnostic(
      code,
      "expected \(noun == "access level" ? "an" : "a") \(noun) after "
        + "\(quoteKeyword(context)), found \(found)",
      at: span, label: "expected \(list)", help: help)
  }

  static func invalidMode(
    found: String, word: String?, after context: String, allowsUnchanged: Bool = false,
    at span: SourceSpan
  ) -> Diagnostic {
    let words = allowsUnchanged ? ["ai", "human", "unchanged"] : ["ai", "human"]
    return vocabulary(
      Code.invalidMode, noun: "mode", words: words, found: found, word: word, after: context,
      at: span)
  }

  static func invalidPriority(found: String, word: String?, at span: SourceSpan) -> Diagnostic {
    vocabulary(
      Code.invalidPriority, noun: "priority", words: Priority.allCases.map(\.rawValue),
      found: found, word: word, after: "priority", at: span)
  }

  static func invalidAccessLevel(
    found: String, word: String?, after context: String, at span: SourceSpan
  ) -> Diagnostic {
    vocabulary(
      Code.invalidAccessLevel, noun: "access level", words: AccessLevel.allCases.map(\.rawValue),
      found: found, word: word, after: context, at: span)
  }

  static func expectedList(
    after context: String, found: String, example: String, at span: SourceSpan
  )
    -> Diagnostic
  {
    Diagnostic(
      Code.malformedList, "expected a list in brackets after \"\(context)\", found \(found)",
      at: span, label: "expected \"[\"", help: "write `\(example)`")
  }

  static func missingComma(at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.malformedList, "expected \",\" between list items", at: span, label: "missing \",\"",
      help: "separate the items of a list with commas")
  }

  static func unclosedList(found: String, opening: SourceSpan, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.malformedList, "expected \"]\" to close the list, found \(found)", at: span,
      label: "expected \"]\"", secondary: [DiagnosticLabel(opening, "list opened here")],
      help: "close the list with `]` after its last item")
  }

  static func expectedAttribute(_ token: Token, owner: String, at span: SourceSpan) -> Diagnostic {
    let help =
      token.kind == .string
      ? "attribute names are bare words: write \(token.stringValue ?? "name"): string"
      : "an attribute reads `name: type`, e.g. `tier: \"standard\" | \"vip\"`"
    return Diagnostic(
      Code.unexpectedToken,
      "expected an attribute name in \(owner), found \(token.friendlyDescription)", at: span,
      label: "expected an attribute name", help: help)
  }

  static func expectedType(found: String, attribute: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.expectedTypeOrValue, "expected a type after \"\(attribute):\", found \(found)",
      at: span, label: "expected a type",
      help: "write a type (string, number, bool) or the allowed values: \"a\" | \"b\"")
  }

  static func expectedValue(found: String, after context: String, at span: SourceSpan)
    -> Diagnostic
  {
    Diagnostic(
      Code.expectedTypeOrValue, "expected a value after \(quoteKeyword(context)), found \(found)",
      at: span, label: "expected a value",
      help: "a value is a string in quotes, a number, true, false, a word or a list [...]")
  }

  static func expectedHoursEntry(_ token: Token, owner: String, at span: SourceSpan)
    -> Diagnostic
  {
    Diagnostic(
      Code.unknownClause,
      "expected \"zone\" or days in \(owner), found \(token.friendlyDescription)", at: span,
      label: "not an hours entry",
      help: "write `zone \"Europe/Paris\"` or days and times such as `mon-fri 09:00-18:00`")
  }

  static func expectedTime(found: String, after context: String, at span: SourceSpan)
    -> Diagnostic
  {
    Diagnostic(
      Code.unexpectedToken, "expected a time after \(quoteKeyword(context)), found \(found)",
      at: span, label: "expected HH:MM",
      help: "write days then time ranges, e.g. `mon-fri 09:00-12:00, 14:00-18:00`")
  }

  static func removeWithoutWhen(found: String, remove: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.removeWithoutWhen, "expected \"when\" after \"remove\", found \(found)", at: remove,
      label: "`remove` must be followed by `when`", help: "write `remove when CONDITION`")
  }

  static func invalidGrantScope(found: String, word: String?, context: String, at span: SourceSpan)
    -> Diagnostic
  {
    var help =
      "write `\(context) all`, `\(context) all except labels [...]` or "
      + "`\(context) labels [...]`"
    if let word, let suggestion = Spelling.suggestion(for: word, among: ["all", "labels"]) {
      help = "did you mean \"\(suggestion)\"? " + help
    }
    return Diagnostic(
      Code.invalidGrantScope,
      "expected \"all\" or \"labels\" after \"\(context)\", found \(found)", at: span,
      label: "expected a scope", help: help)
  }

  static func routingHasNoName(at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.unexpectedToken, "routing has no name", at: span, label: "remove this name",
      help: "write `routing {`")
  }

  static func missingArrow(found: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.missingArrow, "expected \"->\" and a route target after the condition", at: span,
      label: found == "end of line" || found == "end of file"
        ? "expected \"->\" here" : "expected \"->\", found \(found)",
      help: "write `when CONDITION -> ai` or `-> human team \"Name\" priority high`")
  }

  static func nestingTooDeep(limit: Int, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.nestingTooDeep, "nesting too deep: more than \(limit) levels", at: span,
      label: "level \(limit + 1)",
      help: "simplify the condition; parentheses, `not` and lists nest at most \(limit) deep")
  }

  static func conditionTooLong(limit: Int, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.conditionTooLong, "condition has more than \(limit) tests", at: span,
      label: "test \(limit + 1)",
      help: "use `message contains any [...]` or split the rule into several clauses")
  }

  static func unclosedParenthesis(found: String, opening: SourceSpan, at span: SourceSpan)
    -> Diagnostic
  {
    Diagnostic(
      Code.unexpectedToken, "expected \")\" to close the parenthesis, found \(found)", at: span,
      label: "expected \")\"", secondary: [DiagnosticLabel(opening, "opened here")],
      help: "close the parenthesis, or join the conditions with `and` or `or`")
  }

  static let conditionHelp =
    "a condition starts with message, contact, event, label, mode, during, not or \"(\""

  static func missingCondition(after context: String, found: String, at span: SourceSpan)
    -> Diagnostic
  {
    Diagnostic(
      Code.missingCondition, "expected a condition after \(quoteKeyword(context)), found \(found)",
      at: span, label: "expected a condition",
      help: "write a condition such as `message contains \"bonjour\"` or `label \"VIP\"`")
  }

  static func unknownCondition(_ token: Token, at span: SourceSpan) -> Diagnostic {
    if token.kind == .identifier {
      var help = conditionHelp
      if let suggestion = Spelling.suggestion(for: token.text, among: conditionKeywords) {
        help = "did you mean \"\(suggestion)\"? " + help
      }
      return Diagnostic(
        Code.unknownCondition, "unknown condition \(Token.quoted(token.text))", at: span,
        label: "not a condition", help: help)
    }
    let help =
      token.kind == .string
      ? "to test a label write label \(Token.quoted(token.stringValue ?? "")); to test the "
        + "message write message contains \(Token.quoted(token.stringValue ?? ""))"
      : conditionHelp
    return Diagnostic(
      Code.unknownCondition, "expected a condition, found \(token.friendlyDescription)",
      at: span, label: "not a condition", help: help)
  }

  static func expectedRegex(found: String, isString: Bool, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.unexpectedToken, "expected a regex such as /…/i after \"matches\", found \(found)",
      at: span, label: "expected a regex",
      help: isString
        ? "regexes are written between slashes: message matches /pattern/flags"
        : "write `message matches /pattern/flags`")
  }

  static func expectedComparison(found: String, word: String?, field: String, at span: SourceSpan)
    -> Diagnostic
  {
    var help = "write ==, !=, <, <=, >, >=, is, in [...] or starts with \"…\" after \(field)"
    if let word, let suggestion = Spelling.suggestion(for: word, among: ["is", "in", "starts"]) {
      help = "did you mean \"\(suggestion)\"? " + help
    }
    return Diagnostic(
      Code.invalidComparison, "expected a comparison after \"\(field)\", found \(found)",
      at: span, label: "expected a comparison operator", help: help)
  }

  static func unknownAgentAction(found: String, word: String?, verbs: [String], at span: SourceSpan)
    -> Diagnostic
  {
    var help = "an agent action is one of: \(agentActionForms)"
    if let word, let suggestion = Spelling.suggestion(for: word, among: verbs) {
      help = "did you mean \"\(suggestion)\"? " + help
    }
    if let word {
      return Diagnostic(
        Code.unknownAgentAction, "unknown agent action \(Token.quoted(word))", at: span,
        label: "not an agent action", help: help)
    }
    return Diagnostic(
      Code.unknownAgentAction, "expected an agent action after the member, found \(found)",
      at: span, label: "expected an action", help: help)
  }

  static func unknownExpectation(found: String, word: String?, valid: [String], at span: SourceSpan)
    -> Diagnostic
  {
    var help = "after expect write \(expectationForms)"
    if let word, let suggestion = Spelling.suggestion(for: word, among: valid) {
      help = "did you mean \"\(suggestion)\"? " + help
    }
    if let word {
      return Diagnostic(
        Code.unknownExpectation, "unknown expectation \(Token.quoted(word))", at: span,
        label: "not an expectation", help: help)
    }
    return Diagnostic(
      Code.unknownExpectation, "expected an expectation after \"expect\", found \(found)",
      at: span, label: "expected an expectation", help: help)
  }

  static func expectedObjectField(found: String, opening: SourceSpan, at span: SourceSpan)
    -> Diagnostic
  {
    Diagnostic(
      Code.unexpectedToken, "expected a field name or \"}\" in the object, found \(found)",
      at: span, label: "expected `name: value`",
      secondary: [DiagnosticLabel(opening, "object opened here")],
      help: "an object reads `{ name: \"value\", other: 12 }`")
  }

  static func expectedObjectSeparator(found: String, opening: SourceSpan, at span: SourceSpan)
    -> Diagnostic
  {
    Diagnostic(
      Code.unexpectedToken, "expected \",\" or \"}\" in the object, found \(found)", at: span,
      label: "expected \",\" or \"}\"",
      secondary: [DiagnosticLabel(opening, "object opened here")],
      help: "separate fields with commas and close the object with `}`")
  }

  static func doubleNegation(at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.doubleNegation, "double negation `not not`", at: span, label: "cancels out",
      help: "remove both `not`s, or one of them if a single negation was meant")
  }

  static func repeatedPhraseMode(_ word: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      Code.repeatedPhraseMode, "`\(word)` written twice", at: span, label: "already written",
      help: "remove this `\(word)`")
  }

  static func misplacedQuantifier(
    _ quantifier: PhraseQuantifier, afterMode mode: String, at span: SourceSpan
  ) -> Diagnostic {
    Diagnostic(
      Code.misplacedQuantifier, "`\(quantifier.rawValue)` after `\(mode)`", at: span,
      label: "must come first",
      help: "write `contains \(quantifier.rawValue) \(mode) [...]`: `any` or `all`, then `forms`, "
        + "then `typos`")
  }

  static func unknownLanguage(_ name: String, at span: SourceSpan) -> Diagnostic {
    let suggestion = Spelling.suggestion(for: name, among: RuleLanguage.allCases.map(\.rawValue))
    return Diagnostic(
      Code.unknownLanguage, "unknown language `\(name)`", at: span,
      label: "not a rule-set language",
      help: (suggestion.map { "did you mean `\($0)`? " } ?? "")
        + "the languages are `fr` (French, the default) and `en` (English)")
  }

  static func emptyPhraseList(quantifier: PhraseQuantifier, at span: SourceSpan) -> Diagnostic {
    let effect = quantifier == .all ? "is always true" : "never matches"
    return Diagnostic(
      Code.emptyPhraseList, "`message contains \(quantifier.rawValue) []` \(effect)", at: span,
      label: "empty list", help: "add the phrases to look for")
  }
}
