import EtiquetteEngine
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Raw WhatsApp webhooks on PostgreSQL: committed before the 200, then processed by several
/// transactions at once, on every instance, each conversation's webhooks in arrival order.
///
/// Storing takes `webhookArrivalLock` before drawing `arrival` numbers, held to the commit, so
/// arrival order is commit order: no webhook can later commit with a smaller arrival than one
/// already seen. Each webhook also records its ordering keys: the contact keys (`phone:…`,
/// `user:…`) of the customers it steps. A processing transaction claims, `FOR UPDATE SKIP
/// LOCKED`, the oldest pending webhooks that no earlier pending webhook shares a key with; a
/// later webhook of a customer whose earlier one is still pending (or being processed by
/// another transaction, which has not committed) is not claimable until that one commits. So
/// different customers' messages are processed at once, on the cores and instances there are,
/// while each customer's stay in arrival order — the intake once held one lock for all, and a
/// message cost the latency of its twenty statements for every instance together (README,
/// "Load"). A customer's keys include every key of a conversation that already owns one (a
/// customer known by phone and by user id writes with either); a status is keyed by its
/// message (`wamid:…`). A webhook with no key at all (a body that does not parse) is ordered
/// with nothing. One stored without keys (`NULL`: before this order existed) waits for every
/// earlier webhook and holds back every later one, as the single lock did.
///
/// A processing transaction that dies with its instance rolls back: its webhooks are pending
/// again and the next claim takes them — no lease to expire.
// `messageFailures` (the failures' listing) is the read side's: once it is here too, this
// extension declares `WebhookInbox`.
extension PostgresStore {
  /// "ETQW": the lock under which webhooks draw their arrival numbers.
  static let webhookArrivalLock: Int64 = 0x4554_5157
  /// "ETQI": taken shared by every processing transaction, exclusive by what must see the
  /// intake stand still (a retry of failed messages, a label rename).
  static let intakeLock: Int64 = 0x4554_5149
  /// The claims' first CTE: the intake's lock, shared, as a materialized row that the claim's
  /// scan tests once before it starts (`intakeLockHeld`, a one-time filter), so that it is held
  /// before any row is read or locked — in the claim's statement rather than in a round trip of
  /// its own.
  static let intakeLockShared = """
    locked AS MATERIALIZED (
      SELECT pg_advisory_xact_lock_shared(\(intakeLock))::text AS held)
    """
  /// The condition that reads `intakeLockShared`'s row, first in a claim's `WHERE`.
  static let intakeLockHeld = "(SELECT held FROM locked) IS NOT NULL"
  /// Webhooks claimed per transaction: a round of 16 clients in one, whose batch
  /// (`IntakeBatch+PostgreSQL.swift`), commit and live-event lock serve them all — measured
  /// faster than 8 in each of two transactions side by side (PostgreSQL's CPU, not waiting, is
  /// what a message costs now); a larger burst spreads over the transactions.
  static let intakeClaim = 16

  /// A round costs PostgreSQL about ten round trips whatever its size: a busy intake's round
  /// waits up to a millisecond for a claim's worth of webhooks (`RoundGathering`), which took
  /// one instance from 1,256–1,380 to 1,885–1,989 messages/s (README, "Running on PostgreSQL").
  var roundGathering: RoundGathering? {
    RoundGathering(linger: .milliseconds(1), batch: Self.intakeClaim)
  }

  /// Each webhook's ordering keys. `NULL` for the rows stored before: they keep the order of
  /// the single intake lock (see the type's comment).
  static let intakeOrderMigration = Migration(
    name: "intake-order-v1",
    statements: ["ALTER TABLE webhooks ADD COLUMN ordering_keys TEXT[]"])

  /// Which pending webhook `w` may be processed now: no earlier pending webhook shares a key
  /// with it, and neither is without keys (see the type's comment).
  static let claimable = """
    w.processed_at IS NULL AND NOT EXISTS (
      SELECT 1 FROM webhooks e
      WHERE e.processed_at IS NULL AND e.arrival < w.arrival
        AND (e.ordering_keys IS NULL OR w.ordering_keys IS NULL
          OR e.ordering_keys && w.ordering_keys))
    """

