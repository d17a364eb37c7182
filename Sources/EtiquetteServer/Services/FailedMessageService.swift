import EtiquetteEngine
import Foundation

/// Customer messages the intake could not apply, for managers: each is kept with its reason
/// (the body stays in the inbox) and applied again at the next start or rules reload; this
/// lists them so that someone sees the reason and fixes its cause. A failure can concern any
/// conversation, so only a member who may manage every conversation reads the list.
struct FailedMessageService: Sendable {
  let store: any InboxStore
  let rules: RuleHolder

  /// Newest first, `filter.limit` at most, with the cursor of the next page; the filter is
  /// read after the access check (403 before 400).
  func list(by member: String, _ decode: () throws -> MessageFailureFilter) async throws
    -> FailedMessagePage
  {
    try rules.current.requireManagerOfAll(member, to: "listing failed messages")
    let filter = try decode()
    var query = filter
    query.limit = filter.limit + 1
    let page = keysetPage(
      try await store.messageFailures(query), limit: filter.limit, key: \.key)
    return FailedMessagePage(failures: page.rows.map(\.document), nextCursor: page.nextCursor)
  }
}

/// What `GET /v1/messages/failed` selects.
struct MessageFailureFilter: Sendable {
  /// `open` (retried at the next start or reload), `unusable` (the body says too little to
  /// ever apply it: no id, no sender) or `resolved` (applied since); nil for all.
  var status: String?
  var limit = 50
  /// Rows older than this key (the previous page's `nextCursor`).
  var before: Int64?
}

/// One failed message as the managers' list shows it.
struct FailedMessageDocument: Codable, Sendable {
  /// The stored webhook body the message came in.
  var webhookId: Int64
  /// The message's WhatsApp id, or a description of the unusable entry.
  var whatsappId: String
  /// `open`, `unusable` or `resolved`.
  var status: String
  var error: String
  var attempts: Int
  var failedAt: String
  var resolvedAt: String?
}

struct FailedMessagePage: Codable, Sendable {
  var failures: [FailedMessageDocument]
  var nextCursor: String?
}
