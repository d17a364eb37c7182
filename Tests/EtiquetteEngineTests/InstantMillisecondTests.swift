import EtiquetteEngine
import Foundation
import Testing

/// `Instant.formatWithMilliseconds`, written by hand for the deliveries API (retries less than a
/// second apart): the same text as Foundation's ISO-8601 formatter with fractional seconds.
@Suite struct InstantMillisecondTests {
  @Test(arguments: [
    (1_764_064_800.0, "2025-11-25T10:00:00.000Z"),
    (1_764_064_800.25, "2025-11-25T10:00:00.250Z"),
    (1_764_064_800.0071, "2025-11-25T10:00:00.007Z"),
    // Rounded to the millisecond first, then the whole second: never ".1000".
    (1_764_064_800.9996, "2025-11-25T10:00:01.000Z"),
    (-0.5, "1969-12-31T23:59:59.500Z"),
  ])
  func millisecondsAreThreeDigitsAfterTheWholeSecond(seconds: Double, text: String) {
    #expect(Instant.formatWithMilliseconds(Date(timeIntervalSince1970: seconds)) == text)
  }

  @Test func theWholeSecondsAgreeWithFormat() {
    let date = Date(timeIntervalSince1970: 1_764_064_800.4)
    #expect(Instant.formatWithMilliseconds(date).hasPrefix(String(Instant.format(date).dropLast())))
  }
}
