import EtiquetteDiagnostics
import EtiquetteSyntax

/// Prints a parsed rule file in Etiquette's one canonical layout, for `etiquette fmt`.
///
/// The layout: two-space indentation; top-level items separated by one blank line; one clause
/// per line inside a block (at most one blank line kept where the source had some); lists inline
/// when the line fits in ``maximumWidth`` columns, else fill-wrapped one level deeper; test objects
/// inline, else one field per line; strings re-escaped canonically; regexes and numbers as
/// written; every `#` comment kept. Formatting is idempotent and never changes the file's meaning:
/// the output parses to an equal `RuleFile`.
public enum Formatter {
  /// Lines are kept within this many columns (characters) wherever a list or object can wrap.
  public static let maximumWidth = 100

  /// Canonical text of a file that parsed without errors.
  ///
  /// `source` must be the file `file` was parsed from: comments are placed by their byte offsets
  /// relative to the nodes' spans, and blank lines are kept where the source had them.
  public static func format(_ file: RuleFile, source: SourceFile) -> String {
    var printer = LayoutPrinter(source: source, comments: file.comments)
    printer.printFile(file.items)
    return printer.text
  }
}
