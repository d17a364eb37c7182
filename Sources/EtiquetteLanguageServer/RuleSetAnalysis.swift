import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteMatcher
import EtiquetteSyntax

/// One folder's rule set parsed and checked exactly as `etiquette check FOLDER` does it, with
/// the index of names every feature reads.
public struct RuleSetAnalysis: Sendable {
  /// The folder, absolute.
  public let root: String
  /// Absolute paths in `SourceFileID` order.
  public let paths: [String]
  /// The URI of each file, as the editor spells it when it has the file open.
  public let uris: [String]
  /// Files named relative to the folder, as in the messages of `etiquette check` run there.
  public let sources: SourceMap
  public let parsed: [ParseResult]
  /// Sorted by position, as `etiquette check` reports them.
  public let diagnostics: [Diagnostic]
  /// Nil when the rule set has errors.
  public let ruleSet: RuleSet?
  public let index: SymbolIndex
  /// The matcher's slow-pattern warnings and the patterns they were computed from, so an edit
  /// that changes no pattern does not compile the matcher again.
  let slowPatterns: SlowPatterns?

  /// Parses and checks files given as (absolute path, URI, bytes), already sorted by path.
  ///
  /// Files unchanged since `previous` (same path, same place in the order, same bytes) keep
  /// their parse: after an edit, only the edited file is parsed again.
  public init(
    root: String, files: [(path: String, uri: String, bytes: [UInt8])],
    previous: RuleSetAnalysis? = nil
  ) {
    self.root = root
    var sources = SourceMap()
    var parsed: [ParseResult] = []
    for (index, file) in files.enumerated() {
      let relative =
        file.path.hasPrefix(root + "/") ? String(file.path.dropFirst(root.count + 1)) : file.path
      let source = sources.add(path: relative, bytes: file.bytes)
      if let previous, previous.paths.indices.contains(index), previous.paths[index] == file.path,
        previous.sources.files[index].bytes == file.bytes
      {
        parsed.append(previous.parsed[index])
      } else {
        parsed.append(Parser.parse(source))
      }
    }
    self.paths = files.map(\.path)
    self.uris = files.map(\.uri)
    self.sources = sources
    self.parsed = parsed
    self.index = SymbolIndex(files: parsed.map(\.ruleFile))
    let result = Self.check(parsed, sources: sources, previous: previous?.slowPatterns)
    self.diagnostics = result.diagnostics
    self.ruleSet = result.ruleSet
    self.slowPatterns = result.slowPatterns
  }

  /// The same steps as the CLI's check: syntax errors anywhere stop before the checker (names
  /// from a broken file would otherwise be reported as undefined), and the compiled matcher adds
  /// its slow-pattern warnings.
  static func check(_ parsed: [ParseResult], sources: SourceMap, previous: SlowPatterns?) -> (
    diagnostics: [Diagnostic], ruleSet: RuleSet?, slowPatterns: SlowPatterns?
  ) {
    let syntax = parsed.flatMap(\.diagnostics)
    if syntax.hasErrors { return (syntax.sortedByPosition(), nil, nil) }
    let result = Checker.check(parsed.map(\.ruleFile), sources: sources)
    let slow = result.ruleSet.map { SlowPatterns($0, previous: previous) }
    return (
      (syntax + result.diagnostics + (slow?.diagnostics ?? [])).sortedByPosition(),
      result.ruleSet, slow
    )
  }

  public func fileID(ofPath path: String) -> SourceFileID? {
    paths.firstIndex(of: path).map { SourceFileID($0) }
  }

  public func file(ofPath path: String) -> SourceFile? {
    fileID(ofPath: path).flatMap { sources[$0] }
  }

  public func path(of id: SourceFileID) -> String? {
    paths.indices.contains(id.rawValue) ? paths[id.rawValue] : nil
  }

  public func uri(of id: SourceFileID) -> String {
    uris.indices.contains(id.rawValue) ? uris[id.rawValue] : ""
  }

  func ruleFile(_ id: SourceFileID) -> RuleFile? {
    parsed.indices.contains(id.rawValue) ? parsed[id.rawValue].ruleFile : nil
  }
}

/// The matcher's slow-pattern warnings (W030) of a rule set.
///
/// Compiling the matcher is half the time of a re-check on a large rule set, and only its list of
/// patterns decides these warnings: each distinct pattern, at its first appearance in the
/// matcher's order (labels in declaration order, `when` then `remove when`, then routing), is
/// warned about when it has no literal to prefilter on. So when that list is unchanged by value,
/// the warnings are the previous ones, moved to the same appearances' new spans.
struct SlowPatterns: Sendable {
  /// Every pattern in the matcher's order, spans included (equality ignores them).
  let patterns: [Pattern]
  let diagnostics: [Diagnostic]

  init(_ ruleSet: RuleSet, previous: SlowPatterns?) {
    var patterns: [Pattern] = []
    var conditions = ruleSet.labels.flatMap { label in
      (label.addTriggers + label.removeTriggers).map(\.condition)
    }
    conditions += ruleSet.routing.rules.map(\.condition)
    for condition in conditions {
      for atom in condition.atoms {
        if case .matches(let pattern) = atom.kind { patterns.append(pattern) }
      }
    }
    self.patterns = patterns
    if let previous, previous.patterns == patterns {
      self.diagnostics = previous.diagnostics.compactMap { diagnostic in
        guard let index = previous.patterns.firstIndex(where: { $0.span == diagnostic.span })
        else { return nil }
        var moved = diagnostic
        moved.primary.span = patterns[index].span
        return moved
      }
    } else {
      self.diagnostics = MatcherCatalogue.slowPatterns(in: RuleMatcher(ruleSet))
    }
  }
}
