import EtiquetteCompiler
import Foundation

extension RuleSources {
  /// Reads every path through `RuleCompiler.read`, the server's reader too; a missing path or
  /// a directory without rule files is a usage error.
  static func load(paths: [String]) throws(UsageError) -> RuleSources {
    let total: Int
    do {
      total = try RuleCompiler.filePaths(for: paths).count
    } catch {
      throw UsageError(description: error.description)
    }
    // A progress line on an interactive stderr, for rule sets large enough to make people wait.
    var progress = ProgressLine(total: total, label: "parsing")
    defer { progress.finish() }
    do {
      return try RuleCompiler.read(paths: paths) { _, _ in progress.advance() }
    } catch {
      throw UsageError(description: error.description)
    }
  }
}

/// "parsing 120/4000 files" on one rewritten line of stderr, shown only on a terminal and only
/// for many files, so piped output and logs stay clean.
struct ProgressLine {
  let total: Int
  let label: String
  private let enabled: Bool
  private var step = 0

  init(total: Int, label: String, threshold: Int = 200) {
    self.total = total
    self.label = label
    let env = ProcessInfo.processInfo.environment
    self.enabled =
      total >= threshold && Terminal.standardError.isInteractive && env["TERM"] != "dumb"
  }

  mutating func advance() {
    step += 1
    guard enabled, step == 1 || step % 50 == 0 || step == total else { return }
    Terminal.standardError.write("\r\(label) \(step)/\(total) files")
  }

  func finish() {
    guard enabled else { return }
    // Erase the line so the diagnostics that follow start clean.
    Terminal.standardError.write("\r\u{1B}[2K")
  }
}
