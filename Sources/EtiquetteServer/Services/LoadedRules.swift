import Crypto
import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteSyntax
import Foundation

/// A checked rule set ready to serve, with the sources its locations refer to and a version
/// that every decision records.
public struct LoadedRules: Sendable {
  public let engine: Engine
  public let sources: SourceMap
  /// The first 12 hex digits of the SHA-256 of every file's path and bytes: the same files
  /// always give the same version, so a restart does not look like a change.
  public let version: String
  /// Warnings of the accepted rule set.
  public let diagnostics: [Diagnostic]

  public var ruleSet: RuleSet { engine.ruleSet }
}

/// Why a rule set was refused: its diagnostics, ready to render as JSON.
public struct RuleLoadFailure: Error, Sendable {
  public var message: String
  public var diagnostics: DiagnosticJSON.Document?
}

/// Reads, parses and checks the `*.etq` files of a rules directory (or one file).
public enum RuleLoading {
  public static func load(path: String) -> Result<LoadedRules, RuleLoadFailure> {
    let files = ruleFiles(at: path)
    if files.isEmpty {
      return .failure(RuleLoadFailure(message: "no .etq files under \(path)", diagnostics: nil))
    }
    var sources = SourceMap()
    var parsed: [ParseResult] = []
    var hasher = SHA256()
    for file in files {
      guard let data = FileManager.default.contents(atPath: file) else {
        return .failure(RuleLoadFailure(message: "cannot read \(file)", diagnostics: nil))
      }
      hasher.update(data: Data(file.utf8))
      hasher.update(data: data)
      let source = sources.add(path: file, bytes: Array(data))
      parsed.append(Parser.parse(source))
    }
    let syntax = parsed.flatMap(\.diagnostics)
    var diagnostics = syntax
    var ruleSet: RuleSet?
    // Syntax errors stop before the checker, as in `etiquette check`.
    if !syntax.hasErrors {
      let result = Checker.check(parsed.map(\.ruleFile), sources: sources)
      diagnostics += result.diagnostics
      ruleSet = result.ruleSet
    }
    diagnostics = diagnostics.sortedByPosition()
    guard let ruleSet else {
      let errors = diagnostics.filter { $0.severity == .error }
      return .failure(
        RuleLoadFailure(
          message: "the rules have \(errors.count) error(s)",
          diagnostics: DiagnosticJSON.document(errors, sources: sources)))
    }
    let digest = hasher.finalize().hexString
    return .success(
      LoadedRules(
        engine: Engine(ruleSet: ruleSet), sources: sources, version: String(digest.prefix(12)),
        diagnostics: diagnostics))
  }

  /// `*.etq` files below a directory in sorted order, or the path itself when it is a file.
  static func ruleFiles(at path: String) -> [String] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      return []
    }
    guard isDirectory.boolValue else { return [path] }
    var base = path.hasSuffix("/") ? String(path.dropLast()) : path
    // The enumerator does not descend into a symbolic link to a directory.
    if (try? FileManager.default.destinationOfSymbolicLink(atPath: base)) != nil {
      base = URL(fileURLWithPath: base).resolvingSymlinksInPath().path
    }
    guard let enumerator = FileManager.default.enumerator(atPath: base) else { return [] }
    var files: [String] = []
    while let relative = enumerator.nextObject() as? String {
      if relative.hasSuffix(".etq") { files.append(base + "/" + relative) }
    }
    return files.sorted()
  }

  /// Paths, sizes and modification times: a cheap fingerprint for polling.
  static func fingerprint(of path: String) -> String {
    ruleFiles(at: path).map { file in
      let attributes = try? FileManager.default.attributesOfItem(atPath: file)
      let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
      let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
      return "\(file):\(size):\(modified)"
    }.joined(separator: "\n")
  }
}

/// The rule set being served, swapped atomically on reload: requests read one consistent
/// snapshot, and a refused rule set never replaces the current one.
public final class RuleHolder: @unchecked Sendable {
  private let lock = NSLock()
  private var rules: LoadedRules
  public let path: String
  private var lastFingerprint: String

  public init(path: String, rules: LoadedRules) {
    self.path = path
    self.rules = rules
    self.lastFingerprint = RuleLoading.fingerprint(of: path)
  }

  public var current: LoadedRules { lock.withLock { rules } }

  /// Checks and compiles the files again; on success the new rules serve the next request.
  public func reload() -> Result<LoadedRules, RuleLoadFailure> {
    let fingerprint = RuleLoading.fingerprint(of: path)
    let result = RuleLoading.load(path: path)
    lock.withLock {
      lastFingerprint = fingerprint
      if case .success(let loaded) = result { rules = loaded }
    }
    return result
  }

  /// Whether the files changed since the last load or reload.
  public func filesChanged() -> Bool {
    let fingerprint = RuleLoading.fingerprint(of: path)
    return lock.withLock { fingerprint != lastFingerprint }
  }
}
