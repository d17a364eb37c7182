import Dispatch
import EtiquetteChecker
import EtiquetteCompiler
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteMatcher
import EtiquetteReplay
import Foundation

/// The admin console's impact replay (issue 17): the published rules and a draft replay the
/// steps stored over a period, and every decision that differs is grouped by the rule change
/// that explains it — the code of `etiquette diff` (`RuleDiff`, `RuleDiffReport`), fed with
/// stored traffic instead of a file.
///
/// A replay is a job: it runs on a queue of its own, off Swift's cooperative threads (100,000
/// steps through two rule sets are seconds of CPU that would freeze the webhooks), reports
/// its progress and stops when cancelled. One replay at a time per member: starting another
/// cancels the first. Results stay in memory for an hour.
final class RuleImpacts: @unchecked Sendable {
  let history: any StepHistory
  let rules: RuleHolder
  let clock: WallClock
  /// At most this many steps are replayed (`console.impact_max_steps`).
  let maxSteps: Int
  /// How long a finished replay stays readable.
  static let keptFor: TimeInterval = 3_600
  /// The period replayed when none is chosen: the last seven days.
  static let defaultPeriod: TimeInterval = 7 * 86_400
  /// At most this many example conversations per effect.
  static let examplesPerEffect = 5

  private let queue = DispatchQueue(label: "etiquette.rule-impact", qos: .utility)
  // Guards `jobs`, `hook` and `batch`.
  private let lock = NSLock()
  private var jobs: [String: ImpactJob] = [:]
  private var hook: @Sendable (_ batch: Int) -> Void = { _ in }
  private var batch = 1_000

  init(history: any StepHistory, rules: RuleHolder, clock: WallClock, maxSteps: Int) {
    self.history = history
    self.rules = rules
    self.clock = clock
    self.maxSteps = maxSteps
  }

  /// Called on the replay queue before each batch of steps, with the batch's number from 0
  /// (tests hold a replay with it, so that a cancel lands at a known point).
  var beforeBatch: @Sendable (_ batch: Int) -> Void {
    get { lock.withLock { hook } }
    set { lock.withLock { hook = newValue } }
  }

  /// Steps read from the store and replayed between two looks at progress and cancellation.
  var batchSize: Int {
    get { lock.withLock { batch } }
    set { lock.withLock { batch = max(1, newValue) } }
  }

  /// The period `[from, to)` a replay covers.
  struct Period: Sendable, Hashable {
    var from: Date
    var to: Date
  }

  /// Starts replaying `period` with the draft beside the published rules, for `member`; a
  /// replay of theirs still running is cancelled.
  func start(
    member: String, draft: CompiledRules, matcher: RuleMatcher, period: Period,
    relative: @escaping @Sendable (String) -> String
  ) -> ImpactJob.Snapshot {
    let published = rules.current
    let old = RuleSide(name: "old", engine: published.engine, sources: published.sources)
    let new = RuleSide(
      name: "new", engine: Engine(matcher: matcher), sources: draft.sources.sources)
    let job = ImpactJob(
      id: Self.newID(), member: member, period: period, startedAt: clock.now())
    let now = clock.now()
    lock.withLock {
      for other in jobs.values where other.member == member { other.requestCancel() }
      jobs = jobs.filter { _, job in
        job.isRunning || now.timeIntervalSince(job.startedAt) < Self.keptFor
      }
      jobs[job.id] = job
    }
    Task.detached { [self] in
      await run(job, old: old, new: new, viewer: published.engine, relative: relative)
    }
    return job.snapshot()
  }

  /// The replays kept (running, or finished within the hour).
  var count: Int { lock.withLock { jobs.count } }

  /// A replay of `member`'s; nil for another member's or one forgotten.
  func job(_ id: String, member: String) -> ImpactJob? {
    lock.withLock { jobs[id] }.flatMap { $0.member == member ? $0 : nil }
  }

  private static func newID() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<12).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexString
  }

  /// Runs `body` on the replay queue and waits for it.
  private func onQueue<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
      queue.async { continuation.resume(returning: body()) }
    }
  }

  private func run(
    _ job: ImpactJob, old: RuleSide, new: RuleSide, viewer: Engine,
    relative: @escaping @Sendable (String) -> String
  ) async {
    do {
      let available = try await history.stepCount(from: job.period.from, to: job.period.to)
      let total = min(available, maxSteps)
      job.begin(total: total, available: available)
      let replay = ReplayState(diff: RuleDiff(old: old, new: new))
      var cursor: Int64?
      var number = 0
      var batchNumber = 0
      while number < total {
        let limit = min(batchSize, total - number)
        let steps = try await history.steps(
          from: job.period.from, to: job.period.to, after: cursor, limit: limit)
        if steps.isEmpty { break }
        cursor = steps.last?.cursor
        let hook = beforeBatch
        let index = batchNumber
        let start = number
        let replayed: Bool = await onQueue {
          hook(index)
          guard !job.cancelRequested else { return false }
          for (offset, step) in steps.enumerated() {
            replay.diff.feed(step.line, number: start + offset + 1, at: step.at)
          }
          return true
        }
        guard replayed else {
          job.finish(.cancelled)
          return
        }
        number += steps.count
        batchNumber += 1
        job.progress(number)
      }
      let report = await onQueue {
        RuleDiffReport(diff: replay.diff, oldPaths: [], newPaths: [])
      }
      let result = try await ImpactResult.make(
        report, member: job.member, viewer: viewer, history: history, relative: relative)
      job.finish(.finished, result: result)
    } catch {
      job.finish(.failed, error: "\(error)")
    }
  }

  /// The diff of a running replay: written on the replay queue only.
  private final class ReplayState: @unchecked Sendable {
    var diff: RuleDiff
    init(diff: RuleDiff) { self.diff = diff }
  }
}

