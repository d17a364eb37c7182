import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteMatcher
import EtiquetteSyntax
import Foundation
import Synchronization

/// `textDocument/publishDiagnostics`: the checker's diagnostics, and the failures of the tests
/// run from a code lens, as the editor shows them.
enum DiagnosticFeature {
  /// Diagnostics by file. Test failures come after the checker's, on their `expect` lines.
  static func diagnostics(
    _ analysis: RuleSetAnalysis, testResults: [String: [String: RuleTestResult]]
  ) -> [SourceFileID: [LSPDiagnostic]] {
    var byFile: [SourceFileID: [LSPDiagnostic]] = [:]
    for diagnostic in analysis.diagnostics {
      guard let converted = convert(diagnostic, analysis) else { continue }
      byFile[diagnostic.span.file, default: []].append(converted)
    }
    for (index, path) in analysis.paths.enumerated() {
      guard let results = testResults[path], let file = analysis.sources[SourceFileID(index)]
      else { continue }
      for name in results.keys.sorted() {
        for failure in results[name]?.failures ?? [] {
          guard let failed = analysis.sources[failure.span.file], failed.id == file.id else {
            continue
          }
          byFile[file.id, default: []].append(
            LSPDiagnostic(
              range: file.range(of: failure.span), severity: 1, code: nil, codeDescription: nil,
              source: "etiquette test", message: "test \"\(name)\": \(failure.message)",
              relatedInformation: nil))
        }
      }
    }
    return byFile
  }

  /// One diagnostic: its code linked to `etiquette explain CODE`'s text, the help and notes in
  /// the message, secondary spans ("first defined here") as related locations.
  static func convert(_ diagnostic: Diagnostic, _ analysis: RuleSetAnalysis) -> LSPDiagnostic? {
    guard let file = analysis.sources[diagnostic.span.file] else { return nil }
    var message = diagnostic.message
    if !diagnostic.primary.message.isEmpty { message += " (\(diagnostic.primary.message))" }
    if let help = diagnostic.help { message += "\nhelp: \(help)" }
    for note in diagnostic.notes { message += "\nnote: \(note)" }
    let related = diagnostic.secondary.compactMap { label -> DiagnosticRelatedInformation? in
      guard let other = analysis.sources[label.span.file] else { return nil }
      return DiagnosticRelatedInformation(
        location: Location(uri: analysis.uri(of: other.id), range: other.range(of: label.span)),
        message: label.message.isEmpty ? "related" : label.message)
    }
    return LSPDiagnostic(
      range: file.range(of: diagnostic.span), severity: severity(diagnostic.severity),
      code: diagnostic.code.rawValue,
      codeDescription: CodeExplanations.link(for: diagnostic.code).map(CodeDescription.init),
      message: message, relatedInformation: related.isEmpty ? nil : related)
  }

  static func severity(_ severity: Severity) -> Int {
    switch severity {
    case .error: 1
    case .warning: 2
    case .note: 3
    }
  }
}

/// The text of `etiquette explain CODE`, written once per code to a Markdown file the
/// diagnostic's `codeDescription` links to (the protocol wants a URI; the explanations are not
/// published anywhere else).
enum CodeExplanations {
  static let all: [CodeExplanation] =
    SyntaxCatalogue.explanations + CheckerCatalogue.explanations + MatcherCatalogue.explanations

  private static let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("etiquette-explain-\(getuid())")
  private static let written = Mutex(Set<String>())

  static func explanation(for code: DiagnosticCode) -> CodeExplanation? {
    all.first { $0.code == code }
  }

  /// `file:///…/E030.md`, written on first use; nil when it cannot be written.
  static func link(for code: DiagnosticCode) -> String? {
    let url = directory.appendingPathComponent("\(code.rawValue).md")
    let ready = written.withLock { done -> Bool in
      if done.contains(code.rawValue) { return true }
      guard let entry = explanation(for: code) else { return false }
      try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      guard (try? Data(markdown(entry).utf8).write(to: url)) != nil else { return false }
      done.insert(code.rawValue)
      return true
    }
    return ready ? url.absoluteString : nil
  }

  static func markdown(_ entry: CodeExplanation) -> String {
    let severity = entry.code.defaultSeverity == .error ? "error" : "warning"
    var text = "# \(severity)[\(entry.code)]: \(entry.title)\n\n\(entry.explanation)\n"
    if !entry.example.isEmpty { text += "\nExample:\n\n```etiquette\n\(entry.example)\n```\n" }
    return text
  }
}
