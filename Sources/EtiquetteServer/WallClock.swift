import Foundation

/// Where the server reads the time of day: step instants (`during "bureau"` decides on them),
/// timestamps it stores, and when retries fall due.
///
/// Nothing in the server calls `Date()` itself (a test keeps it that way): production runs on
/// `system`, and tests pass a clock that starts at an instant they choose, so a routing rule
/// such as `when not during "bureau" -> ai` decides the same at 3 a.m. as at 10 a.m.
public struct WallClock: Sendable {
  private let read: @Sendable () -> Date

  public init(_ read: @escaping @Sendable () -> Date) { self.read = read }

  public func now() -> Date { read() }

  /// Unix seconds, as the store keeps them.
  public var seconds: Double { read().timeIntervalSince1970 }

  /// The machine's clock.
  public static let system = WallClock { Date() }

  /// Starts at `instant` and advances with the monotonic clock: the time of day is the test's
  /// choice, while retry delays, leases and timeouts still elapse as they do in production.
  public static func starting(at instant: Date) -> WallClock {
    let origin = ContinuousClock.now
    return WallClock {
      let elapsed = (ContinuousClock.now - origin).components
      return instant.addingTimeInterval(
        Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
    }
  }

  /// Always `instant`: for code paths that only stamp and never wait.
  public static func fixed(_ instant: Date) -> WallClock { WallClock { instant } }
}
