/// Every normalised phrase in one path-compressed trie, walked from word starts only.
///
/// A phrase matches only where a word starts (the original character before it is not a
/// letter or digit), so the matcher does not need Aho-Corasick's failure transitions for
/// phrases: it walks the trie from each word start of the message until the walk falls off.
/// That visits about as many states as a DFA scan, but the trie is a fraction of a DFA's size
/// (a DFA of 50,000 phrases has 341,000 states × 39 byte classes), so it stays in the CPU
/// caches, and two threads scanning at once do not evict each other's tables.
///
/// Path compression: below its first levels a big trie is mostly chains of states with one
/// child and no phrase ending (the rest of a word). Each chain is one node whose edge is a run
/// of bytes in `labels`, compared against the text in one tight loop, so a walk makes one
/// node step per branching point or phrase end instead of one per byte (at 50,000 phrases:
/// about 4 steps per walk instead of 11), and the tables shrink by the same factor.
///
/// Layout, chosen for the cache lines a step touches (at 50,000 phrases the tables are larger
/// than a core's L2 cache, so every line counts): each parent's children are contiguous and
/// sorted by their first byte, the blocks in depth-first order of their parents, so a walk
/// down a branch reads neighbouring nodes; edges of up to eight more bytes are stored in the
/// node itself; and the root's children have a dense 256-entry row, because every walk starts
/// there. How a node finds the child for the next byte is `ChildLookup`.
///
/// With `.classMask` a step chooses the child the same way at every node, with no branch on
/// the node's shape: when a step branched on "few children or many" (packed bytes or a dense
/// row), the processor mispredicted that branch about once a walk at 50,000 phrases, and the
/// class mask made the matcher 11 % faster there (same speed at 100 phrases).
struct PhraseTrie: Sendable {
  /// Everything a walk reads of a node: 32 bytes, two to a cache line. Which children it has
  /// is in the node itself, so a step reads the node, finds the child in a register, and
  /// reads the child: one cache line per step, where a separate run of child bytes made it
  /// two (at 50,000 phrases a deep step misses the L1 cache either way).
  struct Node: Sendable {
    /// The children are nodes `firstChild ..< firstChild + childCount`; with `.packedBytes`,
    /// for a node with a dense row (`childCount > denseFanOut`), the row's first index in
    /// `classRows` instead.
    var firstChild: UInt32
    /// The phrase ending at this node, or -1.
    var terminalPhrase: Int32
    /// The edge's bytes after the first: up to eight packed here (first byte lowest), or
    /// more at `labels[label ..< label + labelLength]`.
    var label: UInt64
    /// Which children there are (see `ChildLookup`): with `.classMask`, bit `c` is set when
    /// a child's first byte has class `c`; with `.packedBytes`, the first bytes of the
    /// children (sorted, first lowest) when there are at most `denseFanOut` of them.
    var children: UInt64
    var labelLength: UInt8
    var childCount: UInt16
  }

  /// How a node finds its child for a byte.
  enum ChildLookup: Sendable {
    /// Every node has a bit per byte class (at most 64: every rule set in a Latin script,
    /// whose normalised phrases are ASCII); the child is `firstChild` plus the number of bits
    /// set below the byte's class. The same few instructions for every node.
    case classMask
    /// A node with up to `denseFanOut` children holds their first bytes, compared with the
    /// text's byte all at once; a node with more children has a dense row over byte classes.
    /// For rule sets with more than 63 distinct phrase bytes (class 0 is every other byte):
    /// Cyrillic, Arabic, CJK ….
    case packedBytes
  }

  let childLookup: ChildLookup
  /// Whether walks go two at a time (see `walkPairwise`): when the nodes outgrow a core's
  /// L2 cache, where waiting for a node dominates a step.
  let interleaved: Bool
  let nodes: [Node]
  /// Edge bytes after the first, for edges longer than eight more bytes.
  let labels: [UInt8]
  /// The root's child for each byte, or -1.
  let rootRow: [Int32]
  /// With `.packedBytes`, nodes with more children than this get a dense row; the others
  /// keep their children's first bytes in `children`.
  static let denseFanOut = 8
  /// Bytes used by some phrase get a class of their own; the others share class 0.
  let byteClass: [UInt8]
  let classCount: Int
  /// `classRows[node.firstChild + byteClass[byte]]` is the child, or -1, for dense nodes.
  let classRows: [Int32]
  /// States of the uncompressed trie (one per distinct phrase prefix), for statistics.
  let stateCount: Int