  /// A webhook's ordering keys (see the type's comment), sorted: its customers' contact keys,
  /// and `wamid:` and the message id of each status — two statuses of one message in two
  /// transactions would each lock the message's row, and a pair of them crossed could
  /// deadlock.
  static func orderingKeys(_ payload: WhatsAppPayload) -> [String] {
    var keys = Set<String>()
    for contact in payload.messages.map(\.contact) + payload.echoes.map(\.contact) {
      keys.formUnion(
        ConversationRecords.contactKeys(
          phone: ConversationRecords.normalizePhone(contact.phone), userID: contact.userID))
    }
    keys.formUnion(payload.statuses.map { "wamid:" + $0.messageID })
    return keys.sorted()
  }

  /// Whether `error` leaves the transaction unusable or asks for it to be run again (a
  /// deadlock, a serialization failure, a lock or statement timeout, a lost connection):
  /// then the whole transaction rolls back and its webhooks are claimed again, rather than
  /// kept as failed by a savepoint as a body's own fault is.
  static func isTransient(_ error: any Error) -> Bool {
    guard let error = error as? PSQLError else { return false }
    if let state = error.serverInfo?[.sqlState] {
      return ["40P01", "40001", "55P03", "57014"].contains(state)
    }
    return [.connectionError, .serverClosedConnection, .clientClosedConnection, .queryCancelled]
      .contains(error.code)
  }

  /// Commits raw bodies in one transaction and returns their ids, in the order given; each
  /// body's ordering keys are read from it (a body that does not parse orders with nothing: it
  /// fails alone when processed).
  func storeWebhooks(_ bodies: [[UInt8]]) async throws -> [Int64] {
    let received = Date(timeIntervalSince1970: clock.seconds)
    return try await storeWebhooks(
      bodies.map { ($0, try? WhatsAppPayload.parse($0, receivedAt: received)) })
  }

  /// Commits raw bodies with their parsed payloads (what the intake already has), in one
  /// transaction; returns their ids in the order given.
  func storeWebhooks(_ webhooks: [(body: [UInt8], payload: WhatsAppPayload?)]) async throws
    -> [Int64]
  {
    guard !webhooks.isEmpty else { return [] }
    let now = clock.seconds
    // As `ByteBuffer`s: PostgresNIO binds a `[UInt8]` as `"char"[]`, and an array of `Data`
    // not at all; `bytea[]` it is. Each body's keys as a JSON array (arrays of arrays must be
    // rectangular in PostgreSQL).
    let bodies = webhooks.map { ByteBuffer(bytes: $0.body) }
    let keys = webhooks.map { webhook in
      JSONValue.array((webhook.payload.map(Self.orderingKeys) ?? []).map(JSONValue.string))
        .jsonText
    }
    let ids = try await transaction { connection, _ in
      // One statement for the whole round, the arrival lock taken in it
      // (`StoreWebhooksStatement`).
      var stored: [(arrival: Int64, id: Int64)] = []
      for try await (id, arrival) in try await connection.execute(
        StoreWebhooksStatement(now: now, bodies: bodies, keys: keys), logger: logger
      ) {
        stored.append((arrival, id))
      }
      return stored.sorted { $0.arrival < $1.arrival }.map(\.id)
    }
    webhooksStored(ids.count)
    return ids
  }

