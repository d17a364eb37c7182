import EtiquetteTestSupport
import Foundation
import Testing

@testable import EtiquetteText

/// Random text drawn from the kinds of characters customer messages contain.
enum RandomText {
  static let pools: [[Unicode.Scalar]] = [
    scalars(0x20...0x7E),  // ASCII
    scalars(0xC0...0x17F),  // accented Latin
    scalars(0x391...0x3C9),  // Greek
    scalars(0x400...0x45F),  // Cyrillic
    scalars(0x4E00...0x4E40) + scalars(0x3041...0x3096),  // CJK, hiragana
    scalars(0x1F600...0x1F64F) + ["\u{2764}", "\u{FE0F}", "\u{200D}"],  // emoji
    scalars(0x300...0x36F),  // combining marks
    [" ", "\t", "\n", "\u{A0}", "\u{202F}", "\u{3000}"],  // spaces
    ["’", "‘", "“", "”", "«", "»", "–", "—", "ß", "ẞ", "İ", "ı", "ﬁ", "ﬂ", "œ", "æ", "Ａ", "１"],
  ]

  static func scalars(_ range: ClosedRange<UInt32>) -> [Unicode.Scalar] {
    range.compactMap(Unicode.Scalar.init)
  }

  static func string(using generator: inout SplitMix64, maxLength: Int = 24) -> String {
    let length = Int.random(in: 0...maxLength, using: &generator)
    var scalars = String.UnicodeScalarView()
    for _ in 0..<length {
      let pool = pools[Int.random(in: 0..<pools.count, using: &generator)]
      scalars.append(pool[Int.random(in: 0..<pool.count, using: &generator)])
    }
    return String(scalars)
  }
}

@Suite struct NormalizerPropertyTests {
  @Test func normalizationIsIdempotentAndOffsetsAreMonotonic() {
    var generator = SplitMix64(seed: 0xE71C_0E77)
    for _ in 0..<5_000 {
      let text = RandomText.string(using: &generator)
      let once = Normalizer.normalize(text)
      let twice = Normalizer.normalize(once.string)
      #expect(twice.bytes == once.bytes, "not idempotent on \(text.debugDescription)")
      let length = text.utf8.count
      #expect(once.originalOffsets.count == once.bytes.count + 1)
      #expect(once.originalOffsets.last == length)
      #expect(zip(once.originalOffsets, once.originalOffsets.dropFirst()).allSatisfy { $0 <= $1 })
      #expect(once.originalOffsets.allSatisfy { (0...length).contains($0) })
      #expect(once.bytes.first != 0x20 && once.bytes.last != 0x20)
      #expect(!once.string.contains("  "))
    }
  }

  @Test func randomBytesNeverCrash() {
    var generator = SplitMix64(seed: 42)
    for _ in 0..<2_000 {
      let count = Int.random(in: 0...64, using: &generator)
      let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
      let normalized = Normalizer.normalize(utf8: bytes)
      #expect(normalized.originalOffsets.last == count)
      // Normalised text is valid UTF-8: decoding and re-encoding gives the same bytes.
      #expect(Array(normalized.string.utf8) == normalized.bytes)
      #expect(Normalizer.normalize(normalized.string).bytes == normalized.bytes)
    }
  }

  @Test func aPhraseAlwaysMatchesInsideAMessageThatContainsIt() {
    var generator = SplitMix64(seed: 7)
    for _ in 0..<2_000 {
      let phrase = RandomText.string(using: &generator, maxLength: 8)
      let message =
        RandomText.string(using: &generator, maxLength: 8) + " " + phrase + " "
        + RandomText.string(using: &generator, maxLength: 8)
      let needle = Normalizer.normalize(phrase).bytes
      guard !needle.isEmpty else { continue }
      let haystack = Normalizer.normalize(message).bytes
      #expect(firstIndex(of: needle, in: haystack) != nil, "\(phrase.debugDescription)")
    }
  }

  /// The obvious implementation, with Foundation doing case, accent and width folding and the
  /// documented punctuation, space and letter rules done by hand.
  ///
  /// Intended differences, applied here so the comparison holds:
  /// - dotless ı folds to i (Foundation keeps it), so the reference maps it first;
  /// - invisible format characters are dropped (Foundation keeps them);
  /// - Foundation does not apply compatibility decompositions beyond width (½, ①, ﬀ-style
  ///   ligatures are partly handled), so the reference applies NFKC first;
  /// - accents are dropped wherever they stand; Foundation keeps those that follow no letter
  ///   (at the start, after an emoji, kana or CJK character), so the reference drops the
  ///   remaining ones after folding — and U+0345 (iota subscript), which Foundation case-folds
  ///   to ι when it stands alone, is dropped before;
  /// - the comparison is by canonical equivalence (Swift `String ==`), since kept marks come
  ///   out decomposed.
  static func reference(_ text: String) -> String {
    var mapped = String.UnicodeScalarView()
    for scalar in text.precomposedStringWithCompatibilityMapping.unicodeScalars {
      switch scalar {
      case "’", "‘", "‚", "‛", "ʼ", "ʻ", "ʹ", "′", "‵", "`", "´", "‹", "›", "＇", "｀":
        mapped.append("'")
      case "“", "”", "„", "‟", "«", "»", "″", "‶", "ʺ", "〝", "〞", "〟", "＂":
        mapped.append("\"")
      case "‐", "‑", "‒", "–", "—", "―", "−", "⁃", "⸺", "⸻", "﹘", "﹣", "－", "-", "_", "/", "⁄",
        "∕", "／", "＿":
        // Word joiners read as spaces (issue 19).
        mapped.append(" ")
      case "ı":
        mapped.append("i")
      case "\u{0345}":
        continue
      default:
        if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control {
          mapped.append(" ")
        } else if !scalar.properties.isDefaultIgnorableCodePoint {
          mapped.append(scalar)
        }
      }
    }
    let folded = String(mapped).folding(
      options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
    var spelled = ""
    let accentless = String(
      String.UnicodeScalarView(folded.unicodeScalars.filter { !isAccent($0.value) }))
    for character in accentless {
      switch character {
      case "æ": spelled += "ae"
      case "œ": spelled += "oe"
      case "ø": spelled += "o"
      case "ł": spelled += "l"
      case "đ": spelled += "d"
      case "ħ": spelled += "h"
      case "ŧ": spelled += "t"
      default: spelled.append(character)
      }
    }
    return spelled.split(separator: " ").joined(separator: " ")
  }

  /// The accent blocks of the documented rule (combining diacritics, Cyrillic titlo, Hebrew
  /// points, Arabic harakat).
  static func isAccent(_ value: UInt32) -> Bool {
    [
      0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F,
      0x0483...0x0489, 0x0591...0x05C7, 0x0610...0x061A, 0x064B...0x065F, 0x0670...0x0670,
      0x06D6...0x06ED,
    ].contains { $0.contains(value) }
  }

  @Test func agreesWithAFoundationReference() {
    var generator = SplitMix64(seed: 2024)
    var mismatches: [String] = []
    for _ in 0..<3_000 {
      let text = RandomText.string(using: &generator)
      let fast = Normalizer.normalize(text).string
      let slow = Self.reference(text)
      if fast != slow {
        mismatches.append(
          "\(text.debugDescription): \(fast.debugDescription) vs \(slow.debugDescription)")
      }
    }
    #expect(mismatches.isEmpty, "\(mismatches.prefix(20).joined(separator: "\n"))")
  }
}
