import EtiquetteText

/// Phrases marked `typos` (issue 19), found with spelling mistakes: one edit (insertion,
/// deletion, substitution, transposition of neighbours) in each word of 5 to 8 letters, two in
/// each word of 9 or more, none in shorter words or in words with digits (numbers, codes).
///
/// Two levels, both automata walked over the text, never a loop over phrases:
/// - the distinct words of the phrases are in a byte trie; each word of a message walks it once
///   with a row of edit distances per trie depth (a Levenshtein automaton, run lazily), pruned
///   as soon as no word of the trie can come within two edits — so a message word finds every
///   phrase word close enough to it in one bounded walk;
/// - the phrases are in a trie over word numbers; from each message word, the walk follows
///   every phrase word that message word stands for, then the next message word, and so on.
struct TypoIndex: Sendable {
  /// The word trie: node 0 is the root; children of each node as (byte, node) pairs.
  let children: [[(byte: UInt8, node: Int32)]]
  /// Per word-trie node: the phrase word ending there, or -1.
  let wordAt: [Int32]
  /// Per phrase word: how many edits it takes.
  let budget: [UInt8]
  /// Per word-trie node: the largest budget of a word at or below it. A walk leaves a node
  /// once its row's smallest distance exceeds it: no word below can come close enough (most
  /// words take at most one edit, so most walks stop after a few bytes).
  let subtreeBudget: [UInt8]
  /// Per word-trie node: the byte of the edge into it.
  let nodeByte: [UInt8]
  /// The phrase trie over word numbers: per node, its children as (word, node) pairs, and the
  /// phrases ending there.
  let phraseChildren: [[(word: Int32, node: Int32)]]
  let phrasesAt: [[Int32]]

  /// At most this many bytes of a message word are compared: a bound on the work per word on
  /// untrusted text (no phrase word is longer, or it is cut the same way).
  static let maximumWordLength = 48

  /// How many edits a word takes (`TypoBudget.edits`).
  static func budget(of word: some Collection<UInt8>) -> UInt8 {
    UInt8(TypoBudget.edits(for: word))
  }

  /// `phrases`: for each phrase number, its spellings as normalised (or stemmed) text; the
  /// budget of each word is the smaller of its own and that of the same word of `budgetText`
  /// (the unstemmed words, for `forms typos`).
  init(_ phrases: [(phrase: Int32, spellings: [(text: String, budgetText: String)])]) {
    var children: [[(byte: UInt8, node: Int32)]] = [[]]
    var wordAt: [Int32] = [-1]
    var budget: [UInt8] = []
    var phraseChildren: [[(word: Int32, node: Int32)]] = [[]]
    var phrasesAt: [[Int32]] = [[]]
    func wordNumber(_ word: ArraySlice<UInt8>, budget wordBudget: UInt8) -> Int32 {
      var node = 0
      for byte in word.prefix(Self.maximumWordLength) {
        if let next = children[node].first(where: { $0.byte == byte }) {
          node = Int(next.node)
        } else {
          children[node].append((byte, Int32(children.count)))
          node = children.count
          children.append([])
          wordAt.append(-1)
        }
      }
      if wordAt[node] < 0 {
        wordAt[node] = Int32(budget.count)
        budget.append(wordBudget)
      } else {
        budget[Int(wordAt[node])] = min(budget[Int(wordAt[node])], wordBudget)
      }
      return wordAt[node]
    }
    for (phrase, spellings) in phrases {
      for (text, budgetText) in spellings {
        let words = Self.words(Array(text.utf8))
        let budgetWords = Self.words(Array(budgetText.utf8))
        guard !words.isEmpty else { continue }
        var node = 0
        for (index, range) in words.enumerated() {
          let bytes = Array(text.utf8)
          let budgetSource =
            budgetWords.count == words.count
            ? Array(Array(budgetText.utf8)[budgetWords[index]]) : Array(bytes[range])
          // With `forms typos` the budget is the smaller of the written word's and its stem's:
          // "payer" takes a typo, its stem "pai" none (or "ai" and "pas" would be "payer").
          let word = wordNumber(
            bytes[range], budget: min(Self.budget(of: budgetSource), Self.budget(of: bytes[range])))
          if let next = phraseChildren[node].first(where: { $0.word == word }) {
            node = Int(next.node)
          } else {
            phraseChildren[node].append((word, Int32(phraseChildren.count)))
            node = phraseChildren.count
            phraseChildren.append([])
            phrasesAt.append([])
          }
        }
        if !phrasesAt[node].contains(phrase) { phrasesAt[node].append(phrase) }
      }
    }
    self.children = children
    self.wordAt = wordAt
    self.budget = budget
    // Children are numbered after their parents: one pass from the last node up.
    var subtree = [UInt8](repeating: 0, count: children.count)
    for node in stride(from: children.count - 1, through: 0, by: -1) {
      var most: UInt8 = wordAt[node] >= 0 ? budget[Int(wordAt[node])] : 0
      for (_, child) in children[node] { most = max(most, subtree[Int(child)]) }
      subtree[node] = most
    }
    subtreeBudget = subtree
    var bytes = [UInt8](repeating: 0, count: children.count)
    for list in children { for (byte, child) in list { bytes[Int(child)] = byte } }
    nodeByte = bytes
    self.phraseChildren = phraseChildren
    self.phrasesAt = phrasesAt
  }

