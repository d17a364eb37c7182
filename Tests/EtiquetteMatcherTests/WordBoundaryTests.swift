import EtiquetteChecker
import EtiquetteText
import Testing

@testable import EtiquetteMatcher

/// Phrase matching at word boundaries of the original text, with spans in the original.
@Suite struct WordBoundaryTests {
  /// (phrase, message, the original text of every hit in order).
  @Test(arguments: [
    ("bug", "there is a bug", ["bug"]),
    ("bug", "debug mode", []),
    ("bug", "bugs everywhere", []),
    ("bug", "BUG!", ["BUG"]),
    ("bug", "a bug_report", ["bug"]),  // underscore is not a word character
    ("bug", "bug2", []),
    ("bug", "2bug", []),
    ("prix", "quel prix.", ["prix"]),
    ("prix", "prix👍", ["prix"]),
    ("prix", "👍prix", ["prix"]),
    ("prix", "(prix)", ["prix"]),
    ("prix", "«prix»", ["prix"]),
    ("prix", "surprix", []),
    ("prix", "prixé", []),
    ("ecran", "l'écran est noir", ["écran"]),
    ("ecran", "l’ÉCRAN", ["ÉCRAN"]),
    ("ecran", "l'e\u{301}cran", ["e\u{301}cran"]),  // decomposed accent, whole character
    ("ecran", "ecran\u{301}s", []),  // the accent belongs to "n"; "s" follows
    ("ecran", "ecran\u{301}!", ["ecran\u{301}"]),
    ("j'ai reserve", "J’ai réservé hier", ["J’ai réservé"]),
    ("j'ai reserve", "j`ai reserve", ["j`ai reserve"]),
    ("j'ai reserve", "Xj'ai reserve", []),
    ("ma commande", "ma\u{A0}commande", ["ma\u{A0}commande"]),
    ("ma commande", "ma  \n commande!", ["ma  \n commande"]),
    // Hyphens, underscores and slashes read as spaces (issue 19), and stay out of the span.
    ("ma commande", "ma-commande", ["ma-commande"]),
    ("ma commande", "ma_commande-", ["ma_commande"]),
    ("rendez-vous", "rendez vous/", ["rendez vous"]),
    ("rendez vous", "rendez—vous—", ["rendez—vous"]),
    ("rendez-vous", "rendez\u{2011}vous", ["rendez\u{2011}vous"]),
    ("rendez-vous", "rendez–vous", ["rendez–vous"]),
    ("ss", "straße", []),  // half of the "ss" that ß became is not a match
    ("strasse", "Straße", ["Straße"]),
    ("fi", "ﬁ", ["ﬁ"]),
    ("abc", "ＡＢＣ", ["ＡＢＣ"]),
    ("ab", "ab ab", ["ab", "ab"]),
    ("aa", "aaa", []),
    ("bug", "bug\u{200B}s", []),  // an invisible character glues "s" to the word
    ("bug", "de\u{AD}bug", []),  // so does a soft hyphen, on either side
    ("bug", "\u{301}bug", ["bug"]),  // a stray accent at the start belongs to no letter
    ("bug", "x\u{301}\u{200D}bug", []),
    ("bug", "™bug", ["bug"]),  // ™ folds to "tm" but is a symbol, not a letter
    ("bug", "  bug  ", ["bug"]),  // trailing white space is not part of the span
    ("i", "ı İ", ["ı", "İ"]),
    ("cafe", "café😀", ["café"]),
    ("日本", "日本語", []),
    ("日本", "「日本」", ["日本"]),
    ("привет", "Привет!", ["Привет"]),
    ("привет", "приветик", []),
    ("καλημερα", "Καλημέρα σας", ["Καλημέρα"]),
  ])
  func boundaries(phrase: String, message: String, expected: [String]) throws {
    let ruleSet = try #require(MatcherHarness.phraseRuleSet([phrase]))
    let matcher = RuleMatcher(ruleSet)
    let normalized = try #require(matcher.tables.phrases.first)
    let scan = matcher.scan(message)
    let found = scan.phraseHits(normalized).map { scan.substring($0) }
    #expect(found == expected, "\(phrase) in \(message)")
    // The reference evaluator agrees on every row.
    let reference = ReferenceMatcher.occurrencesOfAnySpelling(
      of: normalized, in: ReferenceMatcher.analyse(message))
    #expect(reference == scan.phraseHits(normalized), "\(phrase) in \(message)")
  }

