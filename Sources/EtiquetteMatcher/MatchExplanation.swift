import EtiquetteChecker
import EtiquetteText

/// How a phrase matched text that is not spelt like it (issue 19): which words are other forms
/// of the phrase's words, which are synonyms, which are typos — worked out again from the
/// matched text, the phrase and the rule set, so hits carry nothing extra through the matcher.
///
/// Rendered in French, the language of the inbox: « "Annulez mon RDV" ≈ "annuler le
/// rendez-vous" (formes : annulez → annuler ; synonyme : RDV → rendez-vous) ».
public struct MatchExplanation: Sendable, Hashable {
  /// One word (or words) of the message read as another.
  public struct Step: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
      case form, synonym, typo
    }
    public var kind: Kind
    /// As the customer wrote it.
    public var written: String
    /// What the phrase (or the synonym) has there.
    public var meant: String
  }

  public var matched: String
  public var phrase: String
  public var steps: [Step]

  /// The explanation of `matched` (the original text of a hit) against `phrase` (as written in
  /// the rule file); no steps when they are the same words once normalised.
  public init(matched: String, phrase: String, ruleSet: RuleSet) {
    self.matched = matched
    self.phrase = phrase
    steps = Self.steps(matched: matched, phrase: phrase, ruleSet: ruleSet)
  }

  /// `"Annulez mon RDV" ≈ "annuler le rendez-vous" (formes : … ; synonyme : …)`, or nil when
  /// the words are the phrase's own.
  public var text: String? {
    guard !steps.isEmpty else { return nil }
    var groups: [String] = []
    for (kind, title) in [(Step.Kind.form, "formes"), (.synonym, "synonyme"), (.typo, "faute")] {
      let items = steps.filter { $0.kind == kind }.map { "\($0.written) → \($0.meant)" }
      if !items.isEmpty { groups.append("\(title) : " + items.joined(separator: ", ")) }
    }
    return "\"\(matched)\" ≈ \"\(phrase)\" (" + groups.joined(separator: " ; ") + ")"
  }

  /// A word of normalised text and the original text it came from.
  struct Word {
    var normalized: String
    var original: String
  }

  static func words(of text: String) -> [Word] {
    let normalized = Normalizer.normalize(text)
    let bytes = normalized.bytes
    let original = Array(text.utf8)
    return WordForms.words(bytes).map { range in
      Word(
        normalized: String(decoding: bytes[range], as: UTF8.self),
        original: String(decoding: original[normalized.originalRange(of: range)], as: UTF8.self))
    }
  }

  static func steps(matched: String, phrase: String, ruleSet: RuleSet) -> [Step] {
    let said = words(of: matched)
    let meant = words(of: phrase)
    let stemmer = Stemmer(ruleSet.language == .en ? .english : .french)
    let synonyms = ruleSet.synonyms.map {
      (written: words(of: $0.written).map(\.normalized), meaning: words(of: $0.meaning), pair: $0)
    }
    var steps: [Step] = []
    var i = 0
    var j = 0
    while i < said.count && j < meant.count {
      let word = said[i].normalized
      let target = meant[j].normalized
      if word == target {
        i += 1
        j += 1
        continue
      }
      // An elision written without its apostrophe, either way ("jai" for "j'ai").
      if j + 1 < meant.count, word == target + meant[j + 1].normalized {
        i += 1
        j += 2
        continue
      }
      if i + 1 < said.count, word + said[i + 1].normalized == target {
        i += 2
        j += 1
        continue
      }
      if let synonym = synonyms.first(where: { synonym in
        i + synonym.written.count <= said.count
          && said[i..<i + synonym.written.count].map(\.normalized) == synonym.written
          && j + synonym.meaning.count <= meant.count
          && meant[j..<j + synonym.meaning.count].map(\.normalized)
            == synonym.meaning.map(\.normalized)
      }) {
        let written = said[i..<i + synonym.written.count].map(\.original).joined(separator: " ")
        steps.append(Step(kind: .synonym, written: written, meant: synonym.pair.meaning))
        i += synonym.written.count
        j += synonym.meaning.count
        continue
      }
      if stemmer.stem(word) == stemmer.stem(target) {
        steps.append(Step(kind: .form, written: said[i].original, meant: meant[j].original))
      } else {
        steps.append(Step(kind: .typo, written: said[i].original, meant: meant[j].original))
      }
      i += 1
      j += 1
    }
    return steps
  }
}

extension MatchEvidence {
  /// The matched text in quotes, followed by how it matched its phrase when it is not spelt
  /// like it: `'Annulez mon RDV' ≈ "annuler le rendez-vous" (formes : …)`. Patterns' evidence
  /// is the matched text alone.
  public func described(in ruleSet: RuleSet) -> String {
    guard !trigger.hasPrefix("/"),
      let how = MatchExplanation(matched: matchedText, phrase: trigger, ruleSet: ruleSet).text
    else { return "'\(matchedText)'" }
    return how
  }

  /// How it matched its phrase, when not spelt like it (see `MatchExplanation.text`).
  public func explanation(in ruleSet: RuleSet) -> String? {
    guard !trigger.hasPrefix("/") else { return nil }
    return MatchExplanation(matched: matchedText, phrase: trigger, ruleSet: ruleSet).text
  }
}
