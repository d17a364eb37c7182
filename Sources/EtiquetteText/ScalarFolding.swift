import Foundation

/// The per-scalar half of normalisation: what one Unicode scalar becomes in normalised text.
///
/// The result of folding a scalar is a short UTF-8 byte string, where a space byte (0x20) means
/// "a separator here" (runs of them are collapsed later by `Normalizer`) and an empty result means
/// the scalar vanishes (combining marks, invisible format characters).
///
/// The rules, applied to a scalar and again to every scalar they produce until nothing changes
/// (so the output is a fixed point and normalisation is idempotent):
/// 1. quotes and apostrophes in `punctuation` become their ASCII form;
/// 2. white space (Unicode `White_Space`), control characters and the word joiners in
///    `joiners` (hyphen, every dash, underscore, slash) become a separator: customers write
///    "rendez vous", "rendez-vous" and "rendez_vous" for the same words (issue 19);
/// 3. default-ignorable code points (soft hyphen, zero-width space and joiners, variation
///    selectors, BOM) are dropped, and so are accents (`isStrippedMark`) — dropping them after
///    decomposition is what strips accents;
/// 4. letters without a decomposition that readers treat as "a letter plus a mark" or a ligature
///    are spelt out (`extraLetters`: æ → ae, œ → oe, ø → o, ł → l, đ → d, ħ → h, ŧ → t);
/// 5. the compatibility decomposition (NFKD) replaces the scalar (ﬁ → fi, Ａ → A, é → e + ◌́);
///    Hangul syllables are kept whole, because decomposing them into jamo would only make Korean
///    text unreadable without helping any match;
/// 6. case folding is `lowercase(uppercase(x))` over the full Unicode mappings, which folds ß to
///    "ss", final sigma to σ, ﬀ to "ff", and — deliberately, not Turkish-locale — dotless ı to
///    "i" and dotted İ to "i" (İ lowercases to i + U+0307 whose dot is then dropped), so Turkish
///    words typed on any keyboard match each other.
enum ScalarFolding {
  /// Typographic quotes and apostrophes and their ASCII spelling. Checked before
  /// decomposition because some of them (´ U+00B4) decompose into a space and a mark.
  static let punctuation: [UInt32: UInt8] = {
    var table: [UInt32: UInt8] = [:]
    let apostrophes: [UInt32] = [
      0x2018, 0x2019, 0x201A, 0x201B, 0x02BC, 0x02BB, 0x02B9, 0x2032, 0x2035, 0x0060, 0x00B4,
      0x2039, 0x203A, 0xFF07, 0xFF40,
    ]
    let quotes: [UInt32] = [
      0x201C, 0x201D, 0x201E, 0x201F, 0x00AB, 0x00BB, 0x2033, 0x2036, 0x02BA, 0x301D, 0x301E,
      0x301F, 0xFF02,
    ]
    for value in apostrophes { table[value] = UInt8(ascii: "'") }
    for value in quotes { table[value] = UInt8(ascii: "\"") }
    return table
  }()

  /// Characters that join or split words and so read as a space: the hyphen-minus, every
  /// dash, the underscore and the slash, with their full-width and small forms. A phrase is normalised the same way, so "rendez-vous" and
  /// "rendez vous" match each other whichever the rule or the customer wrote.
  static let joiners: Set<UInt32> = [
    0x002D, 0x005F, 0x002F, 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0x2043,
    0x2E3A, 0x2E3B, 0xFE58, 0xFE63, 0xFF0D, 0x2044, 0x2215, 0xFF0F, 0xFF3F,
  ]

  /// Letters with no Unicode decomposition that are nevertheless "a base letter with an accent"
  /// or a ligature to most readers. Only lowercase forms: uppercase ones reach them by folding.
  static let extraLetters: [UInt32: String] = [
    0x00E6: "ae", 0x0153: "oe", 0x00F8: "o", 0x0142: "l", 0x0111: "d", 0x0127: "h", 0x0167: "t",
  ]

