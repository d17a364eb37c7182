import Foundation

/// Wakes one background worker when there is new work, so deliveries start at once after the
/// commit that created them instead of at the next poll. A signal sent while the worker is busy
/// is remembered (once), so no work is missed between a poll and the next wait.
final class WakeSignal: @unchecked Sendable {
  // Guards `pending` and `waiter`.
  private let lock = NSLock()
  private var pending = false
  private var waiter: CheckedContinuation<Void, Never>?

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

  /// Returns at the next signal (or at once for one already pending), after `limit` at the
  /// latest, or when the task is cancelled. Meant for one waiting worker at a time.
  func wait(upTo limit: Duration) async {
    let timer = Task { [weak self] in
      try? await Task.sleep(for: limit)
      self?.signal()
    }
    defer { timer.cancel() }
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let resumeNow = lock.withLock {
          if pending {
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
      signal()
    }
  }
}
