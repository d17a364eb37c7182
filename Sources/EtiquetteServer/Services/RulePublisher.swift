import EtiquetteDiagnostics
import Foundation
import Logging

/// Publishing rules from the console (issue 17): a set of files replaces the rules directory,
/// through the server's one reload path, and becomes a numbered version with its author, time
/// and message. One publication at a time (a turn taken inside the actor); each names the files it was drafted on
/// (`base`, their digest), so a draft never silently overwrites what another manager, or a
/// `git pull`, wrote since — the second of two simultaneous publications is told so.
actor RulePublisher {
  enum Outcome: Sendable {
    case published(RuleVersion, git: GitRecord)
    /// The files on disk are no longer those the draft was made on: nothing written.
    case changedOnDisk(current: [PublishedFile], digest: String)
    /// The draft is the published files: nothing to publish.
    case unchanged
    /// The draft has errors (its diagnostics): nothing written.
    case refused(DiagnosticJSON.Document)
    /// The reload refused the files (the store could not take them): the files were put back.
    case reloadRefused(RuleLoadFailure)
  }

  /// What became of the publication in the rules directory's git repository.
  enum GitRecord: Sendable, Equatable {
    case notARepository
    case committed(String)
    case failed(String)
  }

  let drafts: RuleDraftService
  let reloads: RuleReloads
  let versions: any RuleVersionStore
  let clock: WallClock
  let logger: Logger
  /// Where drafts are compiled: the console's checks and trials share it.
  let work = DraftWork()

  init(
    drafts: RuleDraftService, reloads: RuleReloads, versions: any RuleVersionStore,
    clock: WallClock, logger: Logger
  ) {
    self.drafts = drafts
    self.reloads = reloads
    self.versions = versions
    self.clock = clock
    self.logger = logger
  }

  /// Replaces the rule files with `files` (files on disk that are not in it are deleted) when
  /// the files on disk still have the digest `base`, the new set checks without error and the
  /// reload takes it; records it as a version, and commits it when the rules are in git.
  func publish(_ files: [PublishedFile], base: String, author: String, message: String)
    async throws -> Outcome
  {
    // An actor runs another call while this one awaits (the store, the reload): without the
    // turn, two publications would both find the files they were drafted on.
    await waitForTurn()
    defer { endTurn() }
    let current = try drafts.tree()
    let currentDigest = drafts.digest(of: current)
    guard base == currentDigest else {
      return .changedOnDisk(current: current, digest: currentDigest)
    }
    let next = drafts.ordered(files)
    guard next != drafts.ordered(current) else { return .unchanged }
    guard next.allSatisfy({ RuleDraftService.isRuleFileName($0.name) }) else {
      throw RuleFileError("a rule file's name is not a relative .etq path")
    }
    let compiled = try await work.run { [drafts] in drafts.compiled(files: next) }
    guard compiled.matcher != nil, !compiled.hasErrors else {
      return .refused(drafts.diagnostics(compiled))
    }
    // The history starts with the files as the console found them (and takes in any edit
    // made outside it), so « revenir » can always go back to them.
    if try await versions.ruleVersions(limit: 1).first?.digest != currentDigest {
      _ = try await versions.recordRuleVersion(
        author: RuleVersion.foundOnDisk, at: clock.seconds,
        message: "Fichiers trouvés sur le disque", digest: currentDigest, files: current)
    }
    try write(next, replacing: current)
    switch await reloads.reload() {
    case .success:
      break
    case .failure(let failure):
      try write(current, replacing: next)
      _ = await reloads.reload()
      logger.error("rules publication by \(author) refused by the reload: \(failure.message)")
      return .reloadRefused(failure)
    }
    let at = clock.seconds
    let digest = drafts.digest(of: next)
    let number = try await versions.recordRuleVersion(
      author: author, at: at, message: message, digest: digest, files: next)
    let git = await commit(
      changed: Set(next.map(\.name)).union(current.map(\.name)).sorted(), author: author,
      message: message, at: at)
    logger.info("rules version \(number) published by \(author) (\(digest))")
    if case .failed(let reason) = git {
      logger.warning("rules version \(number): the git commit failed: \(reason)")
    }
    return .published(
      RuleVersion(
        number: number, author: author, at: at, message: message, digest: digest, files: next),
      git: git)
  }

  /// Whether a publication is under way, and the publications waiting for it, in order.
  private var publishing = false
  private var waiting: [CheckedContinuation<Void, Never>] = []

  private func waitForTurn() async {
    guard publishing else {
      publishing = true
      return
    }
    await withCheckedContinuation { waiting.append($0) }
  }

  /// Hands the turn to the next publication waiting (it stays taken), or frees it.
  private func endTurn() {
    if waiting.isEmpty {
      publishing = false
    } else {
      waiting.removeFirst().resume()
    }
  }

  typealias RuleFileError = RuleDraftService.RuleFileError

  private func write(_ files: [PublishedFile], replacing old: [PublishedFile]) throws {
    try drafts.write(files, replacing: old)
  }

  // MARK: - git

  /// When the rules directory is in a git repository: one commit of the published files,
  /// authored by the member, dated by the server's clock. Nothing else of the repository is
  /// committed (other staged changes stay staged).
  private func commit(changed names: [String], author: String, message: String, at: Double)
    async -> GitRecord
  {
    let directory =
      drafts.isDirectory
      ? drafts.rules.path : URL(fileURLWithPath: drafts.rules.path).deletingLastPathComponent().path
    guard
      let inside = await Self.git(["rev-parse", "--is-inside-work-tree"], in: directory),
      inside.status == 0
    else { return .notARepository }
    let paths = names.map { drafts.path(for: $0) }
    guard let added = await Self.git(["add", "-A", "--"] + paths, in: directory),
      added.status == 0
    else { return .failed("git add failed") }
    // Git's internal date format: seconds since 1970 and an offset.
    let date = "\(Int64(at.rounded(.down))) +0000"
    guard
      let committed = await Self.git(
        ["commit", "--quiet", "--author=\(author) <\(author)>", "-m", message, "--"] + paths,
        in: directory,
        environment: [
          "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
          "GIT_COMMITTER_NAME": "Etiquette", "GIT_COMMITTER_EMAIL": "etiquette@localhost",
        ])
    else { return .failed("git could not be run") }
    guard committed.status == 0 else {
      return .failed(committed.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    let head = await Self.git(["rev-parse", "--short", "HEAD"], in: directory)
    return .committed(head?.output.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
  }

  /// Runs git without blocking a thread (it ends through its termination handler); nil when
  /// git cannot be started. The output is read at the end: these commands print a line at
  /// most (`--quiet`), far below a pipe's buffer.
  private static func git(
    _ arguments: [String], in directory: String, environment: [String: String] = [:]
  ) async -> (status: Int32, output: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["git", "-C", directory] + arguments
    var variables = ProcessInfo.processInfo.environment
    variables.merge(environment) { _, new in new }
    // Never a prompt for credentials or an editor: the server has no terminal.
    variables["GIT_TERMINAL_PROMPT"] = "0"
    variables["GIT_EDITOR"] = "true"
    process.environment = variables
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    process.standardInput = FileHandle.nullDevice
    return await withCheckedContinuation { continuation in
      process.terminationHandler = { process in
        let data = output.fileHandleForReading.readDataToEndOfFile()
        continuation.resume(
          returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
      }
      do {
        try process.run()
      } catch {
        process.terminationHandler = nil
        continuation.resume(returning: nil)
      }
    }
  }
}
