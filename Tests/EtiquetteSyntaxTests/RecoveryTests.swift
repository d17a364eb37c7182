import EtiquetteDiagnostics
import EtiquetteSyntax
import Testing

/// One run reports every syntax error of a file, in order, once each, and keeps what parsed.
@Suite struct RecoveryTests {
  @Test func severalErrorsInOneFileAreReportedInOrder() {
    let source = """
      label "A" {
        whenn label "B"
        when label "C"
      }

      routing {
        default humain
        when label "A" human
        when label "C" -> ai
      }

      team "T" {
        can write all
        members ["x@y.fr"]
      }

      test "t" {
        expect lables ["A"]
        customer says "ok"
      }
      """
    let (result, sources) = parse(source)
    #expect(
      result.diagnostics.map(\.code.rawValue) == ["E012", "E016", "E015", "E018", "E020"],
      "\(rendered(result, sources))")
    // Everything around the errors is kept.
    #expect(result.ruleFile.items.count == 4)
    guard case .label(let label) = result.ruleFile.items[0],
      case .routing(let routing) = result.ruleFile.items[1],
      case .team(let team) = result.ruleFile.items[2],
      case .test(let test) = result.ruleFile.items[3]
    else {
      Issue.record("items out of order")
      return
    }
    #expect(label.clauses.count == 1)
    #expect(routing.entries.count == 2)  // the rule missing only its arrow is kept
    #expect(team.clauses.count == 1)
    #expect(test.entries.count == 1)
  }

  @Test func oneProblemGivesOneError() {
    // A broken condition must not also produce "unknown clause" errors for its remains.
    let (result, sources) = parse(
      """
      label "A" {
        when message contains any ["a" and label "x" or ( ]
        when label "B"
      }
      """)
    #expect(result.diagnostics.count == 1, "\(rendered(result, sources))")
  }

  @Test func unknownTopLevelItemsAreSkippedToTheNextDeclaration() {
    let (result, sources) = parse(
      """
      rule "x" {
        when label "A"
        nested { a }
      }
      label "B" {
        when label "A"
      }
      """)
    #expect(result.diagnostics.map(\.code) == ["E011"], "\(rendered(result, sources))")
    #expect(result.ruleFile.items.count == 1)
  }

  @Test func missingClosingBraceKeepsTheFollowingDeclaration() {
    let (result, _) = parse(
      """
      label "A" {
        when label "X"

      label "B" {
        when label "Y"
      }
      """)
    #expect(result.diagnostics.map(\.code) == ["E013"])
    #expect(result.ruleFile.items.count == 2)
    #expect(result.diagnostics.first?.secondary.first?.message == "block opened here")
  }

  @Test func unquotedNameIsReportedAndTheBlockStillParses() throws {
    let (result, _) = parse("label Support {\n  when label \"A\"\n}")
    #expect(result.diagnostics.map(\.code) == ["E010"])
    #expect(result.diagnostics.first?.help == "names are strings: write label \"Support\"")
    guard case .label(let label) = try #require(result.ruleFile.items.first) else {
      Issue.record("no label")
      return
    }
    #expect(label.name.value == "Support")
    #expect(label.clauses.count == 1)
  }

  @Test func unknownClauseHasDidYouMean() {
    let (result, _) = parse("label \"X\" {\n  whenn label \"A\"\n}")
    #expect(
      result.diagnostics.first?.help
        == "label \"X\" may contain: color, description, when, remove when, was; did you mean \"when\"?"
    )
  }

  @Test func errorsInsideAnObjectDoNotEndTheTestBlock() {
    let (result, sources) = parse(
      """
      test "t" {
        event "e" { a: @, b: 1 }
        contact { tier "vip" }
        customer says "ok"
      }
      label "L" {
        when label "A"
      }
      """)
    #expect(result.diagnostics.map(\.code) == ["E006", "E009"], "\(rendered(result, sources))")
    #expect(result.ruleFile.items.count == 2)
  }

  @Test func missingListBracketKeepsTheList() throws {
    let (result, _) = parse("team \"T\" {\n  members [\"a\", \"b\"\n  can view all\n}")
    #expect(result.diagnostics.map(\.code) == ["E025"])
    guard case .team(let team) = try #require(result.ruleFile.items.first) else {
      Issue.record("no team")
      return
    }
    #expect(team.clauses.count == 2)
    #expect(
      team.clauses[0].kind
        == .members([StringLiteral("a", span: .unknown), StringLiteral("b", span: .unknown)]))
  }

  @Test func lexicalErrorsAreNotRepeatedByTheParser() {
    // `9h` is an invalid number (E008); the parser must not add "expected a time".
    let (result, _) = parse("hours \"h\" {\n  mon 9h-18:00\n}")
    #expect(result.diagnostics.map(\.code) == ["E008"])
    let (string, _) = parse("label \"A\" {\n  when label \"B\n}")
    #expect(string.diagnostics.map(\.code) == ["E002"])
  }
}

@Suite struct LexicalWarningTests {
  @Test func warningsDoNotSilenceParseErrors() {
    let (result, _) = parse(bytes: [0xEF, 0xBB, 0xBF] + Array("lable \"A\" {}".utf8))
    #expect(result.diagnostics.map(\.code) == ["W001", "E011"])
  }
}

@Suite struct MissingArrowTests {
  @Test func aRuleMissingOnlyItsArrowIsKept() throws {
    let (result, _) = parse("routing {\n  when label \"VIP\" human team \"S\"\n}")
    #expect(result.diagnostics.map(\.code) == ["E015"])
    guard case .routing(let routing) = try #require(result.ruleFile.items.first),
      case .rule(_, let target) = try #require(routing.entries.first).kind
    else {
      Issue.record("rule not kept")
      return
    }
    #expect(target.mode.value == .human)
    #expect(target.team?.value == "S")
  }
}