  /// Processes the pending webhooks, each customer's in arrival order, in up to
  /// `intakeTransactions` transactions at once; returns once none is claimable and every
  /// webhook of `parsed` (the caller's, just stored) is processed — by these transactions or
  /// another instance's, whose commits this call waits for. Each webhook runs in a savepoint; a body
  /// that cannot be processed is marked with its error, not retried forever. Returns how many
  /// webhooks this call processed.
  @discardableResult
  func processPendingWebhooks(
    rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub? = nil,
    parsed: [Int64: WhatsAppPayload] = [:]
  ) async throws -> Int {
    var total = 0
    var waiting = Array(parsed.keys)
    var failure: (any Error)?
    var failedRounds = 0
    // A round ends with the caller's webhooks processed, or with a wait for the oldest pending
    // webhook's transaction to commit, so each round follows progress; the bound only stops
    // a loop nothing moves. A transient failure (a deadlock, a lost connection: its webhooks
    // are pending again) is tried again, three times in a row at most; any other is thrown.
    // The first round claims the caller's own webhooks first, others only with room left:
    // instances side by side then each take theirs, rather than one taking another's and the
    // other waiting for its commit. The next rounds claim whatever is claimable, so that a
    // webhook still pending is processed by someone whatever holds it back.
    for attempt in 0..<1_000 {
      let (processed, error) = await processClaimable(
        rules: rules, metrics: metrics, hub: hub, parsed: parsed,
        own: attempt == 0 && !waiting.isEmpty ? waiting : nil)
      total += processed.count
      failure = error
      failedRounds = error == nil ? 0 : failedRounds + 1
      if let error, !Self.isTransient(error) || failedRounds > 3 { break }
      // What these transactions committed is processed; only the rest is asked about (most
      // rounds: nothing left, no statement).
      waiting.removeAll(where: processed.contains)
      if !waiting.isEmpty { waiting = try await pending(among: waiting) }
      if waiting.isEmpty {
        if error == nil { break }
        continue
      }
      try await waitForOldestPending()
    }
    if let failure { throw failure }
    if !waiting.isEmpty {
      logger.warning(
        "webhook processing: \(waiting.count) webhook(s) still pending, left to the next call")
    }
    return total
  }

  /// Runs claiming transactions at once (at most `intakeTransactions`) until none finds a
  /// claimable webhook; returns the webhooks they processed (committed), and an error if a
  /// transaction failed (a deadlock, a lost connection: its webhooks are pending again, the
  /// others went on).
  private func processClaimable(
    rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub?,
    parsed: [Int64: WhatsAppPayload], own: [Int64]?
  ) async -> (Set<Int64>, (any Error)?) {
    // A caller's few webhooks need no more transactions than they fill; the start's call,
    // with a backlog of unknown size, takes them all.
    let transactions =
      parsed.isEmpty
      ? intakeTransactions
      : min(
        intakeTransactions,
        ((own?.count ?? parsed.count) + Self.intakeClaim - 1) / Self.intakeClaim)
    return await withTaskGroup(of: (Set<Int64>, (any Error)?).self) { group in
      for _ in 0..<transactions {
        group.addTask {
          var processed = Set<Int64>()
          while true {
            do {
              let claimed = try await self.processClaimed(
                rules: rules, metrics: metrics, hub: hub, parsed: parsed, own: own)
              processed.formUnion(claimed)
              let count = claimed.count
              // A round (`parsed` not empty) stops at a claim that found fewer than it could
              // take: the rest are not claimable yet, or other transactions hold them, and the
              // round waits for its own webhooks anyway (`processPendingWebhooks`), without an
              // empty transaction more for each. The start's call drains the backlog.
              if count == 0 || (!parsed.isEmpty && count < Self.intakeClaim) {
                return (processed, nil)
              }
            } catch {
              let reason = Self.failureReason(error)
              self.logger.warning("webhook processing failed, its webhooks stay pending: \(reason)")
              return (processed, error)
            }
          }
        }
      }
      var total = Set<Int64>()
      var failure: (any Error)?
      for await (processed, error) in group {
        total.formUnion(processed)
        failure = failure ?? error
      }
      return (total, failure)
    }
  }

