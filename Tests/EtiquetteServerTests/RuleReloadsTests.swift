import Dispatch
import Foundation
import Testing

@testable import EtiquetteServer

/// Reloads run one at a time on a queue of their own (never on Swift's cooperative threads,
/// which serve the requests), and a burst of requests is coalesced.
@Suite struct RuleReloadsTests {
  /// Holds each check until the test lets it go.
  final class Gate: @unchecked Sendable {
    let semaphore = DispatchSemaphore(value: 0)
    // Guards `labels`.
    private let lock = NSLock()
    private var labels: [String] = []
    func enter() {
      // Not inside a Swift task: the check runs on the reload queue, not on a cooperative
      // thread that requests need.
      let place = withUnsafeCurrentTask { $0 == nil ? "reload queue" : "a task" }
      lock.withLock { labels.append(place) }
      semaphore.wait()
    }
    var queues: [String] { lock.withLock { labels } }
  }

  static func reloads(_ gate: Gate) async throws -> (RuleReloads, Results) {
    let harness = try await ServerHarness()
    let results = Results()
    let reloads = RuleReloads(
      holder: harness.server.rules, beforeCheck: { gate.enter() },
      finished: { results.append($0) })
    return (reloads, results)
  }

  final class Results: @unchecked Sendable {
    // Guards `count`.
    private let lock = NSLock()
    private var count = 0
    func append(_: Result<LoadedRules, RuleLoadFailure>) { lock.withLock { count += 1 } }
    var finished: Int { lock.withLock { count } }
  }

  @Test func aBurstOfReloadsCostsAtMostTwoChecksOffTheRequestThreads() async throws {
    let gate = Gate()
    let (reloads, results) = try await Self.reloads(gate)
    let first = Task { await reloads.reload() }
    #expect(await eventually { reloads.reloadsRun == 1 }, "the first reload is checking")
    let burst = (0..<9).map { _ in Task { await reloads.reload() } }
    #expect(await eventually { reloads.waiting == 9 }, "the others wait for the next one")
    gate.semaphore.signal()
    gate.semaphore.signal()
    guard case .success = await first.value else {
      Issue.record("the rules reload")
      return
    }
    for task in burst {
      guard case .success = await task.value else {
        Issue.record("a coalesced reload failed")
        return
      }
    }
    #expect(reloads.reloadsRun == 2)
    #expect(results.finished == 2)
    #expect(gate.queues == ["reload queue", "reload queue"])
  }

  @Test func aCallerWaitsItsLimitAndTheReloadGoesOn() async throws {
    let gate = Gate()
    let (reloads, results) = try await Self.reloads(gate)
    guard case .stillRunning = await reloads.reload(limit: .milliseconds(20)) else {
      Issue.record("the reload should still be checking")
      return
    }
    #expect(results.finished == 0)
    gate.semaphore.signal()
    #expect(await eventually { results.finished == 1 }, "it ends and applies after all")
  }
}
