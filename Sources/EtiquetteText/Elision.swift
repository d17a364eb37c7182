/// French elisions written with or without their apostrophe: "j'ai" and "jai", "c'est" and
/// "cest", "qu'il" and "quil" are one spelling to a customer typing on a phone.
///
/// The rule, applied to a normalised phrase word by word: a word that is an elided form
/// (`forms`), an apostrophe, then at least two letters starting with a vowel or `h` — the only
/// place French elides — is also spelt without the apostrophe. Requiring a vowel keeps "lrdv"
/// from matching "l'rdv" (not an elision), and requiring two letters keeps "la" from matching
/// "l'a" and "ma" from matching "m'a". The other way, a word written without the apostrophe
/// gets one only when two or three letters follow the form ("jai", "cest", "quil", "sil"): the
/// words customers run together; longer words such as "livraison" or "demande" would each
/// double the automaton for a spelling ("l'ivraison") nobody writes. The longest elided form
/// wins ("lorsquil" is "lorsqu'il", not "l'orsquil").
///
/// The matcher adds the other spellings of a phrase to its automaton, so messages are not
/// rewritten and matching costs nothing more.
public enum Elision {
  /// The elided forms, longest first so that the first match is the longest.
  public static let forms: [String] = [
    "lorsqu", "puisqu", "jusqu", "qu", "j", "l", "d", "m", "t", "s", "n", "c",
  ]

  /// At most this many words of a phrase get their other spelling (2⁴ = 16 spellings): a
  /// bound on the automaton's size whatever a rule file holds.
  public static let maximumElidedWords = 4

  /// Every spelling of a normalised phrase, the phrase itself first; distinct.
  public static func spellings(of phrase: String) -> [String] {
    var spellings: [String] = [""]
    var elided = 0
    for (index, word) in phrase.split(separator: " ", omittingEmptySubsequences: false)
      .enumerated()
    {
      let separator = index == 0 ? "" : " "
      var alternatives = [String(word)]
      if elided < maximumElidedWords, let other = otherSpelling(of: Substring(word)) {
        alternatives.append(other)
        elided += 1
      }
      spellings = spellings.flatMap { prefix in
        alternatives.map { prefix + separator + $0 }
      }
    }
    return spellings
  }

  /// Letters after the form, at most, for a word without an apostrophe to get one.
  public static let longestRunTogether = 3

  /// The word spelt the other way — without its elision's apostrophe, or with one — or nil
  /// when it is no elision.
  public static func otherSpelling(of word: Substring) -> String? {
    for form in forms where word.hasPrefix(form) {
      var rest = word.dropFirst(form.count)
      let hadApostrophe = rest.first == "'"
      if hadApostrophe { rest = rest.dropFirst() }
      guard rest.count >= 2, hadApostrophe || rest.count <= longestRunTogether,
        let first = rest.first, "aeiouyh".contains(first), rest.allSatisfy(\.isLetter)
      else { return nil }
      return hadApostrophe ? form + rest : form + "'" + rest
    }
    return nil
  }
}