  /// One transaction: claims up to `intakeClaim` webhooks (`own` first when given) and
  /// processes them in arrival order; returns them once committed (each marked processed).
  private func processClaimed(
    rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub?,
    parsed: [Int64: WhatsAppPayload], own: [Int64]?
  ) async throws -> [Int64] {
    let loaded = rules.current
    let clock = clock
    let cache = conversationCache
    let (claimedIDs, outcomes, steppedConversations) = try await stepTransaction {
      writes -> ([Int64], [(Int64, IntakeOutcome)], [Conversation]) in
      let connection = writes.connection
      // The claim takes the intake's lock, shared, before it reads a row.
      var claimed: [(Int64, Double)] = []
      // With room left after the round's own, whatever else is claimable, so that a webhook
      // nobody waits for (its instance died after storing it, its round gave up) is taken by
      // the next round on any instance, as every claim once did.
      if let own {
        for try await row in try await connection.execute(
          ClaimOwnWebhooksStatement(ids: own), logger: writes.logger
        ) {
          claimed.append(row)
        }
      } else {
        for try await row in try await connection.execute(
          ClaimWebhooksStatement(limit: Self.intakeClaim), logger: writes.logger
        ) {
          claimed.append(row)
        }
      }
      // The intake's payloads; the others' bodies (stored by an earlier round or another
      // instance) read in one statement. One that does not parse goes one at a time, which
      // keeps its failure.
      var payloads: [Int64: WhatsAppPayload] = [:]
      let unread = claimed.map(\.0).filter { parsed[$0] == nil }
      if !unread.isEmpty {
        for try await (id, body, receivedAt) in try await connection.query(
          "SELECT id, body, received_at FROM webhooks WHERE id = ANY(\(unread))",
          logger: writes.logger
        ).decode((Int64, Data, Double).self) {
          payloads[id] = try? WhatsAppPayload.parse(
            Array(body), receivedAt: Date(timeIntervalSince1970: receivedAt))
        }
      }
      let batched = try await Self.processBatch(
        claimed.compactMap { id, _ in (parsed[id] ?? payloads[id]).map { (id, $0) } }, writes,
        rules: loaded, now: clock.seconds, hub: hub, cache: cache)
      var outcomes: [(Int64, IntakeOutcome)] = batched.outcomes.sorted { $0.key < $1.key }
        .map { ($0, $1) }
      for (id, receivedAt) in claimed where batched.outcomes[id] == nil {
        var failure: String?
        do {
          let outcome = try await writes.savepoint {
            let payload: WhatsAppPayload
            if let known = parsed[id] ?? payloads[id] {
              payload = known
            } else {
              var body: [UInt8] = []
              for try await bytes in try await connection.query(
                "SELECT body FROM webhooks WHERE id = \(id)", logger: writes.logger
              ).decode(Data.self) {
                body = Array(bytes)
              }
              payload = try WhatsAppPayload.parse(
                body, receivedAt: Date(timeIntervalSince1970: receivedAt))
            }
            return try await Self.processBody(
              payload, webhook: id, writes, rules: loaded, now: clock.seconds, hub: hub)
          }
          outcomes.append((id, outcome))
        } catch {
          if Self.isTransient(error) { throw error }
          failure = Self.failureReason(error)
        }
        try await connection.query(
          """
          UPDATE webhooks SET processed_at = \(clock.seconds), error = \(failure)
          WHERE id = \(id)
          """, logger: writes.logger)
      }
      return (claimed.map(\.0), outcomes, batched.conversations)
    }
    // Committed: these are the stored states now (until a later step, which the count shows).
    for conversation in steppedConversations {
      cache.store(conversation, rulesVersion: loaded.version)
    }
    // Counted and logged once committed (SQLite does it inside its transaction).
    for (webhook, outcome) in outcomes {
      metrics.record(messages: outcome.messages, decisions: outcome.messages)
      outcome.report(webhook: webhook, metrics: metrics, hub: hub)
    }
    return claimedIDs
  }

  /// The webhooks of `ids` not processed yet.
  private func pending(among ids: [Int64]) async throws -> [Int64] {
    guard !ids.isEmpty else { return [] }
    var pending: [Int64] = []
    for try await id in try await client.query(
      "SELECT id FROM webhooks WHERE id = ANY(\(ids)) AND processed_at IS NULL",
      logger: logger
    ).decode(Int64.self) {
      pending.append(id)
    }
    return pending
  }