  /// Builds the trie; `keywords` must be distinct and non-empty. `packedBytes` forces that
  /// child lookup (for tests; it is chosen when there are more than 64 byte classes, class 0
  /// included).
  init(keywords: [[UInt8]], packedBytes: Bool = false, interleave: Bool? = nil) {
    self.init(
      sorted: SortedKeywords(keywords, ids: keywords.indices.map(Int32.init)),
      packedBytes: packedBytes, interleave: interleave)
  }

  /// Builds the trie of `sorted`'s keywords (distinct, non-empty); a phrase end is the id
  /// of its keyword.
  init(sorted: SortedKeywords, packedBytes: Bool = false, interleave: Bool? = nil) {
    // 1. The keywords in byte order, in one flat buffer: the keywords under any state of the
    //    trie are then a contiguous run of positions, and the one ending at that state (if
    //    any) is the run's first.
    let order = sorted.ids
    let flat = sorted.bytes
    let start = sorted.start

    // 2. Path compression, built straight from the runs: a node per state that ends a chain
    //    (the root, a phrase end, a leaf, a branching point); its edge is the chain of
    //    one-child states above it, cut every 255 bytes (UInt8 lengths). Each parent's
    //    children get a contiguous block, sorted by first byte, and blocks are handed out in
    //    depth-first order of the parents: a walk down a branch then reads neighbouring nodes,
    //    where a breadth-first order puts every step in a different part of the table.
    //    (Built from one state per keyword byte first, the trie took thirteen arrays of
    //    750,000 entries at 50,000 phrases, and half the compile time.)
    var compressed: [Node] = []
    var firstBytes: [UInt8] = []
    var labels: [UInt8] = []
    var states = 1
    flat.withUnsafeBufferPointer { flat in
      start.withUnsafeBufferPointer { start in
        @inline(__always) func length(_ position: Int) -> Int {
          start[position + 1] - start[position]
        }
        @inline(__always) func byte(_ position: Int, _ depth: Int) -> UInt8 {
          flat[start[position] + depth]
        }
        // States of the uncompressed trie (statistics): a keyword adds one per byte after
        // its common prefix with the previous one.
        for position in 0..<order.count {
          var common = 0
          if position > 0 {
            let limit = min(length(position - 1), length(position))
            while common < limit && byte(position - 1, common) == byte(position, common) {
              common += 1
            }
          }
          states += length(position) - common
        }
        compressed.append(
          Node(
            firstChild: 0, terminalPhrase: -1, label: 0, children: 0, labelLength: 0,
            childCount: 0))
        firstBytes.append(0)
        // (compressed node, its run of keywords below it, its depth), whose children are
        // still to be made; every keyword of the run is longer than the depth.
        var pending: [(node: Int, low: Int, high: Int, depth: Int)] = [(0, 0, order.count, 0)]
        var block: [(node: Int, low: Int, high: Int, depth: Int)] = []
        while let (node, low, high, depth) = pending.popLast() {
          compressed[node].firstChild = UInt32(compressed.count)
          block.removeAll(keepingCapacity: true)
          var first = low
          while first < high {
            // The child for this byte: the run sharing it.
            let childByte = byte(first, depth)
            var next = first + 1
            while next < high && byte(next, depth) == childByte { next += 1 }
            let last = next - 1
            // Its chain goes on while no keyword ends (the first is the shortest) and all
            // still agree (the first and the last do), 255 bytes at most.
            var end = depth + 1
            while end < length(first) && end < length(last)
              && byte(first, end) == byte(last, end) && end - depth - 1 < 255
            {
              end += 1
            }
            let labelLength = end - depth - 1
            var packed: UInt64 = 0
            if labelLength <= 8 {
              for offset in 0..<labelLength {
                packed |= UInt64(byte(first, depth + 1 + offset)) << UInt64(8 * offset)
              }
            } else {
              packed = UInt64(labels.count)
              let from = start[first] + depth + 1
              labels.append(
                contentsOf: UnsafeBufferPointer(rebasing: flat[from..<from + labelLength]))
            }
            let ends = length(first) == end
            block.append((compressed.count, ends ? first + 1 : first, next, end))
            compressed.append(
              Node(
                firstChild: 0, terminalPhrase: ends ? order[first] : -1, label: packed,
                children: 0, labelLength: UInt8(labelLength), childCount: 0))
            firstBytes.append(childByte)
            first = next
          }
          compressed[node].childCount = UInt16(block.count)
          // The first child's block is handed out next.
          pending.append(contentsOf: block.reversed())
        }
      }
    }

    // 3. The root's dense row over all 256 bytes (every walk starts there, and it tells which
    //    bytes can start a phrase); each node's children as a class mask, or as packed bytes
    //    and dense rows over byte classes for nodes with many children.
    var root = [Int32](repeating: -1, count: 256)
    if let rootNode = compressed.first {
      let first = Int(rootNode.firstChild)
      for child in first..<first + Int(rootNode.childCount) {
        root[Int(firstBytes[child])] = Int32(child)
      }
    }
    var classOf = [UInt8](repeating: 0, count: 256)
    var used = [Bool](repeating: false, count: 256)
    for byte in flat { used[Int(byte)] = true }
    var classes = 1
    for value in 0..<256 where used[value] && classes < 256 {
      classOf[value] = UInt8(truncatingIfNeeded: classes)
      classes += 1
    }
    var classRows: [Int32] = []
    childLookup = classes <= 64 && !packedBytes ? .classMask : .packedBytes
    if childLookup == .classMask {
      // Classes are numbered in byte order, so the children (sorted by first byte) are in
      // class order: a child's rank among its siblings is the number of classes set below.
      for node in compressed.indices {
        let first = Int(compressed[node].firstChild)
        var mask: UInt64 = 0
        for position in 0..<Int(compressed[node].childCount) {
          mask |= 1 << UInt64(classOf[Int(firstBytes[first + position])])
        }
        compressed[node].children = mask
      }
    }
    for node in compressed.indices.dropFirst()
    where childLookup == .packedBytes && Int(compressed[node].childCount) <= Self.denseFanOut {
      let first = Int(compressed[node].firstChild)
      var packed: UInt64 = 0
      for position in 0..<Int(compressed[node].childCount) {
        packed |= UInt64(firstBytes[first + position]) << UInt64(8 * position)
      }
      compressed[node].children = packed
    }
    for node in compressed.indices.dropFirst()
    where childLookup == .packedBytes && Int(compressed[node].childCount) > Self.denseFanOut {
      let base = classRows.count
      classRows.append(contentsOf: repeatElement(-1, count: classes))
      let first = Int(compressed[node].firstChild)
      for child in first..<first + Int(compressed[node].childCount) {
        classRows[base + Int(classOf[Int(firstBytes[child])])] = Int32(child)
      }
      compressed[node].firstChild = UInt32(base)
    }

    nodes = compressed
    interleaved = interleave ?? (compressed.count * MemoryLayout<Node>.stride > 1 << 20)
    self.labels = labels
    rootRow = root
    byteClass = classOf
    classCount = classes
    self.classRows = classRows
    stateCount = states
  }

