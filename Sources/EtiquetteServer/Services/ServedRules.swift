import Crypto
import Foundation
import Logging

// One rule set for every instance on a shared database (issue 15): an instance that starts, or
// whose reload is accepted (SIGHUP, the endpoint, a file change, a publication in the console),
// records the files it now serves in the store; every other instance is told, writes the same
// files into its own rules directory and reloads them through the usual path (checked, labels
// reconciled, refused if they do not compile there). On SQLite there is one instance and
// nothing to tell.

/// The rule files an instance serves, by name relative to the rules directory: what the store
/// records and other instances adopt.
struct ServedRuleFiles: Sendable, Hashable, Codable {
  var files: [PublishedFile]

  /// SHA-256 of names and texts in name order: equal on every instance for the same files,
  /// wherever each keeps its rules directory (`LoadedRules.version` hashes paths on disk).
  var digest: String {
    var hasher = SHA256()
    for file in files.sorted(by: { $0.name < $1.name }) {
      hasher.update(data: Data(file.name.utf8))
      hasher.update(data: [0])
      hasher.update(data: Data(file.text.utf8))
      hasher.update(data: [0])
    }
    return hasher.finalize().hexString
  }
}

/// What a store needs from its server to keep instances together.
struct ServedInstance: Sendable {
  var live: LiveStream
  var rules: RuleHolder
  var logger: Logger
  /// The files of the rule set this instance serves now.
  var files: @Sendable () -> ServedRuleFiles
  /// Makes this instance serve `files`: written into its rules directory, then reloaded.
  var adopt: @Sendable (ServedRuleFiles) async -> Void
}

extension RuleDraftService {
  /// Writes each changed file atomically (a temporary file renamed over it: a reader sees the
  /// old file or the new, never half), then deletes the files `files` no longer has.
  func write(_ files: [PublishedFile], replacing old: [PublishedFile]) throws {
    let before = Dictionary(old.map { ($0.name, $0.text) }, uniquingKeysWith: { first, _ in first })
    for file in files where before[file.name] != file.text {
      let url = URL(fileURLWithPath: path(for: file.name))
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(file.text.utf8).write(to: url, options: .atomic)
    }
    let kept = Set(files.map(\.name))
    for file in old where !kept.contains(file.name) {
      try FileManager.default.removeItem(atPath: path(for: file.name))
    }
  }

  /// The files of the rule set being served, as it was loaded (not the files on disk now,
  /// which may hold edits not reloaded yet).
  func served() -> ServedRuleFiles {
    ServedRuleFiles(
      files: rules.current.sources.files.map { file in
        PublishedFile(name: relative(file.path), text: String(decoding: file.bytes, as: UTF8.self))
      })
  }

  /// Puts `served` on disk in place of the current files; false when they were already there.
  func adopt(_ served: ServedRuleFiles) throws -> Bool {
    let current = try tree()
    guard ServedRuleFiles(files: current).digest != served.digest else { return false }
    // Only file names a rules directory may hold: the store is shared, not trusted blindly.
    guard served.files.allSatisfy({ Self.isRuleFileName($0.name) }) else {
      throw RuleFileError("the served rules name a file outside the rules directory")
    }
    try write(served.files, replacing: current)
    return true
  }

  struct RuleFileError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
  }
}