  /// Whether a combining mark is an accent to strip rather than part of the letter.
  ///
  /// Accents (the combining diacritics blocks, Cyrillic titlo, Hebrew points, Arabic harakat) are
  /// stripped: they are optional or often omitted when typing. Marks that change the letter in
  /// other scripts — Japanese voicing marks (が is not か), Indic vowel signs and viramas, Thai
  /// vowels — are kept, in canonical decomposed form (が becomes か + U+3099).
  static func isStrippedMark(_ value: UInt32) -> Bool {
    switch value {
    case 0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F,
      0x0483...0x0489, 0x0591...0x05C7, 0x0610...0x061A, 0x064B...0x065F, 0x0670,
      0x06D6...0x06ED:
      return true
    default:
      return false
    }
  }

  /// How deep the rules may re-apply to their own output; real data needs at most three levels.
  private static let maximumDepth = 6

  /// Folds `scalar` into UTF-8 bytes by the rules above; the slow, allocation-heavy reference
  /// path that the lookup tables are built from.
  static func foldedBytes(_ scalar: Unicode.Scalar) -> [UInt8] {
    var scalars: [Unicode.Scalar] = []
    fold(scalar, into: &scalars, depth: 0)
    var bytes: [UInt8] = []
    for folded in scalars { UTF8Decoding.encode(folded.value, into: &bytes) }
    return bytes
  }

  private static func fold(_ scalar: Unicode.Scalar, into out: inout [Unicode.Scalar], depth: Int) {
    let value = scalar.value
    if let ascii = punctuation[value] {
      out.append(Unicode.Scalar(ascii))
      return
    }
    let properties = scalar.properties
    if properties.isWhitespace || properties.generalCategory == .control
      || joiners.contains(value)
    {
      out.append(" ")
      return
    }
    if properties.isDefaultIgnorableCodePoint { return }
    switch properties.generalCategory {
    case .nonspacingMark, .enclosingMark:
      if isStrippedMark(value) { return }
    default: break
    }
    if let spelled = extraLetters[value] {
      out.append(contentsOf: spelled.unicodeScalars)
      return
    }
    guard depth < maximumDepth else {
      out.append(scalar)
      return
    }
    let isHangulSyllable = (0xAC00...0xD7A3).contains(value)
    if !isHangulSyllable {
      let decomposed = String(Character(scalar)).decomposedStringWithCompatibilityMapping
        .unicodeScalars
      if !(decomposed.count == 1 && decomposed.first == scalar) {
        for part in decomposed { fold(part, into: &out, depth: depth + 1) }
        return
      }
    }
    var caseFolded: [Unicode.Scalar] = []
    for upper in properties.uppercaseMapping.unicodeScalars {
      caseFolded.append(contentsOf: upper.properties.lowercaseMapping.unicodeScalars)
    }
    if caseFolded.count == 1 && caseFolded[0] == scalar {
      out.append(scalar)
      return
    }
    for part in caseFolded { fold(part, into: &out, depth: depth + 1) }
  }

  // MARK: - Lookup tables

  /// Blocks folded by table lookup, built once from the slow path: Latin, IPA, modifiers,
  /// combining diacritics, Greek, Cyrillic, Armenian, Hebrew, Arabic; Latin Extended
  /// Additional (Vietnamese), Greek Extended, General Punctuation (curly quotes, dashes, special
  /// spaces — phones insert them); currency, letterlike symbols, number forms; CJK punctuation
  /// and kana; variation selectors, small and full-width forms. The first block must start at 0.
  static let tableBlocks: [Range<UInt32>] = [
    0x0000..<0x0700, 0x1E00..<0x2070, 0x20A0..<0x2190, 0x3000..<0x3100, 0xFE00..<0x1_0000,
  ]

  /// Blocks where every scalar folds to itself (no case, no decomposition, no mark, no space):
  /// CJK ideographs, Hangul syllables and the main emoji blocks. Their bytes are copied as they
  /// are; a test checks every scalar of them against the slow path.
  static let identityBlocks: [Range<UInt32>] = [
    0x3400..<0x4DC0, 0x4E00..<0xA000, 0xAC00..<0xD7A4, 0x1_F300..<0x1_FB00,
  ]

