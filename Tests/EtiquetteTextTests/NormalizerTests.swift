import Testing

@testable import EtiquetteText

/// Table tests for what each kind of text becomes once normalised.
@Suite struct NormalizerTests {
  static let cases: [(input: String, expected: String)] = [
    // French: curly apostrophe, accents, capitals.
    ("J’ai Réservé", "j'ai reserve"),
    ("Ça coûte CHER à Noël", "ca coute cher a noel"),
    ("ÉLÈVE", "eleve"),
    // German sharp s, lower and capital.
    ("Straße", "strasse"),
    ("STRAẞE", "strasse"),
    // Turkish: dotted capital İ and dotless ı both become plain i (documented, not locale-aware).
    ("İstanbul", "istanbul"),
    ("ılık", "ilik"),
    ("IŞIK", "isik"),
    // Ligatures and letters spelt out.
    ("ﬁn", "fin"),
    ("ﬂûte", "flute"),
    ("œuvre", "oeuvre"),
    ("sœur", "soeur"),
    ("Cæcilia", "caecilia"),
    ("Œuvre", "oeuvre"),
    ("æther", "aether"),
    ("Ærø", "aero"),
    ("Łódź", "lodz"),
    ("ﬀ ﬃ ﬆ", "ff ffi st"),
    // Full-width forms.
    ("Ａ１", "a1"),
    ("ｈｅｌｌｏ　ｗｏｒｌｄ", "hello world"),
    // Apostrophes and single quotes.
    ("l’été", "l'ete"),
    ("l‘été", "l'ete"),
    ("lʼété", "l'ete"),
    ("l′été", "l'ete"),
    ("l`été", "l'ete"),
    ("l´été", "l'ete"),
    ("‚oui‛", "'oui'"),
    ("‹oui›", "'oui'"),
    // Elisions keep their apostrophe here; the matcher adds the other spelling of a phrase.
    ("J’ai", "j'ai"),
    ("jusqu‘à", "jusqu'a"),
    // Double quotes.
    ("“oui”", "\"oui\""),
    ("« oui »", "\" oui \""),
    ("„ja“", "\"ja\""),
    // Hyphens, dashes, underscores and slashes separate words like a space (issue 19).
    ("rendez-vous", "rendez vous"),
    ("rendez_vous", "rendez vous"),
    ("rendez/vous", "rendez vous"),
    ("rendez - vous", "rendez vous"),
    ("a‐b", "a b"),
    ("a‑b", "a b"),
    ("a–b", "a b"),
    ("a—b", "a b"),
    ("a―b", "a b"),
    ("a−b", "a b"),
    ("a－b", "a b"),
    ("a／b", "a b"),
    ("-20 %", "20 %"),
    ("__init__", "init"),
    // White space of every kind collapses to one space and is trimmed.
    ("a\u{00A0}b", "a b"),
    ("a\u{202F}b", "a b"),
    ("a \t\n\r b", "a b"),
    ("rendez\u{00A0}vous", "rendez vous"),
    ("prendre\u{202F}rendez\u{2009}vous", "prendre rendez vous"),
    ("\u{2003}a\u{3000}b\u{2028}", "a b"),
    ("  padded  ", "padded"),
    ("a\u{0000}b", "a b"),
    // Emoji and symbols stay.
    ("merci 😀!", "merci 😀!"),
    ("❤️ top", "❤ top"),
    ("5€ #1 @bob", "5€ #1 @bob"),
    // Combining sequences.
    ("e\u{0301}", "e"),
    ("Re\u{0301}serve\u{0301}", "reserve"),
    ("a\u{0308}\u{0304}", "a"),
    // Invisible format characters vanish.
    ("ré\u{00AD}servé", "reserve"),
    ("ré\u{200B}servé", "reserve"),
    ("\u{FEFF}bonjour", "bonjour"),
    // Compatibility forms.
    ("x²", "x2"),
    ("…", "..."),
    ("①", "1"),
    // Other scripts.
    ("ΣΊΣΥΦΟΣ", "σισυφοσ"),
    ("Привет Ёлка", "привет елка"),
    ("한국어", "한국어"),
    ("日本語", "日本語"),
    ("ｶﾞス", "カ\u{3099}ス"),  // voicing mark kept, decomposed
    ("שָׁלוֹם", "שלום"),
    // Empty and blank.
    ("", ""),
    ("   ", ""),
    ("\u{00A0}\u{202F}\t", ""),
  ]

