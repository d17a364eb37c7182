import EtiquetteText

/// Phrases marked `typos` (issue 19), found with spelling mistakes: one edit (insertion,
/// deletion, substitution, transposition of neighbours) in each word of 5 to 8 letters, two in
/// each word of 9 or more, none in shorter words or in words with digits (numbers, codes).
///
/// Two levels, never a loop over phrases:
/// - the distinct words of the phrases are in a deletion index (SymSpell's symmetric deletion):
///   every string a phrase word becomes with up to its budget of letters deleted, hashed, in one
///   open-addressing table. Two words within k edits (optimal string alignment: each insertion,
///   deletion, substitution or transposition of neighbours deletes at most one letter on each
///   side) become the same string with at most k letters deleted from each, so a message word
///   looks up its own deletions — at most 1 + L + L(L-1)/2 probes for a word of L letters, and
///   only the deletion counts some phrase word of a near length can need — and every phrase
///   word found is confirmed with the bounded edit distance (a hash collision or a pair of
///   deletions that is not one edit costs a check, never a false match);
/// - the phrases are in a trie over word numbers; each message word extends the walks that
///   reached the word before it (one space or apostrophe between them) and starts new ones.
///
/// Why a deletion index rather than a Levenshtein automaton over the word trie (Schulz–Mihov):
/// the automaton walk visits every trie node whose prefix is within two edits of the message
/// word's — at 5,000 phrases hundreds of nodes per word, each a dependent load — while most
/// message words here are short (budget 0 or 1 for the phrase words they can meet), where the
/// index costs one to nine hash probes; the bounded budgets (≤ 2) keep its size linear in the
/// phrase words (a word of 9+ letters has at most 1 + 48 + 1,128 deletions of ≤ 2 letters) and
/// building it is hashing and one sort. See Benchmarks/README.md, "Matching modes".
struct TypoIndex: Sendable {
  /// The distinct phrase words (their first `maximumWordLength` bytes): word `w` is
  /// `wordBytes[wordStart[w] ..< wordStart[w + 1]]`.
  let wordStart: [Int32]
  let wordBytes: [UInt8]
  /// Per phrase word: how many edits it takes.
  let budget: [UInt8]
  /// Bit `n` is set when some phrase word of `n` bytes takes at least one edit, two edits: which
  /// deletions of a message word can meet a deletion of a phrase word (see `find`).
  let lengthsWithOneEdit: UInt64
  let lengthsWithTwoEdits: UInt64
  /// The deletion index, a power-of-two table probed linearly: `slotKey[s]` is the hash of a
  /// deletion (`key`; 0 marks an empty slot) and `slotValue[s]` the phrase word it comes from,
  /// or `-(k + 1)` when it comes from several, listed in `sharedWords` list `k`.
  let slotKey: [UInt64]
  let slotValue: [Int32]
  let sharedWords: FlatLists
  /// The phrase trie over word numbers: the root's child for each word (-1 for none); the other
  /// nodes' children as `childWord` / `childNode` ranges by `childStart`; the phrases ending at
  /// each node.
  let rootChild: [Int32]
  let childStart: [Int32]
  let childWord: [Int32]
  let childNode: [Int32]
  let phrasesAt: FlatLists
  /// `multiplier` to the power 0 … `maximumWordLength`, for hashing deletions.
  let powers: [UInt64]

  /// At most this many bytes of a message word are compared: a bound on the work per word on
  /// untrusted text (no phrase word is longer, or it is cut the same way). At most 64, the bits
  /// of `lengthsWithOneEdit`.
  static let maximumWordLength = 48

  /// The polynomial hash's multiplier (odd; arithmetic modulo 2⁶⁴).
  static let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15

  /// How many edits a word takes (`TypoBudget.edits`).
  static func budget(of word: some Collection<UInt8>) -> UInt8 {
    UInt8(TypoBudget.edits(for: word))
  }

