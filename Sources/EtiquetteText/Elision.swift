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
  ///
  /// On the phrase's UTF-8 bytes: compiling a rule set spells every phrase, and splitting
  /// each into `Substring` words with `Character` comparisons was 40 % of compiling 50,000
  /// phrases. A phrase with a non-ASCII byte is read as characters (`spellings(ofCharacters:)`:
  /// a space followed by a combining mark, say, is no word break there).
  public static func spellings(of phrase: String) -> [String] {
    guard phrase.utf8.allSatisfy({ $0 < 0x80 }) else { return spellings(ofCharacters: phrase) }
    var text = phrase
    let elided = text.withUTF8 { bytes -> [String]? in
      // The other spelling of the first `maximumElidedWords` words that have one, by word
      // ordinal (most phrases have none, and cost no allocation).
      /// Each word's range, in order (words are split at every space, empty ones included).
      func forEachWord(_ body: (Range<Int>) -> Void) {
        var start = 0
        for index in 0...bytes.count
        where index == bytes.count || bytes[index] == UInt8(ascii: " ") {
          body(start..<index)
          start = index + 1
        }
      }
      var others: [(word: Int, bytes: [UInt8])] = []
      var ordinal = 0
      forEachWord { word in
        if others.count < maximumElidedWords,
          let other = otherSpelling(of: UnsafeBufferPointer(rebasing: bytes[word]))
        {
          others.append((ordinal, other))
        }
        ordinal += 1
      }
      guard !others.isEmpty else { return nil }
      var words: [Range<Int>] = []
      words.reserveCapacity(ordinal)
      forEachWord { words.append($0) }
      // Spelling `combination` takes the other spelling of `others[k]` when its bit
      // `others.count - 1 - k` is set: the first word varies slowest, as a prefix would.
      var spellings: [String] = []
      spellings.reserveCapacity(1 << others.count)
      var spelling: [UInt8] = []
      for combination in 0..<(1 << others.count) {
        spelling.removeAll(keepingCapacity: true)
        var next = 0
        for (position, word) in words.enumerated() {
          if position > 0 { spelling.append(UInt8(ascii: " ")) }
          if next < others.count, others[next].word == position {
            if combination & (1 << (others.count - 1 - next)) != 0 {
              spelling.append(contentsOf: others[next].bytes)
            } else {
              spelling.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[word]))
            }
            next += 1
          } else {
            spelling.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[word]))
          }
        }
        spellings.append(String(decoding: spelling, as: UTF8.self))
      }
      return spellings
    }
    return elided ?? [phrase]
  }

  /// `spellings(of:)` read as characters, for a phrase that is not ASCII.
  static func spellings(ofCharacters phrase: String) -> [String] {
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

  /// Whether `byte` is one of `letters`, lowercase ASCII letters (a bit each): a hashed set
  /// of bytes cost a hash per word.
  @inline(__always)
  private static func isLetter(_ byte: UInt8, in letters: UInt32) -> Bool {
    byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
      && letters & (1 << UInt32(byte - UInt8(ascii: "a"))) != 0
  }

  private static func letterMask(_ letters: some Sequence<UInt8>) -> UInt32 {
    letters.reduce(0) { $0 | 1 << UInt32($1 - UInt8(ascii: "a")) }
  }

  /// The first bytes of the elided forms: a word starting with any other is no elision.
  private static let formInitials = letterMask(forms.map { $0.utf8.first! })
  private static let formBytes = forms.map { Array($0.utf8) }

  /// `otherSpelling(of:)` on an ASCII word's bytes (a byte is then a `Character`, and
  /// `isLetter` is A–Z and a–z).
  static func otherSpelling(of word: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
    guard let initial = word.first, isLetter(initial, in: formInitials) else { return nil }
    for form in formBytes where word.starts(with: form) {
      var rest = form.count
      let hadApostrophe = rest < word.count && word[rest] == UInt8(ascii: "'")
      if hadApostrophe { rest += 1 }
      let letters = word.count - rest
      guard letters >= 2, hadApostrophe || letters <= longestRunTogether,
        isLetter(word[rest], in: elisionInitials),
        word[rest...].allSatisfy({
          ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z")
        })
      else { return nil }
      var other = form
      if !hadApostrophe { other.append(UInt8(ascii: "'")) }
      other.append(contentsOf: UnsafeBufferPointer(rebasing: word[rest...]))
      return other
    }
    return nil
  }

  /// What the letters after an elided form start with: a vowel or `h`.
  private static let elisionInitials = letterMask("aeiouyh".utf8)

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