  /// Waits until the transaction holding the oldest pending webhook, if any, commits (a share
  /// lock on that one row waits for its claimer). The oldest pending webhook is claimable by
  /// anyone unless a transaction holds it, so after this wait something has moved. One row
  /// only: share locks on claimable rows would make the others' `SKIP LOCKED` claims pass
  /// them by.
  private func waitForOldestPending() async throws {
    try await transaction { connection, _ in
      for try await _ in try await connection.query(
        """
        SELECT id FROM webhooks WHERE processed_at IS NULL ORDER BY arrival LIMIT 1 FOR SHARE
        """, logger: logger
      ).decode(Int64.self) {}
    }
  }

  /// Applies again the messages kept as failed, oldest webhook first and in their body's order
  /// (at start and after a rules reload). Returns how many are applied now.
  @discardableResult
  func retryFailedMessages(
    rules: RuleHolder, metrics: ServerMetrics, hub: IntegrationHub? = nil
  ) async throws -> Int {
    let loaded = rules.current
    let clock = clock
    let (resolved, reports) = try await stepTransaction {
      writes -> (Int, [(Int64, IntakeOutcome)]) in
      let connection = writes.connection
      // The intake's lock, exclusive: no webhook is processed meanwhile, so a retried message
      // is ordered with the intake's.
      try await connection.query(
        "SELECT pg_advisory_xact_lock(\(Self.intakeLock))", logger: writes.logger)
      var failing: [Int64: Set<String>] = [:]
      var webhooks: [Int64] = []
      for try await (webhook, whatsappID) in try await connection.query(
        """
        SELECT f.webhook_id, f.whatsapp_id FROM message_failures f
        JOIN webhooks w ON w.id = f.webhook_id
        WHERE f.resolved_at IS NULL AND f.retryable = 1 ORDER BY w.arrival
        """, logger: writes.logger
      ).decode((Int64, String).self) {
        if failing[webhook] == nil { webhooks.append(webhook) }
        failing[webhook, default: []].insert(whatsappID)
      }
      var resolved = 0
      var reports: [(Int64, IntakeOutcome)] = []
      for webhook in webhooks {
        var stored: (Data, Double)?
        for try await row in try await connection.query(
          "SELECT body, received_at FROM webhooks WHERE id = \(webhook)", logger: writes.logger
        ).decode((Data, Double).self) {
          stored = row
        }
        guard let (body, receivedAt) = stored,
          let payload = try? WhatsAppPayload.parse(
            Array(body), receivedAt: Date(timeIntervalSince1970: receivedAt))
        else { continue }
        let ids = failing[webhook] ?? []
        for message in payload.messages where ids.contains(message.id) {
          var only = WhatsAppPayload()
          only.messages = [message]
          let outcome = try await Self.processBody(
            only, webhook: webhook, writes, rules: loaded, now: clock.seconds, hub: hub)
          reports.append((webhook, outcome))
          guard outcome.failures.isEmpty else { continue }
          try await connection.query(
            """
            UPDATE message_failures SET resolved_at = \(clock.seconds)
            WHERE webhook_id = \(webhook) AND whatsapp_id = \(message.id)
            """, logger: writes.logger)
          resolved += 1
        }
      }
      return (resolved, reports)
    }
    for (webhook, outcome) in reports {
      outcome.report(webhook: webhook, metrics: metrics, hub: hub)
    }
    return resolved
  }

  // MARK: - One body

