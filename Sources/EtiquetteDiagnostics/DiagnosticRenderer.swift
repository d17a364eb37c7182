/// Renders diagnostics the way rustc and YARA-X do:
///
/// ```
/// error[E012]: unknown label "Suport technique"
///   --> rules/routing.etq:8:14
///    |
///  8 |   when label "Suport technique" -> human
///    |              ^^^^^^^^^^^^^^^^^^ no label has this name
///    |
///    = help: did you mean "Support Technique"? (defined at rules/labels.etq:2:7)
/// ```
public struct DiagnosticRenderer: Sendable {
  public let sources: SourceMap
  public let style: TerminalStyle

  public init(sources: SourceMap, style: TerminalStyle = .plain) {
    self.sources = sources
    self.style = style
  }

  /// All diagnostics, each followed by a blank line.
  public func render(_ diagnostics: [Diagnostic]) -> String {
    diagnostics.map { render($0) + "\n" }.joined()
  }

  public func render(_ diagnostic: Diagnostic) -> String {
    var out: [String] = []
    let severityColour: TerminalStyle.Colour =
      switch diagnostic.severity {
      case .error: .red
      case .warning: .yellow
      case .note: .cyan
      }
    out.append(
      style.paint("\(diagnostic.severity.rawValue)[\(diagnostic.code)]", severityColour, bold: true)
        + style.paint(": \(diagnostic.message)", nil, bold: true))

    // Snippets: the primary label first, then secondary ones in their files.
    let labels = [(diagnostic.primary, true)] + diagnostic.secondary.map { ($0, false) }
    let lineNumbers = labels.compactMap { label, _ -> Int? in
      guard let file = sources[label.span.file] else { return nil }
      return file.line(ofOffset: min(label.span.end, file.bytes.count))
    }
    let gutterWidth = String(lineNumbers.max() ?? 1).count
    let pad = String(repeating: " ", count: gutterWidth)
    let bar = style.paint("|", .blue, bold: true)

    var lastFile: SourceFileID?
    for (label, isPrimary) in labels {
      guard let file = sources[label.span.file] else { continue }
      let start = file.location(ofOffset: label.span.start)
      if isPrimary {
        out.append("\(pad)\(style.paint("-->", .blue, bold: true)) \(file.path):\(start)")
        out.append("\(pad) \(bar)")
      } else if lastFile != label.span.file {
        // Another file: a separator line, then its own header, as rustc does.
        out.append("\(pad) \(bar)")
        out.append("\(pad)\(style.paint(":::", .blue, bold: true)) \(file.path):\(start)")
        out.append("\(pad) \(bar)")
      } else {
        out.append("\(pad) \(style.paint("...", .blue, bold: true))")
      }
      lastFile = label.span.file
      out.append(
        contentsOf: snippet(
          file: file, label: label, isPrimary: isPrimary, gutterWidth: gutterWidth,
          colour: isPrimary ? severityColour : .blue))
    }
    if diagnostic.help != nil || !diagnostic.notes.isEmpty {
      out.append("\(pad) \(bar)")
    }
    for note in diagnostic.notes {
      out.append(
        "\(pad) \(style.paint("=", .blue, bold: true)) \(style.paint("note", nil, bold: true)): \(note)"
      )
    }
    if let help = diagnostic.help {
      out.append(
        "\(pad) \(style.paint("=", .blue, bold: true)) \(style.paint("help", nil, bold: true)): \(help)"
      )
    }
    return out.joined(separator: "\n") + "\n"
  }

  /// The source lines of a span with a caret underline. A span over several lines shows its first
  /// and last line, underlining from the start and up to the end.
  private func snippet(
    file: SourceFile, label: DiagnosticLabel, isPrimary: Bool, gutterWidth: Int,
    colour: TerminalStyle.Colour
  ) -> [String] {
    let span = label.span
    let startLine = file.line(ofOffset: span.start)
    let endLine = file.line(ofOffset: max(span.start, span.end - 1))
    let marker: Character = isPrimary ? "^" : "-"
    var lines: [String] = []
    let shown = startLine == endLine ? [startLine] : [startLine, endLine]
    for (index, line) in shown.enumerated() {
      if index == 1, endLine > startLine + 1 {
        lines.append(style.paint("...", .blue, bold: true))
      }
      let lineRange = file.byteRange(ofLine: line)
      let from = min(max(span.start, lineRange.lowerBound), lineRange.upperBound)
      let to = max(min(max(span.end, span.start), lineRange.upperBound), from)
      let window = Self.window(of: lineRange, around: from..<to, in: file.bytes)
      let range = window.range
      let text =
        (window.cutBefore ? "…" : "") + displayText(file.bytes[range])
        + (window.cutAfter ? "…" : "")
      let number = String(line)
      let gutter = String(repeating: " ", count: gutterWidth - number.count) + number
      lines.append(
        "\(style.paint(gutter, .blue, bold: true)) \(style.paint("|", .blue, bold: true)) \(text)")
      // Underline columns measured in display cells of the characters before and inside the span.
      let shownFrom = min(max(from, range.lowerBound), range.upperBound)
      let shownTo = min(max(to, shownFrom), range.upperBound)
      let before =
        (window.cutBefore ? "…" : "") + displayText(file.bytes[range.lowerBound..<shownFrom])
      let inside = displayText(file.bytes[shownFrom..<shownTo])
      let width = max(1, DisplayWidth.of(inside))
      let isLast = index == shown.count - 1
      var underline =
        String(repeating: " ", count: DisplayWidth.of(before))
        + String(repeating: marker, count: width)
      if isLast, !label.message.isEmpty { underline += " " + label.message }
      let blank = String(repeating: " ", count: gutterWidth)
      lines.append(
        "\(blank) \(style.paint("|", .blue, bold: true)) \(style.paint(underline, colour, bold: true))"
      )
    }
    return lines
  }

