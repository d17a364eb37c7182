import Foundation

/// Wakes one background worker when there is new work, so deliveries start at once after the
/// commit that created them instead of at the next poll. A signal sent while the worker is busy
/// is remembered (once), so no work is missed between a poll and the next wait.
final class WakeSignal: @unchecked Sendable {
  /// Why a wait returned: callers may ignore it; tests tell a wake-up from a timeout by it,
  /// not by how long the wait took (which depends on the machine's load).
  enum WakeReason: Sendable, Equatable {
    case signalled, timedOut, cancelled
  }

  // Guards `pending`, `waiter` and `generation`.
  private let lock = NSLock()
  private var pending = false
  private var waiter: CheckedContinuation<WakeReason, Never>?
  /// Bumped by every wait, so a wait's timer can only ever end that same wait: a timer that
  /// fires late (or is cancelled) must not leave a `pending` signal behind, which would make the
  /// next wait return at once and the worker spin.
  private var generation = 0

  init() {}

  func signal() {
    let waiting: CheckedContinuation<WakeReason, Never>? = lock.withLock {
      if let waiter {
        self.waiter = nil
        return waiter
      }
      pending = true
      return nil
    }
    waiting?.resume(returning: .signalled)
  }

  /// Ends the wait of `generation` if it is still the one waiting; never sets `pending`.
  private func expire(_ generation: Int, _ reason: WakeReason) {
    let waiting: CheckedContinuation<WakeReason, Never>? = lock.withLock {
      guard generation == self.generation, let waiter else { return nil }
      self.waiter = nil
      return waiter
    }
    waiting?.resume(returning: reason)
  }

  /// Returns at the next signal (or at once for one already pending), after `limit` at the
  /// latest, or when the task is cancelled. Meant for one waiting worker at a time.
  @discardableResult
  func wait(upTo limit: Duration) async -> WakeReason {
    let mine: Int = lock.withLock {
      generation += 1
      return generation
    }
    let timer = Task { [weak self] in
      guard (try? await Task.sleep(for: limit)) != nil else { return }
      self?.expire(mine, .timedOut)
    }
    defer { timer.cancel() }
    return await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<WakeReason, Never>) in
        let now: WakeReason? = lock.withLock {
          if Task.isCancelled { return .cancelled }
          if pending {
            pending = false
            return .signalled
          }
          // A second waiter would strand the first: resume the older one.
          let older = waiter
          waiter = continuation
          older?.resume(returning: .signalled)
          return nil
        }
        if let now { continuation.resume(returning: now) }
      }
    } onCancel: {
      expire(mine, .cancelled)
    }
  }
}
