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

  /// The words of normalised text: runs of word bytes, joined only by a space or an
  /// apostrophe (other punctuation ends a phrase).
  public static func words(_ bytes: [UInt8]) -> [Range<Int>] {
    var words: [Range<Int>] = []
    var index = 0
    while index < bytes.count {
      guard WordForms.isWordByte(bytes[index]) else {
        index += 1
        continue
      }
      let start = index
      while index < bytes.count && WordForms.isWordByte(bytes[index]) { index += 1 }
      words.append(start..<index)
    }
    return words
  }

  /// Stems every word of normalised `text` (`offsets`: one per byte plus the end, as
  /// `Normalizer.withNormalized` gives them) into `out`. With `known` stems, a word it knows is
  /// not given to libstemmer, and a word it rules out becomes `KnownStems.placeholder` (see
  /// `KnownStems`).
  public static func stem(
    _ text: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int>, stemmer: Stemmer,
    known: KnownStems? = nil, into out: inout StemmedText
  ) {
    var capacity = text.count * 2 + 16
    while true {
      var bytes = [UInt8](repeating: 0, count: capacity)
      var stemOffsets = [Int](repeating: 0, count: capacity + 1)
      let count = bytes.withUnsafeMutableBufferPointer { bytes in
        stemOffsets.withUnsafeMutableBufferPointer { stemOffsets in
          stem(
            text, offsets: offsets, stemmer: stemmer, known: known, bytes: bytes,
            offsets: stemOffsets)
        }
      }
      if let count {
        bytes.removeSubrange(count...)
        stemOffsets.removeSubrange((count + 1)...)
        out.bytes = bytes
        out.offsets = stemOffsets
        return
      }
      capacity *= 2
    }
  }

  /// Calls `body` with the stemmed text and its offsets (as `stem(_:offsets:stemmer:known:into:)`
  /// makes them), in scratch memory: no array per message.
  ///
  /// Not generic: called from another module, a generic function runs unspecialised, and the
  /// generic metadata it instantiated on every message (`swift_getGenericMetadata` under it in
  /// `perf`) cost 3–4 % of a `forms` scan.
  public static func withStemmed(
    _ text: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int>, stemmer: Stemmer,
    known: KnownStems?,
    _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<Int>) -> Void
  ) {
    // Room for stems a little longer than their words (they are shorter, and a word ruled out
    // becomes one byte); beyond, arrays. Small: past 1 KB the scratch is allocated.
    let capacity = text.count + 16
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { bytes in
      withUnsafeTemporaryAllocation(of: Int.self, capacity: capacity + 1) { stemOffsets in
        if let count = stem(
          text, offsets: offsets, stemmer: stemmer, known: known, bytes: bytes,
          offsets: stemOffsets)
        {
          return body(
            UnsafeBufferPointer(rebasing: bytes[..<count]),
            UnsafeBufferPointer(rebasing: stemOffsets[...count]))
        }
        var out = StemmedText()
        stem(text, offsets: offsets, stemmer: stemmer, known: known, into: &out)
        return out.bytes.withUnsafeBufferPointer { bytes in
          out.offsets.withUnsafeBufferPointer { body(bytes, $0) }
        }
      }
    }
  }

  /// Writes the stemmed text into `bytes` and its offsets into `offsets out` (one more than
  /// `bytes` holds); returns how many bytes, or nil when they do not fit.
  private static func stem(
    _ text: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int>, stemmer: Stemmer,
    known: KnownStems?, bytes: UnsafeMutableBufferPointer<UInt8>,
    offsets out: UnsafeMutableBufferPointer<Int>
  ) -> Int? {
    if let known {
      return known.withBuffers { tables in
        stem(
          text, offsets: offsets, stemmer: stemmer, tables: tables, bytes: bytes, offsets: out)
      }
    }
    return stem(
      text, offsets: offsets, stemmer: stemmer, tables: nil, bytes: bytes, offsets: out)
  }

  @inline(__always)
  private static func stem(
    _ text: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int>, stemmer: Stemmer,
    tables: KnownStems.Buffers?, bytes: UnsafeMutableBufferPointer<UInt8>,
    offsets out: UnsafeMutableBufferPointer<Int>
  ) -> Int? {
    stemmer.withStems { stem -> Int? in
      var count = 0
      var index = 0
      while index < text.count {
        let byte = text[index]
        guard isWordByte(byte) else {
          guard count < bytes.count else { return nil }
          bytes[count] = byte
          out[count] = offsets[index]
          count += 1
          index += 1
          continue
        }
        // One pass over the word gathers what `Stemmer.changes` and the table's probe need:
        // whether it has a digit, and its last eight bytes (its key, `KnownStems.Key`).
        let start = index
        var last: UInt64 = 0
        var digits = false
        repeat {
          let next = text[index]
          digits = digits || next &- 0x30 < 10
          last = last >> 8 | UInt64(next) << 56
          index += 1
        } while index < text.count && isWordByte(text[index])
        let word = UnsafeBufferPointer(rebasing: text[start..<index])
        let offset = offsets[start]
        var stemmed = word
        if !digits && word.count > 2 && word.count <= Stemmer.maximumWordLength {
          if let tables {
            let key = KnownStems.Key(word, last: last)
            let entry = KnownStems.entry(of: word, key, tables)
            if entry != 0 && entry >> 63 == 0 {
              // The commonest case: a known word whose stem is a prefix of it and at most
              // four more bytes, all in its slot.
              let kept = Int(truncatingIfNeeded: entry >> 8 & 0xFF)
              let added = Int(truncatingIfNeeded: entry >> 16 & 0xFF)
              guard count + kept + added <= bytes.count else { return nil }
              for position in 0..<kept {
                bytes[count + position] = word[position]
                out[count + position] = offset
              }
              var suffix = entry >> 24
              for position in kept..<(kept + added) {
                bytes[count + position] = UInt8(truncatingIfNeeded: suffix)
                out[count + position] = offset
                suffix >>= 8
              }
              count += kept + added
              continue
            } else if entry != 0 {
              stemmed = KnownStems.longStem(entry, of: word, tables)
            } else if tables.filters && !KnownStems.admits(word, tables) {
              stemmed = UnsafeBufferPointer(start: tables.placeholder, count: 1)
            } else {
              stemmed = stem(word)
            }
          } else {
            stemmed = stem(word)
          }
        }
        guard count + stemmed.count <= bytes.count else { return nil }
        for position in 0..<stemmed.count {
          bytes[count + position] = stemmed[position]
          out[count + position] = offset
        }
        count += stemmed.count
      }
      out[count] = offsets.last ?? 0
      return count
    }
  }

  /// A normalised phrase with each word replaced by its stem (`known` holds the stems of its
  /// words, or nil).
  public static func stemmedPhrase(
    _ phrase: String, stemmer: Stemmer, known: KnownStems? = nil
  ) -> String {
    let bytes = Array(phrase.utf8)
    let offsets = Array(0...bytes.count)
    var out = StemmedText()
    bytes.withUnsafeBufferPointer { bytes in
      offsets.withUnsafeBufferPointer { offsets in
        stem(bytes, offsets: offsets, stemmer: stemmer, known: known, into: &out)
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
    // Without synonyms, the elision spellings alone (distinct, and at most 16).
    if synonyms.isEmpty { return Elision.spellings(of: phrase) }
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

/// The stems of a rule set's `forms` words, known in advance, and which other words can stem to
/// one of them (issue 19): stemming every word of a message with libstemmer cost more than the
/// rest of its scan.
///
/// 1. Every word of a `forms` phrase, as written, with its stem: in a message, these are the
///    words likeliest to matter, and looking one up is a hash probe. A stem is a pure function
///    of the word, so a table made once answers exactly as libstemmer would.
/// 2. With `filtersUnknownWords`, a word not in the table that cannot stem to a word of a
///    phrase's stem is not stemmed: it becomes `placeholder`, a byte no normalised text holds.
///    A phrase goes through a word only by spelling its whole stem, so a word whose stem is no
///    phrase word's can be anything that no phrase word is. (Not for `forms typos`, where a
///    stem near a phrase word counts too.) The test rests on what Snowball's French and English
///    algorithms do to a normalised word of three letters or more: they remove or rewrite a
///    suffix inside R1, R2 or RV (regions that start at the third letter at the earliest) or a
///    final letter, so the stem keeps the word's first letter, and its second too unless the
///    stem is that one letter — "y" and "i" aside ("dying" → "die", "skies" → "sky"). So a
///    word cannot stem to a phrase word when its first two letters (y read as i) start no
///    phrase word of two letters or more and its first letter is no phrase word of one letter.
///    A test checks this on every word of the benchmark corpus and the fixtures, both
///    languages.
public struct KnownStems: Sendable {
  /// A byte that is never in normalised text (not UTF-8), read as a word byte.
  public static let placeholder: UInt8 = 0xFF

  /// The table, probed linearly from a word's hash: slot `h` is `slots[2h]`, the word's first
  /// eight bytes (`Key.head`; 0: the slot is empty), and `slots[2h + 1]`, its entry:
  /// - bit 63 clear (a word of at most eight bytes whose stem is a prefix of it and at most
  ///   four more bytes: most words): bits 0–7 the word's length, 8–15 how many of its bytes the
  ///   stem keeps, 16–23 how many it adds, 24–55 those bytes (first in the lowest). A word
  ///   found costs one read, of 16 bytes that never straddle a cache line: the two reads of a
  ///   fingerprint slot and then of the word and stem elsewhere were a third of the stemming
  ///   pass, each a cache miss.
  /// - bit 63 set (any other word): bits 0–7 the word's length, 8–47 where its rest starts in
  ///   `entries`: its bytes past the eighth, the stem's length, the stem.
  let slots: [UInt64]
  let entries: [UInt8]
  /// Bit `first << 8 | second` (second with y read as i): some phrase word of two letters or
  /// more starts so. Bit `first` of `singles`: a phrase word is that one letter.
  let pairs: [UInt64]
  let singles: [UInt64]
  public let filtersUnknownWords: Bool
  let placeholderByte: [UInt8] = [Self.placeholder]

  /// `phrases`: the normalised spellings of the `forms` phrases (before stemming).
  public init(phrases: some Sequence<String>, stemmer: Stemmer, filtersUnknownWords: Bool) {
    var seen: Set<[UInt8]> = []
    var known: [(word: [UInt8], stem: [UInt8])] = []
    var pairs = [UInt64](repeating: 0, count: 1 << 10)
    var singles = [UInt64](repeating: 0, count: 4)
    stemmer.withStems { stem in
      for phrase in phrases {
        let bytes = Array(phrase.utf8)
        for range in WordForms.words(bytes) {
          let word = Array(bytes[range])
          guard seen.insert(word).inserted else { continue }
          let stemmed = word.withUnsafeBufferPointer { Array(stem($0)) }
          if stemmed.count == 1 {
            singles[Int(stemmed[0]) >> 6] |= 1 << UInt64(stemmed[0] & 63)
          } else if stemmed.count >= 2 {
            let bit = Self.pair(stemmed[0], stemmed[1])
            pairs[bit >> 6] |= 1 << UInt64(bit & 63)
          }
          guard word.withUnsafeBufferPointer(Stemmer.changes), stemmed.count <= 255 else {
            continue
          }
          known.append((word, stemmed))
        }
      }
    }
    // At most half full: a word not there ends its probe at an empty slot soon.
    var capacity = 16
    while capacity < known.count * 2 { capacity *= 2 }
    var slots = [UInt64](repeating: 0, count: capacity * 2)
    var entries: [UInt8] = []
    for (word, stemmed) in known {
      let key = word.withUnsafeBufferPointer { Key($0) }
      var kept = 0
      while kept < min(word.count, stemmed.count) && word[kept] == stemmed[kept] { kept += 1 }
      var entry = UInt64(word.count)
      if word.count <= 8 && stemmed.count - kept <= 4 {
        entry |= UInt64(kept) << 8 | UInt64(stemmed.count - kept) << 16
        for (position, byte) in stemmed[kept...].enumerated() {
          entry |= UInt64(byte) << UInt64(24 + 8 * position)
        }
      } else {
        entry |= 1 << 63 | UInt64(entries.count) << 8
        entries += word.dropFirst(8) + [UInt8(stemmed.count)] + stemmed
      }
      var slot = Int(truncatingIfNeeded: key.hash) & (capacity - 1)
      while slots[2 * slot] != 0 { slot = (slot + 1) & (capacity - 1) }
      slots[2 * slot] = key.head
      slots[2 * slot + 1] = entry
    }
    self.slots = slots
    self.entries = entries
    self.pairs = pairs
    self.singles = singles
    self.filtersUnknownWords = filtersUnknownWords
  }

  @inline(__always)
  static func pair(_ first: UInt8, _ second: UInt8) -> Int {
    Int(first) << 8 | Int(second == 0x79 ? 0x69 : second)
  }

  /// What a word is looked up by: its first eight bytes and its last eight (little-endian,
  /// zero past the word; `last` holds the last eight in its high bytes, as the stemming pass
  /// shifts them in), and its hash.
  struct Key {
    let head: UInt64
    let hash: UInt64

    /// `last`: the word's last (up to) eight bytes, the last one in the highest byte.
    @inline(__always)
    init(_ word: UnsafeBufferPointer<UInt8>, last: UInt64) {
      var tail: UInt64 = 0
      if word.count <= 8 {
        // The word itself, shifted down: its first byte lowest, zero above it.
        head = word.count == 8 ? last : last >> UInt64(64 - 8 * word.count)
      } else {
        var first: UInt64 = 0
        for position in 0..<8 { first |= UInt64(word[position]) << UInt64(8 * position) }
        head = first
        tail = last
      }
      var mixed = (head &* 0x9E37_79B9_7F4A_7C15) ^ (tail &* 0xC2B2_AE3D_27D4_EB4F)
      mixed ^= UInt64(word.count)
      mixed ^= mixed >> 32
      mixed = mixed &* 0xD6E8_FEB8_6659_FD93
      hash = mixed ^ mixed >> 29
    }

    init(_ word: UnsafeBufferPointer<UInt8>) {
      var last: UInt64 = 0
      for byte in word { last = last >> 8 | UInt64(byte) << 56 }
      self.init(word, last: last)
    }
  }

  /// The tables, without ownership, for one message.
  struct Buffers {
    let slots: UnsafeBufferPointer<UInt64>
    let entries: UnsafeBufferPointer<UInt8>
    let pairs: UnsafeBufferPointer<UInt64>
    let singles: UnsafeBufferPointer<UInt64>
    let filters: Bool
    let placeholder: UnsafePointer<UInt8>?
  }

  func withBuffers<Result>(_ body: (Buffers) -> Result) -> Result {
    slots.withUnsafeBufferPointer { slots in
      entries.withUnsafeBufferPointer { entries in
        pairs.withUnsafeBufferPointer { pairs in
          singles.withUnsafeBufferPointer { singles in
            placeholderByte.withUnsafeBufferPointer { placeholder in
              body(
                Buffers(
                  slots: slots, entries: entries, pairs: pairs, singles: singles,
                  filters: filtersUnknownWords, placeholder: placeholder.baseAddress))
            }
          }
        }
      }
    }
  }

  /// The entry of a word of the table (see `slots`), or 0.
  @inline(__always)
  static func entry(of word: UnsafeBufferPointer<UInt8>, _ key: Key, _ tables: Buffers) -> UInt64 {
    let mask = tables.slots.count / 2 - 1
    var slot = Int(truncatingIfNeeded: key.hash) & mask
    while true {
      let head = tables.slots[2 * slot]
      if head == 0 { return 0 }
      let entry = tables.slots[2 * slot + 1]
      if head == key.head && Int(truncatingIfNeeded: entry & 0xFF) == word.count {
        // Eight bytes or fewer: the head is the whole word. Longer: the rest is in `entries`.
        if word.count <= 8 { return entry }
        let rest = Int(truncatingIfNeeded: entry >> 8 & 0xFF_FFFF_FFFF)
        if equal(tables.entries, from: rest, UnsafeBufferPointer(rebasing: word[8...])) {
          return entry
        }
      }
      slot = (slot + 1) & mask
    }
  }

  /// The stem of an entry with bit 63 set, in `entries`.
  @inline(__always)
  static func longStem(_ entry: UInt64, of word: UnsafeBufferPointer<UInt8>, _ tables: Buffers)
    -> UnsafeBufferPointer<UInt8>
  {
    // Past the word's bytes beyond the eighth: the stem's length, then the stem.
    let lengthAt = Int(truncatingIfNeeded: entry >> 8 & 0xFF_FFFF_FFFF) + max(word.count - 8, 0)
    let length = Int(tables.entries[lengthAt])
    return UnsafeBufferPointer(rebasing: tables.entries[(lengthAt + 1)..<(lengthAt + 1 + length)])
  }

  @inline(__always)
  static func equal(
    _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, _ word: UnsafeBufferPointer<UInt8>
  ) -> Bool {
    for index in 0..<word.count where bytes[start + index] != word[index] { return false }
    return true
  }

  /// Whether `word` (two bytes or more) may stem to a phrase word.
  @inline(__always)
  static func admits(_ word: UnsafeBufferPointer<UInt8>, _ tables: Buffers) -> Bool {
    let bit = pair(word[0], word[1])
    return tables.pairs[bit >> 6] & (1 << UInt64(bit & 63)) != 0
      || tables.singles[Int(word[0]) >> 6] & (1 << UInt64(word[0] & 63)) != 0
  }

  /// Whether `word` may stem to a phrase word (`admits`, for a word of any length).
  public func admits(_ word: [UInt8]) -> Bool {
    guard word.count >= 2 else { return true }
    return word.withUnsafeBufferPointer { word in withBuffers { Self.admits(word, $0) } }
  }

  /// The stem the table holds for a word, or nil.
  public func knownStem(of word: [UInt8]) -> [UInt8]? {
    guard !word.isEmpty else { return nil }
    return word.withUnsafeBufferPointer { word in
      withBuffers { tables -> [UInt8]? in
        let entry = Self.entry(of: word, Key(word), tables)
        if entry == 0 { return nil }
        if entry >> 63 != 0 { return Array(Self.longStem(entry, of: word, tables)) }
        let kept = Int(truncatingIfNeeded: entry >> 8 & 0xFF)
        let added = Int(truncatingIfNeeded: entry >> 16 & 0xFF)
        return Array(word[..<kept])
          + (0..<added).map { UInt8(truncatingIfNeeded: entry >> UInt64(24 + 8 * $0)) }
      }
    }
  }
}
