import EtiquetteFormat
import Foundation
import Testing

/// Single layout rules, each on a small inline source.
@Suite struct FormatterLayoutTests {
  /// Formats `source`, requiring it to parse cleanly.
  private func format(_ source: String) -> String {
    let result = Formatted(source)
    #expect(result.parsed.diagnostics.isEmpty, "\(result.diagnosticSummary)")
    return result.text
  }

  @Test(arguments: [
    (#""plain""#, #""plain""#),
    (#""say \"hi\"""#, #""say \"hi\"""#),
    (#""back\\slash""#, #""back\\slash""#),
    (#""a\u{9}b\u{a}c\u{d}""#, #""a\tb\nc\r""#),
    (#""\u{41}\u{e9}\u{1F600}""#, #""Aé😀""#),
    (#""bell\u{7}""#, #""bell\u{7}""#),
    (#""esc\u{1B}del\u{7F}""#, #""esc\u{1b}del\u{7f}""#),
    (#""c1 \u{85} control""#, #""c1 \u{85} control""#),
    (#""日本語 ’ « »""#, #""日本語 ’ « »""#),
  ])
  func stringsAreReEscapedCanonically(written: String, canonical: String) {
    let text = format("label \(written) {}\n")
    #expect(text == "label \(canonical) {}\n")
  }

  @Test func aListThatFitsInOneHundredColumnsStaysInline() {
    let phrase = String(repeating: "a", count: 100 - #"  when message contains any [""]"#.count)
    let line = #"  when message contains any [""# + phrase + #""]"#
    #expect(line.count == 100)
    #expect(format("label \"L\" {\n\(line)\n}\n") == "label \"L\" {\n\(line)\n}\n")
  }

  @Test func aListOneColumnTooLongIsWrapped() {
    let phrase = String(repeating: "a", count: 101 - #"  when message contains any [""]"#.count)
    let text = format("label \"L\" { when message contains any [\"\(phrase)\"] }\n")
    #expect(text == "label \"L\" {\n  when message contains any [\n    \"\(phrase)\"\n  ]\n}\n")
  }

  @Test func wrappedListsFillEachLineAndEndAllButTheLastWithAComma() {
    let members = (1...30).map { "\"member\($0)@exemple.fr\"" }
    let text = format("team \"T\" { members [\(members.joined(separator: ","))] }\n")
    let lines = text.split(separator: "\n").map(String.init)
    #expect(lines.first == "team \"T\" {")
    #expect(lines[1] == "  members [")
    let body = lines[2..<(lines.count - 2)]
    #expect(body.count > 1)
    for (index, line) in body.enumerated() {
      #expect(line.hasPrefix("    \""))
      #expect(line.count <= 100)
      #expect(line.hasSuffix(",") == (index < body.count - 1))
      // Filled: the next line's first item would not have fitted on this one.
      if index < body.count - 1 {
        let next = body[body.startIndex + index + 1]
        let firstOfNext = next.dropFirst(4).split(separator: ",").first.map(String.init) ?? ""
        #expect(line.count + 1 + firstOfNext.count + 1 > 100)
      }
    }
    #expect(lines[lines.count - 2] == "  ]")
    #expect(lines.last == "}")
    // Every member is there once, in order.
    let items = body.joined().split(separator: ",").map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    #expect(items == members)
  }

  @Test func whatFollowsAWrappedListStaysAfterItsClosingBracket() {
    let phrases = (1...12).map { "\"phrase number \($0)\"" }.joined(separator: ", ")
    let text = format(
      "label \"L\" { when message contains any [\(phrases)] and not label \"X\" }\n")
    #expect(text.contains("\n  ] and not label \"X\"\n}"))
  }

  @Test func commentsInsideAListPutOneItemPerLine() {
    let text = format(
      """
      label "L" {
        when message contains any ["a", "b", # about b
          "c"]
      }
      """)
    #expect(
      text == """
        label "L" {
          when message contains any [
            "a",
            "b", # about b
            "c"
          ]
        }

        """)
  }

  @Test func longObjectsGetOneFieldPerLine() {
    let long = String(repeating: "x", count: 80)
    let text = format("test \"T\" {\n  contact { tier: \"vip\", name: \"\(long)\" }\n}\n")
    #expect(
      text == "test \"T\" {\n  contact {\n    tier: \"vip\",\n    name: \"\(long)\"\n  }\n}\n")
  }

  @Test func shortObjectsStayInline() {
    let text = format("test \"T\" {\n  contact {tier:\"vip\" , \"score\" : 3,}\n}\n")
    #expect(text == "test \"T\" {\n  contact { tier: \"vip\", score: 3 }\n}\n")
  }

  @Test func blankLinesInsideBlocksCollapseToOneAndVanishAtTheEdges() {
    let text = format("label \"L\" {\n\n\n  color \"red\"\n\n\n\n  when label \"X\"\n\n}\n")
    #expect(text == "label \"L\" {\n  color \"red\"\n\n  when label \"X\"\n}\n")
  }

  @Test func topLevelItemsAreSeparatedByExactlyOneBlankLine() {
    let text = format("label \"A\" {}\nlabel \"B\" {}\n\n\n\nlabel \"C\" {}")
    #expect(text == "label \"A\" {}\n\nlabel \"B\" {}\n\nlabel \"C\" {}\n")
  }

  @Test func aCommentInsideAConditionMovesAboveItsClause() {
    let text = format(
      """
      label "L" {
        when label "A" # why A
          or label "B"
      }
      """)
    #expect(text == "label \"L\" {\n  # why A\n  when label \"A\" or label \"B\"\n}\n")
  }

  @Test func parenthesesAreKeptExactlyAsWritten() {
    let text = format("label \"L\" { when ((label \"A\")) and(not(label \"B\" ))}")
    #expect(text == "label \"L\" {\n  when ((label \"A\")) and (not (label \"B\"))\n}\n")
  }

  @Test func numbersKeepTheirSpellingAndRegexesStayVerbatim() {
    let text = format(
      "routing {\n  when event.amount >= 4.50 and message matches /a\\/b[/]#x/i -> human\n}\n")
    #expect(text.contains("event.amount >= 4.50 and message matches /a\\/b[/]#x/i -> human"))
  }

  @Test func anEmptyFileStaysEmpty() {
    #expect(format("") == "")
    #expect(format("\n\n  \n") == "")
  }
}

extension FormatterLayoutTests {
  @Test func windowsLineEndingsGiveTheSameOutput() {
    let unix = "# note\nlabel \"L\" { # open\n  color \"red\" # red\n\n  when label \"X\"\n}\n"
    let windows = unix.replacingOccurrences(of: "\n", with: "\r\n")
    let expected = "# note\nlabel \"L\" { # open\n  color \"red\" # red\n\n  when label \"X\"\n}\n"
    #expect(Formatted(unix).text == expected)
    #expect(Formatted(windows).text == expected)
  }

  @Test func quotedObjectKeysThatAreIdentifiersLoseTheirQuotes() {
    let result = Formatted("test \"T\" {\n  contact { \"tier\": \"vip\", \"order-id\": 1 }\n}\n")
    #expect(result.text == "test \"T\" {\n  contact { tier: \"vip\", \"order-id\": 1 }\n}\n")
  }
}
