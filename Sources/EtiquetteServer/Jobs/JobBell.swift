import Foundation

/// The job queue's own wake-up: rung after a commit that added or released jobs of some kinds,
/// so a worker starts them at once instead of at its next look at the queue.
///
/// A worker takes a `mark` before it looks at the queue and waits `since` that mark: a ring in
/// between (work committed while it was claiming) ends the wait at once, so nothing is missed
/// between a look and the wait. Any number of workers may wait; a ring wakes every waiter of
/// its kinds. (With PostgreSQL, `LISTEN/NOTIFY` rings the bells of the other instances.)
final class JobBell: @unchecked Sendable {
  /// Why a wait returned: callers may ignore it; tests tell a wake-up from a timeout by it,
  /// not by how long the wait took (which depends on the machine's load).
  enum WakeReason: Sendable, Equatable {
    case rung, timedOut, cancelled
  }

  private struct Waiter {
    var kinds: Set<JobKind>
    var continuation: CheckedContinuation<WakeReason, Never>
  }

  // Guards every property below.
  private let lock = NSLock()
  private var rings: [JobKind: UInt64] = [:]
  private var waiters: [UInt64: Waiter] = [:]
  /// Waits whose timer fired (or task was cancelled) before they started waiting.
  private var ended: [UInt64: WakeReason] = [:]
  /// Waits in progress (registered or about to be).
  private var live: Set<UInt64> = []
  private var nextWaiter: UInt64 = 0

  init() {}

  /// How many times the bell rang for these kinds so far.
  func mark(_ kinds: Set<JobKind>) -> UInt64 {
    lock.withLock { count(kinds) }
  }

  private func count(_ kinds: Set<JobKind>) -> UInt64 {
    kinds.reduce(0) { $0 &+ (rings[$1] ?? 0) }
  }

  func ring(_ kinds: Set<JobKind>) {
    guard !kinds.isEmpty else { return }
    let woken: [CheckedContinuation<WakeReason, Never>] = lock.withLock {
      for kind in kinds { rings[kind, default: 0] &+= 1 }
      let ids = waiters.filter { !$0.value.kinds.isDisjoint(with: kinds) }.map(\.key)
      return ids.compactMap { waiters.removeValue(forKey: $0)?.continuation }
    }
    for continuation in woken { continuation.resume(returning: .rung) }
  }

  /// Returns at once when the bell rang for `kinds` since `mark`, else at the next ring, after
  /// `limit`, or when the task is cancelled.
  @discardableResult
  func wait(for kinds: Set<JobKind>, since mark: UInt64, upTo limit: Duration) async
    -> WakeReason
  {
    let id: UInt64 = lock.withLock {
      nextWaiter += 1
      live.insert(nextWaiter)
      return nextWaiter
    }
    let timer = Task { [weak self] in
      guard (try? await Task.sleep(for: limit)) != nil else { return }
      self?.end(id, .timedOut)
    }
    defer {
      timer.cancel()
      // A timer that fired after the wait ended leaves nothing behind.
      lock.withLock {
        live.remove(id)
        ended.removeValue(forKey: id)
      }
    }
    return await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<WakeReason, Never>) in
        let now: WakeReason? = lock.withLock {
          if let reason = ended.removeValue(forKey: id) { return reason }
          if Task.isCancelled { return .cancelled }
          if count(kinds) != mark { return .rung }
          waiters[id] = Waiter(kinds: kinds, continuation: continuation)
          return nil
        }
        if let now { continuation.resume(returning: now) }
      }
    } onCancel: {
      end(id, .cancelled)
    }
  }

  /// Ends one wait: at once when it is waiting, else as soon as it starts.
  private func end(_ id: UInt64, _ reason: WakeReason) {
    let waiter: Waiter? = lock.withLock {
      if let waiter = waiters.removeValue(forKey: id) { return waiter }
      if live.contains(id) { ended[id] = reason }
      return nil
    }
    waiter?.continuation.resume(returning: reason)
  }
}
