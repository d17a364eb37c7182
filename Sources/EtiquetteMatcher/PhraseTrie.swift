/// Every normalised phrase in one trie, walked from word starts only.
///
/// A phrase matches only where a word starts (the original character before it is not a
/// letter or digit), so the matcher does not need Aho-Corasick's failure transitions for
/// phrases: it walks the trie from each word start of the message until the walk falls off.
/// That visits about as many states as a DFA scan, but the trie is a fraction of a DFA's size
/// (one byte and one id per state instead of a row per state), so it stays in the CPU caches
/// even with 50,000 phrases — the DFA's table would not, and the scan would wait on memory.
///
/// Layout: each parent's children contiguous and sorted by byte, the blocks in depth-first
/// order of their parents, so the children of a state are a run of `nodes` searched by their
/// `byte`; the root and its children also get a dense 256-entry row, because every walk
/// starts there.
struct PhraseTrie: Sendable {
  /// Everything a walk reads of a state. A parent's children are contiguous, so looking for
  /// a child by byte and then reading the child's own fields touches one cache line.
  /// Eight bytes, so that the trie of 5,000 phrases fits in a core's L2 cache.
  struct Node: Sendable {
    /// The children are states `firstChild ..< firstChild + childCount`.
    var firstChild: UInt32
    /// Byte on the edge into this state (0 for the root).
    var byte: UInt8
    /// Whether a phrase ends here (its index is in `terminalPhrase`).
    var isTerminal: Bool
    var childCount: UInt16
  }

  let nodes: [Node]
  /// The phrase ending at each state, or -1; read only where `isTerminal`.
  let terminalPhrase: [Int32]
  /// The root's child for each byte, or -1.
  let rootRow: [Int32]
  /// States with more children than this get a dense row.
  static let denseFanOut = 6
  /// Bytes used by some phrase get a class of their own; the others share class 0.
  let byteClass: [UInt8]
  let classCount: Int
  /// Per state: its dense row in `classRows`, or -1 (read only for states with many children).
  let rowOf: [Int32]
  /// `classRows[row * classCount + byteClass[byte]]` is the child, or -1.
  let classRows: [Int32]
  let keywordLength: [Int32]

  var stateCount: Int { nodes.count }

  /// Builds the trie; `keywords` must be distinct and non-empty.
  init(keywords: [[UInt8]]) {
    // 1. Depth-first construction from the keywords in byte order: every child is created
    //    after its siblings with smaller bytes.
    let order = keywords.indices.sorted { keywords[$0].lexicographicallyPrecedes(keywords[$1]) }
    var parent: [Int32] = [-1]
    var byte: [UInt8] = [0]
    var depth: [Int32] = [0]
    var terminalDFS: [Int32] = [-1]
    var path: [Int32] = [0]  // path[d] = state at depth d of the previous keyword
    var previous: [UInt8] = []
    for index in order {
      let keyword = keywords[index]
      var common = 0
      while common < keyword.count && common < previous.count
        && keyword[common] == previous[common]
      {
        common += 1
      }
      path.removeSubrange((common + 1)...)
      for position in common..<keyword.count {
        let state = Int32(parent.count)
        parent.append(path[position])
        byte.append(keyword[position])
        depth.append(Int32(position + 1))
        terminalDFS.append(-1)
        path.append(state)
      }
      terminalDFS[Int(path[keyword.count])] = Int32(index)
      previous = keyword
    }

    // 2. Numbering: each parent's children get a contiguous block (sorted by byte, as they
    //    were created), and blocks are handed out in depth-first order of the parents. A walk
    //    that goes down a chain of single children — most of a big trie below its first
    //    levels — then reads neighbouring states, one cache line for several steps, where a
    //    breadth-first order puts every step of the chain in a different part of the table.
    let count = parent.count
    var childCount = [Int32](repeating: 0, count: count)
    for old in 1..<max(count, 1) { childCount[Int(parent[old])] += 1 }
    // Children of each old state, in creation (byte) order: a counting sort on the parent.
    var childrenStart = [Int32](repeating: 0, count: count + 1)
    for old in 0..<count { childrenStart[old + 1] = childrenStart[old] + childCount[old] }
    var fill = childrenStart
    var children = [Int32](repeating: 0, count: max(count - 1, 0))
    for old in 1..<max(count, 1) {
      let owner = Int(parent[old])
      children[Int(fill[owner])] = Int32(old)
      fill[owner] += 1
    }
    var number = [Int32](repeating: 0, count: count)
    var firstChildOf = [Int32](repeating: 0, count: count)  // by new number
    var nextNumber: Int32 = 1
    var stack: [Int32] = count > 0 ? [0] : []
    while let old = stack.popLast() {
      let first = Int(childrenStart[Int(old)])
      let end = Int(childrenStart[Int(old) + 1])
      firstChildOf[Int(number[Int(old)])] = nextNumber
      for position in first..<end {
        number[Int(children[position])] = nextNumber
        nextNumber += 1
      }
      // The first child is numbered next after its own children's block is handed out.
      for position in stride(from: end - 1, through: first, by: -1) {
        stack.append(children[position])
      }
    }
    var stateByte = [UInt8](repeating: 0, count: count)
    var terminal = [Int32](repeating: -1, count: count)
    var newChildCount = [Int32](repeating: 0, count: count)
    for old in 0..<count {
      let new = Int(number[old])
      stateByte[new] = byte[old]
      terminal[new] = terminalDFS[old]
      newChildCount[new] = childCount[old]
    }
    // INVARIANT: the children of new state `s` are `firstChildOf[s] ..< + newChildCount[s]`.

    // 3. Dense rows: the root's over all 256 bytes (every walk starts there, and it tells
    //    which bytes can start a phrase); over byte classes for states with many children,
    //    where a search among the children would mispredict branches.
    var root = [Int32](repeating: -1, count: 256)
    if count > 0 {
      for child in Int(firstChildOf[0])..<Int(firstChildOf[0] + newChildCount[0]) {
        root[Int(stateByte[child])] = Int32(child)
      }
    }
    var classOf = [UInt8](repeating: 0, count: 256)
    var used = [Bool](repeating: false, count: 256)
    for keyword in keywords { for byte in keyword { used[Int(byte)] = true } }
    var classes = 1
    for value in 0..<256 where used[value] && classes < 256 {
      classOf[value] = UInt8(truncatingIfNeeded: classes)
      classes += 1
    }
    var rowOf = [Int32](repeating: -1, count: count)
    var classRows: [Int32] = []
    for state in 1..<max(count, 1) where newChildCount[state] > Self.denseFanOut {
      rowOf[state] = Int32(classRows.count / classes)
      classRows.append(contentsOf: repeatElement(-1, count: classes))
      let base = classRows.count - classes
      for child in Int(firstChildOf[state])..<Int(firstChildOf[state] + newChildCount[state]) {
        classRows[base + Int(classOf[Int(stateByte[child])])] = Int32(child)
      }
    }

    nodes = (0..<count).map {
      Node(
        firstChild: UInt32(firstChildOf[$0]), byte: stateByte[$0],
        isTerminal: terminal[$0] >= 0, childCount: UInt16(newChildCount[$0]))
    }
    terminalPhrase = terminal
    rootRow = root
    byteClass = classOf
    classCount = classes
    self.rowOf = rowOf
    self.classRows = classRows
    keywordLength = keywords.map { Int32($0.count) }
  }

