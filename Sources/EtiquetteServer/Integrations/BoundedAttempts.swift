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
