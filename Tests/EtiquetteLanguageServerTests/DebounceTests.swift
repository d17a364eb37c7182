import EtiquetteEngine
import Foundation
import Synchronization
import Testing

/// A clock that moves only when the test says so: the debounce pause without real time.
final class ManualClock: Clock, Sendable {
  struct Instant: InstantProtocol {
    var offset: Duration
    func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
    func duration(to other: Instant) -> Duration { other.offset - offset }
    static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
  }

  private struct State {
    var now = Instant(offset: .zero)
    var sleepers: [(deadline: Instant, wake: CheckedContinuation<Void, any Error>)] = []
  }
  private let state = Mutex(State())

  var now: Instant { state.withLock { $0.now } }
  var minimumResolution: Duration { .zero }

  /// How many tasks are asleep on this clock.
  var sleeperCount: Int { state.withLock { $0.sleepers.count } }

  func sleep(until deadline: Instant, tolerance: Duration?) async throws {
    try await withCheckedThrowingContinuation { (wake: CheckedContinuation<Void, any Error>) in
      let due = state.withLock { state -> Bool in
        if deadline <= state.now { return true }
        state.sleepers.append((deadline, wake))
        return false
      }
      if due { wake.resume() }
    }
  }

  /// Moves time forward and wakes every sleeper whose deadline has come.
  func advance(by duration: Duration) {
    let woken = state.withLock { state in
      state.now = state.now.advanced(by: duration)
      let now = state.now
      let due = state.sleepers.filter { $0.deadline <= now }
      state.sleepers.removeAll { $0.deadline <= now }
      return due.map(\.wake)
    }
    for wake in woken { wake.resume() }
  }
}

/// Diagnostics wait for a pause in typing, and a newer change makes the pending check stale.
@Suite struct DebounceTests {
  @Test func onlyTheLastOfQuickChangesIsCheckedAndPublished() async throws {
    let folder = try RuleFolder(["a.etq": "label \"A\" {\n  when message contains \"a\"\n}\n"])
    defer { folder.remove() }
    let clock = ManualClock()
    let client = TestClient(debounce: .milliseconds(150), clock: clock)
    try await client.initialize(root: folder.url)
    let uri = folder.uri("a.etq")
    await client.open(uri, text: "label \"A\" {\n  when label \"B\"\n}\n")
    await client.change(uri, version: 2, range: nil, text: "label \"A\" {\n  when label \"C\"\n}\n")
    await client.change(uri, version: 3, range: nil, text: "label \"A\" {\n  when label \"D\"\n}\n")
    // Messages are handled in order: once this answer is back, the three edits were taken in.
    let symbols = try await client.request(
      "textDocument/documentSymbol", .object(["textDocument": .object(["uri": .string(uri)])]))
    #expect(symbols["result"]?[0]?["name"] == "A")
    // Each edit scheduled a check that sleeps on the clock; the first two were cancelled by the
    // next edit but still sleep until time moves. Wait until all three are asleep.
    var waited = Duration.zero
    while clock.sleeperCount < 3, waited < TestClient.patience {
      try await Task.sleep(for: .milliseconds(1))
      waited += .milliseconds(1)
    }
    #expect(clock.sleeperCount == 3)
    clock.advance(by: .milliseconds(150))
    let published = try await client.next {
      $0["method"] == .string("textDocument/publishDiagnostics")
    }
    // The first diagnostics published are those of the last text; the others were never sent.
    #expect(published["params"]?["version"] == .number(3))
    let messages = published["params"]?["diagnostics"]?.arrayValue?.compactMap {
      $0["message"]?.stringValue
    }
    #expect(messages?.contains { $0.hasPrefix("unknown label \"D\"") } == true)
    #expect(try await client.shutdown() == 0)
  }
}
