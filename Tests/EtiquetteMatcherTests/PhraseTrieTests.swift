import EtiquetteChecker
import EtiquetteTestSupport
import Testing

@testable import EtiquetteMatcher

/// The path-compressed trie against the obvious prefix test, on keyword sets built to have
/// every node shape: long single-child chains (edges of more than 8 and more than 255 bytes),
/// phrases that are prefixes of others, and nodes with many children (dense rows).
@Suite struct PhraseTrieTests {
  /// Every keyword that `text` has at `start`, shortest first, as (keyword, end).
  static func expected(_ keywords: [[UInt8]], _ text: [UInt8], _ start: Int) -> [(Int32, Int)] {
    keywords.indices
      .filter { text[start...].starts(with: keywords[$0]) }
      .map { (Int32($0), start + keywords[$0].count) }
      .sorted { $0.1 < $1.1 }
  }

  static func walk(_ trie: PhraseTrie, _ text: [UInt8], _ start: Int) -> [(Int32, Int)] {
    var found: [(Int32, Int)] = []
    text.withUnsafeBufferPointer { text in
      trie.withBuffers { buffers in
        PhraseTrie.walk(text, from: start, buffers) { found.append(($0, $1)) }
      }
    }
    return found
  }

  @Test(arguments: [1, 2, 3, 4], [false, true])
  func walksFindExactlyThePhrasesStartingThere(seed: UInt64, packedBytes: Bool) {
    var random = SplitMix64(seed: seed)
    // Ten letters: the first levels have more children than `denseFanOut`.
    let alphabet = Array("abcdefghij ".utf8)
    var keywords: Set<[UInt8]> = []
    for _ in 0..<300 {
      let length = random.chance(5) ? 250 + random.below(30) : 1 + random.below(9)
      keywords.insert((0..<length).map { _ in alphabet[random.below(alphabet.count)] })
    }
    // Prefix chains: a keyword and several of its prefixes.
    let long = (0..<300).map { _ in alphabet[random.below(4)] }
    for length in [3, 5, 9, 10, 17, 260, 300] { keywords.insert(Array(long.prefix(length))) }
    let list = Array(keywords)
    let trie = PhraseTrie(keywords: list, packedBytes: packedBytes)
    // One state per distinct prefix, the empty one (the root) included.
    var prefixes: Set<[UInt8]> = [[]]
    for keyword in list {
      for length in 1...keyword.count { prefixes.insert(Array(keyword.prefix(length))) }
    }
    #expect(trie.stateCount == prefixes.count)
    // Path compression: a node per phrase end, branching point and 255-byte cut, not per byte.
    #expect(trie.nodes.count < prefixes.count / 2)
    #expect(trie.childLookup == (packedBytes ? .packedBytes : .classMask))
    for _ in 0..<40 {
      // Texts made of pieces of keywords, so that walks go deep.
      var text: [UInt8] = []
      while text.count < 320 {
        let keyword = list[random.below(list.count)]
        text += keyword.prefix(1 + random.below(keyword.count))
      }
      for start in 0..<text.count {
        let actual = Self.walk(trie, text, start)
        let wanted = Self.expected(list, text, start)
        #expect(actual.map(\.0) == wanted.map(\.0) && actual.map(\.1) == wanted.map(\.1))
      }
      // Two walks at a time from every start: the same phrases, each walk's in order.
      var starts = Array(0..<text.count).makeIterator()
      var pairwise: [Int: [(Int32, Int)]] = [:]
      text.withUnsafeBufferPointer { text in
        trie.withBuffers { buffers in
          PhraseTrie.walkPairwise(text, buffers, nextStart: { starts.next() ?? -1 }) {
            pairwise[$0, default: []].append(($1, $2))
          }
        }
      }
      for start in 0..<text.count {
        let actual = pairwise[start] ?? []
        let wanted = Self.expected(list, text, start)
        #expect(actual.map(\.0) == wanted.map(\.0) && actual.map(\.1) == wanted.map(\.1))
      }
    }
  }

