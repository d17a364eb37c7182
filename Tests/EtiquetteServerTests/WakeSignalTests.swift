import Foundation
import Testing

@testable import EtiquetteServer

/// The workers' wake-up: a signal ends one wait, is remembered when nobody waits, and a wait's
/// own timer never leaves a signal behind (which would make every later wait return at once
/// and the worker spin).
///
/// Other suites run in parallel and may hold the few cooperative threads for minutes, so a wait
/// says why it returned and the tests check that reason; durations appear only as lower bounds
/// (a timed-out wait lasted at least its limit), which hold on any machine.
@Suite struct WakeSignalTests {
  @Test func aTimedOutWaitLeavesNothingPending() async {
    let signal = WakeSignal()
    var quickReturns = 0
    for _ in 0..<20 {
      let start = ContinuousClock.now
      let reason = await signal.wait(upTo: .milliseconds(5))
      if reason != .timedOut || ContinuousClock.now - start < .milliseconds(4) {
        quickReturns += 1
      }
    }
    #expect(quickReturns == 0, "a wait returned before its time limit without any signal")
  }

  @Test func aSignalEndsOneWaitOnlyAndIsRememberedOnce() async {
    let signal = WakeSignal()
    signal.signal()
    signal.signal()
    #expect(await signal.wait(upTo: .seconds(600)) == .signalled, "a pending signal ends it")
    // After a signal ended a wait early, its timer is cancelled: the next wait lasts its time.
    let second = ContinuousClock.now
    #expect(await signal.wait(upTo: .milliseconds(100)) == .timedOut)
    #expect(ContinuousClock.now - second >= .milliseconds(90))
  }

  @Test func aSignalWakesAWaitingWorker() async {
    let signal = WakeSignal()
    async let waited = signal.wait(upTo: .seconds(600))
    try? await Task.sleep(for: .milliseconds(50))
    signal.signal()
    #expect(await waited == .signalled)
  }

  @Test func cancellingTheWorkerEndsItsWait() async {
    let signal = WakeSignal()
    let task = Task { await signal.wait(upTo: .seconds(600)) }
    try? await Task.sleep(for: .milliseconds(50))
    task.cancel()
    #expect(await task.value == .cancelled)
  }
}
