import EtiquetteDiagnostics
import EtiquetteSyntax

/// Writes the canonical layout line by line, placing each comment as it reaches it.
///
/// Layout decisions depend only on the tree and on where comments sit between its tokens (plus
/// whether the source had a blank line between two clauses), never on the source's spacing, so
/// formatting the output again reproduces it exactly.
struct LayoutPrinter {
  /// How a line is separated from what was printed before it.
  enum Separation {
    /// Directly below.
    case none
    /// Always one blank line (between top-level items).
    case blankLine
    /// One blank line when the source had at least one between the two.
    case sourceBlankLine
  }

  let source: SourceFile
  let scanner: PunctuationScanner
  var comments: CommentQueue
  private(set) var lines: [String] = []

  init(source: SourceFile, comments: [Comment]) {
    self.source = source
    self.scanner = PunctuationScanner(bytes: source.bytes)
    self.comments = CommentQueue(comments, source: source)
  }

  /// The printed file: lines joined, exactly one final newline (none for an empty file).
  var text: String {
    var result = lines
    while result.last?.isEmpty == true { result.removeLast() }
    return result.isEmpty ? "" : result.joined(separator: "\n") + "\n"
  }

  // MARK: - File and blocks

  mutating func printFile(_ items: [Item]) {
    var previousEnd: Int?
    for (index, item) in items.enumerated() {
      let block = blockLayout(item)
      let headerEnd = block.openBrace ?? block.span.start
      let leading = comments.take(before: block.span.start)
      printOwnLineComments(
        leading, indent: 0, previousEnd: previousEnd, nodeStart: block.span.start,
        firstSeparation: index == 0 ? .none : .blankLine)
      // A comment between `label` and `{` cannot stay there: it goes above the item.
      for comment in comments.take(in: block.span.start..<headerEnd) {
        commentLine(indent: 0, comment)
      }
      let limit = index + 1 < items.count ? items[index + 1].span.start : Int.max
      previousEnd = printBlock(block, indent: 0, limit: limit)
    }
    let rest = comments.takeAll()
    printOwnLineComments(
      rest, indent: 0, previousEnd: previousEnd, nodeStart: nil,
      firstSeparation: previousEnd == nil ? .none : .sourceBlankLine)
  }

  /// Prints `header {`, the clauses, `}` and a trailing comment; returns where the source of
  /// what was printed ends.
  private mutating func printBlock(_ block: BlockLayout, indent: Int, limit: Int) -> Int {
    guard block.hasBraces else {
      line(indent: indent, block.header)
      if let trailing = comments.takeTrailing(after: block.span.end, before: limit) {
        appendTrailing(trailing)
        return trailing.span.end
      }
      return block.span.end
    }
    let open = block.openBrace ?? block.span.start
    let closeSearchStart = block.clauses.last?.span.end ?? (open + 1)
    let close =
      scanner.find(UInt8(ascii: "}"), from: closeSearchStart, skippingCommas: true)
      ?? max(open, block.span.end - 1)
    if block.clauses.isEmpty, !comments.hasComment(in: open..<close) {
      line(indent: indent, block.header + " {}")
    } else {
      line(indent: indent, block.header + " {")
      var previousEnd = open + 1
      let firstStart = block.clauses.first?.span.start ?? close
      if let trailing = comments.takeTrailing(after: open + 1, before: firstStart) {
        appendTrailing(trailing)
        previousEnd = trailing.span.end
      }
      for (index, clause) in block.clauses.enumerated() {
        let next = index + 1 < block.clauses.count ? block.clauses[index + 1].span.start : close
        previousEnd = printClause(
          clause, indent: indent + 2, previousEnd: previousEnd,
          separation: index == 0 ? .none : .sourceBlankLine, limit: next)
      }
      // Comments after the last clause stay inside the block, above its `}`.
      printOwnLineComments(
        comments.take(before: close), indent: indent + 2, previousEnd: previousEnd,
        nodeStart: nil, firstSeparation: block.clauses.isEmpty ? .none : .sourceBlankLine)
      line(indent: indent, "}")
    }
    if let trailing = comments.takeTrailing(after: close + 1, before: limit) {
      appendTrailing(trailing)
      return trailing.span.end
    }
    return close + 1
  }

