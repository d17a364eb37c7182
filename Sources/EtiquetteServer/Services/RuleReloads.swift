import Dispatch
import Foundation

/// Reloads of the rules, one at a time, off Swift's cooperative threads: checking and
/// compiling a large or broken rule set takes seconds of CPU, which on the cooperative pool
/// froze `/healthz` and the webhooks (a file with 20,000 errors: 183 s).
///
/// Requests that arrive while a reload runs are coalesced into the next one (they must see
/// the files as they are after their request, so they cannot share the running one): a burst
/// of N requests costs at most two reloads. A caller waits `limit` at most; a reload that takes
/// longer goes on and applies its result when it ends, and the caller learns it is still
/// running.
final class RuleReloads: @unchecked Sendable {
  enum Outcome: Sendable {
    case finished(Result<LoadedRules, RuleLoadFailure>)
    /// Still checking after `limit`: the rules serving are unchanged until it ends.
    case stillRunning
  }

  private typealias Waiter = CheckedContinuation<Result<LoadedRules, RuleLoadFailure>, Never>

  private let holder: RuleHolder
  private let queue = DispatchQueue(label: "etiquette.rules-reload", qos: .utility)
  /// Called on the reload queue before each check (tests hold a reload with it).
  private let beforeCheck: @Sendable () -> Void
  /// Called on the reload queue with rules that checked: may refuse them (see `RuleHolder`).
  private let admit: @Sendable (inout LoadedRules) -> RuleLoadFailure?
  /// Called with each result, on the reload queue, before the waiters resume.
  private let finished: @Sendable (Result<LoadedRules, RuleLoadFailure>) -> Void
  // Guards `running`, `next` and `runs`.
  private let lock = NSLock()
  private var running = false
  /// Callers waiting for the next reload (not the running one).
  private var next: [Waiter] = []
  private var runs = 0

  init(
    holder: RuleHolder,
    beforeCheck: @escaping @Sendable () -> Void = {},
    admit: @escaping @Sendable (inout LoadedRules) -> RuleLoadFailure? = { _ in nil },
    finished: @escaping @Sendable (Result<LoadedRules, RuleLoadFailure>) -> Void
  ) {
    self.holder = holder
    self.beforeCheck = beforeCheck
    self.admit = admit
    self.finished = finished
  }

  /// Callers waiting for a reload that has not started yet.
  var waiting: Int { lock.withLock { next.count } }

  var reloadsRun: Int { lock.withLock { runs } }

  /// Reloads (or joins the next reload) and waits for its result, `limit` at most. (Not a
  /// task group: a group waits for all its children, the reload among them.)
  func reload(limit: Duration) async -> Outcome {
    let answer = FirstAnswer()
    return await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
      answer.set(continuation)
      let timer = Task {
        try? await Task.sleep(for: limit)
        answer.give(.stillRunning)
      }
      Task {
        answer.give(.finished(await self.reload()))
        timer.cancel()
      }
    }
  }

  /// Resumes a continuation with the first outcome given, once.
  private final class FirstAnswer: @unchecked Sendable {
    // Guards `continuation`.
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Outcome, Never>?

    func set(_ continuation: CheckedContinuation<Outcome, Never>) {
      lock.withLock { self.continuation = continuation }
    }

    func give(_ outcome: Outcome) {
      let waiting: CheckedContinuation<Outcome, Never>? = lock.withLock {
        defer { continuation = nil }
        return continuation
      }
      waiting?.resume(returning: outcome)
    }
  }

  /// Reloads (or joins the next reload) and waits for its result however long it takes.
  func reload() async -> Result<LoadedRules, RuleLoadFailure> {
    await withCheckedContinuation { (waiter: Waiter) in
      let start: Bool = lock.withLock {
        next.append(waiter)
        guard !running else { return false }
        running = true
        return true
      }
      if start { runNext() }
    }
  }

  /// Takes every waiter queued so far and reloads for them, then again for those who came
  /// meanwhile, until nobody waits.
  private func runNext() {
    queue.async { [self] in
      let batch: [Waiter] = lock.withLock {
        let batch = next
        next = []
        runs += 1
        return batch
      }
      beforeCheck()
      let result = holder.reload(admit: admit)
      finished(result)
      for waiter in batch { waiter.resume(returning: result) }
      let more: Bool = lock.withLock {
        if next.isEmpty {
          running = false
          return false
        }
        return true
      }
      if more { runNext() }
    }
  }
}

extension RuleReloads {
  /// Runs `work` and waits for it on the reload queue's thread. Reloads run on their own
  /// dispatch queue, never on Swift's cooperative pool, so this wait cannot starve the tasks
  /// that `work` needs (the store's).
  static func waiting<T: Sendable>(for work: @escaping @Sendable () async -> T) -> T {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    Task {
      box.value = await work()
      done.signal()
    }
    done.wait()
    return box.value!
  }

  private final class ResultBox<T>: @unchecked Sendable {
    // Written once by the task, read once after the semaphore: ordered by it.
    var value: T?
  }
}