  /// One webhook body (see `SQLiteStore.process`): each message in a savepoint of its own, a
  /// failing one rolled back alone and kept in `message_failures`; then statuses and echoes.
  static func processBody(
    _ payload: WhatsAppPayload, webhook: Int64, _ writes: StepWrites, rules: LoadedRules,
    now: Double, hub: IntegrationHub?
  ) async throws -> IntakeOutcome {
    var outcome = IntakeOutcome()
    for m in payload.messages {
      do {
        let applied = try await writes.savepoint {
          try await processInboundMessage(m, writes, rules: rules, now: now, hub: hub)
        }
        if applied {
          outcome.messages += 1
          if m.timestampReplaced { outcome.timestampsReplaced += 1 }
        }
      } catch {
        if isTransient(error) { throw error }
        let reason = Self.failureReason(error)
        outcome.failures.append((m.id, reason))
        try await writes.connection.query(
          """
          INSERT INTO message_failures (webhook_id, whatsapp_id, error, attempts, failed_at)
          VALUES (\(webhook), \(m.id), \(reason), 1, \(now))
          ON CONFLICT (webhook_id, whatsapp_id) DO UPDATE SET error = excluded.error,
            attempts = message_failures.attempts + 1, failed_at = excluded.failed_at,
            resolved_at = NULL
          """, logger: writes.logger)
      }
    }
    // Nothing to retry: the body itself says too little. Kept, with the reason, for a person.
    for (description, reason) in payload.unusable {
      outcome.failures.append((description, reason))
      try await writes.connection.query(
        """
        INSERT INTO message_failures (webhook_id, whatsapp_id, error, attempts, failed_at,
          retryable)
        VALUES (\(webhook), \(description), \(reason), 1, \(now), 0)
        ON CONFLICT (webhook_id, whatsapp_id) DO NOTHING
        """, logger: writes.logger)
    }
    try await processStatusesAndEchoes(payload, writes, rules: rules, now: now)
    return outcome
  }

  /// One customer message: true when it was applied, false for a redelivery.
  static func processInboundMessage(
    _ m: WhatsAppPayload.InboundMessage, _ writes: StepWrites, rules: LoadedRules, now: Double,
    hub: IntegrationHub?
  ) async throws -> Bool {
    let mediaBase = (hub?.configuration.baseURL ?? "") + "/v1/media/"
    // The lookup only skips a redelivery early: the guard is `messages.wa_id`'s unique key.
    guard try await !messageExists(whatsappID: m.id, writes) else { return false }
    let id = try await findOrCreate(
      writes, phone: m.contact.phone, userID: m.contact.userID, name: m.contact.name,
      rules: rules, at: m.at)
    let step = m.step(mediaBase: mediaBase)
    _ = try await apply(
      step, to: id, writes, rules: rules,
      extras: EntryExtras(
        whatsappID: m.id, wireType: m.wireType, contextID: m.contextID,
        raw: m.raw.jsonText), hub: hub)
    if let media = m.media {
      try await recordMedia(media, conversation: id, whatsappID: m.id, at: now, writes, hub: hub)
    }
    return true
  }

  /// What a failure kept for a person says: PostgreSQL's own message (`PSQLError` describes
  /// itself without it, so as not to leak a statement's binds), else the error's description.
  static func failureReason(_ error: any Error) -> String {
    String(describing: PostgresStoreError.readable(error))
  }

  static func messageExists(whatsappID: String, _ writes: StepWrites) async throws -> Bool {
    for try await _ in try await writes.connection.query(
      "SELECT 1 FROM messages WHERE wa_id = \(whatsappID)", logger: writes.logger
    ).decode(Int32.self) {
      return true
    }
    return false
  }

  /// A media id announced by a webhook (see `MediaDownloads.record`), with its download job.
  static func recordMedia(
    _ media: WhatsAppPayload.MediaReference, conversation: String, whatsappID: String,
    at now: Double, _ writes: StepWrites, hub: IntegrationHub?
  ) async throws {
    var added = false
    for try await _ in try await writes.connection.query(
      """
      INSERT INTO media (id, conversation_id, message_wa_id, kind, declared_mime,
        declared_sha256, status, created_at, updated_at)
      VALUES (\(media.id), \(conversation), \(whatsappID), \(media.kind), \(media.mimeType),
        \(media.sha256), 'pending', \(now), \(now))
      ON CONFLICT (id) DO NOTHING RETURNING id
      """, logger: writes.logger
    ).decode(String.self) {
      added = true
    }
    if added, hub != nil {
      try await writes.enqueueJob(
        .mediaDownload, subject: media.id, orderingKey: nil, runAt: now, now: now)
    }
  }

