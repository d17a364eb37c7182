/// A small seeded random generator (SplitMix64) for property and fuzz tests: the same seed
/// gives the same sequence on every machine, so a failing iteration can be replayed.
package struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  package init(seed: UInt64) { state = seed }

  package mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A number in `0..<bound` (`bound` > 0).
  package mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

  /// A number in `range` (not empty).
  package mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + below(range.count) }

  /// True `percent` times out of a hundred.
  package mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

  /// One of `items` (not empty).
  package mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}
