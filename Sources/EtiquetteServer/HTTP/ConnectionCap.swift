import Foundation
import Hummingbird
import HummingbirdCore

/// The connections the server holds, counted for the cap and for `/metrics`.
///
/// At `limit` the server stops accepting (Hummingbird's `AvailableConnectionsDelegate`): new
/// connections wait in the kernel's listen backlog and are served as others close, rather than
/// each taking a file descriptor until none is left for the database — 19,990 idle sockets once
/// did that, and `/healthz` timed out while the server spun. Idle ones are closed after
/// `idle_timeout_seconds`, which frees room. The check comes between NIO's accept loops, and
/// one loop takes up to four connections waiting at once: a burst may pass the limit by three
/// at most before the server stops, which the descriptors' margin (256) absorbs.
public final class ConnectionCount: @unchecked Sendable {
  public let limit: Int
  // NSLock rather than `Mutex`: the package still supports macOS 14. Every access is under it.
  private let lock = NSLock()
  private var open = 0
  private var highest = 0
  private var pauses = 0
  private let metrics: ServerMetrics

  init(limit: Int, metrics: ServerMetrics) {
    self.limit = limit
    self.metrics = metrics
  }

  /// Connections open now, the most open at once since the start, and how many times the
  /// server stopped accepting because it was at the limit.
  public var snapshot: (open: Int, highest: Int, pauses: Int) {
    lock.withLock { (open, highest, pauses) }
  }

  func opened() {
    let now = lock.withLock {
      open += 1
      highest = max(highest, open)
      return open
    }
    metrics.recordConnections(open: now)
  }

  func closed() {
    let now = lock.withLock {
      open -= 1
      return open
    }
    metrics.recordConnections(open: now)
  }

  /// Asked before each accept.
  func accepting() -> Bool {
    let accepting = lock.withLock {
      guard open >= limit else { return true }
      pauses += 1
      return false
    }
    if !accepting { metrics.recordConnectionLimitReached() }
    return accepting
  }
}

/// The delegate Hummingbird asks before accepting a connection.
struct ConnectionCap: AvailableConnectionsDelegate {
  let count: ConnectionCount

  mutating func connectionOpened() { count.opened() }
  mutating func connectionClosed() { count.closed() }
  func isAcceptingNewConnections() -> Bool { count.accepting() }
}