  var isEmpty: Bool { budget.isEmpty }

  /// The words of normalised text: runs of word bytes, joined only by a space or an
  /// apostrophe (other punctuation ends a phrase).
  static func words(_ bytes: [UInt8]) -> [Range<Int>] {
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

  /// The phrase words within their budget of `word`: (word number) for each.
  ///
  /// A depth-first walk of the word trie with one row of optimal-string-alignment distances
  /// per depth, all in one buffer: a node's row is computed from its parent's (and, for
  /// transpositions, its grandparent's) when the node is visited, so siblings reuse the slot.
  func closeWords(to word: ArraySlice<UInt8>) -> [Int32] {
    let query = Array(word.prefix(Self.maximumWordLength))
    let width = query.count + 1
    var rows = [Int](repeating: 0, count: (Self.maximumWordLength + 2) * width)
    for column in 0..<width { rows[column] = column }
    var found: [Int32] = []
    var stack: [(node: Int32, depth: Int32, parentByte: UInt8)] = []
    for (_, child) in children[0] { stack.append((child, 1, 0)) }
    while let (node, depth, parentByte) = stack.popLast() {
      let level = Int(depth)
      let byte = nodeByte[Int(node)]
      let base = level * width
      let previous = base - width
      let before = previous - width
      rows[base] = level
      var minimum = level
      for column in 1..<width {
        let cost = query[column - 1] == byte ? 0 : 1
        var value = min(
          rows[previous + column] + 1, rows[base + column - 1] + 1,
          rows[previous + column - 1] + cost)
        if level > 1 && column > 1 && query[column - 1] == parentByte
          && query[column - 2] == byte
        {
          value = min(value, rows[before + column - 2] + 1)
        }
        rows[base + column] = value
        minimum = min(minimum, value)
      }
      guard minimum <= Int(subtreeBudget[Int(node)]) else { continue }
      let number = wordAt[Int(node)]
      if number >= 0 && rows[base + width - 1] <= Int(budget[Int(number)]) {
        found.append(number)
      }
      if level <= Self.maximumWordLength {
        for (_, child) in children[Int(node)] { stack.append((child, depth + 1, byte)) }
      }
    }
    return found
  }

  /// Every phrase occurrence in normalised (or stemmed) `text`: `report(start, phrase, end)`
  /// with byte offsets of the first word's start and the last word's end.
  func find(in text: UnsafeBufferPointer<UInt8>, report: (Int, Int32, Int) -> Void) {
    let bytes = Array(text)
    let words = Self.words(bytes)
    guard !words.isEmpty else { return }
    let close = words.map { closeWords(to: bytes[$0]) }
    for start in words.indices where !close[start].isEmpty {
      // Walks: (phrase node, next word index).
      var frontier: [Int] = [0]
      var index = start
      while !frontier.isEmpty && index < words.count {
        if index > start {
          // Only a space or an apostrophe between the words of one phrase.
          let gap = bytes[words[index - 1].upperBound..<words[index].lowerBound]
          guard gap.count == 1, gap.first == 0x20 || gap.first == 0x27 else { break }
        }
        var next: [Int] = []
        for node in frontier {
          for word in close[index] {
            guard let child = phraseChildren[node].first(where: { $0.word == word }) else {
              continue
            }
            let childNode = Int(child.node)
            for phrase in phrasesAt[childNode] {
              report(words[start].lowerBound, phrase, words[index].upperBound)
            }
            if !next.contains(childNode) { next.append(childNode) }
          }
        }
        frontier = next
        index += 1
      }
    }
  }
}
