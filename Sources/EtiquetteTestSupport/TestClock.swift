import EtiquetteSyntax
import Foundation

/// The instants tests run at, so that no test depends on when or where the suite runs.
///
/// Test servers start their clock at `start`. By default that is a Tuesday at 11:00 in Paris
/// (the example rules' office hours); the environment variable `ETIQUETTE_TEST_NOW` (ISO 8601
/// with an offset, `2026-11-29T03:00:00+01:00`) moves it, and `.ci/run` runs the whole suite at
/// 03:00 on a Sunday and at 10:00 on a Monday, Paris time. A test whose outcome depends on the
/// hour pins its own instant (`officeHours`, `night`) instead of reading `start`.
package enum TestClock {
  /// Tuesday 25 November 2025, 10:00 UTC (11:00 in Paris): inside the example rules' "bureau".
  package static let officeHours = Date(timeIntervalSince1970: 1_764_064_800)
  /// Sunday 30 November 2025, 02:00 UTC (03:00 in Paris): outside every example hours block,
  /// and after the instants the test webhooks carry (a server takes a timestamp more than a
  /// day ahead of its clock for a wrong one).
  package static let night = Date(timeIntervalSince1970: 1_764_468_000)

  /// Where test servers' clocks start: `ETIQUETTE_TEST_NOW`, or `officeHours`.
  package static let start: Date = {
    guard let text = ProcessInfo.processInfo.environment["ETIQUETTE_TEST_NOW"], !text.isEmpty
    else { return officeHours }
    guard let date = InstantLiteral.parse(text) else {
      fatalError("ETIQUETTE_TEST_NOW=\(text) is not an ISO 8601 instant with an offset")
    }
    return date
  }()
}
