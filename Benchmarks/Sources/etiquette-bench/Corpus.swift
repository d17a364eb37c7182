import Foundation

/// The benchmark's inputs: real utterances, French messages, and rule sets generated from them.
struct Corpus {
  let messages: [String]
  /// Candidate phrases, in the order rule sets take them (N phrases = the first N): corpus
  /// n-grams and word-list phrases alternately. The n-grams (1 to 4 words) are drawn uniformly
  /// from the corpus's distinct n-grams, whatever their frequency — a real rule set's phrases
  /// are not chosen for how often customers type them, and taking frequent n-grams first gave
  /// 17 hits per message at N = 50,000. The word-list phrases are pairs of words from the
  /// corpus vocabulary, the long tail of a big rule set that rarely occurs. Seeded, so every
  /// run uses the same rule sets.
  let phrasePool: [String]
  /// How many distinct n-grams the pool drew from.
  let distinctNGrams: Int
  let vocabulary: [String]

  init(directory: String) throws {
    let english = try String(contentsOfFile: directory + "/utterances.txt", encoding: .utf8)
    let french = try String(contentsOfFile: directory + "/messages-fr.txt", encoding: .utf8)
    messages = (english + "\n" + french).split(separator: "\n").map(String.init)
      .filter { !$0.isEmpty }

    var counts: [String: Int] = [:]
    var vocabulary: Set<String> = []
    for message in messages {
      let words = Self.words(message)
      vocabulary.formUnion(words.filter { $0.count >= 3 })
      for length in 1...4 where words.count >= length {
        for start in 0...(words.count - length) {
          let gram = words[start..<start + length].joined(separator: " ")
          if gram.count >= 3 { counts[gram, default: 0] += 1 }
        }
      }
    }
    let stopWords: Set<String> = [
      "the", "and", "you", "for", "can", "how", "what", "are", "was", "that", "this", "with",
      "have", "my", "is", "it", "to", "of", "in", "on", "do", "me",
    ]
    var random = SplitMix(seed: 2026)
    var grams = counts.keys.filter { !stopWords.contains($0) }.sorted()
    random.shuffle(&grams)
    distinctNGrams = grams.count
    let sortedVocabulary = vocabulary.sorted()
    var seen = Set(grams)
    var pool: [String] = []
    var nextGram = 0
    while pool.count < 60_000 {
      if pool.count % 2 == 0 && nextGram < grams.count {
        pool.append(grams[nextGram])
        nextGram += 1
      } else {
        let pair =
          sortedVocabulary[random.below(sortedVocabulary.count)] + " "
          + sortedVocabulary[random.below(sortedVocabulary.count)]
        if seen.insert(pair).inserted { pool.append(pair) }
      }
    }
    phrasePool = pool
    self.vocabulary = sortedVocabulary
  }

  /// Lowercase words of letters, digits and apostrophes, starting and ending with a letter or
  /// digit (so `\b` means the same in every engine).
  static func words(_ text: String) -> [String] {
    var words: [String] = []
    var current = ""
    for character in text.lowercased() {
      if character.isASCII && (character.isLetter || character.isNumber || character == "'") {
        current.append(character)
      } else {
        words.append(current)
        current = ""
      }
    }
    words.append(current)
    return words.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "'")) }
      .filter { !$0.isEmpty && !$0.contains("'") }
  }

  /// 100 regexes of the kinds rule sets use: order numbers, amounts, e-mails, phone numbers,
  /// dates, and `\b(?:…)` alternations of corpus words; (source, flags).
  func regexes() -> [(String, String)] {
    var out: [(String, String)] = []
    for prefix in ["CMD", "ORD", "INV", "REF", "TKT", "SAV", "FAC", "BL", "PO", "SO"] {
      out.append((#"\b"# + prefix + #"-\d{6}\b"#, ""))
    }
    out += [
      (#"\b\d+[.,]\d{2} ?(?:€|eur|euros)\b"#, "i"), (#"\$\d+(?:\.\d{2})?"#, ""),
      (#"£\d+"#, ""), (#"\b\d+ ?(?:dollars|usd)\b"#, "i"), (#"\b(?:iban|bic|swift)\b"#, "i"),
      (#"\b[\w.+-]+@[\w-]+\.(?:com|fr|net|org)\b"#, ""), (#"@gmail\.com"#, "i"),
      (#"\b(?:e-?mail|courriel)\b"#, "i"),
      (#"\b0[1-9](?:[ .]?\d{2}){4}\b"#, ""), (#"\+33 ?\d"#, ""), (#"\b\d{3}-\d{3}-\d{4}\b"#, ""),
      (#"\b\d{1,2}/\d{1,2}/\d{2,4}\b"#, ""), (#"\b\d{4}-\d{2}-\d{2}\b"#, ""),
      (
        #"\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\s+\d{1,2}\b"#,
        "i"
      ),
      (#"\b(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b"#, "i"),
      (#"\b(?:tomorrow|yesterday|tonight)\b"#, "i"),
    ]
    var random = SplitMix(seed: 100)
    let candidates = vocabulary.filter { $0.count >= 4 && $0.allSatisfy(\.isLetter) }
    while out.count < 100 {
      let words = (0..<5).map { _ in candidates[random.below(candidates.count)] }
      out.append((#"\b(?:"# + words.joined(separator: "|") + #")\b"#, "i"))
    }
    return out
  }
}

/// A small seeded generator (SplitMix64), so every run uses the same inputs.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
  mutating func shuffle<T>(_ items: inout [T]) {
    guard items.count > 1 else { return }
    for index in stride(from: items.count - 1, to: 0, by: -1) {
      items.swapAt(index, below(index + 1))
    }
  }
}