  /// Bytes held by the tables, for the benchmark's memory figure.
  var memoryBytes: Int {
    nodes.count * MemoryLayout<Node>.stride + labels.count
      + rootRow.count * 4 + classRows.count * 4 + 256
  }

  /// The tables a walk reads, as buffers for the length of one scan.
  struct Buffers {
    let childLookup: ChildLookup
    let interleaved: Bool
    let nodes: UnsafeBufferPointer<Node>
    let labels: UnsafeBufferPointer<UInt8>
    let rootRow: UnsafeBufferPointer<Int32>
    let byteClass: UnsafeBufferPointer<UInt8>
    let classRows: UnsafeBufferPointer<Int32>
  }

  func withBuffers<Result>(_ body: (Buffers) -> Result) -> Result {
    nodes.withUnsafeBufferPointer { nodes in
      labels.withUnsafeBufferPointer { labels in
        rootRow.withUnsafeBufferPointer { rootRow in
          byteClass.withUnsafeBufferPointer { byteClass in
            classRows.withUnsafeBufferPointer { classRows in
              body(
                Buffers(
                  childLookup: childLookup, interleaved: interleaved, nodes: nodes, labels: labels,
                  rootRow: rootRow,
                  byteClass: byteClass, classRows: classRows))
            }
          }
        }
      }
    }
  }

