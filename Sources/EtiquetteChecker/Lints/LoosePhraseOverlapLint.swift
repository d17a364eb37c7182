import EtiquetteDiagnostics
import EtiquetteSyntax
import EtiquetteText

/// W023: a phrase marked `forms` or `typos` in one label also matches a phrase of another label
/// ("annuler" with `forms` fires on "annulation", which another label is about). The warning
/// names the word that makes the collision. Quadratic only in the loose phrases: each is
/// compared with every triggering phrase of the other labels.
enum LoosePhraseOverlapLint: Lint {
  static func check(_ ruleSet: RuleSet, _ ctx: CheckContext) -> [Diagnostic] {
    let stemmer = Stemmer(ruleSet.language == .en ? .english : .french)
    var phrases: [(label: LabelID, phrase: Phrase)] = []
    for label in ruleSet.labels {
      for trigger in label.addTriggers {
        for phrase in trigger.condition.triggeringPhrases {
          phrases.append((label.id, phrase))
        }
      }
    }
    var out: [Diagnostic] = []
    var reported: Set<[Int]> = []
    let phraseWords = phrases.map { words($0.phrase.normalized) }
    // Every loose phrase against every phrase is quadratic: a generated rule set of thousands of
    // `forms` phrases would take minutes. The lint is advice, so past this many comparisons it
    // stops (what it found so far is reported).
    var comparisonsLeft = 2_000_000
    for (index, loose) in phrases.enumerated() where !loose.phrase.modes.isEmpty {
      let looseWords = phraseWords[index]
      for (otherIndex, other) in phrases.enumerated()
      where other.label != loose.label && other.phrase.normalized != loose.phrase.normalized {
        comparisonsLeft -= 1
        if comparisonsLeft < 0 { return out }
        let otherWords = phraseWords[otherIndex]
        guard
          let example = collision(
            looseWords, modes: loose.phrase.modes, in: otherWords, stemmer: stemmer),
          reported.insert([index, other.label.rawValue]).inserted
        else { continue }
        out.append(
          CheckerCatalogue.loosePhraseOverlap(
            loose.phrase.text, modes: loose.phrase.modes.keywords.joined(separator: " "),
            label: ruleSet[loose.label].name, otherPhrase: other.phrase.text,
            otherLabel: ruleSet[other.label].name, example: example, at: loose.phrase.span,
            other: other.phrase.span))
      }
    }
    return out
  }

  static func words(_ text: String) -> [[UInt8]] {
    let bytes = Array(text.utf8)
    var words: [[UInt8]] = []
    var current: [UInt8] = []
    for byte in bytes {
      if WordForms.isWordByte(byte) {
        current.append(byte)
      } else if !current.isEmpty {
        words.append(current)
        current = []
      }
    }
    if !current.isEmpty { words.append(current) }
    return words
  }

  /// The word of `other` that the loose phrase takes for one of its own, when the loose phrase
  /// matches consecutive words of `other` but not as written; nil otherwise.
  static func collision(
    _ loose: [[UInt8]], modes: PhraseModes, in other: [[UInt8]], stemmer: Stemmer
  ) -> String? {
    guard !loose.isEmpty, loose.count <= other.count else { return nil }
    for start in 0...(other.count - loose.count) {
      var example: String?
      var matches = true
      for (offset, word) in loose.enumerated() {
        let candidate = other[start + offset]
        if candidate == word { continue }
        let text = String(decoding: candidate, as: UTF8.self)
        if modes.contains(.forms)
          && stemmer.stem(text) == stemmer.stem(String(decoding: word, as: UTF8.self))
        {
          example = example ?? text
          continue
        }
        if modes.contains(.typos)
          && TypoBudget.distance(candidate, word) <= TypoBudget.edits(for: word)
        {
          example = example ?? text
          continue
        }
        matches = false
        break
      }
      if matches, let example { return example }
    }
    return nil
  }
}