  static func processStatusesAndEchoes(
    _ payload: WhatsAppPayload, _ writes: StepWrites, rules: LoadedRules, now: Double
  ) async throws {
    for s in payload.statuses {
      try await applyWebhookStatus(
        s.status, errors: s.errors, whatsappID: s.messageID, at: s.at, receivedAt: now, writes)
    }
    for e in payload.echoes {
      guard try await !messageExists(whatsappID: e.id, writes) else { continue }
      let id = try await findOrCreate(
        writes, phone: e.contact.phone, userID: e.contact.userID, name: e.contact.name,
        rules: rules, at: e.at)
      // Sent from the business's own WhatsApp app: shown in the transcript, not a step.
      try await writes.connection.query(
        """
        INSERT INTO messages (conversation_id, seq, direction, author, type, wire_type, text,
          wa_id, status, at, raw)
        VALUES (\(id), NULL, 'echo', 'business', \(e.type), \(e.type), \(e.text), \(e.id),
          'sent', \(e.at.timeIntervalSince1970), \(e.raw.jsonText))
        ON CONFLICT (wa_id) DO NOTHING
        """, logger: writes.logger)
    }
  }

  // MARK: - Delivery statuses (`OutgoingMessages.applyStatus`)

  /// A status webhook: updates the message it names, or keeps it for a moment when that
  /// message's send has not recorded its WhatsApp id yet.
  static func applyWebhookStatus(
    _ status: String, errors: [JSONValue], whatsappID: String, at: Date, receivedAt now: Double,
    _ writes: StepWrites
  ) async throws {
    let errorsText = errors.isEmpty ? nil : JSONLine.encode(JSONValue.array(errors))
    guard OutgoingMessages.rank(status) != nil else { return }
    if try await !moveStatusForward(
      whatsappID: whatsappID, status: status, errors: errorsText, writes)
    {
      // Statuses of messages sent by other tools on the same number never match: kept an
      // hour at most.
      try await writes.connection.query(
        "DELETE FROM pending_statuses WHERE received_at < \(now - 3600)", logger: writes.logger)
      try await writes.connection.query(
        """
        INSERT INTO pending_statuses (wa_id, status, errors, at, received_at)
        VALUES (\(whatsappID), \(status), \(errorsText), \(at.timeIntervalSince1970), \(now))
        """, logger: writes.logger)
    }
  }

  /// Moves the status of the sent message with this WhatsApp id forward (never back); false
  /// when no sent message has it. The row is locked: a status and a send's record of the same
  /// message, on two instances, apply one after the other.
  @discardableResult
  static func moveStatusForward(
    whatsappID: String, status: String, errors: String?, _ writes: StepWrites
  ) async throws -> Bool {
    var found: (Int64, String?)?
    for try await row in try await writes.connection.query(
      """
      SELECT id, status FROM messages WHERE wa_id = \(whatsappID)
        AND direction IN ('out', 'echo')
      FOR UPDATE
      """, logger: writes.logger
    ).decode((Int64, String?).self) {
      found = row
    }
    guard let (id, current) = found else { return false }
    guard let new = OutgoingMessages.rank(status),
      new > (OutgoingMessages.rank(current) ?? -1)
    else { return true }
    let failedErrors = status == "failed" ? errors : nil
    try await writes.connection.query(
      """
      UPDATE messages SET status = \(status), errors = COALESCE(\(failedErrors), errors)
      WHERE id = \(id)
      """, logger: writes.logger)
    // Members watching the conversation see the tick change (live stream).
    try await publishStatusChange(messageID: id, writes)
    return true
  }
}

/// `storeWebhooks`' statement, prepared once per connection. Arrivals in the order given
/// (`nextval` in the select list of a sorted query runs after the sort). The keys are widened
/// with every key of the conversations that already own one of them: a customer known by phone
/// and by user id may write with either alone, and both webhooks must still order with each
/// other. (A link this webhook itself makes is covered: it holds both keys until it is
/// processed.)
private struct StoreWebhooksStatement: PostgresPreparedStatement {
  typealias Row = (Int64, Int64)
  var now: Double
  var bodies: [ByteBuffer]
  /// Each body's ordering keys, as a JSON array.
  var keys: [String]