  /// Marks an entry whose folding does not fit in seven bytes and must go the slow way.
  static let longEntry: UInt64 = 0xFF
  /// Marks a scalar that folds to itself: its original bytes are copied.
  static let identityEntry: UInt64 = 0xFE

  /// Packs a folding into one word: low byte = length (≤ 7), then the bytes, low first.
  private static func pack(_ bytes: [UInt8]) -> UInt64 {
    guard bytes.count <= 7 else { return longEntry }
    var word = UInt64(bytes.count)
    for (index, byte) in bytes.enumerated() { word |= UInt64(byte) << (8 * UInt64(index + 1)) }
    return word
  }

  /// Where each block of `tableBlocks` starts in `table`.
  static let tableBases: [Int] = {
    var bases: [Int] = []
    var next = 0
    for block in tableBlocks {
      bases.append(next)
      next += block.count
    }
    return bases
  }()

  /// Packed foldings of every scalar in `tableBlocks`, block after block.
  static let table: [UInt64] = tableBlocks.flatMap { block in
    block.map { value -> UInt64 in
      guard let scalar = Unicode.Scalar(value) else { return pack([0xEF, 0xBF, 0xBD]) }
      return pack(foldedBytes(scalar))
    }
  }

  /// The ASCII entries as a plain byte table: the single output byte (0x20 for separators).
  static let asciiTable: [UInt8] = (0..<128).map { value in
    let word = table[value]
    return word & 0xFF == 1 ? UInt8(truncatingIfNeeded: word >> 8) : 0x20
  }

  /// `table` and `asciiTable` copied once to memory that is never written or freed again, so
  /// the hot loop reads them without array bounds checks or retain/release traffic.
  nonisolated(unsafe) static let tablePointer: UnsafePointer<UInt64> = permanentCopy(of: table)
  nonisolated(unsafe) static let asciiPointer: UnsafePointer<UInt8> = permanentCopy(of: asciiTable)

  private static func permanentCopy<Element>(of elements: [Element]) -> UnsafePointer<Element> {
    let pointer = UnsafeMutablePointer<Element>.allocate(capacity: elements.count)
    pointer.initialize(from: elements, count: elements.count)
    return UnsafePointer(pointer)
  }

  /// The packed folding of `value` from the tables, `identityEntry`, or `longEntry` when the
  /// slow path (cached) must be asked.
  @inline(__always)
  static func packedFolding(
    of value: UInt32, table: UnsafePointer<UInt64>
  ) -> UInt64 {
    if value < 0x0700 { return table[Int(value)] }
    for index in 1..<tableBlocks.count where tableBlocks[index].contains(value) {
      return table[tableBases[index] + Int(value - tableBlocks[index].lowerBound)]
    }
    for block in identityBlocks where block.contains(value) { return identityEntry }
    return longEntry
  }

  // MARK: - Cache for the rest of Unicode

  /// Foldings computed on the slow path for scalars outside the tables; bounded so a flood of
  /// distinct rare characters cannot grow memory without end.
  private final class Cache: @unchecked Sendable {
    // INVARIANT: `entries` is only touched while `lock` is held.
    private let lock = NSLock()
    private var entries: [UInt32: [UInt8]] = [:]
    private let capacity = 65_536

    func bytes(for value: UInt32) -> [UInt8] {
      lock.lock()
      let cached = entries[value]
      lock.unlock()
      if let cached { return cached }
      let computed: [UInt8]
      if let scalar = Unicode.Scalar(value) {
        computed = ScalarFolding.foldedBytes(scalar)
      } else {
        computed = [0xEF, 0xBF, 0xBD]
      }
      lock.lock()
      if entries.count < capacity { entries[value] = computed }
      lock.unlock()
      return computed
    }
  }

  private static let cache = Cache()

  /// The folding of any scalar value outside the tables (cached).
  static func slowBytes(for value: UInt32) -> [UInt8] {
    cache.bytes(for: value)
  }
}
