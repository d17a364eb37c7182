import EtiquetteDiagnostics
import EtiquetteEngine

// The API's small answers, one type each, named as in the OpenAPI document: the compiler checks
// each field's name and type, where a dictionary of boxed values checked nothing. Larger answers
// (conversations, events, deliveries) have their types beside their services.

/// `{"status": …}`: `/healthz` (`ok`) and the WhatsApp intake (`received`).
struct StatusAnswer: Encodable, Sendable {
  var status: String
}

/// An agent action's decision.
struct DecisionAnswer: Encodable, Sendable {
  var decision: DecisionDocument
}

/// A reply or an AI agent's reply: queued for sending, with the step's decision.
struct QueuedReplyAnswer: Encodable, Sendable {
  var status = "queued"
  var decision: DecisionDocument
}

/// A conversation marked read or unread: what the member has left to read in it.
struct UnreadCountAnswer: Encodable, Sendable {
  var unreadCount: Int
}

/// Notifications marked read: how many.
struct MarkedAnswer: Encodable, Sendable {
  var marked: Int
}

/// The AI's drafts for a conversation, newest first.
struct SuggestionsAnswer: Encodable, Sendable {
  var suggestions: [AISuggestion]
}

/// A reload that took effect: its version and its warnings, as `etiquette check --format json`
/// writes them (`diagnostics` and `summary` at the top level).
struct RulesReloadedAnswer: Encodable, Sendable {
  var status = "reloaded"
  var version: String
  var warnings: Int
  var diagnostics: [DiagnosticJSON.Entry]
  var summary: DiagnosticJSON.Summary
  /// Labels the rules renamed (`was "…"`), moved on the stored conversations.
  var renamedLabels: [LabelRename]
}

/// Every error of the API: `{"error": {"code", "message"}}`, and for some errors the details
/// a client acts on beside it (absent fields are left out).
struct ErrorAnswer: Encodable, Sendable {
  struct Detail: Encodable, Sendable {
    var code: String
    var message: String
  }

  var error: Detail
  /// A refused reload: its diagnostics and summary, and the version still serving.
  var diagnostics: [DiagnosticJSON.Entry]?
  var summary: DiagnosticJSON.Summary?
  var version: String?
  /// A media file that could not be downloaded: the last attempt's error.
  var lastError: String?
}
