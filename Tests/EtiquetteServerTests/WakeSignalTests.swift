import Foundation
import Testing

@testable import EtiquetteServer

/// The workers' wake-up: a signal ends one wait, is remembered when nobody waits, and a wait's
/// own timer never leaves a signal behind (which would make every later wait return at once
/// and the worker spin).
///
/// Other suites run in parallel and may hold the few cooperative threads for seconds, so the
/// bounds only tell "woken" (well before a long limit) from "timed out", never measure speed.
@Suite struct WakeSignalTests {
  @Test func aTimedOutWaitLeavesNothingPending() async {
    let signal = WakeSignal()
    var quickReturns = 0
    for _ in 0..<20 {
      let start = ContinuousClock.now
      await signal.wait(upTo: .milliseconds(5))
      if ContinuousClock.now - start < .milliseconds(4) { quickReturns += 1 }
    }
    #expect(quickReturns == 0, "a wait returned before its time limit without any signal")
  }

  @Test func aSignalEndsOneWaitOnlyAndIsRememberedOnce() async {
    let signal = WakeSignal()
    signal.signal()
    signal.signal()
    let start = ContinuousClock.now
    await signal.wait(upTo: .seconds(120))
    #expect(ContinuousClock.now - start < .seconds(60), "a pending signal ends the wait at once")
    // After a signal ended a wait early, its timer is cancelled: the next wait lasts its time.
    let second = ContinuousClock.now
    await signal.wait(upTo: .milliseconds(100))
    #expect(ContinuousClock.now - second >= .milliseconds(90))
  }

  @Test func aSignalWakesAWaitingWorker() async {
    let signal = WakeSignal()
    let start = ContinuousClock.now
    async let waited: Void = signal.wait(upTo: .seconds(120))
    try? await Task.sleep(for: .milliseconds(50))
    signal.signal()
    await waited
    #expect(ContinuousClock.now - start < .seconds(60))
  }

  @Test func cancellingTheWorkerEndsItsWait() async {
    let signal = WakeSignal()
    let start = ContinuousClock.now
    let task = Task { await signal.wait(upTo: .seconds(120)) }
    try? await Task.sleep(for: .milliseconds(50))
    task.cancel()
    await task.value
    #expect(ContinuousClock.now - start < .seconds(60))
  }
}
