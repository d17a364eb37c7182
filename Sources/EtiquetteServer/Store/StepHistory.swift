import Foundation

/// One engine step as the store kept it: its input as an `etiquette run` line (the format
/// `etiquette diff` replays), its conversation, number and instant.
struct StoredStep: Sendable, Hashable {
  var conversation: String
  var step: Int
  var at: Date
  var line: String
  /// Where the next page of a reading starts after this step.
  var cursor: Int64
}

/// The steps of stored conversations in the order they happened: what the console's impact
/// replay reads (issue 17). Both stores implement it; PostgreSQL pages by
/// `step_inputs.seq` where SQLite pages by rowid.
protocol StepHistory: Sendable {
  /// How many steps happened in `[from, to)`.
  func stepCount(from: Date, to: Date) async throws -> Int
  /// At most `limit` steps of `[from, to)` after `cursor` (nil: from the first), in the order
  /// they happened.
  func steps(from: Date, to: Date, after cursor: Int64?, limit: Int) async throws -> [StoredStep]
  /// The labels each of these conversations has now, by name (for who may view it).
  func labels(ofConversations ids: [String]) async throws -> [String: [String]]
}
