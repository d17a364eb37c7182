import EtiquetteEngine
import Foundation
import Testing

/// `Instant.format` is computed by hand for speed; Foundation's ISO 8601 formatter is the
/// reference it must agree with.
@Suite struct InstantTests {
  static func reference(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
  }

  @Test(arguments: [
    0.0, 1_767_607_200, 951_782_400, 951_868_799, 4_102_444_800, 1_709_208_000,
    -1, -86_400, 253_402_300_799, 1_764_064_800.75, 1_764_064_800.9996, 1_764_064_800.9994,
    -0.0004, -0.0006,
  ])
  func formatsLikeFoundation(_ seconds: Double) {
    let date = Date(timeIntervalSince1970: seconds)
    #expect(Instant.format(date) == Self.reference(date))
  }

  @Test func agreesOnManyRandomInstants() {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
      // 1900 … 2200, with fractions of a second.
      let seconds = Double.random(in: -2_208_988_800...7_258_118_400, using: &generator)
      let date = Date(timeIntervalSince1970: seconds)
      #expect(Instant.format(date) == Self.reference(date), "\(seconds)")
    }
  }
}
