import EtiquetteEngine
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// `StoreInspection` of a PostgreSQL store. The protocol is synchronous (tests and diagnostics
/// call it between requests) and PostgresNIO is not: the store's rows are read once, in one
/// read-only snapshot, and this answers from memory. Take another after a change
/// (`PostgresStore.inspection()`); it is meant for test-sized and diagnostic reads, not for
/// a large inbox.
struct PostgresInspection: StoreInspection {
  /// `conversation(id:rules:)` loads the engine's conversation as the write path does, from
  /// the store the snapshot was taken of.
  struct Unavailable: Error, CustomStringConvertible {
    var description: String {
      "this PostgreSQL inspection was made without its store: it cannot load a conversation"
    }
  }

  /// The store the snapshot was taken of.
  var store: PostgresStore?

  var storeCounts = StoreCounts()
  var storedConversations: [InspectedConversation] = []
  var contactKeys: [String: String] = [:]
  var storedMessages: [InspectedMessage] = []
  var storedDecisions: [InspectedDecision] = []
  var storedNotifications: [InspectedNotification] = []
  var storedDeliveries: [InspectedDelivery] = []
  var storedMedia: [String: InspectedMedia] = [:]
  var storedAIRequests: [InspectedAIRequest] = []
  var storedFailures: [InspectedMessageFailure] = []
  var storedWebhooks: [InspectedWebhook] = []

  func counts() throws -> StoreCounts { storeCounts }
  func conversations() throws -> [InspectedConversation] { storedConversations }

  /// The conversation the store files a message from `phone` into: of the conversations its
  /// key names, the oldest (SQLite's `ConversationRecords.owner`).
  func conversationID(forPhone phone: String) throws -> String? {
    let keys = ConversationRecords.contactKeys(
      phone: ConversationRecords.normalizePhone(phone), userID: nil)
    return keys.lazy.compactMap { contactKeys[$0] }.first
  }

  /// Loaded now, as the next step would load it (not from the snapshot).
  func conversation(id: String, rules: LoadedRules) async throws -> Conversation? {
    guard let store else { throw Unavailable() }
    return try await store.stepTransaction { writes in
      try await PostgresStore.load(writes, id: id, rules: rules)?.conversation
    }
  }

  func messages(inConversation conversation: String?) throws -> [InspectedMessage] {
    storedMessages.filter { conversation == nil || $0.conversationID == conversation }
  }

  func decisions(inConversation conversation: String?) throws -> [InspectedDecision] {
    storedDecisions.filter { conversation == nil || $0.conversationID == conversation }
  }

  func notifications() throws -> [InspectedNotification] { storedNotifications }
  func deliveries() throws -> [InspectedDelivery] { storedDeliveries }
  func media(id: String) throws -> InspectedMedia? { storedMedia[id] }
  func aiRequests() throws -> [InspectedAIRequest] { storedAIRequests }
  func messageFailures() throws -> [InspectedMessageFailure] { storedFailures }
  func webhooks() throws -> [InspectedWebhook] { storedWebhooks }
}

extension PostgresStore {
  /// What this store holds now, read in one snapshot (for tests and diagnostics).
  func inspection() async throws -> PostgresInspection {
    let logger = logger
    var snapshot = try await readSnapshot { connection in
      try await Self.inspect(connection, logger: logger)
    }
    snapshot.store = self
    return snapshot
  }

  /// An inspection whose every answer is read when asked (a new snapshot each time): what the
  /// server's tests look at while the server runs.
  var storeInspection: any StoreInspection { CurrentInspection(store: self) }
}

/// Each answer from a snapshot taken when it is asked for.
struct CurrentInspection: StoreInspection {
  let store: PostgresStore

