import Foundation

/// The one reader of ISO-8601 instants in Etiquette: rule files' test blocks (`at "…"`), the
/// JSON of steps and events (`Instant.parse` in the engine), and the tests' clock
/// (`ETIQUETTE_TEST_NOW`) all read them here, so an instant one accepts the others accept.
public enum InstantLiteral {
  /// `2026-11-24T10:00:00+01:00` or `…Z`, fractions of a second allowed; an offset is required
  /// (an instant without one would depend on the machine's time zone).
  public static func parse(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text)
  }
}
