import Testing

@testable import EtiquetteText

/// Table tests for the spellings of French elisions (issue 19): with or without the
/// apostrophe, only the listed elided forms, only before a vowel or `h`.
@Suite struct ElisionTests {
  static let words: [(word: String, other: String?)] = [
    // Every listed elided form, both ways.
    ("j'ai", "jai"),
    ("jai", "j'ai"),
    ("l'hotel", "lhotel"),
    ("d'accord", "daccord"),
    ("daccord", nil),  // run together with more than three letters: not split
    ("m'appelle", "mappelle"),
    ("t'es", "tes"),
    ("s'il", "sil"),
    ("n'ai", "nai"),
    ("c'est", "cest"),
    ("cest", "c'est"),
    ("qu'il", "quil"),
    ("quil", "qu'il"),
    ("jusqu'au", "jusquau"),
    ("lorsqu'il", "lorsquil"),
    ("puisqu'elle", "puisquelle"),
    // The longest form decides.
    ("lorsquil", "lorsqu'il"),
    ("livraison", nil),
    ("demande", nil),
    // Not elisions: a consonant after the form, one letter only, no listed form, digits.
    ("l'rdv", nil),
    ("lrdv", nil),
    ("l'a", nil),
    ("la", nil),
    ("m'a", nil),
    ("rdv", nil),
    ("bonjour", nil),
    ("j'a1", nil),
    ("x'ai", nil),
  ]

  @Test(arguments: words)
  func otherSpelling(word: String, other: String?) {
    #expect(Elision.otherSpelling(of: Substring(word)) == other)
  }

  @Test func phraseSpellingsCombineWords() {
    #expect(Elision.spellings(of: "j'ai reserve") == ["j'ai reserve", "jai reserve"])
    #expect(
      Elision.spellings(of: "jai l'habitude") == [
        "jai l'habitude", "jai lhabitude", "j'ai l'habitude", "j'ai lhabitude",
      ])
    #expect(Elision.spellings(of: "prendre rendez vous") == ["prendre rendez vous"])
  }

  @Test func atMostFourWordsAreSpeltTwice() {
    let phrase = Array(repeating: "j'ai", count: 6).joined(separator: " ")
    #expect(Elision.spellings(of: phrase).count == 16)
  }
}