  /// Walks from every start `nextStart` gives (it returns -1 when there are no more) and calls
  /// `report(start, phrase, end)` for every phrase found, two walks at a time.
  ///
  /// Why two: at 50,000 phrases the tables are larger than a core's L2 cache, and a walk's
  /// next node is known only once its current node has been read, so a lone walk waits for
  /// every miss in turn (a profile of the lone walk spent a third of the matcher's time on
  /// the instruction loading a node). Walks from different starts do not depend on each
  /// other: stepping two in turn lets the processor fetch one's node while it works on the
  /// other's. Each walk reports its phrases shortest first; the two walks' reports interleave.
  /// At 50,000 phrases this is 2–5 % faster than one walk at a time; at 100 phrases, where
  /// the tables stay in the caches, 4 % slower — hence `interleaved`.
  @inline(__always)
  static func walkPairwise(
    _ text: UnsafeBufferPointer<UInt8>, _ trie: Buffers, nextStart: () -> Int,
    report: (Int, Int32, Int) -> Void
  ) {
    /// One walk: where it started, the offset of its node's edge, and its node (read as soon
    /// as it is chosen, used at the walk's next step).
    struct Lane {
      var start: Int
      var index: Int
      var node: Node
    }
    let nodes = trie.nodes
    /// The next walk that enters the trie, or nil.
    @inline(__always)
    func begin() -> Lane? {
      while true {
        let start = nextStart()
        guard start >= 0 else { return nil }
        let node = Int(trie.rootRow[Int(text[start])])
        if node > 0 { return Lane(start: start, index: start, node: nodes[node]) }
      }
    }
    var first = begin()
    var second = first == nil ? nil : begin()
    while true {
      if let lane = first {
        first = step(lane, text, trie, report: report) ?? begin()
      }
      if let lane = second {
        second = step(lane, text, trie, report: report) ?? begin()
      }
      if first == nil && second == nil { return }
    }

    /// One step of a walk: the rest of its node's edge, the phrase ending there, the child
    /// for the next byte (read now). Nil when the walk is over.
    @inline(__always)
    func step(
      _ lane: Lane, _ text: UnsafeBufferPointer<UInt8>, _ trie: Buffers,
      report: (Int, Int32, Int) -> Void
    ) -> Lane? {
      var lane = lane
      let current = lane.node
      let count = text.count
      let index = edgeEnd(of: current, at: lane.index &+ 1, in: text, trie)
      guard index >= 0 else { return nil }
      if current.terminalPhrase >= 0 { report(lane.start, current.terminalPhrase, index) }
      guard index < count else { return nil }
      let next = child(of: current, for: text[index], trie)
      guard next > 0 else { return nil }
      lane.index = index
      lane.node = trie.nodes[next]
      return lane
    }
  }

  /// Where the rest of `node`'s edge ends if the text at `index` is that edge, or -1.
  @inline(__always)
  static func edgeEnd(
    of node: Node, at index: Int, in text: UnsafeBufferPointer<UInt8>, _ trie: Buffers
  ) -> Int {
    var index = index
    let length = Int(node.labelLength)
    guard length > 0 else { return index }
    guard text.count &- index >= length else { return -1 }
    if length <= 8 {
      var packed = node.label
      for _ in 0..<length {
        guard text[index] == UInt8(truncatingIfNeeded: packed) else { return -1 }
        packed &>>= 8
        index &+= 1
      }
    } else {
      var label = Int(node.label)
      let end = index &+ length
      while index < end {
        guard text[index] == trie.labels[label] else { return -1 }
        index &+= 1
        label &+= 1
      }
    }
    return index
  }

  /// The child of `node` for `byte`, or a number ≤ 0.
  @inline(__always)
  static func child(of node: Node, for byte: UInt8, _ trie: Buffers) -> Int {
    if trie.childLookup == .classMask {
      // Whether the byte's class has a child, and its rank among the children: the bits set
      // below the class's.
      let mask = node.children
      let byteClass = UInt64(trie.byteClass[Int(byte)])
      let below = (mask & ((1 &<< byteClass) &- 1)).nonzeroBitCount
      return (mask &>> byteClass) & 1 != 0 ? Int(node.firstChild) &+ below : 0
    }
    return packedChild(of: node, for: byte, trie)
  }

  /// Walks from `start` and calls `report(phrase, end)` for every phrase that starts there,
  /// shortest first.
  @inline(__always)
  static func walk(
    _ text: UnsafeBufferPointer<UInt8>, from start: Int, _ trie: Buffers,
    report: (Int32, Int) -> Void
  ) {
    let nodes = trie.nodes
    let count = text.count
    var index = start
    // The root's row first: every walk starts with it.
    var node = Int(trie.rootRow[Int(text[index])])
    while node > 0 {
      let current = nodes[node]
      index = edgeEnd(of: current, at: index &+ 1, in: text, trie)
      guard index >= 0 else { return }
      if current.terminalPhrase >= 0 { report(current.terminalPhrase, index) }
      guard index < count else { return }
      node = child(of: current, for: text[index], trie)
    }
  }