/// One replay: its progress while it runs, its result when it is done.
final class ImpactJob: @unchecked Sendable {
  enum Status: String, Sendable, Codable {
    case running, finished, cancelled, failed
  }

  let id: String
  let member: String
  let period: RuleImpacts.Period
  let startedAt: Date
  // Guards every field below.
  private let lock = NSLock()
  private var status = Status.running
  private var cancelling = false
  private var done = 0
  private var total: Int?
  private var available: Int?
  private var result: ImpactResult?
  private var error: String?

  init(id: String, member: String, period: RuleImpacts.Period, startedAt: Date) {
    self.id = id
    self.member = member
    self.period = period
    self.startedAt = startedAt
  }

  var isRunning: Bool { lock.withLock { status == .running } }
  var cancelRequested: Bool { lock.withLock { cancelling } }

  /// Asks the replay to stop before its next batch.
  func requestCancel() { lock.withLock { cancelling = true } }

  func begin(total: Int, available: Int) {
    lock.withLock {
      self.total = total
      self.available = available
    }
  }

  func progress(_ done: Int) { lock.withLock { self.done = done } }

  func finish(_ status: Status, result: ImpactResult? = nil, error: String? = nil) {
    lock.withLock {
      self.status = status
      self.result = result
      self.error = error
    }
  }

  /// What a page or the console's script shows of the job.
  struct Snapshot: Encodable, Sendable {
    var id: String
    var status: Status
    /// Steps replayed so far, of `total`.
    var done: Int
    /// Steps to replay: those of the period, at most `console.impact_max_steps`; nil until
    /// counted.
    var total: Int?
    /// Steps the period has; more than `total` when the cap cut the replay short.
    var available: Int?
    var capped: Bool
    var from: String
    var to: String
    var result: ImpactResult?
    var error: String?
  }

  func snapshot() -> Snapshot {
    lock.withLock {
      Snapshot(
        id: id, status: status, done: done, total: total, available: available,
        capped: (available ?? 0) > (total ?? 0), from: Instant.format(period.from),
        to: Instant.format(period.to), result: result, error: error)
    }
  }
}

/// What the draft would change, for a manager: one group per rule change, each effect a
/// count of conversations with links to examples the manager may view.
struct ImpactResult: Encodable, Sendable {
  var steps: Int
  var conversations: Int
  var changedConversations: Int
  var rejectedSteps: Int
  var groups: [Group]

  struct Group: Encodable, Sendable {
    var cause: Cause
    var conversations: Int
    var effects: [Effect]
  }

  /// The rule change, as `etiquette diff` names it (`kind`, `subject`, `location` relative
  /// to the rules directory).
  struct Cause: Encodable, Sendable {
    var kind: String
    var subject: String
    var location: String?
  }

  struct Effect: Encodable, Sendable {
    /// `labels`, `route`, `mode`, `priority`, `access`, `notifications`, `ai`, `refusals`.
    var category: String
    /// `added`, `removed`, `route`, …: the decision's field.
    var field: String
    /// `+`, `-` or empty.
    var sign: String
    /// The label or member concerned.
    var subject: String?
    var old: String
    var new: String
    /// What `etiquette diff` prints after the count (`labelled 'X'`).
    var effect: String
    var conversations: Int
    /// Conversations the manager may view, in order of their first difference.
    var examples: [String]
    /// Conversations of this effect the manager may not view: counted, never linked.
    var hidden: Int
  }

  static func make(
    _ report: RuleDiffReport, member: String, viewer: Engine, history: any StepHistory,
    relative: @Sendable (String) -> String
  ) async throws -> ImpactResult {
    // Who may view each changed conversation: the published rules on its stored labels.
    let changed = Array(Set(report.differing.map(\.conversation))).sorted()
    var visible = Set<String>()
    for start in stride(from: 0, to: changed.count, by: 500) {
      let chunk = Array(changed[start..<min(start + 500, changed.count)])
      for (id, names) in try await history.labels(ofConversations: chunk) {
        let labels = Set(
          names.map { viewer.ruleSet.label(named: $0)?.id ?? LabelID.unknownStored })
        if viewer.can(member, .view, labels: labels).allowed { visible.insert(id) }
      }
    }
    let groups = report.groups.map { group in
      Group(
        cause: Cause(
          kind: group.cause.kind.rawValue, subject: group.cause.subject,
          location: group.cause.location.map(relative)),
        conversations: group.conversations.count,
        effects: group.effects.map { effect in
          // The fields of one difference this effect stands for (same sign and wording).
          let sample = group.steps.lazy.flatMap(\.differences).first {
            $0.sign == effect.sign && $0.effect == effect.effect
          }
          let seen = effect.conversations.filter { visible.contains($0) }
          return Effect(
            category: effect.category.rawValue, field: sample?.field ?? "",
            sign: effect.sign, subject: sample?.subject, old: sample?.old ?? "",
            new: sample?.new ?? "", effect: effect.effect,
            conversations: effect.conversations.count,
            examples: Array(seen.prefix(RuleImpacts.examplesPerEffect)),
            hidden: effect.conversations.count - seen.count)
        })
    }
    return ImpactResult(
      steps: report.steps, conversations: report.conversations,
      changedConversations: report.changedConversations, rejectedSteps: report.rejected.count,
      groups: groups)
  }
}
