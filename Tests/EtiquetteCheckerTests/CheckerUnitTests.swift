import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteSyntax
import EtiquetteTestSupport
import Testing

@Suite struct CatalogueTests {
  /// Every code the checker can emit, from the catalogue file's `static let …Code` lines.
  static func codesUsedInSources() throws -> Set<String> {
    let root = GoldenFile.repositoryRoot(from: #filePath)
    let path = root + "/Sources/EtiquetteChecker/CheckerCatalogue.swift"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var codes = Set<String>()
    for line in text.split(separator: "\n") where line.contains("Code: DiagnosticCode = \"") {
      if let quote = line.firstIndex(of: "\"") {
        codes.insert(String(line[line.index(after: quote)...].prefix(4)))
      }
    }
    return codes
  }

  @Test func everyCodeIsExplainedOnceAndInRange() throws {
    let explained = CheckerCatalogue.explanations.map(\.code.rawValue)
    #expect(Set(explained).count == explained.count)
    let used = try Self.codesUsedInSources()
    #expect(used.count >= 40)
    #expect(Set(explained) == used)
    for code in explained {
      let number = Int(code.dropFirst()) ?? 0
      #expect(code.hasPrefix("E") ? (30...99).contains(number) : (10...99).contains(number))
      #expect(code.hasPrefix("E") || code.hasPrefix("W"))
    }
    for explanation in CheckerCatalogue.explanations {
      #expect(!explanation.title.isEmpty && !explanation.example.isEmpty)
      #expect(
        explanation.title == explanation.title.lowercased() || explanation.title.contains("`"))
    }
  }

  @Test func everyFixtureDiagnosticFollowsTheMessageStyle() {
    for name in CheckerHarness.fixtureNames {
      let harness = CheckerHarness.loading(fixture: name)
      for diagnostic in harness.check().diagnostics {
        #expect(!diagnostic.message.hasSuffix("."), "\(diagnostic.message)")
        #expect(diagnostic.message.first?.isUppercase == false, "\(diagnostic.message)")
        #expect(diagnostic.help != nil, "\(diagnostic.code) has no help")
        #expect(!diagnostic.primary.message.isEmpty, "\(diagnostic.code) has no caret label")
      }
    }
  }
}

@Suite struct NameSuggestionTests {
  @Test(arguments: [
    ("Suport technique", "Support Technique"),
    ("support technique", "Support Technique"),
    ("Demandes de vente", "Demandes de Vente"),
    ("Qualite", "Qualité"),
    ("QUALITÉ", "Qualité"),
    ("VPI", "VIP"),
  ])
  func suggestsAcrossCaseAccentsAndTypos(_ written: String, _ expected: String) {
    let text = """
      label "Support Technique" {}
      label "Demandes de Vente" {}
      label "VIP" {}
      team "Qualité" {
        members ["q@x.fr"]
        can view all
      }
      routing {
        default ai
        when label "\(written)" -> human team "\(written)"
      }
      """
    let (_, result) = CheckerHarness.checking(text)
    let helps = result.diagnostics.compactMap(\.help)
    #expect(helps.contains { $0.hasPrefix("did you mean \"\(expected)\"?") }, "\(helps)")
  }

  @Test func farNamesGetNoSuggestion() {
    let (_, result) = CheckerHarness.checking(
      "label \"VIP\" {}\nteam \"T\" {\n  members [\"a@x.fr\"]\n  can view all\n}\n"
        + "routing {\n  default ai\n  when label \"Facturation\" -> human\n}\n")
    #expect(result.diagnostics.map(\.code) == ["E030"])
    #expect(result.diagnostics.first?.help?.hasPrefix("did you mean") == false)
  }
}

@Suite struct CheckOptionsTests {
  static let withWarning = """
    label "A" { when message contains "prix" }
    label "B" { when message contains "Prix" }
    team "T" {
      members ["a@x.fr"]
      can reply all
    }
    routing {
      default ai
    }
    """

  @Test func warningsKeepTheRuleSetUnlessStrict() {
    var harness = CheckerHarness()
    harness.add(path: "w.etq", text: Self.withWarning)
    let relaxed = harness.check()
    #expect(relaxed.diagnostics.map(\.code) == ["W010"])
    #expect(relaxed.ruleSet != nil)
    let strict = harness.check(strict: true)
    #expect(strict.diagnostics.map(\.code) == ["W010"])
    #expect(strict.ruleSet == nil)
  }
}