  /// Bytes of a line shown at most: a longer line (a generated list of phrases on one line)
  /// is shown as a window around the span, with "…" where it was cut, so that each diagnostic
  /// prints a bounded amount whatever the line's length.
  public static let maximumLineBytes = 160
  /// Bytes kept before the span in a cut line, for context.
  static let contextBytes = 40

  /// The part of `line` to show for `span` (within the line), and whether it was cut on each
  /// side. Cuts fall on UTF-8 character boundaries.
  static func window(of line: Range<Int>, around span: Range<Int>, in bytes: [UInt8])
    -> (range: Range<Int>, cutBefore: Bool, cutAfter: Bool)
  {
    guard line.count > maximumLineBytes else { return (line, false, false) }
    var lower = max(line.lowerBound, span.lowerBound - contextBytes)
    var upper = min(line.upperBound, lower + maximumLineBytes)
    // A span near the end of the line: use the room left on the left.
    lower = max(line.lowerBound, min(lower, upper - maximumLineBytes))
    func isContinuation(_ index: Int) -> Bool {
      index < bytes.count && bytes[index] & 0xC0 == 0x80
    }
    while lower > line.lowerBound, isContinuation(lower) { lower -= 1 }
    while upper < line.upperBound, isContinuation(upper) { upper -= 1 }
    return (lower..<upper, lower > line.lowerBound, upper < line.upperBound)
  }

  /// Source text as shown: invalid UTF-8 becomes U+FFFD, tabs become spaces so carets line up.
  private func displayText(_ bytes: ArraySlice<UInt8>) -> String {
    String(decoding: bytes, as: UTF8.self).replacingTabs()
  }

  /// "12 errors, 3 warnings in 4 files" — the closing line of `etiquette check`.
  public static func summary(errors: Int, warnings: Int, files: Int) -> String {
    func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
    return "\(plural(errors, "error")), \(plural(warnings, "warning")) in \(plural(files, "file"))"
  }
}

extension String {
  fileprivate func replacingTabs() -> String {
    var out = ""
    out.reserveCapacity(utf8.count)
    for ch in self { if ch == "\t" { out += "    " } else { out.append(ch) } }
    return out
  }
}

/// Terminal cells a string takes: wide East Asian characters and emoji take two, combining marks none.
public enum DisplayWidth {
  public static func of(_ text: String) -> Int {
    var width = 0
    for character in text {
      guard let scalar = character.unicodeScalars.first else { continue }
      let value = scalar.value
      if scalar.properties.isEmojiPresentation
        || (0x1100...0x115F).contains(value) || (0x2E80...0xA4CF).contains(value)
        || (0xAC00...0xD7A3).contains(value) || (0xF900...0xFAFF).contains(value)
        || (0xFE30...0xFE4F).contains(value) || (0xFF00...0xFF60).contains(value)
        || (0xFFE0...0xFFE6).contains(value) || (0x20000...0x3FFFD).contains(value)
      {
        width += 2
      } else {
        width += 1
      }
    }
    return width
  }
}

/// ANSI colour, or none. Colour is decided once by the CLI (a TTY, no `NO_COLOR`).
public struct TerminalStyle: Sendable {
  public enum Colour: Int, Sendable {
    case red = 31, green = 32, yellow = 33, blue = 34, magenta = 35, cyan = 36
  }
  public let enabled: Bool
  public init(enabled: Bool) { self.enabled = enabled }
  public static let plain = TerminalStyle(enabled: false)
  public static let ansi = TerminalStyle(enabled: true)

  public func paint(_ text: String, _ colour: Colour?, bold: Bool = false) -> String {
    guard enabled, colour != nil || bold else { return text }
    var codes: [String] = []
    if bold { codes.append("1") }
    if let colour { codes.append(String(colour.rawValue)) }
    return "\u{1B}[\(codes.joined(separator: ";"))m\(text)\u{1B}[0m"
  }
}
