/// Normalised text with each word replaced by its stem, for `forms` (issue 19).
///
/// A word is a maximal run of ASCII letters and digits and non-ASCII bytes (after
/// normalisation, what is left of letters in other scripts); everything else — spaces,
/// apostrophes, punctuation — is copied as it is, so phrases and messages are cut into words
/// the same way.
public enum WordForms {
  /// Stemmed text and, per byte plus a final entry, its offset in the original text: every
  /// byte of a stem maps to where its word starts, so a phrase ending inside a stem is never
  /// at a character boundary, and one ending with a stem covers the whole inflected word.
  public struct StemmedText: Sendable {
    public var bytes: [UInt8] = []
    public var offsets: [Int] = []
    public init() {}
  }

  /// Whether a normalised byte belongs to a word.
  @inline(__always)
  public static func isWordByte(_ byte: UInt8) -> Bool {
    byte >= 0x80 || byte &- 0x61 < 26 || byte &- 0x30 < 10
  }

  /// Stems every word of normalised `text` (`offsets`: one per byte plus the end, as
  /// `Normalizer.withNormalized` gives them) into `out`.
  public static func stem(
    _ text: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int>, stemmer: Stemmer,
    into out: inout StemmedText
  ) {
    out.bytes.removeAll(keepingCapacity: true)
    out.offsets.removeAll(keepingCapacity: true)
    out.bytes.reserveCapacity(text.count)
    out.offsets.reserveCapacity(text.count + 1)
    stemmer.withStems { stem in
      var index = 0
      while index < text.count {
        guard isWordByte(text[index]) else {
          out.bytes.append(text[index])
          out.offsets.append(offsets[index])
          index += 1
          continue
        }
        let start = index
        while index < text.count && isWordByte(text[index]) { index += 1 }
        let stemmed = stem(UnsafeBufferPointer(rebasing: text[start..<index]))
        out.bytes.append(contentsOf: stemmed)
        out.offsets.append(contentsOf: repeatElement(offsets[start], count: stemmed.count))
      }
    }
    out.offsets.append(offsets.last ?? 0)
  }

  /// A normalised phrase with each word replaced by its stem.
  public static func stemmedPhrase(_ phrase: String, stemmer: Stemmer) -> String {
    let bytes = Array(phrase.utf8)
    let offsets = Array(0...bytes.count)
    var out = StemmedText()
    bytes.withUnsafeBufferPointer { bytes in
      offsets.withUnsafeBufferPointer { offsets in
        stem(bytes, offsets: offsets, stemmer: stemmer, into: &out)
      }
    }
    return String(decoding: out.bytes, as: UTF8.self)
  }
}

/// The spellings a phrase is looked for in (issue 19): itself, with each synonym's written
/// form in place of its meaning, and each of those with and without elision apostrophes.
///
/// A synonym `"rdv" = "rendez-vous"` is applied on the phrase side: a phrase containing the
/// words "rendez vous" is also looked for with "rdv" in their place. That finds exactly the
/// messages that contain the phrase once "rdv" is read as "rendez-vous", costs nothing per
/// message, and keeps each hit's span on what the customer wrote.
public enum PhraseSpellings {
  /// A bound on the spellings of one phrase, whatever the rule set holds.
  public static let maximumSpellings = 64

  /// Every spelling of a normalised phrase, the phrase first; `synonyms` are normalised
  /// (written, meaning) pairs.
  public static func spellings(
    of phrase: String, synonyms: [(written: String, meaning: String)]
  ) -> [String] {
    var variants = [phrase]
    for (written, meaning) in synonyms where !meaning.isEmpty && !written.isEmpty {
      for variant in variants {
        guard variants.count < maximumSpellings else { break }
        if let replaced = replacingWords(meaning, with: written, in: variant),
          !variants.contains(replaced)
        {
          variants.append(replaced)
        }
      }
    }
    var spellings: [String] = []
    for variant in variants {
      for spelling in Elision.spellings(of: variant)
      where spellings.count < maximumSpellings && !spellings.contains(spelling) {
        spellings.append(spelling)
      }
    }
    return spellings
  }

  /// `text` with every whole-word occurrence of `words` replaced, or nil when there is none.
  static func replacingWords(_ words: String, with replacement: String, in text: String)
    -> String?
  {
    let source = Array(text.utf8)
    let target = Array(words.utf8)
    var result: [UInt8] = []
    var index = 0
    var replaced = false
    while index < source.count {
      let atWordStart = index == 0 || !WordForms.isWordByte(source[index - 1])
      let end = index + target.count
      if atWordStart, end <= source.count, source[index..<end].elementsEqual(target),
        end == source.count || !WordForms.isWordByte(source[end])
      {
        result.append(contentsOf: replacement.utf8)
        index = end
        replaced = true
      } else {
        result.append(source[index])
        index += 1
      }
    }
    return replaced ? String(decoding: result, as: UTF8.self) : nil
  }
}