  @Test func overlappingPhrasesAllReport() throws {
    let ruleSet = try #require(
      MatcherHarness.phraseRuleSet(["carte", "carte bleue", "bleue", "ma carte bleue"]))
    let matcher = RuleMatcher(ruleSet)
    let scan = matcher.scan("Ma carte bleue est bloquée")
    #expect(scan.phraseHits("carte") == [3..<8])
    #expect(scan.phraseHits("carte bleue") == [3..<14])
    #expect(scan.phraseHits("bleue") == [9..<14])
    #expect(scan.phraseHits("ma carte bleue") == [0..<14])
    #expect(scan.allPhraseHits.count == 4)
  }

  @Test func spansAreUTF8ByteRangesOfTheOriginal() throws {
    let ruleSet = try #require(MatcherHarness.phraseRuleSet(["créneau réservé"]))
    let matcher = RuleMatcher(ruleSet)
    let message = "🎉 Le CRÉNEAU RÉSERVÉ !"
    let scan = matcher.scan(message)
    let hits = scan.phraseHits("creneau reserve")
    #expect(hits == [8..<26])
    let bytes = Array(message.utf8)
    #expect(String(decoding: bytes[8..<26], as: UTF8.self) == "CRÉNEAU RÉSERVÉ")
  }

  /// The span's end crosses ASCII with a mask instead of Unicode's properties: the mask must be
  /// `Normalizer.isSeparator` on every ASCII byte.
  @Test func asciiSeparatorMaskIsNormalizerSeparator() {
    for byte in UInt8(0)..<0x80 {
      #expect(
        WordBoundary.isASCIISeparator(byte) == Normalizer.isSeparator(Unicode.Scalar(byte)),
        "\(byte)")
    }
  }

  /// A `forms` hit ends with a stem and its span covers the rest of the inflected word, up to
  /// a separator or a character that vanished, never past it.
  @Test(arguments: [
    ("annuler", "Annulez-la", ["Annulez"]),
    ("annuler", "j'annulerais_vite", ["annulerais"]),
    ("annuler", "annulé/reporté", ["annulé"]),
    ("annuler", "ANNULATIONS\t!", ["ANNULATIONS"]),
    ("annuler", "annul\u{AD}ation prévue", ["annul\u{AD}ation"]),
    ("annuler", "annulations\u{301}", ["annulations\u{301}"]),
    ("annuler", "annulations\u{2011}reportées", ["annulations"]),
  ])
  func formsSpansCoverTheWholeInflectedWord(phrase: String, message: String, expected: [String])
    throws
  {
    let ruleSet = try #require(
      MatcherHarness.ruleSet(
        """
        label "L" {
          when message contains forms "\(phrase)"
        }
        team "T" {
          members ["a@exemple.fr"]
          can reply all
        }
        routing {
          default ai
        }
        """))
    let scan = RuleMatcher(ruleSet).scan(message)
    let bytes = Array(message.utf8)
    let found = scan.allPhraseHits.map { String(decoding: bytes[$0.range], as: UTF8.self) }
    #expect(found == expected, "\(message)")
  }

  @Test func unknownPhrasesAndEmptyScansHaveNoHits() throws {
    let matcher = RuleMatcher(try #require(MatcherHarness.phraseRuleSet(["colis"])))
    #expect(matcher.scan("mon colis").phraseHits("livraison").isEmpty)
    #expect(TextScan.empty.phraseHits("colis").isEmpty)
    #expect(matcher.scan("").phraseHits("colis").isEmpty)
  }
}
