import Foundation
import Logging

/// Everything the server assembles its services from — one store, whichever it is: the inbox
/// itself, the web inbox's sessions, the console's rule versions, step history, member activity
/// and statistics. `InboxServer` holds one `any ServerStore` and never asks which.
protocol ServerStore: InboxStore, WebSessionStore, RuleVersionStore, StepHistory,
  MemberActivityStore, InboxStatistics
{
  /// Starts what the store does for the server beyond answering calls (PostgreSQL: relaying
  /// every instance's live events to this instance's streams, and keeping its rules those the
  /// instances serve); the server calls it once.
  func serve(_ instance: ServedInstance)

  /// The rule files this instance serves since a start or an accepted reload (PostgreSQL:
  /// recorded for the other instances, which adopt them).
  func rulesServed(_ files: ServedRuleFiles) async throws

  /// Closes the store when the server stops (PostgreSQL: its connections).
  func close() async

  /// What the store holds, read-only, in domain terms (the server's tests, diagnostics).
  var storeInspection: any StoreInspection { get }

  /// Whether `error` says the store cannot be reached now (answered 503, not 500).
  func isUnavailable(_ error: any Error) -> Bool

  /// False while the store is known to be unreachable (answered 503 before trying it).
  var isReachable: Bool { get }

  /// The frames `member` missed after the event `last`, for a stream resuming on this
  /// instance when its own `LiveStream` does not hold them all (PostgreSQL: the events every
  /// instance stored, kept an hour); nil when they are no longer all known.
  func liveBacklog(after last: UInt64, for member: String, rules: LoadedRules) async throws
    -> [(id: UInt64, frame: String)]?
}

extension SQLiteStore: ServerStore {
  /// One process owns an SQLite file: its live events are published in memory after each
  /// commit, and nothing else runs.
  func serve(_ instance: ServedInstance) {}

  func rulesServed(_ files: ServedRuleFiles) async throws {}

  func close() async {}

  var storeInspection: any StoreInspection { inspection }

  /// A local file is there or the server would not have started; a busy database waits
  /// (`busyMode`) rather than failing.
  func isUnavailable(_ error: any Error) -> Bool { false }

  var isReachable: Bool { true }

  /// The process's `LiveStream` holds all there is: nothing older survives a restart.
  func liveBacklog(after last: UInt64, for member: String, rules: LoadedRules) async throws
    -> [(id: UInt64, frame: String)]?
  { nil }
}
