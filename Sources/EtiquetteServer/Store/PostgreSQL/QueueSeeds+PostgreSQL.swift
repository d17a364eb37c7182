import Foundation
import PostgresNIO

// TEST ONLY: rows the write path (steps, intake) writes, seeded directly so that the queues'
// workers side is tested before, and independently of, the steps' port; and what the tests
// read back. Here rather than in the test target because this folder is the only code that
// imports PostgresNIO. `QueueSeeds+SQLite.swift` seeds the same rows in SQLite.

extension PostgresStore {
  /// TEST ONLY: a conversation with these stored labels.
  func seedConversation(_ id: String, phone: String?, labels: [String], at now: Double)
    async throws
  {
    try await transaction { connection, _ in
      try await connection.query(
        """
        INSERT INTO conversations (id, contact_id, phone, mode, presence, priority,
          priority_rank, version, step_count, created_at, updated_at)
        VALUES (\(id), \(id), \(phone), 'human', 'active', 'normal', 1, 1, 1, \(now), \(now))
        """, logger: logger)
      for label in labels {
        try await connection.query(
          """
          INSERT INTO conversation_labels (conversation_id, label, reason)
          VALUES (\(id), \(label), '{}')
          """, logger: logger)
      }
    }
  }

  /// TEST ONLY: a delivery as `WebhookOutbox.enqueue` writes it, with its job while pending.
  func seedDelivery(
    id: String, subscription: String, conversation: String, status: String, body: [UInt8],
    at now: Double
  ) async throws {
    let bytes = ByteBuffer(bytes: body)
    try await transaction { connection, _ in
      try await connection.query(
        """
        INSERT INTO webhook_deliveries (id, subscription, conversation_id, event_type, event_id,
          body, status, next_attempt_at, created_at, updated_at)
        VALUES (\(id), \(subscription), \(conversation), 'conversation.updated', \(id),
          \(bytes), \(status), \(now), \(now), \(now))
        """, logger: logger)
      guard status == "pending" else { return }
      _ = try await Self.enqueueJob(
        connection, .webhookDelivery, subject: id,
        orderingKey: WebhookOutbox.orderingKey(
          subscription: subscription, conversation: conversation),
        runAt: now, now: now, logger: logger)
    }
    bell.ring([.webhookDelivery])
  }

  /// TEST ONLY: a reply queued by a step, with its job; returns the message's id.
  func seedQueuedReply(conversation: String, text: String, at now: Double) async throws -> Int64 {
    let id = try await transaction { connection, _ -> Int64 in
      let rows = try await connection.query(
        """
        INSERT INTO messages (conversation_id, direction, author, text, status, at)
        VALUES (\(conversation), 'out', 'agent:ana@exemple.fr', \(text), 'queued', \(now))
        RETURNING id
        """, logger: logger)
      var id: Int64 = 0
      for try await inserted in rows.decode(Int64.self) { id = inserted }
      _ = try await Self.enqueueJob(
        connection, .whatsappSend, subject: String(id),
        orderingKey: OutgoingMessages.orderingKey(conversation), runAt: now, now: now,
        logger: logger)
      return id
    }
    bell.ring([.whatsappSend])
    return id
  }

  /// TEST ONLY: a status webhook that arrived before its message's send recorded the id.
  func seedPendingStatus(whatsappID: String, status: String, errors: String?, at now: Double)
    async throws
  {
    try await client.query(
      """
      INSERT INTO pending_statuses (wa_id, status, errors, at, received_at)
      VALUES (\(whatsappID), \(status), \(errors), \(now), \(now))
      """, logger: logger)
  }

  /// TEST ONLY: a media id announced by a webhook, with its job.
  func seedPendingMedia(id: String, conversation: String, kind: String, at now: Double)
    async throws
  {
    try await transaction { connection, _ in
      try await connection.query(
        """
        INSERT INTO media (id, conversation_id, kind, status, created_at, updated_at)
        VALUES (\(id), \(conversation), \(kind), 'pending', \(now), \(now))
        """, logger: logger)
      _ = try await Self.enqueueJob(
        connection, .mediaDownload, subject: id, orderingKey: nil, runAt: now, now: now,
        logger: logger)
    }
    bell.ring([.mediaDownload])
  }

  /// TEST ONLY: an AI request a step recorded, with its job; returns its id.
  func seedAIRequest(conversation: String, kind: String, version: Int, at now: Double)
    async throws -> Int64
  {
    let id = try await transaction { connection, _ -> Int64 in
      let rows = try await connection.query(
        """
        INSERT INTO ai_requests (conversation_id, kind, version, status, attempts,
          next_attempt_at, created_at, updated_at)
        VALUES (\(conversation), \(kind), \(version), 'pending', 0, \(now), \(now), \(now))
        RETURNING id
        """, logger: logger)
      var id: Int64 = 0
      for try await inserted in rows.decode(Int64.self) { id = inserted }
      _ = try await Self.enqueueJob(
        connection, .aiRequest, subject: String(id),
        orderingKey: AIConnector.orderingKey(conversation), runAt: now, now: now, logger: logger)
      return id
    }
    bell.ring([.aiRequest])
    return id
  }

