import Dispatch
import Foundation

/// Checking, trying and testing a draft, off Swift's cooperative threads and within a time
/// limit: a manager's draft can be 1 MB of labels or a pathological file, and compiling it on
/// the threads that serve the webhooks would stall them (as a broken reload once did, see
/// `RuleReloads`). One draft at a time on a queue of the server's own; a caller waits `limit`
/// at most and is told the check is too slow — the work ends on its queue and its result is
/// dropped.
final class DraftWork: Sendable {
  private let queue = DispatchQueue(label: "etiquette.rule-drafts", qos: .userInitiated)

  /// How long a request waits for a draft's check.
  let limit: Duration

  init(limit: Duration = .seconds(10)) { self.limit = limit }

  struct TooSlow: Error {}

  func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    let limit = limit
    let answer = FirstAnswer<T>()
    return try await withCheckedThrowingContinuation { continuation in
      answer.set(continuation)
      let timer = Task {
        try? await Task.sleep(for: limit)
        answer.give(.failure(TooSlow()))
      }
      queue.async {
        answer.give(Result { try work() })
        timer.cancel()
      }
    }
  }

  /// Resumes a continuation with the first result given, once.
  private final class FirstAnswer<T: Sendable>: @unchecked Sendable {
    // Guards `continuation`.
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?

    func set(_ continuation: CheckedContinuation<T, any Error>) {
      lock.withLock { self.continuation = continuation }
    }

    func give(_ result: Result<T, any Error>) {
      let waiting: CheckedContinuation<T, any Error>? = lock.withLock {
        defer { continuation = nil }
        return continuation
      }
      waiting?.resume(with: result)
    }
  }
}