  func counts() async throws -> StoreCounts { try await store.inspection().counts() }
  func conversations() async throws -> [InspectedConversation] {
    try await store.inspection().conversations()
  }
  func conversationID(forPhone phone: String) async throws -> String? {
    try await store.inspection().conversationID(forPhone: phone)
  }
  func conversation(id: String, rules: LoadedRules) async throws -> Conversation? {
    try await store.inspection().conversation(id: id, rules: rules)
  }
  func messages(inConversation conversation: String?) async throws -> [InspectedMessage] {
    try await store.inspection().messages(inConversation: conversation)
  }
  func decisions(inConversation conversation: String?) async throws -> [InspectedDecision] {
    try await store.inspection().decisions(inConversation: conversation)
  }
  func notifications() async throws -> [InspectedNotification] {
    try await store.inspection().notifications()
  }
  func deliveries() async throws -> [InspectedDelivery] {
    try await store.inspection().deliveries()
  }
  func media(id: String) async throws -> InspectedMedia? {
    try await store.inspection().media(id: id)
  }
  func aiRequests() async throws -> [InspectedAIRequest] {
    try await store.inspection().aiRequests()
  }
  func messageFailures() async throws -> [InspectedMessageFailure] {
    try await store.inspection().messageFailures()
  }
  func webhooks() async throws -> [InspectedWebhook] {
    try await store.inspection().webhooks()
  }
}

extension PostgresStore {

  private static func count(_ connection: PostgresConnection, _ sql: String, logger: Logger)
    async throws -> Int
  {
    for try await count in try await connection.query(
      PostgresQuery(unsafeSQL: sql), logger: logger
    ).decode(Int.self) {
      return count
    }
    return 0
  }

