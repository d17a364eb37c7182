import Foundation

/// Wakes one background worker when there is new work, so deliveries start at once after the
/// commit that created them instead of at the next poll. A signal sent while the worker is busy
/// is remembered (once), so no work is missed between a poll and the next wait.
final class WakeSignal: @unchecked Sendable {
  // Guards `pending`, `waiter` and `generation`.
  private let lock = NSLock()
  private var pending = false
  private var waiter: CheckedContinuation<Void, Never>?
  /// Bumped by every wait, so a wait's timer can only ever end that same wait: a timer that
  /// fires late (or is cancelled) must not leave a `pending` signal behind, which would make the
  /// next wait return at once and the worker spin.
  private var generation = 0

  init() {}

  func signal() {
    let waiting: CheckedContinuation<Void, Never>? = lock.withLock {
      if let waiter {
        self.waiter = nil
        return waiter
      }
      pending = true
      return nil
    }
    waiting?.resume()
  }

  /// Ends the wait of `generation` if it is still the one waiting; never sets `pending`.
  private func expire(_ generation: Int) {
    let waiting: CheckedContinuation<Void, Never>? = lock.withLock {
      guard generation == self.generation, let waiter else { return nil }
      self.waiter = nil
      return waiter
    }
    waiting?.resume()
  }

  /// Returns at the next signal (or at once for one already pending), after `limit` at the
  /// latest, or when the task is cancelled. Meant for one waiting worker at a time.
  func wait(upTo limit: Duration) async {
    let mine: Int = lock.withLock {
      generation += 1
      return generation
    }
    let timer = Task { [weak self] in
      guard (try? await Task.sleep(for: limit)) != nil else { return }
      self?.expire(mine)
    }
    defer { timer.cancel() }
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let resumeNow = lock.withLock {
          if pending || Task.isCancelled {
            pending = false
            return true
          }
          // A second waiter would strand the first: resume the older one.
          let older = waiter
          waiter = continuation
          older?.resume()
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      expire(mine)
    }
  }
}