  @Test(arguments: cases)
  func normalizes(input: String, expected: String) {
    let normalized = Normalizer.normalize(input)
    // Bytes, not String ==, which would accept any canonically equivalent form.
    #expect(normalized.bytes == Array(expected.utf8))
    #expect(normalized.originalOffsets.count == normalized.bytes.count + 1)
    #expect(normalized.originalOffsets.last == input.utf8.count)
  }

  @Test(arguments: cases)
  func bytesAndStringAgree(input: String, expected: String) {
    let fromString = Normalizer.normalize(input)
    let fromBytes = Normalizer.normalize(utf8: Array(input.utf8))
    #expect(fromString == fromBytes)
  }

  @Test func keptMarksAreDecomposed() {
    // が (U+304C) and か + U+3099 are canonically equivalent and normalise to the same bytes.
    #expect(Normalizer.normalize("が").bytes == Normalizer.normalize("か\u{3099}").bytes)
    #expect(Normalizer.normalize("が").string.unicodeScalars.map(\.value) == [0x304B, 0x3099])
  }

  @Test func offsetsPointAtTheSourceCharacters() {
    let normalized = Normalizer.normalize("J’ai")
    // "j" ← 0, "'" ← 1 (’ is three bytes), "a" ← 4, "i" ← 5, end = 6.
    #expect(normalized.originalOffsets == [0, 1, 4, 5, 6])
  }

  @Test func collapsedSpaceMapsToTheFirstSpace() {
    let normalized = Normalizer.normalize("a \u{00A0} b")
    #expect(normalized.string == "a b")
    #expect(normalized.originalOffsets == [0, 1, 5, 6])
  }

  @Test func leadingSpaceIsNotMapped() {
    let normalized = Normalizer.normalize("  ok")
    #expect(normalized.string == "ok")
    #expect(normalized.originalOffsets == [2, 3, 4])
  }

  @Test func originalRangeCoversAccentedWords() throws {
    let message = "Bonjour, j’ai réservé hier"
    let normalized = Normalizer.normalize(message)
    let phrase = Array("reserve".utf8)
    let start = try #require(firstIndex(of: phrase, in: normalized.bytes))
    let span = normalized.originalRange(of: start..<start + phrase.count)
    let original = Array(message.utf8)
    #expect(String(decoding: original[span], as: UTF8.self) == "réservé")
  }

  @Test func originalRangeIncludesDroppedMarks() throws {
    let message = "Re\u{0301}serve\u{0301}!"
    let normalized = Normalizer.normalize(message)
    #expect(normalized.string == "reserve!")
    let span = normalized.originalRange(of: 0..<7)
    #expect(String(decoding: Array(message.utf8)[span], as: UTF8.self) == "Re\u{0301}serve\u{0301}")
  }

  @Test func originalRangeOfPartOfAnExpansionCoversTheWholeCharacter() {
    let normalized = Normalizer.normalize("aß")
    #expect(normalized.string == "ass")
    // Only the first "s" of "ss": still the whole "ß" (bytes 1..<3).
    #expect(normalized.originalRange(of: 1..<2) == 1..<3)
    #expect(normalized.originalRange(of: 2..<3) == 1..<3)
    #expect(normalized.originalRange(of: 0..<3) == 0..<3)
  }

