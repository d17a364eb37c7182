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

  /// The byte reading (ASCII phrases) spells every phrase as the character reading does:
  /// every word made of a form or another start, an apostrophe or not, and up to four more
  /// characters from a set with vowels, `h`, consonants, a capital, a digit and an apostrophe,
  /// in phrases of one to five such words.
  @Test func bytesAndCharactersSpellAlike() {
    let starts = Elision.forms + ["", "x", "lor", "J", "qu'"]
    let tails = ["", "a", "h", "e", "r", "A", "1", "'"]
    var words: [String] = []
    for start in starts {
      for apostrophe in ["", "'"] {
        for a in tails {
          for b in tails {
            for c in ["", "i", "s"] { words.append(start + apostrophe + a + b + c) }
          }
        }
      }
    }
    var phrases = words
    for (index, word) in words.enumerated() {
      phrases.append(word + " " + words[(index * 7 + 3) % words.count])
      phrases.append(
        (0..<5).map { words[(index * 31 + $0 * 11) % words.count] }.joined(separator: " "))
    }
    phrases += ["", " ", "j'ai  reserve ", " jai"]
    var differing: [String] = []
    for phrase in phrases
    where Elision.spellings(of: phrase) != Elision.spellings(ofCharacters: phrase) {
      differing.append(phrase)
    }
    #expect(differing.isEmpty, "\(differing.prefix(5))")
    #expect(words.count > 2_000)
    #expect(phrases.contains { Elision.spellings(of: $0).count == 16 })
  }

  @Test func aPhraseThatIsNotASCIIIsReadAsCharacters() {
    #expect(Elision.spellings(of: "j'ai реш") == ["j'ai реш", "jai реш"])
    #expect(Elision.spellings(of: "qu'été") == ["qu'été"])
  }

  @Test func atMostFourWordsAreSpeltTwice() {
    let phrase = Array(repeating: "j'ai", count: 6).joined(separator: " ")
    #expect(Elision.spellings(of: phrase).count == 16)
  }
}
