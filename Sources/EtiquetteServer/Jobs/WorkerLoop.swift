import Foundation
import Logging

/// The loop of a polling worker (the sender, the media downloader): `round` handles every item
/// due now and returns when the next one falls due (Unix seconds), if any; the worker then waits
/// for that time, a wake-up on `signal`, or `idlePoll` seconds at most — a safety net should a
/// wake-up be missed. A failed round is logged and retried after a second; cancellation (the
/// server stopping) ends the loop without a log line. `afterRound` runs after every round.
func runPolling(
  signal: WakeSignal, idlePoll: Double, clock: WallClock, logger: Logger, label: String,
  afterRound: () -> Void = {}, _ round: () async throws -> Double?
) async {
  while !Task.isCancelled {
    var wait = idlePoll
    do {
      if let due = try await round() {
        wait = min(idlePoll, max(0, due - clock.seconds))
      }
    } catch {
      if Task.isCancelled { break }
      logger.error("\(label): \(error)")
      wait = 1
    }
    afterRound()
    if wait > 0 { await signal.wait(upTo: .milliseconds(Int64(wait * 1000))) }
  }
}

/// Runs `attempt` for every item, at most `limit` at a time (the workers' concurrency toward
/// one peer), and tells whether every attempt's outcome could be recorded.
func attemptAll<Item: Sendable>(
  _ items: [Item], limit: Int, _ attempt: @escaping @Sendable (Item) async -> Bool
) async -> Bool {
  await withTaskGroup(of: Bool.self) { group in
    var running = 0
    var all = true
    for item in items {
      if running >= max(1, limit), let done = await group.next() {
        all = all && done
        running -= 1
      }
      group.addTask { await attempt(item) }
      running += 1
    }
    for await done in group { all = all && done }
    return all
  }
}
