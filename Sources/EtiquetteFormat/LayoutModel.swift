import EtiquetteDiagnostics

/// One part of a logical line: fixed text, or a bracketed group that may be wrapped.
indirect enum LayoutPiece {
  case text(String)
  case group(BracketGroup)
}

/// A `[...]` list or a `{ ... }` test object: printed inline when the line fits, else broken
/// over several lines one level deeper.
struct BracketGroup {
  enum Style {
    /// `["a", "b"]`; when broken, elements are fill-wrapped (or one per line around comments).
    case list
    /// `{ key: value }`; when broken, one field per line.
    case object
  }

  /// An element with the source span its comments are placed against.
  struct Element {
    var pieces: [LayoutPiece]
    var span: SourceSpan
  }

  var style: Style
  var elements: [Element]
  /// Source bytes from the opening to the closing bracket inclusive, where the group's comments
  /// live; empty when the brackets could not be located (its comments then move before the
  /// clause instead of being lost).
  var brackets: Range<Int>

  var openText: String {
    switch style {
    case .list: "["
    case .object: "{"
    }
  }

  var closeText: String {
    switch style {
    case .list: "]"
    case .object: "}"
    }
  }
}

/// A clause, block entry or other logical line: pieces plus the span of the source it came from.
struct ClauseLayout {
  var pieces: [LayoutPiece]
  var span: SourceSpan

  init(_ pieces: [LayoutPiece], span: SourceSpan) {
    self.pieces = pieces
    self.span = span
  }

  init(_ text: String, span: SourceSpan) {
    self.init([.text(text)], span: span)
  }
}

/// A top-level item: `header {`, its clauses one per line, `}`.
struct BlockLayout {
  var header: String
  var span: SourceSpan
  /// Offset of the `{` in the source, when found.
  var openBrace: Int?
  var clauses: [ClauseLayout]
  /// False for a one-line item without braces (`language fr`): the header alone.
  var hasBraces = true
}

extension [LayoutPiece] {
  /// Brackets of the groups directly in these pieces (nested groups lie inside them).
  var groupBrackets: [Range<Int>] {
    compactMap { piece in
      switch piece {
      case .text: nil
      case .group(let group): group.brackets.isEmpty ? nil : group.brackets
      }
    }
  }
}