  /// Bytes held by the tables, for the benchmark's memory figure.
  var memoryBytes: Int {
    nodes.count * MemoryLayout<Node>.stride + terminalPhrase.count * 4 + rootRow.count * 4
      + rowOf.count * 4 + classRows.count * 4 + 256
      + keywordLength.count * 4
  }

  /// The tables a walk reads, as buffers for the length of one scan.
  struct Buffers {
    let nodes: UnsafeBufferPointer<Node>
    let terminalPhrase: UnsafeBufferPointer<Int32>
    let rootRow: UnsafeBufferPointer<Int32>
    let byteClass: UnsafeBufferPointer<UInt8>
    let rowOf: UnsafeBufferPointer<Int32>
    let classRows: UnsafeBufferPointer<Int32>
    let classCount: Int
  }

  func withBuffers<Result>(_ body: (Buffers) -> Result) -> Result {
    nodes.withUnsafeBufferPointer { nodes in
      terminalPhrase.withUnsafeBufferPointer { terminalPhrase in
        rootRow.withUnsafeBufferPointer { rootRow in
          byteClass.withUnsafeBufferPointer { byteClass in
            rowOf.withUnsafeBufferPointer { rowOf in
              classRows.withUnsafeBufferPointer { classRows in
                body(
                  Buffers(
                    nodes: nodes, terminalPhrase: terminalPhrase, rootRow: rootRow,
                    byteClass: byteClass, rowOf: rowOf, classRows: classRows,
                    classCount: classCount))
              }
            }
          }
        }
      }
    }
  }

  /// Walks from `start` and calls `report(phrase, end)` for every phrase that starts there.
  @inline(__always)
  static func walk(
    _ text: UnsafeBufferPointer<UInt8>, from start: Int, _ trie: Buffers,
    report: (Int32, Int) -> Void
  ) {
    let nodes = trie.nodes
    var index = start
    // The root's row first: every walk starts with it.
    var state = Int(trie.rootRow[Int(text[index])])
    while state > 0 {
      let node = nodes[state]
      index &+= 1
      if node.isTerminal { report(trie.terminalPhrase[state], index) }
      guard index < text.count else { return }
      let byte = text[index]
      var next = -1
      var low = Int(node.firstChild)
      let high = low &+ Int(node.childCount)
      if node.childCount > UInt16(denseFanOut) {
        let row = Int(trie.rowOf[state])
        next = Int(trie.classRows[row &* trie.classCount &+ Int(trie.byteClass[Int(byte)])])
      } else {
        // Few children, sorted by byte: a short linear scan.
        while low < high {
          let candidate = nodes[low].byte
          if candidate >= byte {
            if candidate == byte { next = low }
            break
          }
          low &+= 1
        }
      }
      state = next
    }
  }
}