  /// `phrases`: for each phrase number, its spellings as normalised (or stemmed) text; the
  /// budget of each word is the smaller of its own and that of the same word of `budgetText`
  /// (the unstemmed words, for `forms typos`).
  init(_ phrases: [(phrase: Int32, spellings: [(text: String, budgetText: String)])]) {
    var wordNumbers: [[UInt8]: Int32] = [:]
    var wordStart: [Int32] = [0]
    var wordBytes: [UInt8] = []
    var budget: [UInt8] = []
    func wordNumber(_ word: ArraySlice<UInt8>, budget wordBudget: UInt8) -> Int32 {
      let bytes = Array(word.prefix(Self.maximumWordLength))
      if let number = wordNumbers[bytes] {
        budget[Int(number)] = min(budget[Int(number)], wordBudget)
        return number
      }
      let number = Int32(budget.count)
      wordNumbers[bytes] = number
      wordBytes.append(contentsOf: bytes)
      wordStart.append(Int32(wordBytes.count))
      budget.append(wordBudget)
      return number
    }
    // The phrase trie, its edges by (node, word) while it is built.
    var edges: [Int64: Int32] = [:]
    var edgeList: [(node: Int32, word: Int32, child: Int32)] = []
    var phrasesAt: [[Int32]] = [[]]
    for (phrase, spellings) in phrases {
      for (text, budgetText) in spellings {
        let bytes = Array(text.utf8)
        let words = WordForms.words(bytes)
        let budgetBytes = Array(budgetText.utf8)
        let budgetWords = WordForms.words(budgetBytes)
        guard !words.isEmpty else { continue }
        var node: Int32 = 0
        for (index, range) in words.enumerated() {
          let budgetSource =
            budgetWords.count == words.count ? budgetBytes[budgetWords[index]] : bytes[range]
          // With `forms typos` the budget is the smaller of the written word's and its stem's:
          // "payer" takes a typo, its stem "pai" none (or "ai" and "pas" would be "payer").
          let word = wordNumber(
            bytes[range], budget: min(Self.budget(of: budgetSource), Self.budget(of: bytes[range])))
          let edge = Int64(node) << 32 | Int64(word)
          if let child = edges[edge] {
            node = child
          } else {
            let child = Int32(phrasesAt.count)
            edges[edge] = child
            edgeList.append((node, word, child))
            phrasesAt.append([])
            node = child
          }
        }
        if !phrasesAt[Int(node)].contains(phrase) { phrasesAt[Int(node)].append(phrase) }
      }
    }
    self.wordStart = wordStart
    self.wordBytes = wordBytes
    self.budget = budget
    self.phrasesAt = FlatLists(phrasesAt)

    // Children by node (the root's by word), in flat arrays.
    var rootChild = [Int32](repeating: -1, count: budget.count)
    var childCount = [Int32](repeating: 0, count: phrasesAt.count + 1)
    for edge in edgeList where edge.node != 0 { childCount[Int(edge.node) + 1] += 1 }
    for node in 0..<phrasesAt.count { childCount[node + 1] += childCount[node] }
    var cursor = childCount
    var childWord = [Int32](repeating: 0, count: Int(childCount[phrasesAt.count]))
    var childNode = childWord
    for edge in edgeList {
      if edge.node == 0 {
        rootChild[Int(edge.word)] = edge.child
      } else {
        let slot = Int(cursor[Int(edge.node)])
        childWord[slot] = edge.word
        childNode[slot] = edge.child
        cursor[Int(edge.node)] += 1
      }
    }
    self.rootChild = rootChild
    self.childStart = childCount
    self.childWord = childWord
    self.childNode = childNode

    // Every deletion of every phrase word within its budget, into the table as it comes: sized
    // for as many deletions as the words can have (fewer are distinct).
    var powers: [UInt64] = [1]
    for _ in 0..<Self.maximumWordLength {
      powers.append(powers[powers.count - 1] &* Self.multiplier)
    }
    self.powers = powers
    var oneEdit: UInt64 = 0
    var twoEdits: UInt64 = 0
    var most = 0
    for word in budget.indices {
      let length = Int(wordStart[word + 1] - wordStart[word])
      let edits = Int(budget[word])
      most += 1 + (edits >= 1 ? length : 0) + (edits >= 2 ? length * (length - 1) / 2 : 0)
      if edits >= 1 { oneEdit |= 1 << UInt64(length) }
      if edits >= 2 { twoEdits |= 1 << UInt64(length) }
    }
    lengthsWithOneEdit = oneEdit
    lengthsWithTwoEdits = twoEdits
    var capacity = 16
    while capacity < most + most / 2 { capacity *= 2 }
    let mask = capacity - 1
    var slotKey = [UInt64](repeating: 0, count: capacity)
    var slotValue = [Int32](repeating: 0, count: capacity)
    var shared: [[Int32]] = []
    slotKey.withUnsafeMutableBufferPointer { slotKey in
      slotValue.withUnsafeMutableBufferPointer { slotValue in
        powers.withUnsafeBufferPointer { powers in
          wordBytes.withUnsafeBufferPointer { bytes in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Self.maximumWordLength + 1) {
              prefix in
              for word in budget.indices {
                let text = UnsafeBufferPointer(
                  rebasing: bytes[Int(wordStart[word])..<Int(wordStart[word + 1])])
                let edits = Int(budget[word])
                let number = Int32(word)
                Self.forEachDeletion(
                  of: text, one: edits >= 1, two: edits >= 2, powers: powers, prefix: prefix
                ) { key in
                  var slot = Int(truncatingIfNeeded: key) & mask
                  while slotKey[slot] != 0 && slotKey[slot] != key { slot = (slot + 1) & mask }
                  if slotKey[slot] == 0 {
                    slotKey[slot] = key
                    slotValue[slot] = number
                    return
                  }
                  // INVARIANT: words come in increasing order, so a word already listed for
                  // this key is the last one.
                  let value = slotValue[slot]
                  if value >= 0 {
                    if value != number {
                      slotValue[slot] = -Int32(shared.count) - 1
                      shared.append([value, number])
                    }
                  } else if shared[Int(-value - 1)].last != number {
                    shared[Int(-value - 1)].append(number)
                  }
                }
              }
            }
          }
        }
      }
    }
    self.slotKey = slotKey
    self.slotValue = slotValue
    sharedWords = FlatLists(shared)
  }

  var isEmpty: Bool { budget.isEmpty }

  // MARK: - Hashing deletions

  /// The table key of a string with polynomial hash `hash` and `length` bytes: mixed (the
  /// finaliser of MurmurHash3), never 0.
  @inline(__always)
  static func key(hash: UInt64, length: Int) -> UInt64 {
    var value = hash ^ (UInt64(length) &* 0xFF51_AFD7_ED55_8CCD)
    value ^= value >> 33
    value &*= 0xC4CE_B9FE_1A85_EC53
    value ^= value >> 29
    value &*= 0x94D0_49BB_1331_19FB
    value ^= value >> 32
    return value == 0 ? 1 : value
  }

  /// Calls `body` with the key of `word` and of each string it becomes with one letter deleted
  /// (when `one`) and with two deleted (when `two`); equal strings may come more than once.
  /// `prefix`: scratch for `word.count + 1` hashes; `powers`: `multiplier` to the 0 … 48.
  @inline(__always)
  static func forEachDeletion(
    of word: UnsafeBufferPointer<UInt8>, one: Bool, two: Bool,
    powers: UnsafeBufferPointer<UInt64>, prefix: UnsafeMutableBufferPointer<UInt64>,
    _ body: (UInt64) -> Void
  ) {
    // prefix[i] is the hash of word[0 ..< i]; the hash of word[a ..< b] is
    // prefix[b] - prefix[a] · multiplier^(b - a), and that of x + y is
    // hash(x) · multiplier^|y| + hash(y).
    let length = word.count
    prefix[0] = 0
    for index in 0..<length {
      prefix[index + 1] = prefix[index] &* multiplier &+ UInt64(word[index]) &+ 1
    }
    @inline(__always) func segment(_ a: Int, _ b: Int) -> UInt64 {
      prefix[b] &- prefix[a] &* powers[b - a]
    }
    body(key(hash: prefix[length], length: length))
    guard one || two, length > 0 else { return }
    if one {
      for gone in 0..<length {
        let tail = length - gone - 1
        body(
          key(hash: prefix[gone] &* powers[tail] &+ segment(gone + 1, length), length: length - 1))
      }
    }
    guard two, length > 1 else { return }
    for first in 0..<(length - 1) {
      for second in (first + 1)..<length {
        let middle = second - first - 1
        let tail = length - second - 1
        let hash =
          (prefix[first] &* powers[middle] &+ segment(first + 1, second)) &* powers[tail]
          &+ segment(second + 1, length)
        body(key(hash: hash, length: length - 2))
      }
    }
  }

  // MARK: - Finding

  /// Whether the optimal-string-alignment distance of `a` and `b` is at most `budget` (≤ 2):
  /// the textbook table, row by row, left as soon as a whole row exceeds the budget.
  /// `rows`: scratch for three rows of `b.count + 1`.
  @inline(__always)
  static func isWithin(
    _ budget: Int, _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>,
    rows: UnsafeMutablePointer<Int32>
  ) -> Bool {
    let difference = a.count - b.count
    if difference > budget || -difference > budget { return false }
    if difference == 0 && memcmpEqual(a, b) { return true }
    guard budget > 0 else { return false }
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) <= budget }
    let width = b.count + 1
    var before = rows
    var previous = rows + width
    var row = rows + 2 * width
    for column in 0..<width { previous[column] = Int32(column) }
    let limit = Int32(budget)
    for i in 1...a.count {
      row[0] = Int32(i)
      var smallest = row[0]
      let letter = a[i - 1]
      for j in 1..<width {
        let cost: Int32 = letter == b[j - 1] ? 0 : 1
        var value = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
        if i > 1 && j > 1 && letter == b[j - 2] && a[i - 2] == b[j - 1] {
          value = min(value, before[j - 2] + 1)
        }
        row[j] = value
        smallest = min(smallest, value)
      }
      // INVARIANT: a row's smallest value never decreases further down (a transposition
      // reads two rows up, but the diagonal through the row between costs no more).
      if smallest > limit { return false }
      (before, previous, row) = (previous, row, before)
    }
    return previous[width - 1] <= limit
  }

  @inline(__always)
  static func memcmpEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool
  {
    for index in 0..<a.count where a[index] != b[index] { return false }
    return true
  }

  /// The tables, without ownership, for one call of `find`.
  struct Buffers {
    let wordStart: UnsafeBufferPointer<Int32>
    let wordBytes: UnsafeBufferPointer<UInt8>
    let budget: UnsafeBufferPointer<UInt8>
    let slotKey: UnsafeBufferPointer<UInt64>
    let slotValue: UnsafeBufferPointer<Int32>
    let sharedStart: UnsafeBufferPointer<Int32>
    let sharedItems: UnsafeBufferPointer<Int32>
    let powers: UnsafeBufferPointer<UInt64>
  }

  func withBuffers<Result>(_ body: (Buffers) -> Result) -> Result {
    wordStart.withUnsafeBufferPointer { wordStart in
      wordBytes.withUnsafeBufferPointer { wordBytes in
        budget.withUnsafeBufferPointer { budget in
          slotKey.withUnsafeBufferPointer { slotKey in
            slotValue.withUnsafeBufferPointer { slotValue in
              sharedWords.start.withUnsafeBufferPointer { sharedStart in
                sharedWords.items.withUnsafeBufferPointer { sharedItems in
                  powers.withUnsafeBufferPointer { powers in
                    body(
                      Buffers(
                        wordStart: wordStart, wordBytes: wordBytes, budget: budget,
                        slotKey: slotKey, slotValue: slotValue, sharedStart: sharedStart,
                        sharedItems: sharedItems, powers: powers))
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  /// The phrase words within their budget of a message word (its first `maximumWordLength`
  /// bytes), each once, into `found` (emptied first). `scratch`: `prefix` for the hashes of
  /// the word's prefixes, `rows` for the edit distance.
  func closeWords(
    to word: UnsafeBufferPointer<UInt8>, _ tables: Buffers,
    prefix: UnsafeMutableBufferPointer<UInt64>, rows: UnsafeMutablePointer<Int32>,
    into found: inout [Int32]
  ) {
    found.removeAll(keepingCapacity: true)
    let length = word.count
    // A phrase word of n bytes and budget b, and a message word of L bytes, meet at a string of
    // L - d bytes (d deleted from the message word) and n - e (e ≤ b deleted from the phrase
    // word): one deletion is worth trying when some word of n ∈ L-1 … L+1 takes an edit, two
    // when some word of n ∈ L-2 … L takes two.
    let near1 = (lengthsWithOneEdit << 1) >> UInt64(length)  // bit 0: n = L - 1
    let one = length > 0 && near1 & 0b111 != 0
    let near2 = (lengthsWithTwoEdits << 2) >> UInt64(length)  // bit 0: n = L - 2
    let two = length > 1 && near2 & 0b111 != 0
    let mask = tables.slotKey.count - 1
    @inline(__always) func consider(_ candidate: Int32) {
      guard !found.contains(candidate) else { return }
      let start = Int(tables.wordStart[Int(candidate)])
      let end = Int(tables.wordStart[Int(candidate) + 1])
      let phraseWord = UnsafeBufferPointer(rebasing: tables.wordBytes[start..<end])
      if Self.isWithin(Int(tables.budget[Int(candidate)]), word, phraseWord, rows: rows) {
        found.append(candidate)
      }
    }
    Self.forEachDeletion(
      of: word, one: one, two: two, powers: tables.powers, prefix: prefix
    ) { key in
      var slot = Int(truncatingIfNeeded: key) & mask
      while true {
        let stored = tables.slotKey[slot]
        if stored == key { break }
        if stored == 0 { return }
        slot = (slot + 1) & mask
      }
      let value = tables.slotValue[slot]
      if value >= 0 {
        consider(value)
      } else {
        let list = Int(-value - 1)
        for item in Int(tables.sharedStart[list])..<Int(tables.sharedStart[list + 1]) {
          consider(tables.sharedItems[item])
        }
      }
    }
  }

  /// The child of a phrase-trie node (not the root) by a word, or -1.
  @inline(__always)
  func child(of node: Int32, word: Int32) -> Int32 {
    var index = Int(childStart[Int(node)])
    let end = Int(childStart[Int(node) + 1])
    while index < end {
      if childWord[index] == word { return childNode[index] }
      index += 1
    }
    return -1
  }

  /// Every phrase occurrence in normalised (or stemmed) `text`: `report(start, phrase, end)`
  /// with byte offsets of the first word's start and the last word's end.
  func find(in text: UnsafeBufferPointer<UInt8>, report: (Int, Int32, Int) -> Void) {
    guard !budget.isEmpty else { return }
    withBuffers { tables in
      withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Self.maximumWordLength + 1) {
        prefix in
        withUnsafeTemporaryAllocation(
          of: Int32.self, capacity: 3 * (Self.maximumWordLength + 1)
        ) { rows in
          guard let rows = rows.baseAddress else { return }
          find(in: text, tables, prefix: prefix, rows: rows, report: report)
        }
      }
    }
  }

  private func find(
    in text: UnsafeBufferPointer<UInt8>, _ tables: Buffers,
    prefix: UnsafeMutableBufferPointer<UInt64>, rows: UnsafeMutablePointer<Int32>,
    report: (Int, Int32, Int) -> Void
  ) {
    var close: [Int32] = []
    // The walks that reached the previous word: (byte where the walk's first word starts,
    // phrase-trie node).
    var walks: [(start: Int, node: Int32)] = []
    var next: [(start: Int, node: Int32)] = []
    var index = 0
    var previousEnd = -1
    while index < text.count {
      guard WordForms.isWordByte(text[index]) else {
        index += 1
        continue
      }
      let start = index
      while index < text.count && WordForms.isWordByte(text[index]) { index += 1 }
      let end = index
      // Only a space or an apostrophe between the words of one phrase.
      if !walks.isEmpty
        && !(start == previousEnd + 1 && (text[previousEnd] == 0x20 || text[previousEnd] == 0x27))
      {
        walks.removeAll(keepingCapacity: true)
      }
      previousEnd = end
      let compared = min(end, start + Self.maximumWordLength)
      closeWords(
        to: UnsafeBufferPointer(rebasing: text[start..<compared]), tables, prefix: prefix,
        rows: rows, into: &close)
      next.removeAll(keepingCapacity: true)
      for word in close {
        for walk in walks {
          let child = child(of: walk.node, word: word)
          guard child >= 0 else { continue }
          phrasesAt.forEach(of: Int(child)) { report(walk.start, $0, end) }
          next.append((walk.start, child))
        }
        let child = rootChild[Int(word)]
        guard child >= 0 else { continue }
        phrasesAt.forEach(of: Int(child)) { report(start, $0, end) }
        next.append((start, child))
      }
      swap(&walks, &next)
    }
  }
}
