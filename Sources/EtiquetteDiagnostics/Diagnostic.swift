/// How bad a diagnostic is. Errors stop compilation; warnings do not unless `--strict`.
public enum Severity: String, Sendable, Hashable, Codable, Comparable {
  case error
  case warning
  case note

  private var rank: Int {
    switch self {
    case .error: 0
    case .warning: 1
    case .note: 2
    }
  }
  public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A stable diagnostic code such as `E012` or `W003`; the letter gives the default severity.
public struct DiagnosticCode: Sendable, Hashable, Codable, Comparable, CustomStringConvertible,
  ExpressibleByStringLiteral
{
  public let rawValue: String
  public init(_ rawValue: String) { self.rawValue = rawValue }
  public init(stringLiteral value: String) { self.rawValue = value }
  public var description: String { rawValue }
  public var defaultSeverity: Severity {
    if rawValue.hasPrefix("W") { return .warning }
    return rawValue.hasPrefix("N") ? .note : .error
  }
  public static func < (lhs: DiagnosticCode, rhs: DiagnosticCode) -> Bool {
    lhs.rawValue < rhs.rawValue
  }
}

/// A span with a short message printed beside its underline.
public struct DiagnosticLabel: Sendable, Hashable {
  public var span: SourceSpan
  public var message: String
  public init(_ span: SourceSpan, _ message: String = "") {
    self.span = span
    self.message = message
  }
}

/// One problem found in a rule set. Diagnostics are collected, never thrown, so one run reports
/// everything it finds.
///
/// Wording rules (reviewed in each module's catalogue file): message lowercase, no final period,
/// names quoted; `help` says what to do.
public struct Diagnostic: Sendable, Hashable {
  public var code: DiagnosticCode
  public var severity: Severity
  public var message: String
  /// The primary location and the text beside its caret underline.
  public var primary: DiagnosticLabel
  /// Other places involved ("first defined here").
  public var secondary: [DiagnosticLabel]
  public var help: String?
  public var notes: [String]

  public init(
    _ code: DiagnosticCode,
    severity: Severity? = nil,
    _ message: String,
    at span: SourceSpan,
    label: String = "",
    secondary: [DiagnosticLabel] = [],
    help: String? = nil,
    notes: [String] = []
  ) {
    self.code = code
    self.severity = severity ?? code.defaultSeverity
    self.message = message
    self.primary = DiagnosticLabel(span, label)
    self.secondary = secondary
    self.help = help
    self.notes = notes
  }

  public var span: SourceSpan { primary.span }
}

extension Array where Element == Diagnostic {
  /// Sorted by file, then position, then code: the order users read them in.
  public func sortedByPosition() -> [Diagnostic] {
    enumerated().sorted { a, b in
      let (x, y) = (a.element.span, b.element.span)
      if x.file != y.file { return x.file < y.file }
      if x.start != y.start { return x.start < y.start }
      if a.element.code != b.element.code { return a.element.code < b.element.code }
      return a.offset < b.offset
    }.map(\.element)
  }

  public var errorCount: Int { count { $0.severity == .error } }
  public var warningCount: Int { count { $0.severity == .warning } }
  public var hasErrors: Bool { contains { $0.severity == .error } }
}
