import Foundation

/// The wait before the next attempt of a job that failed, for every worker (outbound webhooks,
/// WhatsApp sends, media downloads, AI calls): exponential with full jitter, a uniform delay in
/// [0, min(maximum, initial × 2^(attempt−1))], so the jobs that failed together — every reply
/// queued during a receiver's outage — do not all come back at the same instant
/// (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
struct Backoff: Sendable, Hashable {
  var initial: Double
  var maximum: Double

  init(initial: Double, maximum: Double) {
    self.initial = initial
    self.maximum = maximum
  }

  init(_ policy: ServerConfiguration.DeliveryPolicy) {
    self.init(initial: policy.initialBackoff, maximum: policy.maxBackoff)
  }

  /// The ceiling of the `attempt`-th retry's delay (`attempt` counts failed attempts, from 1).
  func ceiling(attempt: Int) -> Double {
    let exponent = Double(min(max(attempt - 1, 0), 62))
    return max(0, min(maximum, initial * pow(2, exponent)))
  }

  /// A random delay up to `ceiling(attempt:)`.
  func delay(attempt: Int) -> Double {
    var generator = SystemRandomNumberGenerator()
    return delay(attempt: attempt, using: &generator)
  }

  func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Double {
    let ceiling = ceiling(attempt: attempt)
    guard ceiling > 0 else { return 0 }
    return Double.random(in: 0...ceiling, using: &generator)
  }
}