  /// Prints one clause with the comments before and inside it; returns where its source ends.
  private mutating func printClause(
    _ clause: ClauseLayout, indent: Int, previousEnd: Int, separation: Separation, limit: Int
  ) -> Int {
    let start = clause.span.start
    printOwnLineComments(
      comments.take(before: start), indent: indent, previousEnd: previousEnd, nodeStart: start,
      firstSeparation: separation)
    // A comment inside a condition cannot stay inside a one-line clause: it goes above it.
    let hoisted = comments.take(
      in: start..<clause.span.end, excluding: clause.pieces.groupBrackets)
    for comment in hoisted { commentLine(indent: indent, comment) }
    emit(clause.pieces, indent: indent, suffix: "")
    if let trailing = comments.takeTrailing(after: clause.span.end, before: limit) {
      appendTrailing(trailing)
      return trailing.span.end
    }
    return clause.span.end
  }

  /// Own-line comments, with blank lines kept as `firstSeparation` and the source say; then
  /// the separation before the node that follows at `nodeStart`, if any.
  private mutating func printOwnLineComments(
    _ list: [Comment], indent: Int, previousEnd: Int?, nodeStart: Int?,
    firstSeparation: Separation
  ) {
    var previous = previousEnd
    var separation = firstSeparation
    for comment in list {
      separate(separation, from: previous, to: comment.span.start)
      commentLine(indent: indent, comment)
      previous = comment.span.end
      separation = .sourceBlankLine
    }
    if let nodeStart { separate(separation, from: previous, to: nodeStart) }
  }

  private mutating func separate(_ separation: Separation, from start: Int?, to end: Int) {
    switch separation {
    case .none: break
    case .blankLine: blankLine()
    case .sourceBlankLine:
      if let start, hasBlankLine(from: start, to: end) { blankLine() }
    }
  }

  /// Whether the source between two offsets spans an empty line (two line breaks: only white
  /// space can lie between two printed things).
  private func hasBlankLine(from start: Int, to end: Int) -> Bool {
    let lower = min(max(start, 0), source.bytes.count)
    let upper = min(max(end, lower), source.bytes.count)
    var breaks = 0
    for byte in source.bytes[lower..<upper] where byte == UInt8(ascii: "\n") {
      breaks += 1
      if breaks >= 2 { return true }
    }
    return false
  }

  // MARK: - Logical lines and groups

  /// Prints pieces as one line, breaking groups that do not fit or that hold comments; `suffix`
  /// (a list's `,`) ends the last line.
  private mutating func emit(_ pieces: [LayoutPiece], indent: Int, suffix: String) {
    var current = ""
    for (index, piece) in pieces.enumerated() {
      switch piece {
      case .text(let text):
        current += text
      case .group(let group):
        if !mustBreak(group),
          fitsInline(group, then: pieces[(index + 1)...], after: current, indent, suffix)
        {
          current += flat(group)
          continue
        }
        line(indent: indent, current + group.openText)
        printGroupBody(group, indent: indent + 2)
        current = group.closeText
      }
    }
    line(indent: indent, current + suffix)
  }

  /// Whether the line stays within the width with `group` inline, counting what follows it up
  /// to the end of the line or to the next group that must break.
  private func fitsInline(
    _ group: BracketGroup, then rest: ArraySlice<LayoutPiece>, after current: String,
    _ indent: Int, _ suffix: String
  ) -> Bool {
    let budget = Formatter.maximumWidth - indent
    var width = current.count + flat(group).count
    if width > budget { return false }
    for piece in rest {
      switch piece {
      case .text(let text):
        width += text.count
      case .group(let next):
        if mustBreak(next) { return width + next.openText.count <= budget }
        width += flat(next).count
      }
      if width > budget { return false }
    }
    return width + suffix.count <= budget
  }