  /// A node with 1 to 10 children, whose bytes include 0x00 and 0xFF (unused lanes of a node's
  /// packed child bytes hold 0x00), probed with every byte: exactly the children are found,
  /// with either child lookup.
  @Test(arguments: 1...10, [false, true])
  func childChoiceByEveryByte(children: Int, packedBytes: Bool) {
    let bytes: [UInt8] = [0x00, 0xFF, 0x61, 0x7A, 0x80, 0x01, 0x62, 0x7F, 0xFE, 0x20]
    let keywords = bytes.prefix(children).map { [UInt8(ascii: "p"), $0] }
    let trie = PhraseTrie(keywords: keywords, packedBytes: packedBytes)
    for value in 0...255 {
      let text = [UInt8(ascii: "p"), UInt8(value)]
      let wanted = Self.expected(keywords, text, 0)
      let actual = Self.walk(trie, text, 0)
      #expect(actual.map(\.0) == wanted.map(\.0) && actual.map(\.1) == wanted.map(\.1))
    }
  }

  /// More than 63 distinct bytes (a rule set in Cyrillic or Arabic: UTF-8 continuation bytes)
  /// do not fit a node's class mask: the trie takes packed bytes and dense rows, and a node
  /// with a child for every byte UTF-8 text can hold still finds each. A node whose children
  /// use all 64 bits of the mask (class 63 included) finds each too.
  @Test func moreThanSixtyFourByteClassesTakePackedBytes() {
    let keywords = (0...0xF4).map { [UInt8(ascii: "q"), UInt8($0), UInt8(ascii: "z")] }
    let trie = PhraseTrie(keywords: keywords)
    #expect(trie.childLookup == .packedBytes)
    for value in 0...0xF4 {
      let text = [UInt8(ascii: "q"), UInt8(value), UInt8(ascii: "z"), UInt8(ascii: " ")]
      #expect(Self.walk(trie, text, 0).map(\.0) == [Int32(value)])
    }
    // 63 bytes ("a" last, class 63) + class 0 for the others: 64 classes, the most a mask
    // holds; "a" has a child in every one.
    let widest =
      (0..<62).map { [UInt8(ascii: "a"), 0x21 + UInt8($0)] } + [[UInt8(ascii: "a"), 0x61]]
    let full = PhraseTrie(keywords: widest)
    #expect(full.childLookup == .classMask)
    for value in 0...255 {
      let text = [UInt8(ascii: "a"), UInt8(value)]
      let wanted = Self.expected(widest, text, 0)
      #expect(Self.walk(full, text, 0).map(\.0) == wanted.map(\.0))
    }
    #expect(PhraseTrie(keywords: widest + [[0xF0]]).childLookup == .packedBytes)
  }

  /// Simple triggers (one `contains any` of distinct phrases, or `contains "…"`) take the fast
  /// path; the others (`all`, repeated phrases, several atoms) the general one. Both must agree
  /// with the reference evaluator, evidence order included.
  @Test func simpleAndGeneralTriggersAgreeWithTheReference() throws {
    let ruleSet = try #require(
      MatcherHarness.ruleSet(
        """
        label "Simple" {
          when message contains any ["colis", "a b c", "carte bancaire refusée", "b c"]
          when message contains "colis perdu depuis lundi"
          remove when message contains any ["merci"]
        }
        label "General" {
          when message contains all ["colis", "carte"]
          when message contains any ["Colis", "colis"]
          when message contains any ["a b c"] or message contains any ["remboursement"]
          when message contains any ["merci"] and not message contains any ["colis"]
        }
        team "T" {
          members ["a@exemple.fr"]
          can reply all
        }
        routing {
          default ai
        }
        """))
    let matcher = RuleMatcher(ruleSet)
    #expect(matcher.isSimpleTrigger.filter { $0 }.count == 3)
    let phrases = DifferentialTests.allPhrases(ruleSet).map(\.text)
    let messages =
      [
        "a b c colis", "B C puis A B C", "ma carte bancaire refusée et mon colis",
        "remboursement, colis perdu depuis lundi", "merci", "merci pour le colis", "rien",
      ] + DifferentialTests.messages(phrases: phrases, count: 400, seed: 9)
    #expect(DifferentialTests.compare(ruleSet, messages: messages) > 100)
  }
}
