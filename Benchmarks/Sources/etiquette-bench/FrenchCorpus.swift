import EtiquetteText
import Foundation

/// The French-rich corpus (issue 20): the current corpus plus generated French customer
/// messages — accents, elisions with every apostrophe, smart quotes, accents sometimes dropped
/// as customers drop them — so that at least 30 % of the messages are French; and a phrase
/// pool that is half French, with accents.
///
/// How it is built, deterministically (seed 2020):
/// - a vocabulary of 4,000 words drawn from Debian's `wfrench` list (`/usr/share/dict/french`,
///   words of 4 to 14 letters, no hyphen or apostrophe; half of them with an accent), or from
///   `Data/messages-fr.txt` alone when the list is missing (printed);
/// - each French message is one of the 50 French messages of `Data/messages-fr.txt` with two
///   to six vocabulary words inserted at random places; a word that starts with a vowel or "h"
///   is elided half the time (l', d', j', qu', n', s') with `'`, `’` or `‘`; one message in
///   five has a part in « guillemets » or “quotes”, one in ten an order number, an amount or a
///   date (for the regexes), one in five its accents dropped, one in twenty is in capitals;
/// - the phrase pool takes, in turn, a phrase of the current pool (English n-grams and word
///   pairs), a French n-gram of one to three words drawn uniformly from the distinct n-grams of
///   the generated messages, another phrase of the current pool, and a pair of vocabulary
///   words (the long tail); phrases that normalise alike are kept once.
struct FrenchRichCorpus {
  let messages: [String]
  let frenchCount: Int
  let phrasePool: [String]
  /// Where the vocabulary came from, for the report.
  let vocabularySource: String

  static let dictionaryPath = "/usr/share/dict/french"

  init(base: Corpus, frenchMessages count: Int = 6_000, seed: UInt64 = 2020) {
    var random = SplitMix(seed: seed)
    let frenchBases = base.messages.suffix(50).map { $0 }
    var vocabulary: [String]
    if let list = try? String(contentsOfFile: Self.dictionaryPath, encoding: .utf8) {
      let words = list.split(separator: "\n").map(String.init).filter { word in
        (4...14).contains(word.count) && word.allSatisfy { $0.isLetter }
          && word.first?.isLowercase == true
      }
      let accented = words.filter { $0.contains(where: { !$0.isASCII }) }
      let plain = words.filter { $0.allSatisfy(\.isASCII) }
      vocabulary =
        (0..<2_000).map { _ in accented[random.below(accented.count)] }
        + (0..<2_000).map { _ in plain[random.below(plain.count)] }
      vocabularySource = "\(Self.dictionaryPath) (wfrench, \(words.count) usable words)"
    } else {
      vocabulary = Array(Set(frenchBases.flatMap(Corpus.words))).sorted()
      vocabularySource = "Data/messages-fr.txt only (\(Self.dictionaryPath) missing)"
    }
    vocabulary = Array(Set(vocabulary)).sorted()
    let apostrophes = ["'", "’", "‘"]
    let elisions = ["l", "d", "j", "qu", "n", "s"]
    let fodder = [
      "CMD-482913", "ORD-100233", "49,90 €", "12/11/2026", "lundi", "06 12 34 56 78",
      "claire.dupont@exemple.fr", "REF-772310",
    ]
    var french: [String] = []
    for _ in 0..<count {
      var words = frenchBases[random.below(frenchBases.count)].split(separator: " ").map(
        String.init)
      for _ in 0..<(2 + random.below(5)) {
        var word = vocabulary[random.below(vocabulary.count)]
        if let first = word.first, "aeiouhéèêâîôû".contains(first), random.below(2) == 0 {
          word = elisions[random.below(elisions.count)] + apostrophes[random.below(3)] + word
        }
        words.insert(word, at: random.below(words.count + 1))
      }
      if random.below(5) == 0, words.count > 3 {
        let start = random.below(words.count - 2)
        let (open, close) = random.below(2) == 0 ? ("« ", " »") : ("“", "”")
        words[start] = open + words[start]
        words[start + 1] += close
      }
      if random.below(10) == 0 {
        words.insert(fodder[random.below(fodder.count)], at: random.below(words.count + 1))
      }
      var message = words.joined(separator: " ")
      if random.below(5) == 0 {
        message = message.folding(options: .diacriticInsensitive, locale: nil)
      }
      if random.below(20) == 0 { message = message.uppercased() }
      french.append(message)
    }
    messages = base.messages + french
    frenchCount = french.count + frenchBases.count

    // French n-grams of the generated messages, uniformly.
    var grams: Set<String> = []
    let stopWords: Set<String> = [
      "les", "des", "une", "est", "pas", "pour", "que", "qui", "dans", "sur", "avec", "mon",
      "mes", "vous", "nous", "bonjour", "merci",
    ]
    for message in french {
      let words = Self.words(message)
      for length in 1...3 where words.count >= length {
        for start in 0...(words.count - length) {
          let slice = words[start..<start + length]
          if slice.count == 1 && stopWords.contains(slice[slice.startIndex]) { continue }
          let gram = slice.joined(separator: " ")
          if gram.count >= 4 { grams.insert(gram) }
        }
      }
    }
    var gramList = grams.sorted()
    random.shuffle(&gramList)
    var seen: Set<String> = []
    var pool: [String] = []
    var english = base.phrasePool.makeIterator()
    var nextGram = 0
    var turn = 0
    while pool.count < 60_000 {
      let candidate: String?
      switch turn % 4 {
      case 0, 2: candidate = english.next()
      case 1:
        candidate = nextGram < gramList.count ? gramList[nextGram] : nil
        nextGram += 1
      default:
        candidate =
          vocabulary[random.below(vocabulary.count)] + " "
          + vocabulary[random.below(vocabulary.count)]
      }
      turn += 1
      guard let candidate else {
        if turn > 400_000 { break }
        continue
      }
      if seen.insert(Normalizer.normalize(candidate).string).inserted { pool.append(candidate) }
    }
    phrasePool = pool
  }

  /// Lowercase words of a French message: letters (accented too) and digits, split at spaces,
  /// punctuation and apostrophes (so "l’écran" gives "écran").
  static func words(_ text: String) -> [String] {
    text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
  }
}