  @Test func originalRangeOfEmptyAndOutOfBoundsRanges() {
    let normalized = Normalizer.normalize("ab")
    #expect(normalized.originalRange(of: 1..<1) == 1..<1)
    #expect(normalized.originalRange(of: 0..<99) == 0..<2)
    #expect(Normalizer.normalize("").originalRange(of: 0..<0) == 0..<0)
  }

  @Test func invalidUTF8BecomesReplacementCharacters() {
    // 0xFF is never valid; E2 82 is a truncated three-byte sequence (one maximal subpart).
    let normalized = Normalizer.normalize(utf8: [0x41, 0xFF, 0x42, 0xE2, 0x82, 0x43])
    #expect(normalized.string == "a\u{FFFD}b\u{FFFD}c")
    #expect(normalized.originalOffsets == [0, 1, 1, 1, 2, 3, 3, 3, 5, 6])
  }

  @Test(arguments: [
    [UInt8]([0xC0, 0x80]),  // overlong NUL
    [0xED, 0xA0, 0x80],  // surrogate
    [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
    [0xF0, 0x9F, 0x98],  // truncated emoji
    [0x80, 0x80, 0x80],  // lone continuation bytes
  ])
  func invalidSequencesNeverCrash(bytes: [UInt8]) {
    let normalized = Normalizer.normalize(utf8: bytes)
    #expect(normalized.string.unicodeScalars.allSatisfy { $0 == "\u{FFFD}" })
    #expect(!normalized.bytes.isEmpty)
    #expect(normalized.originalOffsets.last == bytes.count)
  }

  @Test func nonContiguousCollectionsAreAccepted() {
    let bytes = "Élan".utf8.reversed().reversed()
    #expect(Normalizer.normalize(utf8: bytes).string == "elan")
  }

  @Test(
    arguments: [
      ("a", true), ("Z", true), ("7", true), ("é", true), ("ж", true), ("中", true), ("٣", true),
      ("\u{0301}", true), ("_", false), (" ", false), ("'", false), ("-", false), ("😀", false),
      ("\u{FFFD}", false), ("€", false),
    ] as [(Unicode.Scalar, Bool)])
  func wordCharacters(scalar: Unicode.Scalar, isWord: Bool) {
    #expect(Normalizer.isWordCharacter(scalar) == isWord)
  }

  @Test func tablesAgreeWithTheSlowPath() {
    // The lookup tables are built from the slow path; compare every entry through the public
    // entry point (which trims and collapses the separators the slow path produces).
    let values = ScalarFolding.tableBlocks.flatMap { $0 }
    for value in values {
      guard let scalar = Unicode.Scalar(value) else { continue }
      #expect(
        Normalizer.normalize(String(Character(scalar))).bytes == trimmedSlowFolding(scalar),
        "U+\(String(value, radix: 16))")
    }
  }

  @Test func identityBlocksReallyFoldToThemselves() {
    var wrong: [UInt32] = []
    for block in ScalarFolding.identityBlocks {
      for value in block {
        guard let scalar = Unicode.Scalar(value) else { continue }
        var own: [UInt8] = []
        UTF8Decoding.encode(value, into: &own)
        if ScalarFolding.foldedBytes(scalar) != own { wrong.append(value) }
      }
    }
    #expect(wrong.isEmpty, "\(wrong.prefix(10).map { String($0, radix: 16) })")
  }

  private func trimmedSlowFolding(_ scalar: Unicode.Scalar) -> [UInt8] {
    // Split bytes, not Characters: a space followed by a kept mark is one Character.
    let words = ScalarFolding.foldedBytes(scalar).split(separator: 0x20)
    return Array(words.joined(separator: [0x20]))
  }
}

/// The first index of `needle` in `haystack`.
func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
  guard !needle.isEmpty, needle.count <= haystack.count else { return nil }
  for start in 0...(haystack.count - needle.count)
  where haystack[start..<start + needle.count].elementsEqual(needle) {
    return start
  }
  return nil
}
