import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteMatcher
import EtiquetteSyntax
import Foundation

/// The files of one rule set, read and parsed.
public struct RuleSources: Sendable {
  public var sources = SourceMap()
  /// Parsed files, in the order they were read (sorted paths within each directory).
  public var parsed: [ParseResult] = []

  public init() {}

  public var syntaxDiagnostics: [Diagnostic] { parsed.flatMap(\.diagnostics) }
  public var ruleFiles: [RuleFile] { parsed.map(\.ruleFile) }
}

/// A rule set read, checked and compiled for matching.
public struct CompiledRules: Sendable {
  public var sources: RuleSources
  /// The diagnostics sorted by position, at most `DiagnosticLimit.perFile` per file (then a
  /// note says how many more): exactly what `etiquette check` prints.
  public var diagnostics: [Diagnostic]
  /// Errors and warnings found, those left out of `diagnostics` included: for summaries and
  /// exit statuses.
  public var errorCount: Int
  public var warningCount: Int
  /// The checked rule set, when the files parsed and checked without errors.
  public var ruleSet: RuleSet?
  /// The compiled matcher of `ruleSet`, so that whoever runs the rules compiles them once.
  public var matcher: RuleMatcher?
}

extension CompiledRules {
  init(sources: RuleSources, found: [Diagnostic], ruleSet: RuleSet?, matcher: RuleMatcher?) {
    self.sources = sources
    self.diagnostics = DiagnosticLimit.capped(found.sortedByPosition())
    self.errorCount = found.errorCount
    self.warningCount = found.warningCount
    self.ruleSet = ruleSet
    self.matcher = matcher
  }

  /// Whether the rule set has errors, counting those not shown.
  public var hasErrors: Bool { errorCount > 0 }
}

/// Why the files of a rule set could not be read (a missing path, an empty directory).
public struct RuleReadError: Error, Sendable, CustomStringConvertible {
  public var description: String
}

/// The one way rules are read, checked and compiled: every CLI command and the server call it,
/// so the server's reload reports exactly what `etiquette check` prints for the same files.
public enum RuleCompiler {
  /// Reads, parses, checks and compiles the rule set at `paths`. `progress` is told the number
  /// of files read so far and the total, for a progress line.
  public static func compile(
    paths: [String], strict: Bool = false,
    progress: (_ read: Int, _ total: Int) -> Void = { _, _ in }
  ) throws(RuleReadError) -> CompiledRules {
    compile(try read(paths: paths, progress: progress), strict: strict)
  }

  /// Syntax errors anywhere stop before the checker: checking a rule set with a file missing
  /// would report names from that file as undefined, burying the real problem.
  public static func compile(_ rules: RuleSources, strict: Bool = false) -> CompiledRules {
    let syntax = rules.syntaxDiagnostics
    if syntax.hasErrors {
      return CompiledRules(sources: rules, found: syntax, ruleSet: nil, matcher: nil)
    }
    let result = Checker.check(
      rules.ruleFiles, sources: rules.sources, options: CheckOptions(strict: strict))
    // Compiling the matcher shows what checking cannot: patterns that must run on every message
    // (W030).
    let matcher = result.ruleSet.map(RuleMatcher.init)
    let cost = matcher.map(MatcherCatalogue.slowPatterns(in:)) ?? []
    return CompiledRules(
      sources: rules, found: syntax + result.diagnostics + cost, ruleSet: result.ruleSet,
      matcher: matcher)
  }

  /// Reads and parses every path: a file as is (whatever its extension), a directory (or a
  /// symbolic link to one) recursively for `*.etq`.
  ///
  /// `drafts`: text that stands for a file's content, by the file's path as `filePaths` lists
  /// it (the admin console checks an edited file with the others as they are on disk).
  public static func read(
    paths: [String], drafts: [String: String] = [:],
    progress: (_ read: Int, _ total: Int) -> Void = { _, _ in }
  ) throws(RuleReadError) -> RuleSources {
    var result = RuleSources()
    let files = try filePaths(for: paths)
    for (index, path) in files.enumerated() {
      progress(index + 1, files.count)
      guard
        let data = drafts[path].map({ Data($0.utf8) }) ?? FileManager.default.contents(atPath: path)
      else {
        throw RuleReadError(description: "cannot read \(path)")
      }
      let file = result.sources.add(path: path, bytes: Array(data))
      result.parsed.append(Parser.parse(file))
    }
    return result
  }

  /// The files `read` reads, in order, each once. Missing paths or directories without rule
  /// files are errors.
  public static func filePaths(for paths: [String]) throws(RuleReadError) -> [String] {
    if paths.isEmpty {
      throw RuleReadError(description: "no PATH given (try `etiquette check rules/`)")
    }
    var files: [String] = []
    var seen = Set<String>()
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw RuleReadError(description: "no such file or directory: \(path)")
      }
      var found: [String]
      if isDirectory.boolValue {
        found = etqFiles(under: path)
        if found.isEmpty {
          throw RuleReadError(description: "no .etq files under \(path)")
        }
      } else {
        found = [path]
      }
      for file in found where seen.insert(file).inserted { files.append(file) }
    }
    return files
  }

  /// `*.etq` files below a directory, sorted so that output is the same on every machine. Paths
  /// start with the directory as given, so diagnostics name the files the way the user does.
  private static func etqFiles(under directory: String) -> [String] {
    let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    // The enumerator does not descend into a symbolic link to a directory: a rules directory
    // that is a link (a deployment's `current` pointing at a release) is listed at its target.
    var listed = base
    if (try? FileManager.default.destinationOfSymbolicLink(atPath: base)) != nil {
      listed = URL(fileURLWithPath: base).resolvingSymlinksInPath().path
    }
    guard let enumerator = FileManager.default.enumerator(atPath: listed) else { return [] }
    var files: [String] = []
    while let relative = enumerator.nextObject() as? String {
      if relative.hasSuffix(".etq") { files.append(base + "/" + relative) }
    }
    return files.sorted()
  }
}