  private static func inspect(_ connection: PostgresConnection, logger: Logger) async throws
    -> PostgresInspection
  {
    var inspection = PostgresInspection()
    func count(_ sql: String) async throws -> Int {
      try await Self.count(connection, sql, logger: logger)
    }
    inspection.storeCounts = StoreCounts(
      webhooks: try await count("SELECT COUNT(*) FROM webhooks"),
      unprocessedWebhooks: try await count(
        "SELECT COUNT(*) FROM webhooks WHERE processed_at IS NULL"),
      conversations: try await count("SELECT COUNT(*) FROM conversations"),
      steps: try await count("SELECT COALESCE(SUM(step_count), 0)::bigint FROM conversations"),
      messages: try await count("SELECT COUNT(*) FROM messages"),
      decisions: try await count("SELECT COUNT(*) FROM decisions"),
      eventAnswers: try await count("SELECT COUNT(*) FROM event_requests"),
      earlyStatuses: try await count("SELECT COUNT(*) FROM pending_statuses"),
      searchedMessages: try await count("SELECT COUNT(*) FROM search WHERE kind = 'message'"),
      searchedNames: try await count("SELECT COUNT(*) FROM search WHERE kind = 'name'"))

    var labels: [String: [String]] = [:]
    for try await (conversation, label) in try await connection.query(
      "SELECT conversation_id, label FROM conversation_labels ORDER BY seq", logger: logger
    ).decode((String, String).self) {
      labels[conversation, default: []].append(label)
    }
    for try await (id, phone, userID, name, steps, held) in try await connection.query(
      "SELECT id, phone, user_id, name, step_count, held_triggers FROM conversations ORDER BY id COLLATE \"C\"",
      logger: logger
    ).decode((String, String?, String?, String?, Int, String).self) {
      inspection.storedConversations.append(
        InspectedConversation(
          id: id, phone: phone, userID: userID, name: name, stepCount: steps,
          labels: labels[id] ?? [],
          heldTriggers: (try? JSONDecoder().decode([String].self, from: Data(held.utf8))) ?? []))
    }
    // Oldest conversation first, so the first owner found for a key is SQLite's.
    for try await (key, conversation) in try await connection.query(
      """
      SELECT k.key, k.conversation_id FROM contact_keys k
      JOIN conversations c ON c.id = k.conversation_id ORDER BY c.created_at DESC, c.id COLLATE "C" DESC
      """, logger: logger
    ).decode((String, String).self) {
      inspection.contactKeys[key] = conversation
    }
    for try await row in try await connection.query(
      """
      SELECT id, conversation_id, seq, direction, author, type, wire_type, text, wa_id,
        status, errors, send_attempts, at
      FROM messages ORDER BY id
      """, logger: logger)
    {
      let (
        id, conversation, seq, direction, author, type, wireType, text, whatsappID, status,
        errors, attempts, at
      ) = try row.decode(
        (
          Int64, String, Int?, String, String, String?, String?, String, String?, String?,
          String?, Int, Double
        ).self)
      inspection.storedMessages.append(
        InspectedMessage(
          id: id, conversationID: conversation, seq: seq, direction: direction, author: author,
          type: type, wireType: wireType, text: text, whatsappID: whatsappID, status: status,
          errors: errors, sendAttempts: attempts, at: Date(timeIntervalSince1970: at)))
    }
    for try await (conversation, step, version, document) in try await connection.query(
      "SELECT conversation_id, step, rule_set_version, document FROM decisions ORDER BY id",
      logger: logger
    ).decode((String, Int, String, String).self) {
      inspection.storedDecisions.append(
        InspectedDecision(
          conversationID: conversation, step: step, ruleSetVersion: version, document: document))
    }
    for try await (member, conversation, reason) in try await connection.query(
      "SELECT member, conversation_id, reason FROM notifications ORDER BY id", logger: logger
    ).decode((String, String, String).self) {
      inspection.storedNotifications.append(
        InspectedNotification(member: member, conversationID: conversation, reason: reason))
    }
    for try await row in try await connection.query(
      """
      SELECT seq, id, subscription, conversation_id, event_type, event_id, body, status,
        attempts, last_status, last_error
      FROM webhook_deliveries ORDER BY seq
      """, logger: logger)
    {
      let (
        seq, id, subscription, conversation, eventType, eventID, body, status, attempts,
        lastStatus, lastError
      ) = try row.decode(
        (Int64, String, String, String, String, String, ByteBuffer, String, Int, Int?, String?)
          .self)
      inspection.storedDeliveries.append(
        InspectedDelivery(
          seq: seq, id: id, subscription: subscription, conversationID: conversation,
          eventType: eventType, eventID: eventID, body: Data(body.readableBytesView),
          status: status, attempts: attempts, lastStatus: lastStatus, lastError: lastError))
    }
    for try await row in try await connection.query(
      """
      SELECT id, conversation_id, status, attempts, mime_type, size, sha256, file, error
      FROM media
      """, logger: logger)
    {
      let (id, conversation, status, attempts, mimeType, size, sha256, file, error) =
        try row.decode(
          (String, String, String, Int, String?, Int?, String?, String?, String?).self)
      inspection.storedMedia[id] = InspectedMedia(
        id: id, conversationID: conversation, status: status, attempts: attempts,
        mimeType: mimeType, size: size, sha256: sha256, file: file, error: error)
    }
    for try await row in try await connection.query(
      """
      SELECT id, conversation_id, kind, version, status, attempts, error
      FROM ai_requests ORDER BY id
      """, logger: logger)
    {
      let (id, conversation, kind, version, status, attempts, error) = try row.decode(
        (Int64, String, String, Int, String, Int, String?).self)
      inspection.storedAIRequests.append(
        InspectedAIRequest(
          id: id, conversationID: conversation, kind: kind, version: version, status: status,
          attempts: attempts, error: error))
    }
    for try await (whatsappID, error, retryable, attempts, resolvedAt)
      in try await connection
      .query(
        """
        SELECT whatsapp_id, error, retryable, attempts, resolved_at
        FROM message_failures ORDER BY seq
        """, logger: logger
      ).decode((String, String, Int, Int, Double?).self)
    {
      inspection.storedFailures.append(
        InspectedMessageFailure(
          whatsappID: whatsappID, error: error, retryable: retryable != 0, attempts: attempts,
          resolvedAt: resolvedAt.map(Date.init(timeIntervalSince1970:))))
    }
    for try await (id, body, processedAt, error) in try await connection.query(
      "SELECT id, body, processed_at, error FROM webhooks ORDER BY id", logger: logger
    ).decode((Int64, ByteBuffer, Double?, String?).self) {
      inspection.storedWebhooks.append(
        InspectedWebhook(
          id: id, body: Data(body.readableBytesView),
          processedAt: processedAt.map(Date.init(timeIntervalSince1970:)), error: error))
    }
    return inspection
  }
}
