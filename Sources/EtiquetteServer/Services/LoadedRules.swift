import Crypto
import EtiquetteChecker
import EtiquetteCompiler
import EtiquetteDiagnostics
import EtiquetteEngine
import Foundation

/// A checked rule set ready to serve, with the sources its locations refer to and a version
/// that every decision records.
public struct LoadedRules: Sendable {
  public let engine: Engine
  public let sources: SourceMap
  /// The first 12 hex digits of the SHA-256 of every file's path and bytes: the same files
  /// always give the same version, so a restart does not look like a change.
  public let version: String
  /// Every diagnostic of the accepted rule set (warnings): what `etiquette check` prints.
  public let diagnostics: [Diagnostic]
  /// Labels renamed in the store when these rules were admitted (`was "…"`).
  public var renamedLabels: [LabelRename] = []

  public var ruleSet: RuleSet { engine.ruleSet }
}

/// Why a rule set was refused: its diagnostics (all of them, as `etiquette check --format json`
/// prints them), ready to render as JSON.
public struct RuleLoadFailure: Error, Sendable {
  public var message: String
  public var diagnostics: DiagnosticJSON.Document?
}

/// Reads, parses and checks the `*.etq` files of a rules directory (or one file), through the
/// same `RuleCompiler` as `etiquette check`: the same files, the same diagnostics.
public enum RuleLoading {
  public static func load(path: String) -> Result<LoadedRules, RuleLoadFailure> {
    let compiled: CompiledRules
    do {
      compiled = try RuleCompiler.compile(paths: [path])
    } catch {
      return .failure(RuleLoadFailure(message: error.description, diagnostics: nil))
    }
    let sources = compiled.sources.sources
    let diagnostics = compiled.diagnostics
    guard let matcher = compiled.matcher, !compiled.hasErrors else {
      return .failure(
        RuleLoadFailure(
          message: "the rules have \(compiled.errorCount) error(s)",
          diagnostics: DiagnosticJSON.document(diagnostics, sources: sources)))
    }
    return .success(
      LoadedRules(
        engine: Engine(matcher: matcher), sources: sources,
        version: version(of: sources.files.map { ($0.path, $0.bytes) }),
        diagnostics: diagnostics))
  }

  /// The first 12 hex digits of the SHA-256 of every file's path and bytes, in reading order:
  /// `LoadedRules.version`, and what the console compares to know the files did not change.
  static func version(of files: [(path: String, bytes: [UInt8])]) -> String {
    var hasher = SHA256()
    for file in files {
      hasher.update(data: Data(file.path.utf8))
      hasher.update(data: file.bytes)
    }
    return String(hasher.finalize().hexString.prefix(12))
  }

  /// The files `load` reads, in order; none when the path is missing or holds no rule file.
  static func ruleFiles(at path: String) -> [String] {
    (try? RuleCompiler.filePaths(for: [path])) ?? []
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

  /// Checks and compiles the files again; on success, and when `admit` does not refuse them
  /// (it may change the store to fit them first: renamed labels), the new rules serve the next
  /// request.
  public func reload(admit: (inout LoadedRules) -> RuleLoadFailure? = { _ in nil })
    -> Result<LoadedRules, RuleLoadFailure>
  {
    let fingerprint = RuleLoading.fingerprint(of: path)
    var result = RuleLoading.load(path: path)
    if case .success(var loaded) = result {
      result = admit(&loaded).map { .failure($0) } ?? .success(loaded)
    }
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

extension LoadedRules {
  /// Whether one of the member's teams has `can manage all` — not `all except labels […]`,
  /// which manages some labels only: what the console and the lists about every conversation
  /// require.
  func managesAll(_ member: String) -> Bool {
    ruleSet.member(member)?.teams.contains { team in
      ruleSet[team].grants.contains { grant in
        guard grant.level == .manage, case .all = grant.scope else { return false }
        return true
      }
    } ?? false
  }

  /// 403 unless `member` may manage every conversation (`can manage all`): what the lists
  /// about every conversation need (webhook deliveries, failed messages).
  func requireManagerOfAll(_ member: String, to purpose: String) throws {
    guard managesAll(member) else {
      throw APIError.forbidden("\(purpose) needs `can manage all` (every conversation)")
    }
  }
}
