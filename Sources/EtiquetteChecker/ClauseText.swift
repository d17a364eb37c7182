import EtiquetteDiagnostics
import EtiquetteSyntax

/// The canonical spelling of a clause: its tokens as written, one space apart.
///
/// It names a trigger's state (whether it held at the last step) across reloads. A position
/// ("the second `when` of the label") moves when clauses are reordered and silently hands one
/// clause's state to another; the clause's own text does not. Tokens rather than bytes, so
/// that re-indenting, re-wrapping or commenting a clause (what `etiquette fmt` and reviews do)
/// keeps its state; any change to a token makes it another clause, whose state starts fresh.
public enum ClauseText {
  public static func canonical(_ span: SourceSpan, in sources: SourceMap) -> String {
    guard let file = sources[span.file], span.start >= 0, span.end <= file.bytes.count,
      span.start <= span.end
    else { return "" }
    let clause = SourceFile(
      id: span.file, path: file.path, bytes: Array(file.bytes[span.start..<span.end]))
    return Lexer.tokenize(clause).tokens.lazy.filter { $0.kind != .endOfFile }.map(\.text)
      .joined(separator: " ")
  }
}