  /// The child of a `.packedBytes` node for `byte`, or -1.
  @inline(__always)
  static func packedChild(of node: Node, for byte: UInt8, _ trie: Buffers) -> Int {
    let children = Int(node.childCount)
    if children > denseFanOut {
      return Int(trie.classRows[Int(node.firstChild) &+ Int(trie.byteClass[Int(byte)])])
    }
    // Which child byte equals `byte`, all eight compared at once: a lane of `difference` is
    // zero exactly where they are equal, and the lowest lane the zero-byte test flags is the
    // first equal one (the children's bytes are distinct, so the only one).
    let difference = node.children ^ (UInt64(byte) &* 0x0101_0101_0101_0101)
    var zero = (difference &- 0x0101_0101_0101_0101) & ~difference & 0x8080_8080_8080_8080
    // Only the lanes of real children (unused lanes hold 0, which may equal `byte`).
    zero &= children == 8 ? ~0 : (1 &<< UInt64(8 &* children)) &- 1
    return zero != 0 ? Int(node.firstChild) &+ zero.trailingZeroBitCount &>> 3 : -1
  }
}

/// Keywords in byte order, each with an id, in one flat buffer: what the trie is built from,
/// and where equal keywords are neighbours.
struct SortedKeywords {
  /// Keyword `i` (in byte order) is `bytes[start[i] ..< start[i + 1]]`, with id `ids[i]`.
  var bytes: [UInt8]
  var start: [Int]
  var ids: [Int32]

  var count: Int { ids.count }

  /// Whether keywords `i` and `j` (positions in byte order) are equal.
  func equal(_ i: Int, _ j: Int) -> Bool {
    bytes[start[i]..<start[i + 1]].elementsEqual(bytes[start[j]..<start[j + 1]])
  }
}

// In an extension, so that the memberwise `init(bytes:start:ids:)` (keywords already sorted
// and distinct) stays synthesised.
extension SortedKeywords {
  /// `keywords` with their `ids`, sorted by bytes, equal ones in their given order. Keys are
  /// compared as their first eight bytes in one integer, then byte by byte through pointers:
  /// the generic `lexicographicallyPrecedes` on `[UInt8]` retained and released two arrays
  /// per comparison, 15 % of compiling 50,000 phrases.
  init(_ keywords: [[UInt8]], ids: [Int32]) {
    var flat: [UInt8] = []
    flat.reserveCapacity(keywords.reduce(0) { $0 + $1.count })
    var from: [Int] = [0]
    from.reserveCapacity(keywords.count + 1)
    for keyword in keywords {
      flat.append(contentsOf: keyword)
      from.append(flat.count)
    }
    self.init(sorting: flat, start: from, ids: ids)
  }

  /// Keywords given in one flat buffer (keyword `i` is `flat[from[i] ..< from[i + 1]]`),
  /// sorted as `init(_:ids:)` sorts them.
  init(sorting flat: [UInt8], start from: [Int], ids: [Int32]) {
    let count = ids.count
    var keys: [(prefix: UInt64, index: Int32)] = []
    keys.reserveCapacity(count)
    for index in 0..<count {
      var prefix: UInt64 = 0
      for offset in 0..<8 {
        let position = from[index] + offset
        prefix = prefix << 8 | UInt64(position < from[index + 1] ? flat[position] : 0)
      }
      keys.append((prefix, Int32(index)))
    }
    flat.withUnsafeBufferPointer { bytes in
      from.withUnsafeBufferPointer { from in
        keys.sort { a, b in
          if a.prefix != b.prefix { return a.prefix < b.prefix }
          let first = Int(a.index)
          let second = Int(b.index)
          // Equal first eight bytes (zeros past a short keyword's end): the rest decides,
          // then the length, then the given order.
          var i = from[first] + 8
          var j = from[second] + 8
          let endA = from[first + 1]
          let endB = from[second + 1]
          while i < endA && j < endB {
            if bytes[i] != bytes[j] { return bytes[i] < bytes[j] }
            i += 1
            j += 1
          }
          let lengthA = endA - from[first]
          let lengthB = endB - from[second]
          return lengthA != lengthB ? lengthA < lengthB : first < second
        }
      }
    }
    bytes = []
    bytes.reserveCapacity(flat.count)
    start = [0]
    start.reserveCapacity(count + 1)
    self.ids = []
    self.ids.reserveCapacity(count)
    for key in keys {
      let index = Int(key.index)
      bytes.append(contentsOf: flat[from[index]..<from[index + 1]])
      start.append(bytes.count)
      self.ids.append(ids[index])
    }
  }
}