/// Marker tests: the exact column of diagnostics inside literals.
@Suite struct MarkerTests {
  @Test(arguments: [
    ("when message matches /a{2,11️⃣}/", "E055"),
    ("when message matches /é+ü*)1️⃣/", "E055"),
    ("when message matches /ok/i1️⃣g", "E056"),
    ("when message matches /ok/ix1️⃣é", "E056"),
    ("when contact.tier == 1️⃣\"vpi\"", "E043"),
    ("when message.type is 1️⃣imag", "E044"),
  ])
  func diagnosticStartsAtMarker(_ clause: String, _ code: String) throws {
    let marked = MarkedSource(
      "contact { tier: \"standard\" | \"vip\" }\nlabel \"L\" {\n  \(clause)\n}\n"
        + "team \"T\" {\n  members [\"a@x.fr\"]\n  can reply all\n}\nrouting {\n  default ai\n}\n")
    let (harness, result) = CheckerHarness.checking(marked.text)
    #expect(harness.parseDiagnostics.isEmpty, "\(harness.parseDiagnostics.map(\.message))")
    let offset = try #require(marked.markers["1️⃣"])
    let diagnostic = try #require(result.diagnostics.first { $0.code.rawValue == code })
    // PCRE2 reports some errors one character after the offending one; the others are exact.
    if code == "E055" {
      #expect(abs(diagnostic.span.start - offset) <= 1, "\(diagnostic.span) vs \(offset)")
    } else {
      #expect(diagnostic.span.start == offset)
    }
  }
}

/// Bad input never crashes: random bytes and random token soups go through parse and check.
@Suite struct RobustnessTests {
  @Test func randomInputsNeverCrash() {
    var generator = SystemRandomNumberGenerator()
    let words = [
      "label", "\"A\"", "\"B\"", "{", "}", "when", "remove", "message", "contains", "any", "[",
      "]", ",", "label", "team", "members", "can", "reply", "all", "except", "labels", "routing",
      "default", "ai", "human", "->", "not", "and", "or", "(", ")", "during", "\"h\"", "hours",
      "zone", "\"Europe/Paris\"", "mon-fri", "09:00-18:00", "contact", ".", "tier", "==", "<",
      "/a+/i", "test", "expect", "event", "customer", "says", "agent", "takes", "over", "12",
    ]
    for round in 0..<200 {
      var text = ""
      if round % 4 == 0 {
        let bytes = (0..<200).map { _ in UInt8.random(in: 0...255, using: &generator) }
        text = String(decoding: bytes, as: UTF8.self)
      } else {
        for _ in 0..<80 { text += (words.randomElement(using: &generator) ?? "") + " " }
      }
      var harness = CheckerHarness()
      harness.add(path: "random.etq", text: text)
      harness.add(path: "routing.etq", text: "routing {\n  default ai\n}\n")
      let result = harness.check()
      #expect(result.diagnostics == result.diagnostics.sortedByPosition())
    }
  }

  @Test func deeplyNestedConditionsAndLongChains() {
    var text = "label \"A\" { when "
    text += String(repeating: "not (", count: 50) + "message contains \"x\""
    text += String(repeating: ")", count: 50) + "\n"
    text += "  when " + (0..<1000).map { "message contains \"m\($0)\"" }.joined(separator: " or ")
    text +=
      "\n}\nteam \"T\" {\n  members [\"a@x.fr\"]\n  can reply all\n}\nrouting {\n  default ai\n}\n"
    let (harness, result) = CheckerHarness.checking(text)
    #expect(harness.parseDiagnostics.isEmpty)
    #expect(result.ruleSet?.labels.first?.addTriggers.count == 2)
  }
}

@Suite struct AccessExplanationTests {
  @Test func memberOfSeveralTeamsGetsTheUnionOfGrants() throws {
    let harness = CheckerHarness.loading(fixture: "view_all_and_reply")
    let ruleSet = try #require(harness.check(strict: true).ruleSet)
    let lines = AccessExplanation.sentences(for: ruleSet).split(separator: "\n")
    #expect(
      lines == [
        "c@x.fr (team \"Commercial\") can view and reply to conversations labelled \"Vente\" "
          + "and cannot manage any conversation.",
        "q@x.fr (teams \"Qualité\" and \"Commercial\") can view every conversation, can reply to "
          + "conversations labelled \"Vente\" and cannot manage any conversation.",
      ])
  }

  @Test func allExceptCombinedWithLabels() throws {
    let text = """
      label "A" {}
      label "B" {}
      team "T" {
        members ["m@x.fr"]
        can view all except labels ["A", "B"]
        can view labels ["B"]
      }
      routing {
        default ai
      }
      """
    let (_, result) = CheckerHarness.checking(text)
    let ruleSet = try #require(result.ruleSet)
    #expect(
      AccessExplanation.sentences(for: ruleSet)
        == "m@x.fr (team \"T\") can view every conversation except those labelled \"A\", unless "
        + "also labelled \"B\" and cannot reply to or manage any conversation.\n")
  }
}
