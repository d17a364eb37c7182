import EtiquetteSyntax
import Foundation
import Testing

/// The one ISO-8601 reader: what rule-file tests, step JSON and the tests' clock accept.
@Suite struct InstantLiteralTests {
  @Test(arguments: [
    ("2026-11-24T10:00:00+01:00", 1_795_510_800.0),
    ("2026-11-24T09:00:00Z", 1_795_510_800),
    ("2026-11-24T09:00:00.250Z", 1_795_510_800.25),
    ("2026-11-24T04:00:00-05:00", 1_795_510_800),
  ])
  func readsInstantsWithAnOffset(_ text: String, _ seconds: Double) {
    #expect(InstantLiteral.parse(text)?.timeIntervalSince1970 == seconds)
  }

  /// Without an offset the instant would depend on the machine's zone; the rest is not ISO 8601.
  @Test(arguments: [
    "2026-11-24T10:00:00", "2026-11-24", "10:00", "", "2026-13-24T10:00:00Z", "demain",
  ])
  func refusesTheRest(_ text: String) {
    #expect(InstantLiteral.parse(text) == nil)
  }
}