  private func mustBreak(_ group: BracketGroup) -> Bool {
    !group.brackets.isEmpty && comments.hasComment(in: group.brackets)
  }

  /// The lines between a broken group's brackets, at `indent`.
  private mutating func printGroupBody(_ group: BracketGroup, indent: Int) {
    let hasComments = mustBreak(group)
    let open = group.brackets.lowerBound
    let close = max(open, group.brackets.upperBound - 1)
    if !group.brackets.isEmpty,
      let trailing = comments.takeTrailing(
        after: open + 1, before: group.elements.first?.span.start ?? close)
    {
      appendTrailing(trailing)
    }
    if group.style == .list, !hasComments {
      fillWrap(group.elements.map { flat($0.pieces) }, indent: indent)
      return
    }
    for (index, element) in group.elements.enumerated() {
      let isLast = index == group.elements.count - 1
      if !group.brackets.isEmpty {
        for comment in comments.take(in: open..<element.span.start) {
          commentLine(indent: indent, comment)
        }
      }
      let hoisted = comments.take(
        in: element.span.start..<element.span.end, excluding: element.pieces.groupBrackets)
      for comment in hoisted { commentLine(indent: indent, comment) }
      emit(element.pieces, indent: indent, suffix: isLast ? "" : ",")
      let limit = isLast ? close : group.elements[index + 1].span.start
      if let trailing = comments.takeTrailing(after: element.span.end, before: limit) {
        appendTrailing(trailing)
      }
    }
    if !group.brackets.isEmpty {
      for comment in comments.take(in: open..<close) { commentLine(indent: indent, comment) }
    }
  }

  /// As many elements per line as fit, `, ` between them, each line but the last ending in `,`.
  private mutating func fillWrap(_ elements: [String], indent: Int) {
    let budget = Formatter.maximumWidth - indent
    var current = ""
    var width = 0
    for (index, element) in elements.enumerated() {
      let comma = index < elements.count - 1 ? 1 : 0
      let elementWidth = element.count
      if current.isEmpty {
        current = element
        width = elementWidth
      } else if width + 2 + elementWidth + comma <= budget {
        current += ", " + element
        width += 2 + elementWidth
      } else {
        line(indent: indent, current + ",")
        current = element
        width = elementWidth
      }
    }
    if !current.isEmpty { line(indent: indent, current) }
  }

  private func flat(_ pieces: [LayoutPiece]) -> String {
    var result = ""
    for piece in pieces {
      switch piece {
      case .text(let text): result += text
      case .group(let group): result += flat(group)
      }
    }
    return result
  }

  private func flat(_ group: BracketGroup) -> String {
    let elements = group.elements.map { flat($0.pieces) }.joined(separator: ", ")
    switch group.style {
    case .list: return "[" + elements + "]"
    case .object: return elements.isEmpty ? "{}" : "{ " + elements + " }"
    }
  }

  // MARK: - Output lines

  private mutating func line(indent: Int, _ text: String) {
    lines.append(String(repeating: " ", count: indent) + trimmingTrailingSpace(text))
  }

  private mutating func commentLine(indent: Int, _ comment: Comment) {
    line(indent: indent, comment.text)
  }

  private mutating func appendTrailing(_ comment: Comment) {
    guard let last = lines.indices.last else {
      commentLine(indent: 0, comment)
      return
    }
    lines[last] = trimmingTrailingSpace(lines[last] + " " + comment.text)
  }

  /// At most one blank line in a row, and none at the top of the file.
  private mutating func blankLine() {
    if let last = lines.last, !last.isEmpty { lines.append("") }
  }

  private func trimmingTrailingSpace(_ text: String) -> String {
    var scalars = Substring(text).unicodeScalars
    while let last = scalars.last, last == " " || last == "\t" || last == "\r" {
      scalars.removeLast()
    }
    return String(scalars)
  }
}