  // The arrival lock is a materialized row every inserted row is joined with: it is taken
  // before the first `nextval`, in the statement rather than in a round trip of its own.
  static let sql = """
    WITH locked AS MATERIALIZED (
      SELECT pg_advisory_xact_lock(\(PostgresStore.webhookArrivalLock))::text AS done)
    INSERT INTO webhooks (arrival, received_at, body, ordering_keys)
    SELECT nextval('webhook_arrivals'), $1, r.body, ARRAY(
        SELECT given.key FROM jsonb_array_elements_text(r.keys::jsonb) AS given(key)
        UNION
        SELECT owned.key FROM contact_keys known
        JOIN contact_keys owned ON owned.conversation_id = known.conversation_id
        WHERE known.key IN (SELECT jsonb_array_elements_text(r.keys::jsonb))
        ORDER BY 1)
    FROM unnest($2::bytea[], $3::text[]) WITH ORDINALITY AS r(body, keys, n), locked
    ORDER BY r.n
    RETURNING id, arrival
    """

  func makeBindings() throws -> PostgresBindings {
    var bindings = PostgresBindings(capacity: 3)
    bindings.append(now)
    bindings.append(bodies)
    bindings.append(keys)
    return bindings
  }

  func decodeRow(_ row: PostgresRow) throws -> Row {
    try row.decode(Row.self)
  }
}

/// A processing transaction's claim (see `PostgresStore.claimable`) of given webhooks (a
/// round's own) first, then, with room left, of any other (a webhook whose instance died after
/// storing it): one statement, prepared once per connection. The others' limit reads the
/// own claim, so the own rows are locked before the others are looked for.
private struct ClaimOwnWebhooksStatement: PostgresPreparedStatement {
  typealias Row = (Int64, Double)
  var ids: [Int64]

  static let sql = """
    WITH \(PostgresStore.intakeLockShared),
    own AS (
      SELECT w.id, w.received_at, w.arrival FROM webhooks w
      WHERE \(PostgresStore.intakeLockHeld)
        AND w.id = ANY($1::int8[]) AND \(PostgresStore.claimable)
      ORDER BY w.arrival LIMIT \(PostgresStore.intakeClaim)
      FOR UPDATE OF w SKIP LOCKED),
    others AS (
      SELECT w.id, w.received_at, w.arrival FROM webhooks w
      WHERE w.id <> ALL($1::int8[]) AND \(PostgresStore.claimable)
      ORDER BY w.arrival
      LIMIT (SELECT \(PostgresStore.intakeClaim) - count(*) FROM own)
      FOR UPDATE OF w SKIP LOCKED)
    SELECT id, received_at FROM own
    UNION ALL SELECT id, received_at FROM others
    """

  func makeBindings() throws -> PostgresBindings {
    var bindings = PostgresBindings(capacity: 1)
    bindings.append(ids)
    return bindings
  }

  func decodeRow(_ row: PostgresRow) throws -> Row {
    try row.decode(Row.self)
  }
}

/// A processing transaction's claim (see `PostgresStore.claimable`) of any webhook, when it
/// has none of its own (the start's backlog, a round's later claims), prepared once per
/// connection.
private struct ClaimWebhooksStatement: PostgresPreparedStatement {
  typealias Row = (Int64, Double)
  var limit: Int

  static let sql = """
    WITH \(PostgresStore.intakeLockShared)
    SELECT w.id, w.received_at FROM webhooks w
    WHERE \(PostgresStore.intakeLockHeld) AND \(PostgresStore.claimable)
    ORDER BY w.arrival LIMIT $1
    FOR UPDATE OF w SKIP LOCKED
    """

  func makeBindings() throws -> PostgresBindings {
    var bindings = PostgresBindings(capacity: 1)
    bindings.append(Int64(limit))
    return bindings
  }

  func decodeRow(_ row: PostgresRow) throws -> Row {
    try row.decode(Row.self)
  }
}
