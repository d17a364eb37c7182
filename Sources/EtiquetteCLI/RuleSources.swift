import EtiquetteDiagnostics
import EtiquetteSyntax
import Foundation

/// The files of one rule set, read from the PATH arguments of a command.
struct RuleSources {
  var sources = SourceMap()
  /// Parsed files, in the order they were read (sorted paths within each directory).
  var parsed: [ParseResult] = []

  var syntaxDiagnostics: [Diagnostic] { parsed.flatMap(\.diagnostics) }
  var ruleFiles: [RuleFile] { parsed.map(\.ruleFile) }

  /// Reads every path: a file as is (whatever its extension), a directory recursively for `*.etq`.
  /// Missing paths or directories without rule files are usage errors.
  static func load(paths: [String]) throws(UsageError) -> RuleSources {
    var result = RuleSources()
    let files = try filePaths(for: paths)
    // A progress line on an interactive stderr, for rule sets large enough to make people wait.
    var progress = ProgressLine(total: files.count, label: "parsing")
    defer { progress.finish() }
    for path in files {
      progress.advance()
      guard let data = FileManager.default.contents(atPath: path) else {
        throw UsageError(description: "cannot read \(path)")
      }
      let file = result.sources.add(path: path, bytes: Array(data))
      result.parsed.append(Parser.parse(file))
    }
    return result
  }

  static func filePaths(for paths: [String]) throws(UsageError) -> [String] {
    if paths.isEmpty {
      throw UsageError(description: "no PATH given (try `etiquette check rules/`)")
    }
    var files: [String] = []
    var seen = Set<String>()
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw UsageError(description: "no such file or directory: \(path)")
      }
      var found: [String]
      if isDirectory.boolValue {
        found = etqFiles(under: path)
        if found.isEmpty {
          throw UsageError(description: "no .etq files under \(path)")
        }
      } else {
        found = [path]
      }
      for file in found where seen.insert(file).inserted { files.append(file) }
    }
    return files
  }

  /// `*.etq` files below a directory, sorted so that output is the same on every machine.
  private static func etqFiles(under directory: String) -> [String] {
    let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    guard let enumerator = FileManager.default.enumerator(atPath: base) else { return [] }
    var files: [String] = []
    while let relative = enumerator.nextObject() as? String {
      if relative.hasSuffix(".etq") { files.append(base + "/" + relative) }
    }
    return files.sorted()
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
