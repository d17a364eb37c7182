import EtiquetteEngine
import Foundation

/// The hot conversations' engine state, kept in memory so that a step does not reload the whole
/// transcript from the database.
///
/// An entry is trusted only when it was saved from the same rule set (`rulesVersion`) and its
/// `stepCount` equals the stored `step_count`, read under the conversation's lock: every change
/// to a conversation's engine state is a step (`ConversationRecords.save`, which bumps
/// `step_count`), so a step rolled back after its entry was cached, or any write this cache did
/// not see (another instance's), makes the counts disagree and the conversation is reloaded.
/// SQLite's single writer caches a step before its commit (a rollback is caught by the count);
/// PostgreSQL's intake only after the commit, so that an entry is always a committed state —
/// the only one with its step count. Read state is written outside steps (`POST …/read`), so it
/// is always reloaded, never cached. Bounded: the least recently used entries are dropped when
/// it is full.
final class ConversationCache: @unchecked Sendable {
  struct Entry: Sendable {
    var conversation: Conversation
    var lastUse: UInt64
  }

  private struct State {
    var entries: [String: Entry] = [:]
    var clock: UInt64 = 0
    /// The rule set every entry was saved from: a step from another one empties the cache (see
    /// `store`).
    var rulesVersion: String?

    /// The entry of `id` saved from `rulesVersion`, marked as just used.
    mutating func use(_ id: String, rulesVersion: String) -> Conversation? {
      guard rulesVersion == self.rulesVersion, var entry = entries[id] else { return nil }
      clock += 1
      entry.lastUse = clock
      entries[id] = entry
      return entry.conversation
    }
  }

  let capacity: Int
  // NSLock rather than `Mutex`: the package still supports macOS 14. Every access is under it.
  private let lock = NSLock()
  private var state = State()

  init(capacity: Int = 2048) {
    self.capacity = max(1, capacity)
  }

  /// The cached state when it is the stored one (same rule set, same step count).
  func conversation(id: String, stepCount: Int, rulesVersion: String) -> Conversation? {
    lock.withLock {
      guard let conversation = state.use(id, rulesVersion: rulesVersion),
        conversation.stepCount == stepCount
      else {
        state.entries[id] = nil
        return nil
      }
      return conversation
    }
  }

  /// The cached state saved from `rulesVersion`, whatever its step count: the caller compares
  /// the count with the stored one (PostgreSQL: in the statement that loads the others).
  func candidate(id: String, rulesVersion: String) -> Conversation? {
    lock.withLock { state.use(id, rulesVersion: rulesVersion) }
  }

  /// Caches the state a step has just saved (already shaped as `load` would read it back).
  ///
  /// A state from another rule set than the entries' empties the cache first: a reload may
  /// have renamed stored labels without a step (no step count moves), and a version is a hash
  /// of the rules' text, so going back to an earlier rule set must not trust entries from before
  /// the rename. An older state than the entry's (two transactions that committed in one order
  /// and store in the other) is not kept: it would only miss.
  func store(_ conversation: Conversation, rulesVersion: String) {
    lock.withLock {
      if state.rulesVersion != rulesVersion {
        state.entries.removeAll()
        state.rulesVersion = rulesVersion
      }
      if let entry = state.entries[conversation.id],
        entry.conversation.stepCount > conversation.stepCount
      {
        return
      }
      state.clock += 1
      state.entries[conversation.id] = Entry(conversation: conversation, lastUse: state.clock)
      if state.entries.count > capacity {
        // Drop the older half at once, so eviction costs O(1) amortised per insertion.
        let keep = capacity / 2
        let ordered = state.entries.sorted { $0.value.lastUse > $1.value.lastUse }
        state.entries = Dictionary(
          uniqueKeysWithValues: ordered.prefix(keep).map { ($0.key, $0.value) })
      }
    }
  }

  func remove(id: String) {
    _ = lock.withLock { state.entries.removeValue(forKey: id) }
  }

  var count: Int { lock.withLock { state.entries.count } }
}
