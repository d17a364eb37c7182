import EtiquetteChecker
import EtiquetteText
import Testing

@testable import EtiquetteMatcher

/// Literal atoms extracted from regexes, and that prefiltering never changes an outcome.
@Suite struct LiteralPrefilterTests {
  /// A slash reads as a space once normalised (issue 19), so it is no atom.
  @Test func slashIsNoAtom() {
    #expect(LiteralPrefilter.atoms(source: #"\d{2}/\d{2}"#, flags: []) == nil)
  }

  @Test(arguments: [
    (#"\b(?:CMD|ORD)-\d{6}\b"#, "", ["cmd", "ord"]),
    (
      #"\b(?:bug|erreur|crash|plante|ne marche pas)\b"#, "i",
      ["bug", "crash", "erreur", "marche", "plante"]
    ),
    ("refund(?:ed|s)?", "i", ["refund"]),
    ("colis|commande", "", ["colis", "commande"]),
    ("ab+c", "", ["ab"]),
    ("`ab`", "", ["ab"]),
    ("abc*", "", ["ab"]),
    (#"(\d+[.,]\d{2}) ?€"#, "", ["€"]),
    ("prix ’promo’", "i", ["'promo'"]),
    ("abc?d", "", ["ab"]),
    ("(?i)Hello", "", ["hello"]),
    ("(?:top)+ up", "", ["top"]),
    (#"[\w.]+@[\w-]+\.\w+"#, "", ["@"]),
    (#"\$\d+"#, "", ["$"]),
    ("a{2}b", "", ["ab"]),
    ("(?<num>abc)\\k<num>", "", ["abc"]),
    ("hello world", "x", ["helloworld"]),
    ("hello # comment\n world", "x", ["helloworld"]),
  ])
  func atoms(source: String, flags: String, expected: [String]) {
    let parsed = flags.compactMap { RegexFlag(rawValue: $0) }
    #expect(LiteralPrefilter.atoms(source: source, flags: parsed) == expected, "\(source)")
  }

  /// Patterns that must run on every message: nothing is required, or the extractor cannot be
  /// sure what is.
  @Test(arguments: [
    #"\d+"#, "a|\\d", "(?:abc)?", "[abc]+", "é", "[^0-9]+", "[0-9a]", "\\Qabc\\E",
    "(?x)a b c", "(*UTF)abc", "(?(1)abc|def)", "(?=abc)", "a", "(?#abc)", "a.b", "(?:ab|)",
  ])
  func noAtoms(source: String) {
    #expect(LiteralPrefilter.atoms(source: source, flags: []) == nil, "\(source)")
  }

  /// Regexes whose only requirement is a digit run on messages with a digit or any non-ASCII
  /// character.
  @Test(arguments: [
    (#"\d{3}-\d{4}"#, true), ("[0-9]{2}", true), ("[1-9-]", false), (#"x|\d"#, false),
    (#"\b0[67](?:[ .]?\d{2}){4}\b"#, true), ("[^0-9]", false), (#"\d+|foo"#, true),
    (#"\D"#, false),
  ])
  func digitRequirement(source: String, digit: Bool) {
    let requirement = LiteralPrefilter.requirement(source: source, flags: [])
    #expect((requirement?.digit ?? false) == digit, "\(source)")
  }

  /// Prefiltered or not, every regex gives the same outcome on every message: the scan's
  /// outcome is compared with running PCRE2 directly.
  @Test func prefilteringNeverChangesAnOutcome() throws {
    let patterns = [
      #"/\b(?:CMD|ORD)-\d{6}\b/"#, "/Kelvin/i", "/strasse/i", "/STRASSE/", "/ss/i",
      "/colis|commande/", "/É(?:cran|CRAN)/i", "/l'ecran/", #"/\bprix\b/i"#, "/fi/",
      "/a-b/", "/x_y/", "/a.b.c/", #"/\d{3}/"#, "/[0-9]{2}/", #"/€\d+/"#, #"/\d+ ?€/"#,
      "/’ok’/", "/a|€/",
    ]
    let conditions = patterns.map { "message matches \($0)" }.joined(separator: "\n  when ")
    let ruleSet = try #require(
      MatcherHarness.ruleSet(
        """
        label "L" {
          when \(conditions)
        }
        routing {
          default ai
        }
        """))
    let matcher = RuleMatcher(ruleSet)
    let messages = [
      "CMD-123456", "cmd-123456", "ord-000001 et CMD-1", "\u{212A}ELVIN", "kelvin", "ſtraſſe",
      "STRASSE", "Straße", "ſſ", "mon colis", "COLIS", "Écran", "ÉCRAN", "e\u{301}cran",
      "l’ecran", "l'ecran", "PRIX", "ﬁ", "fi", "a–b", "a-b", "x_y", "a\u{A0}b c", "abc",
      "٣٤٥", "１２３", "12 €", "€5", "no digits", "’ok’", "'ok'", "€", "x²³",
    ]
    for message in messages {
      let scan = matcher.scan(message)
      for pattern in matcher.tables.patterns {
        let (options, _) = RegexOptions.options(fromFlags: pattern.flagText)
        let direct = try CompiledRegex(pattern: pattern.source, options: options)
          .firstMatch(in: message)
        #expect(scan.patternOutcome(pattern) == direct, "/\(pattern.source)/ on \(message)")
      }
    }
  }

  @Test func patternsWithoutPrefilterAreListedOnce() throws {
    let ruleSet = try #require(
      MatcherHarness.ruleSet(
        #"""
        label "A" {
          when message matches /\w{4}/
          when message matches /colis/
        }
        label "B" {
          when message matches /\w{4}/ and message matches /[€$]+/ and message matches /\d{4}/
        }
        routing {
          default ai
        }
        """#))
    let matcher = RuleMatcher(ruleSet)
    #expect(matcher.patternsWithoutPrefilter.map(\.source) == [#"\w{4}"#, "[€$]+"])
    let first = try #require(matcher.patternsWithoutPrefilter.first)
    #expect(first.span.start < ruleSet.labels[1].span.start, "the first appearance's span")
    #expect(matcher.statistics.unfilteredPatternCount == 2)
    #expect(matcher.statistics.patternCount == 4)
    let digits = try #require(matcher.tables.patterns.last)
    #expect(matcher.prefilterAcceptsDigits(of: digits))
    #expect(matcher.prefilterAtoms(of: digits) == [])
    let colis = try #require(matcher.tables.patterns.first { $0.source == "colis" })
    #expect(matcher.prefilterAtoms(of: colis) == ["colis"])
  }
}
