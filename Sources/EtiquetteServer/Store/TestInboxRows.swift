import Foundation

/// TEST ONLY: rows of an inbox, written as they are into a store's tables (bypassing the engine
/// and the write path), so that the read side of every store can be compared on the same data:
/// `SQLiteStore.insertTestRows` and `PostgresStore.insertTestRows` write the same rows, ids
/// included.
struct TestInboxRows: Sendable {
  struct Conversation: Sendable {
    var id: String
    var phone: String?
    var userID: String?
    var name: String?
    var attributes = "{}"
    var mode = "ai"
    var assignee: String?
    var presence = "active"
    var team: String?
    var priority = "normal"
    var priorityRank = 1
    var version = 1
    var stepCount = 1
    var transcriptCount = 0
    var heldTriggers = "[]"
    var createdAt: Double
    var updatedAt: Double
  }

  struct Label: Sendable {
    var conversation: String
    var label: String
    var reason = #"{"by":"test"}"#
  }

  struct Message: Sendable {
    var id: Int64
    var conversation: String
    var seq: Int?
    var direction: String
    var author: String
    var type: String?
    var text: String
    var attachments = "[]"
    var whatsappID: String?
    var status: String?
    var errors: String?
    var sendAttempts = 0
    var at: Double
  }

  struct Note: Sendable {
    var id: Int64
    var conversation: String
    var author: String
    var text: String
    var mentions = "[]"
    var at: Double
  }

  struct ReadState: Sendable {
    var conversation: String
    var member: String
    var count: Int
  }

  struct Notification: Sendable {
    var id: Int64
    var member: String
    var conversation: String
    var reason = "team"
    var team: String?
    var priority = "normal"
    var text: String
    var createdAt: Double
    var readAt: Double?
  }

  struct Media: Sendable {
    var id: String
    var conversation: String
    var kind = "image"
    var status: String
    var mimeType: String?
    var sha256: String?
    var error: String?
    var bytes: Data?
    var at: Double
  }

  struct Suggestion: Sendable {
    var id: Int64
    var conversation: String
    var version: Int
    var text: String
    var createdAt: Double
  }

  struct Decision: Sendable {
    var id: Int64
    var conversation: String
    var step: Int
    var document: String
    var action: String?
    var at: Double
  }

  struct StepInput: Sendable {
    var conversation: String
    var step: Int
    var line: String
    var at: Double
  }

  struct Failure: Sendable {
    var webhook: Int64
    var whatsappID: String
    var error: String
    var attempts = 1
    var retryable = true
    var failedAt: Double
    var resolvedAt: Double?
  }

  var conversations: [Conversation] = []
  var labels: [Label] = []
  var messages: [Message] = []
  var notes: [Note] = []
  var readStates: [ReadState] = []
  var notifications: [Notification] = []
  var media: [Media] = []
  var suggestions: [Suggestion] = []
  var decisions: [Decision] = []
  var stepInputs: [StepInput] = []
  /// Webhook ids with their bodies (failures refer to them).
  var webhooks: [(id: Int64, body: String, at: Double)] = []
  var failures: [Failure] = []
  /// Texts to index for search, by conversation (`name` or `message`).
  var searchTexts: [(conversation: String, kind: String, text: String)] = []
}
