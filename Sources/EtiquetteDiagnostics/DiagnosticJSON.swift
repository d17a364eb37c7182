import Foundation

/// The machine-readable form of `etiquette check --format json`:
/// `{"diagnostics": [{"code", "severity", "file", "line", "column", "endLine", "endColumn",
/// "message", "help", "notes"}], "summary": {"errors": N, "warnings": N}}`, lines and columns
/// 1-based, columns counted in characters.
public enum DiagnosticJSON {
  public struct Entry: Codable, Sendable, Equatable {
    public var code: String
    public var severity: String
    public var file: String
    public var line: Int
    public var column: Int
    public var endLine: Int
    public var endColumn: Int
    public var message: String
    public var help: String?
    public var notes: [String]

    // `help` is written as null when absent, so every entry has the same keys.
    public func encode(to encoder: Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(code, forKey: .code)
      try c.encode(severity, forKey: .severity)
      try c.encode(file, forKey: .file)
      try c.encode(line, forKey: .line)
      try c.encode(column, forKey: .column)
      try c.encode(endLine, forKey: .endLine)
      try c.encode(endColumn, forKey: .endColumn)
      try c.encode(message, forKey: .message)
      try c.encode(help, forKey: .help)
      try c.encode(notes, forKey: .notes)
    }
  }
  public struct Summary: Codable, Sendable, Equatable {
    public var errors: Int
    public var warnings: Int
    public init(errors: Int, warnings: Int) {
      self.errors = errors
      self.warnings = warnings
    }
  }
  public struct Document: Codable, Sendable, Equatable {
    public var diagnostics: [Entry]
    public var summary: Summary
  }

  public static func document(_ diagnostics: [Diagnostic], sources: SourceMap) -> Document {
    let entries = diagnostics.map { d -> Entry in
      let file = sources[d.span.file]
      let start = file?.location(ofOffset: d.span.start) ?? SourceLocation(line: 1, column: 1)
      let end = file?.location(ofOffset: d.span.end) ?? start
      return Entry(
        code: d.code.rawValue, severity: d.severity.rawValue, file: file?.path ?? "",
        line: start.line, column: start.column, endLine: end.line, endColumn: end.column,
        message: d.message, help: d.help, notes: d.notes)
    }
    return Document(
      diagnostics: entries,
      summary: Summary(errors: diagnostics.errorCount, warnings: diagnostics.warningCount))
  }

  /// Pretty-printed, keys sorted, so golden files are stable.
  public static func encode(_ diagnostics: [Diagnostic], sources: SourceMap) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(document(diagnostics, sources: sources))) ?? Data()
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}
