/// An Aho-Corasick automaton compiled to a DFA over byte classes: every keyword (normalised
/// phrases and regex prefilter atoms) is found in one pass over the normalised text, one table
/// lookup per byte, overlapping occurrences included.
///
/// Layout, chosen for the scan loop:
/// - bytes that occur in no keyword share class 0, so the table has a column per distinct
///   keyword byte plus one, not 256;
/// - a transition stores the target state already multiplied by the class count, so the loop
///   does one add and one load per byte;
/// - states where some keyword ends are numbered last, so "did anything end here?" is a single
///   comparison against `firstOutputState`.
struct PhraseAutomaton: Sendable {
  /// The byte class of each byte value.
  let byteClass: [UInt8]
  let classCount: Int
  /// `transitions[state * classCount + class]` is the next state times `classCount`.
  let transitions: [UInt32]
  /// Premultiplied number of the first state with an output; states from here on have one.
  let firstOutputState: UInt32
  /// Per state (not premultiplied): the keyword ending exactly here, or -1.
  let terminal: [Int32]
  /// Per state: the nearest proper suffix state (by failure links) where a keyword ends, or -1.
  let dictionaryLink: [Int32]
  /// Byte length of each keyword.
  let keywordLength: [Int32]
  let stateCount: Int

  /// Builds the automaton; `keywords` must be distinct and non-empty.
  init(keywords: [[UInt8]]) {
    // Byte classes: one per byte value used by a keyword.
    var classOf = [UInt8](repeating: 0, count: 256)
    var used = [Bool](repeating: false, count: 256)
    for keyword in keywords { for byte in keyword { used[Int(byte)] = true } }
    var classes = 1
    for value in 0..<256 where used[value] {
      classOf[value] = UInt8(truncatingIfNeeded: classes)
      classes += 1
    }
    // More than 255 used bytes cannot happen with UTF-8 keywords (0xC0, 0xC1, 0xF5... never
    // occur), but stay correct if it does: fall back to one class per byte value.
    if classes > 256 {
      classOf = (0..<256).map { UInt8($0) }
      classes = 256
    }
    let width = classes

    // 1. The trie, stored directly as rows of the future DFA; 0 means "no edge" (no edge
    //    leads back to the root, state 0).
    var table = [UInt32](repeating: 0, count: width)
    var terminal: [Int32] = [-1]
    var depth: [Int32] = [0]
    var stateCount = 1
    for (index, keyword) in keywords.enumerated() {
      var state = 0
      for byte in keyword {
        let slot = state * width + Int(classOf[Int(byte)])
        let next = Int(table[slot])
        if next != 0 {
          state = next
        } else {
          table.append(contentsOf: repeatElement(0, count: width))
          terminal.append(-1)
          depth.append(depth[state] + 1)
          table[slot] = UInt32(stateCount)
          state = stateCount
          stateCount += 1
        }
      }
      terminal[state] = Int32(index)
    }

    // 2. Breadth-first: failure links, dictionary links, and the missing transitions filled
    //    from the failure state's (already complete) row.
    var failure = [Int32](repeating: 0, count: stateCount)
    var dictionary = [Int32](repeating: -1, count: stateCount)
    var queue: [Int32] = []
    queue.reserveCapacity(stateCount)
    table.withUnsafeMutableBufferPointer { rows in
      for column in 0..<width {
        let child = rows[column]
        if child != 0 { queue.append(Int32(child)) }
      }
      var head = 0
      while head < queue.count {
        let state = Int(queue[head])
        head += 1
        let fail = Int(failure[state])
        let rowStart = state * width
        let failRow = fail * width
        for column in 0..<width {
          let child = rows[rowStart + column]
          if child != 0 {
            let childState = Int(child)
            // A root child's failure is the root; deeper states take the failure state's
            // transition on the same byte.
            let childFail = state == 0 ? 0 : Int(rows[failRow + column])
            failure[childState] = Int32(childFail)
            dictionary[childState] =
              terminal[childFail] >= 0 ? Int32(childFail) : dictionary[childFail]
            queue.append(Int32(childState))
          } else {
            rows[rowStart + column] = state == 0 ? 0 : rows[failRow + column]
          }
        }
      }
    }

    // 3. Renumber: states without output first (the root stays 0), then those with one.
    var hasOutput = [Bool](repeating: false, count: stateCount)
    for state in 0..<stateCount where terminal[state] >= 0 || dictionary[state] >= 0 {
      hasOutput[state] = true
    }
    var newNumber = [UInt32](repeating: 0, count: stateCount)
    var next: UInt32 = 0
    for state in 0..<stateCount where !hasOutput[state] {
      newNumber[state] = next
      next += 1
    }
    let firstOutput = next
    for state in 0..<stateCount where hasOutput[state] {
      newNumber[state] = next
      next += 1
    }
    var renumbered = [UInt32](repeating: 0, count: stateCount * width)
    var newTerminal = [Int32](repeating: -1, count: stateCount)
    var newDictionary = [Int32](repeating: -1, count: stateCount)
    let multiplier = UInt32(width)
    renumbered.withUnsafeMutableBufferPointer { out in
      table.withUnsafeBufferPointer { rows in
        for state in 0..<stateCount {
          let target = Int(newNumber[state]) * width
          let source = state * width
          for column in 0..<width {
            out[target + column] = newNumber[Int(rows[source + column])] * multiplier
          }
        }
      }
    }
    for state in 0..<stateCount {
      let number = Int(newNumber[state])
      newTerminal[number] = terminal[state]
      let link = dictionary[state]
      newDictionary[number] = link >= 0 ? Int32(newNumber[Int(link)]) : -1
    }

    byteClass = classOf
    classCount = width
    transitions = renumbered
    firstOutputState = firstOutput * multiplier
    self.terminal = newTerminal
    dictionaryLink = newDictionary
    keywordLength = keywords.map { Int32($0.count) }
    self.stateCount = stateCount
  }

  /// Bytes held by the tables, for the benchmark's memory figure.
  var memoryBytes: Int {
    transitions.count * 4 + terminal.count * 4 + dictionaryLink.count * 4
      + keywordLength.count * 4 + 256
  }

  /// Calls `report(keyword, end)` for every keyword occurrence in `text`, where `end` is the
  /// byte offset just past it; occurrences ending at the same byte come longest first.
  @inline(never)
  func scan(_ text: UnsafeBufferPointer<UInt8>, report: (Int32, Int) -> Void) {
    transitions.withUnsafeBufferPointer { table in
      byteClass.withUnsafeBufferPointer { classes in
        var state: UInt32 = 0
        let threshold = firstOutputState
        for index in 0..<text.count {
          state = table[Int(state) &+ Int(classes[Int(text[index])])]
          if state >= threshold {
            reportOutputs(of: Int(state) / classCount, end: index + 1, report: report)
          }
        }
      }
    }
  }

  @inline(never)
  private func reportOutputs(of state: Int, end: Int, report: (Int32, Int) -> Void) {
    let own = terminal[state]
    if own >= 0 { report(own, end) }
    var link = dictionaryLink[state]
    while link >= 0 {
      report(terminal[Int(link)], end)
      link = dictionaryLink[Int(link)]
    }
  }
}
