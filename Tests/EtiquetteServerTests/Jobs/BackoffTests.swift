import EtiquetteTestSupport
import Testing

@testable import EtiquetteServer

/// One backoff for every worker (it was three copies, the AI connector's an equal jitter
/// commented as full).
struct BackoffTests {
  @Test func delaysAreFullJitterUnderAnExponentialCeiling() {
    let backoff = Backoff(initial: 2, maximum: 60)
    #expect(backoff.ceiling(attempt: 1) == 2)
    #expect(backoff.ceiling(attempt: 3) == 8)
    #expect(backoff.ceiling(attempt: 40) == 60)
    #expect(backoff.ceiling(attempt: 0) == 2)
    var random = SplitMix64(seed: 42)
    var lowerHalf = 0
    for _ in 0..<1_000 {
      let delay = backoff.delay(attempt: 5, using: &random)
      #expect(delay >= 0 && delay <= 32)
      if delay < 16 { lowerHalf += 1 }
    }
    // Full jitter spreads retries over [0, ceiling]; an equal jitter never goes below half.
    #expect(lowerHalf > 400 && lowerHalf < 600)
  }

  @Test func aZeroCeilingRetriesAtOnce() {
    var random = SplitMix64(seed: 1)
    #expect(Backoff(initial: 0, maximum: 10).delay(attempt: 3, using: &random) == 0)
  }
}
