import EtiquetteChecker
import EtiquetteTestSupport
import EtiquetteText
import Foundation
import Testing

@testable import EtiquetteMatcher

/// The structures that make `forms` and `typos` fast (issue 19): the typo deletion index against
/// the textbook edit distance, the stem filter against Snowball, and both inside the matcher
/// against the reference evaluator.
@Suite struct MatchingModeIndexTests {
  /// Every normalised word of the fixtures' messages, each once, in first-appearance order.
  static let vocabulary: [String] = {
    let texts =
      MatcherHarness.lines("utterances-en.txt") + MatcherHarness.lines("messages-fr.txt")
      + MatcherHarness.lines("french-intents/messages.tsv")
    var seen: Set<String> = []
    var words: [String] = []
    for text in texts {
      let bytes = Normalizer.normalize(text).bytes
      for range in WordForms.words(bytes) {
        let word = String(decoding: bytes[range], as: UTF8.self)
        if seen.insert(word).inserted { words.append(word) }
      }
    }
    return words
  }()

  /// A word with one or two random edits (insertion, deletion, substitution, transposition).
  static func misspelled(_ word: String, edits: Int, _ random: inout SplitMix64) -> String {
    var bytes = Array(word.utf8)
    for _ in 0..<edits where bytes.count > 1 {
      let at = random.below(bytes.count - 1)
      switch random.below(4) {
      case 0: bytes.remove(at: at)
      case 1: bytes.insert(random.pick(Array("aeiosz".utf8)), at: at)
      case 2: bytes[at] = random.pick(Array("aeiosz".utf8))
      default: bytes.swapAt(at, at + 1)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// `closeWords` finds exactly the phrase words within their budget of a message word, by the
  /// textbook distance on the first 48 bytes, for words of every length, with digits, accents
  /// folded away or not, and longer than 48 bytes.
  @Test func typoIndexFindsExactlyTheWordsWithinTheirBudget() {
    var random = SplitMix64(seed: 19)
    let long = String(repeating: "abcdefghij", count: 5)
    var phraseWords = Self.vocabulary.enumerated().filter { $0.offset % 4 == 0 }.map(\.element)
    phraseWords += [long, long + "xyz", "remboursement", "reservation", "cmd123456", "été", "ab"]
    let index = TypoIndex(
      phraseWords.enumerated().map {
        (Int32($0.offset), [(text: $0.element, budgetText: $0.element)])
      })
    var queries = Self.vocabulary
    for word in phraseWords {
      queries.append(Self.misspelled(word, edits: 1, &random))
      queries.append(Self.misspelled(word, edits: 2, &random))
      queries.append(Self.misspelled(word, edits: 3, &random))
    }
    queries += [long, long + "q", "x" + long, String(long.dropFirst()), "a", "zz"]
    let phraseBytes = phraseWords.map { Array($0.utf8) }
    var matchesSeen = 0
    index.withBuffers { tables in
      withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 49) { prefix in
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 3 * 49) { rows in
          var found: [Int32] = []
          for query in queries {
            let bytes = Array(query.utf8.prefix(TypoIndex.maximumWordLength))
            bytes.withUnsafeBufferPointer { word in
              index.closeWords(
                to: word, tables, prefix: prefix, rows: rows.baseAddress!, into: &found)
            }
            let actual = Set(
              found.map { number in
                let start = Int(index.wordStart[Int(number)])
                let end = Int(index.wordStart[Int(number) + 1])
                return Array(index.wordBytes[start..<end])
              })
            var expected: Set<[UInt8]> = []
            for word in phraseBytes {
              let budget = TypoBudget.edits(for: word)
              let compared = Array(word.prefix(TypoIndex.maximumWordLength))
              // The distance is at least the difference in length: only near lengths are compared.
              guard abs(compared.count - bytes.count) <= budget else { continue }
              if ReferenceMatcher.editDistance(bytes, compared) <= budget {
                expected.insert(compared)
              }
            }
            #expect(actual == expected, "\(query)")
            #expect(found.count == actual.count, "\(query): a word found twice")
            matchesSeen += actual.count
          }
        }
      }
    }
    #expect(matchesSeen > queries.count / 3)
  }

  /// Every normalised word of the benchmark corpus and the fixtures.
  static let largeVocabulary: [String] = {
    let path = MatcherHarness.repositoryRoot + "/Benchmarks/Data/utterances.txt"
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    var seen = Set(vocabulary)
    var words = vocabulary
    for line in text.split(separator: "\n") {
      let bytes = Normalizer.normalize(String(line)).bytes
      for range in WordForms.words(bytes) {
        let word = String(decoding: bytes[range], as: UTF8.self)
        if seen.insert(word).inserted { words.append(word) }
      }
    }
    return words
  }()

  /// What `KnownStems`' filter rests on: Snowball keeps a word's first letter, and its second
  /// (y and i aside) unless the stem is one letter — on every word of the benchmark corpus and
  /// the fixtures, both languages; and the table answers as libstemmer does.
  @Test(arguments: [StemmingLanguage.french, .english])
  func stemsKeepTheFirstTwoLetters(language: StemmingLanguage) {
    let stemmer = Stemmer(language)
    func fold(_ byte: UInt8) -> UInt8 { byte == 0x79 ? 0x69 : byte }
    let words = Self.largeVocabulary
    #expect(words.count > 4_000)
    var stemmed = 0
    for word in words {
      let bytes = Array(word.utf8)
      let stem = Array(stemmer.stem(word).utf8)
      guard stem != bytes else { continue }
      stemmed += 1
      #expect(bytes.count >= 3 && !stem.isEmpty, "\(word) → \(stem)")
      guard !stem.isEmpty, bytes.count >= 2 else { continue }
      #expect(stem[0] == bytes[0], "\(word)")
      if stem.count >= 2 { #expect(fold(stem[1]) == fold(bytes[1]), "\(word)") }
    }
    #expect(stemmed > 1_000)
    // The table of a rule set's words knows each word's stem and admits each of them.
    let sample = words.enumerated().filter { $0.offset % 7 == 0 }.map(\.element)
    let known = KnownStems(phrases: sample, stemmer: stemmer, filtersUnknownWords: true)
    for word in sample {
      let bytes = Array(word.utf8)
      #expect(known.admits(bytes), "\(word)")
      if bytes.count >= 3 && !bytes.contains(where: { $0 &- 0x30 < 10 }) {
        #expect(known.knownStem(of: bytes) == Array(stemmer.stem(word).utf8), "\(word)")
      }
    }
  }

  /// The stemming pass reads known words' stems from the table's slots (most stems are the word
  /// cut short plus up to four bytes) or, for the others, from its entries: with every word or
  /// every other word of the benchmark corpus and the fixtures in the table, the stemmed text
  /// is byte for byte what stemming every word with libstemmer gives. The words are written as
  /// lines of a text, so every word length meets the end of the text too, and words the table
  /// lacks go to libstemmer.
  @Test(arguments: [StemmingLanguage.french, .english])
  func knownStemsAnswerAsLibstemmer(language: StemmingLanguage) {
    let stemmer = Stemmer(language)
    let extra = [
      "abcdefgh", "abcdefghi", "abcdefgh1", "resto", "restos", "tuer", "using", "dying",
      "skies", "happy", "happiness", "chevaux", "generalizations", "nationalement", "été",
      "ΑΘΗΝΑ", "日本語です", String(repeating: "a", count: 64), String(repeating: "b", count: 65),
      "q1w2e3", "aaaaaaaa", "aaaaaaaaa",
    ].map { Normalizer.normalize($0).string }
    let words = Self.largeVocabulary + extra
    let text = words.joined(separator: "\n")
    let bytes = Array(text.utf8)
    let offsets = Array(0...bytes.count)
    func stemmed(_ known: KnownStems?) -> [UInt8] {
      var out = WordForms.StemmedText()
      bytes.withUnsafeBufferPointer { bytes in
        offsets.withUnsafeBufferPointer { offsets in
          WordForms.stem(bytes, offsets: offsets, stemmer: stemmer, known: known, into: &out)
        }
      }
      return out.bytes
    }
    let expected = stemmed(nil)
    #expect(expected != bytes)
    for share in [1, 2] {
      let inTable = words.enumerated().filter { $0.offset % share == 0 }.map(\.element)
      let known = KnownStems(phrases: inTable, stemmer: stemmer, filtersUnknownWords: false)
      #expect(stemmed(known) == expected, "every \(share) word")
      // And word by word, through the public look-up.
      for word in inTable {
        let bytes = Array(word.utf8)
        guard bytes.withUnsafeBufferPointer(Stemmer.changes) else { continue }
        #expect(known.knownStem(of: bytes) == Array(stemmer.stem(word).utf8), "\(word)")
      }
    }
    // Every line, one at a time: each word alone is the whole text.
    let known = KnownStems(phrases: words, stemmer: stemmer, filtersUnknownWords: false)
    for word in words {
      let alone = WordForms.stemmedPhrase(word, stemmer: stemmer, known: known)
      #expect(alone == WordForms.stemmedPhrase(word, stemmer: stemmer), "\(word)")
    }
  }

  @Test func knownStemsRuleOutWordsNoPhraseWordStartsLike() {
    let stemmer = Stemmer(.french)
    let known = KnownStems(
      phrases: ["annuler le rendez vous", "il y a", "l'annulation"], stemmer: stemmer,
      filtersUnknownWords: true)
    #expect(known.knownStem(of: Array("annuler".utf8)) == Array("annul".utf8))
    #expect(known.knownStem(of: Array("annulez".utf8)) == nil)
    #expect(known.admits(Array("annulez".utf8)))
    #expect(known.admits(Array("rendez".utf8)))
    #expect(known.admits(Array("yaourt".utf8)))  // "y": a phrase word of one letter
    #expect(known.admits(Array("iles".utf8)))  // "il", y read as i
    #expect(known.admits(Array("lying".utf8)))  // "le" and "l"
    #expect(!known.admits(Array("bonjour".utf8)))
    #expect(!known.admits(Array("merci".utf8)))
    let english = KnownStems(
      phrases: ["die"], stemmer: Stemmer(.english), filtersUnknownWords: true)
    #expect(english.admits(Array("dying".utf8)))  // y read as i
  }

  /// The differential rule set rewritten: `forms` without `typos` (so the matcher stems only the
  /// words the stem filter admits), and every phrase with `typos` (the deletion index on every
  /// phrase word), against the reference evaluator on generated messages.
  @Test(arguments: ["forms only", "typos everywhere"])
  func differentialRuleSetRewritten(variant: String) throws {
    let path = MatcherHarness.fixtures + "/differential.etq"
    var text = try String(contentsOfFile: path, encoding: .utf8)
    if variant == "forms only" {
      text = text.replacingOccurrences(of: "forms typos", with: "forms")
      text = text.replacingOccurrences(of: "any typos", with: "any forms")
    } else {
      text = text.replacingOccurrences(of: " typos", with: "")
      text = text.replacingOccurrences(
        of: #"contains( any| all| one)?( forms)? (["\[])"#, with: "contains$1$2 typos $3",
        options: .regularExpression)
    }
    let ruleSet = try #require(MatcherHarness.ruleSet(text, path: path))
    let phrases = DifferentialTests.allPhrases(ruleSet)
    if variant == "forms only" {
      #expect(phrases.contains { $0.modes.contains(.forms) })
      #expect(!phrases.contains { $0.modes.contains(.typos) })
      #expect(RuleMatcher(ruleSet).knownStems?.filtersUnknownWords == true)
    } else {
      #expect(phrases.allSatisfy { $0.modes.contains(.typos) })
    }
    let messages =
      MatcherHarness.lines("messages-fr.txt")
      + DifferentialTests.messages(phrases: phrases.map(\.text), count: 1_200, seed: 7)
    #expect(DifferentialTests.compare(ruleSet, messages: messages) > 300)
  }
}
