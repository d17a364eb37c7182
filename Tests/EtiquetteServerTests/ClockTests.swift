import EtiquetteTestSupport
import Foundation
import Testing

@testable import EtiquetteServer

/// The server reads the time of day through its `WallClock` only, so the tests that pin the
/// clock decide the same whenever the suite runs (a routing rule `when not during "bureau"`
/// once made a test pass during Paris office hours and fail at night).
@Suite struct ClockTests {
  static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")

  /// Reads of the system clock anywhere in the product's sources, but in `WallClock.swift`.
  @Test func onlyWallClockReadsTheSystemClock() throws {
    let forbidden = ["Date()", "Date.now", "Date(timeIntervalSinceNow", "CFAbsoluteTimeGetCurrent"]
    let files = try #require(FileManager.default.enumerator(atPath: Self.sources.path))
      .compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
    #expect(files.count > 100, "the sources were not found at \(Self.sources.path)")
    var reads: [String] = []
    for file in files where !file.hasSuffix("/WallClock.swift") {
      let text = try String(
        contentsOf: Self.sources.appendingPathComponent(file), encoding: .utf8)
      for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false)
        .enumerated()
      {
        let code = line.trimmingCharacters(in: .whitespaces)
        if code.hasPrefix("//") { continue }
        if forbidden.contains(where: { code.contains($0) }) {
          reads.append("Sources/\(file):\(number + 1): \(code)")
        }
      }
    }
    #expect(
      reads.isEmpty, "read the time through WallClock instead:\n\(reads.joined(separator: "\n"))")
  }

  /// A clock that starts at an instant advances from it, so retries still fall due.
  @Test func aStartingClockAdvancesFromItsInstant() async throws {
    let clock = WallClock.starting(at: TestClock.night)
    let first = clock.now()
    #expect(first >= TestClock.night)
    #expect(first.timeIntervalSince(TestClock.night) < 3600)
    #expect(
      await eventually { clock.now() > first },
      "the clock did not advance")
    #expect(WallClock.fixed(TestClock.night).now() == TestClock.night)
  }
}
