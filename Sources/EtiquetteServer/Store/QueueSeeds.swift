import Foundation

// TEST ONLY: what the queues' contract tests read back from either store after seeding rows
// that the write path (steps, intake) would have written. Plain values, so that one test
// compares both stores with the same assertions.

/// A reply's row, as the sender's outcomes leave it.
struct SeededMessage: Sendable, Equatable {
  var status: String?
  var whatsappID: String?
  var errors: String?
  var attempts: Int
  var nextAttemptAt: Double?
}

/// A media row, as the downloads' outcomes leave it.
struct SeededMedia: Sendable, Equatable {
  var status: String
  var mimeType: String? = nil
  var size: Int? = nil
  var sha256: String? = nil
  var attempts: Int
  var error: String? = nil
  var nextAttemptAt: Double? = nil
}

/// An AI request's row.
struct SeededAIRequest: Sendable, Equatable {
  var status: String
  var attempts: Int
  var error: String?
}

/// A job's row.
struct SeededJob: Sendable, Equatable {
  var status: String
  var runAt: Double
  var owner: String?
}