  // MARK: - Read back

  /// TEST ONLY.
  func seededMessage(id: Int64) async throws -> SeededMessage? {
    let rows = try await client.query(
      "SELECT status, wa_id, errors, send_attempts, next_attempt_at FROM messages WHERE id = \(id)",
      logger: logger)
    for try await (status, whatsappID, errors, attempts, next) in rows.decode(
      (String?, String?, String?, Int, Double?).self)
    {
      return SeededMessage(
        status: status, whatsappID: whatsappID, errors: errors, attempts: attempts,
        nextAttemptAt: next)
    }
    return nil
  }

  /// TEST ONLY.
  func seededMedia(id: String) async throws -> SeededMedia? {
    let rows = try await client.query(
      """
      SELECT status, mime_type, size, sha256, attempts, error, next_attempt_at FROM media
      WHERE id = \(id)
      """, logger: logger)
    for try await (status, mimeType, size, sha256, attempts, error, next) in rows.decode(
      (String, String?, Int?, String?, Int, String?, Double?).self)
    {
      return SeededMedia(
        status: status, mimeType: mimeType, size: size, sha256: sha256, attempts: attempts,
        error: error, nextAttemptAt: next)
    }
    return nil
  }

  /// TEST ONLY.
  func seededAIRequest(id: Int64) async throws -> SeededAIRequest? {
    let rows = try await client.query(
      "SELECT status, attempts, error FROM ai_requests WHERE id = \(id)", logger: logger)
    for try await (status, attempts, error) in rows.decode((String, Int, String?).self) {
      return SeededAIRequest(status: status, attempts: attempts, error: error)
    }
    return nil
  }

  /// TEST ONLY.
  func seededJob(_ kind: JobKind, subject: String) async throws -> SeededJob? {
    let rows = try await client.query(
      "SELECT status, run_at, lease_owner FROM jobs WHERE kind = \(kind.rawValue) AND subject = \(subject)",
      logger: logger)
    for try await (status, runAt, owner) in rows.decode((String, Double, String?).self) {
      return SeededJob(status: status, runAt: runAt, owner: owner)
    }
    return nil
  }

  /// TEST ONLY: the texts of the AI's drafts of a conversation, oldest first.
  func seededSuggestions(conversation: String) async throws -> [String] {
    let rows = try await client.query(
      "SELECT text FROM ai_suggestions WHERE conversation_id = \(conversation) ORDER BY id",
      logger: logger)
    var texts: [String] = []
    for try await text in rows.decode(String.self) { texts.append(text) }
    return texts
  }

  /// TEST ONLY: a media's bytes as every instance reads them back (its chunks in order), and
  /// how many chunks hold them.
  func storedMediaBytes(id: String) async throws -> (bytes: [UInt8], chunks: Int) {
    let rows = try await client.query(
      "SELECT bytes FROM media_chunks WHERE media_id = \(id) ORDER BY part", logger: logger)
    var bytes: [UInt8] = []
    var chunks = 0
    for try await chunk in rows.decode(ByteBuffer.self) {
      bytes += chunk.readableBytesView
      chunks += 1
    }
    return (bytes, chunks)
  }

  /// TEST ONLY: the stored live events, oldest first: each one's audience (as stored JSON)
  /// and its events' types.
  func storedLiveEvents() async throws -> [(audience: StoredLiveAudience, types: [String])] {
    let rows = try await client.query(
      "SELECT audience, events FROM live_events ORDER BY seq", logger: logger)
    var stored: [(audience: StoredLiveAudience, types: [String])] = []
    let decoder = JSONDecoder()
    for try await (audience, events) in rows.decode((String, String).self) {
      stored.append(
        (
          audience: try decoder.decode(StoredLiveAudience.self, from: Data(audience.utf8)),
          types: try decoder.decode([StoredLiveEvent].self, from: Data(events.utf8)).map(\.type)
        ))
    }
    return stored
  }
}

extension PostgresStore {
  /// TEST ONLY: runs `during` while another transaction holds, uncommitted, an echo message
  /// with `whatsappID` (as an instance whose intake stores it at that moment would); commits
  /// it once `during` returns, and returns what `during` returned.
  func withUncommittedEcho<Value: Sendable>(
    whatsappID: String, conversation: String, at now: Double,
    during: @Sendable () async throws -> Value
  ) async throws -> Value {
    try await transaction { connection, _ in
      try await connection.query(
        """
        INSERT INTO messages (conversation_id, direction, author, text, wa_id, status, at)
        VALUES (\(conversation), 'echo', 'agent:echo', 'Écho', \(whatsappID), 'sent', \(now))
        """, logger: logger)
      return try await during()
    }
  }

  /// TEST ONLY: how many sessions of this database wait for a lock.
  func lockWaiters() async throws -> Int {
    let rows = try await client.query(
      """
      SELECT count(*) FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'
      """, logger: logger)
    for try await count in rows.decode(Int64.self) { return Int(count) }
    return 0
  }
}
