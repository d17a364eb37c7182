import EtiquetteEngine
import Foundation
import Logging
import PostgresNIO

/// The intake's batch: the claimed webhooks that each carry one customer message, of different
/// conversations, processed with a fixed number of statements whatever their count — one that
/// finds their conversations and takes their locks, one that loads them, one that writes every
/// step's rows (`StepRows`) and marks the webhooks processed — instead of about fifteen per
/// message (README, "Running on PostgreSQL").
///
/// Why: a statement costs the instance a round trip — an answer from PostgreSQL wakes an
/// event-loop thread, which wakes a task — and that, not PostgreSQL's work, was what a message
/// cost (about 3 ms of the instance's CPU for 0.8 ms of PostgreSQL's). The engine steps run in
/// between, in memory, exactly as one at a time would run them.
///
/// What the batch does not take goes the one-at-a-time way (`processBody`), which keeps every
/// case: statuses, echoes, several messages in a body, a body that does not parse. And the
/// batch is all or nothing: its writes run in a savepoint, and should anything fail (a new
/// contact's key taken meanwhile by a conversation created elsewhere, a row refused), it rolls
/// back and every webhook of it goes the one-at-a-time way, where a failing message is kept as
/// failed alone. A transient failure (deadlock, lost connection) ends the whole transaction, as
/// it does there.
extension PostgresStore {
  /// A webhook of the batch: its customer message and the contact keys that find its
  /// conversation.
  private struct BatchMessage {
    var webhook: Int64
    var message: WhatsAppPayload.InboundMessage
    var keys: [String]
  }

  /// A step the batch computed: the rows it writes, and what its effects need.
  private struct BatchStep {
    var webhook: Int64
    var message: WhatsAppPayload.InboundMessage
    var rows: StepRows
    var effects: StepEffects
    /// The keys a new conversation claims; nil for a conversation that existed.
    var createdKeys: [String]?
    /// The conversation after the step as `load` reads it back: cached once committed.
    var stored: Conversation
  }

  /// What a batch did: each webhook's outcome, and the conversations its steps left, to cache
  /// once the transaction has committed (see `ConversationCache`).
  struct BatchResult {
    var outcomes: [Int64: IntakeOutcome] = [:]
    var conversations: [Conversation] = []
  }

  /// The batch refused a write the one-at-a-time way handles (a key another conversation took).
  private struct BatchConflict: Error {}

  /// Processes the webhooks of `claimed` the batch can take, in the caller's transaction, and
  /// marks them processed; returns their outcomes by webhook id. The others, absent from the
  /// result, are left to the caller. Conversations are read from `cache` when it is current.
  static func processBatch(
    _ claimed: [(id: Int64, payload: WhatsAppPayload)], _ writes: StepWrites,
    rules: LoadedRules, now: Double, hub: IntegrationHub?, cache: ConversationCache
  ) async throws -> BatchResult {
    var batch: [BatchMessage] = []
    var keysTaken = Set<String>()
    for (id, payload) in claimed {
      guard payload.messages.count == 1, let message = payload.messages.first,
        payload.statuses.isEmpty, payload.echoes.isEmpty, payload.unusable.isEmpty
      else { continue }
      let keys = ConversationRecords.contactKeys(
        phone: ConversationRecords.normalizePhone(message.contact.phone),
        userID: message.contact.userID)
      // Two webhooks of one customer are never claimed together (their ordering keys meet),
      // but one known by phone and one by user id could: one conversation a batch.
      guard !keys.isEmpty, keysTaken.isDisjoint(with: keys) else { continue }
      keysTaken.formUnion(keys)
      batch.append(BatchMessage(webhook: id, message: message, keys: keys))
    }
    guard !batch.isEmpty else { return BatchResult() }

    // All of it in the savepoint, the finding and loading too: whatever fails, the locks and
    // rows go, and the webhooks go one at a time, where a failing message is kept alone.
    do {
      return try await writes.savepoint {
        var (outcomes, steps) = try await prepareSteps(
          batch, writes, rules: rules, hub: hub, cache: cache)
        let webhooks = outcomes.keys.sorted() + steps.map(\.webhook)
        guard !webhooks.isEmpty else { return BatchResult(outcomes: outcomes) }
        let messageRows = try await writeSteps(steps, webhooks: webhooks, now: now, writes)
        for step in steps {
          var effects = step.effects
          effects.messageRows = messageRows[step.rows.conversation.id] ?? []
          try await recordEffects(effects, writes, hub: hub)
          if let media = step.message.media {
            try await recordMedia(
              media, conversation: step.rows.conversation.id, whatsappID: step.message.id,
              at: now, writes, hub: hub)
          }
          var outcome = IntakeOutcome()
          outcome.messages = 1
          if step.message.timestampReplaced { outcome.timestampsReplaced = 1 }
          outcomes[step.webhook] = outcome
        }
        return BatchResult(outcomes: outcomes, conversations: steps.map(\.stored))
      }
    } catch {
      if isTransient(error) { throw error }
      writes.logger.debug(
        "intake batch rolled back, its webhooks go one at a time: \(failureReason(error))")
      return BatchResult()
    }
  }

  /// The batch's conversations found, locked and loaded, and its steps applied in memory: the
  /// outcomes of the redeliveries (nothing to apply) and the steps to write. A message whose
  /// conversation another of the batch already steps is left out (one at a time).
  private static func prepareSteps(
    _ batch: [BatchMessage], _ writes: StepWrites, rules: LoadedRules, hub: IntegrationHub?,
    cache: ConversationCache
  ) async throws -> (redeliveries: [Int64: IntakeOutcome], steps: [BatchStep]) {
    let found = try await findAndLock(batch, writes)
    var outcomes: [Int64: IntakeOutcome] = [:]
    var owners = Set<String>()
    var taken: [(BatchMessage, owner: String?)] = []
    for (index, item) in batch.enumerated() {
      let (seen, owner) = found[index]
      if seen {
        // A redelivery: nothing to apply (`messages.wa_id` stays the guard).
        outcomes[item.webhook] = IntakeOutcome()
        continue
      }
      if let owner {
        guard owners.insert(owner).inserted else { continue }
      }
      taken.append((item, owner))
    }
    let loaded = try await load(writes, ids: Array(owners), rules: rules, cache: cache)
    let mediaBase = (hub?.configuration.baseURL ?? "") + "/v1/media/"
    var steps: [BatchStep] = []
    for (item, owner) in taken {
      let m = item.message
      let before: LoadedConversation
      var createdKeys: [String]?
      if let owner {
        // Gone since it was found (not done by anything today): left to the one-at-a-time way.
        guard let conversation = loaded[owner] else { continue }
        before = conversation
      } else {
        let id = ConversationRecords.newID()
        let phone = ConversationRecords.normalizePhone(m.contact.phone)
        let contact = Contact(
          id: m.contact.userID ?? phone ?? id, phone: phone, name: m.contact.name)
        let c = rules.engine.newConversation(id: id, contact: contact)
        before = LoadedConversation(
          conversation: c, transcriptCount: c.transcript.count, notesCount: c.notes.count,
          readState: c.readState)
        createdKeys = item.keys
      }
      let step = m.step(mediaBase: mediaBase)
      let (after, decision) = rules.engine.apply(step, to: before.conversation)
      let document = DecisionDocument(
        decision, conversation: after, ruleSet: rules.ruleSet, sources: rules.sources)
      let extras = EntryExtras(
        whatsappID: m.id, wireType: m.wireType, contextID: m.contextID, raw: m.raw.jsonText)
      let rows = StepRows(
        step: step, before: before, after: after, decision: decision, document: document,
        rules: rules, extras: extras, mentions: [])
      let effects = StepEffects(
        before: before, after: after, step: step, decision: decision, document: document,
        rules: rules, mentions: [], messageRows: [])
      steps.append(
        BatchStep(
          webhook: item.webhook, message: m, rows: rows, effects: effects,
          createdKeys: createdKeys,
          stored: ConversationRecords.shapedAsStored(
            after, before: before, ruleSet: rules.ruleSet)))
    }
    return (outcomes, steps)
  }

  /// For each message of the batch, in order: whether it is stored already (a redelivery), and
  /// the conversation that owns one of its keys (the oldest, as `owner(of:)`), locked until the
  /// commit. One statement. The locks are taken here, before `load`'s statement starts, so that
  /// its snapshot sees what the previous holder committed.
  private static func findAndLock(_ batch: [BatchMessage], _ writes: StepWrites) async throws
    -> [(seen: Bool, owner: String?)]
  {
    var keyOrdinals: [Int64] = []
    var keys: [String] = []
    for (index, item) in batch.enumerated() {
      for key in item.keys {
        keyOrdinals.append(Int64(index))
        keys.append(key)
      }
    }
    let ordinals = batch.indices.map { Int64($0) }
    var found = [(seen: Bool, owner: String?)](repeating: (false, nil), count: batch.count)
    let statement = FindAndLockStatement(
      ordinals: ordinals, whatsappIDs: batch.map(\.message.id), keyOrdinals: keyOrdinals,
      keys: keys)
    for try await (ordinal, seen, owner, _) in try await writes.connection.execute(
      statement, logger: writes.logger
    ) {
      found[Int(ordinal)] = (seen, owner)
    }
    return found
  }

  /// Writes every step's rows and marks `webhooks` processed, in one statement; returns
  /// `messages.id` of each conversation's appended lines, in transcript order. Throws
  /// `BatchConflict` when a new conversation could not claim one of its keys.
  private static func writeSteps(
    _ steps: [BatchStep], webhooks: [Int64], now: Double, _ writes: StepWrites
  ) async throws -> [String: [Int64]] {
    var created: [JSONValue] = []
    var updated: [JSONValue] = []
    var keys: [JSONValue] = []
    var required = Set<String>()
    var renamed: [JSONValue] = []
    var search: [JSONValue] = []
    var unlabelled: [JSONValue] = []
    var labelled: [JSONValue] = []
    var appended: [JSONValue] = []
    var noted: [JSONValue] = []
    var read: [JSONValue] = []
    var decided: [JSONValue] = []
    var recorded: [JSONValue] = []
    for step in steps {
      let rows = step.rows
      let c = rows.conversation
      let id = JSONValue.string(c.id)
      var row: [String: JSONValue] = [
        "id": id, "contact_id": .string(c.contactID), "phone": .init(c.phone),
        "name": .init(c.name), "attributes": .string(c.attributes), "mode": .string(c.mode),
        "assignee": .init(c.assignee), "presence": .string(c.presence), "team": .init(c.team),
        "priority": .string(c.priority), "priority_rank": .init(c.priorityRank),
        "version": .init(c.version), "step_count": .init(c.stepCount),
        "last_step_time": .init(c.lastStepTime), "held_triggers": .string(c.heldTriggers),
        "transcript_count": .init(c.transcriptCount), "updated_at": .number(rows.at),
      ]
      if let createdKeys = step.createdKeys {
        // As `findOrCreate` creates it, with the step's changes already in (one statement
        // cannot update a row it inserts).
        let at = step.message.at.timeIntervalSince1970
        row["user_id"] = .init(step.message.contact.userID)
        row["created_at"] = .number(at)
        row["updated_at"] = .number(max(at, rows.at))
        created.append(.object(row))
        for key in createdKeys {
          keys.append(.object(["key": .string(key), "conversation_id": id]))
          required.insert(key)
        }
        if let name = c.name, !name.isEmpty {
          search.append(searchRow(c.id, kind: "name", text: name))
        }
      } else {
        updated.append(.object(row))
        if rows.renamed {
          renamed.append(id)
          if let name = c.name, !name.isEmpty {
            search.append(searchRow(c.id, kind: "name", text: name))
          }
        }
        if let key = rows.learntPhoneKey {
          keys.append(.object(["key": .string(key), "conversation_id": id]))
        }
      }
      for label in rows.removedLabels {
        unlabelled.append(.object(["conversation_id": id, "label": .string(label)]))
      }
      for (label, reason) in rows.addedLabels {
        labelled.append(
          .object(["conversation_id": id, "label": .string(label), "reason": .string(reason)]))
      }
      for m in rows.messages {
        appended.append(
          .object([
            "conversation_id": id, "seq": .init(m.seq), "direction": .string(m.direction),
            "author": .string(m.author), "type": .init(m.type), "wire_type": .init(m.wireType),
            "text": .string(m.text), "attachments": .string(m.attachments),
            "wa_id": .init(m.whatsappID), "context_id": .init(m.contextID),
            "status": .init(m.status), "at": .number(m.at), "raw": .init(m.raw),
          ]))
        if !m.text.isEmpty {
          search.append(searchRow(c.id, kind: "message", text: m.text))
        }
      }
      for note in rows.notes {
        noted.append(
          .object([
            "conversation_id": id, "author": .string(note.author), "text": .string(note.text),
            "mentions": .string(note.mentions), "at": .number(note.at),
          ]))
      }
      for (member, count) in rows.readState {
        read.append(
          .object(["conversation_id": id, "member": .string(member), "read_count": .init(count)]))
      }
      decided.append(
        .object([
          "conversation_id": id, "step": .init(rows.step),
          "rule_set_version": .string(rows.ruleSetVersion), "document": .string(rows.document),
          "at": .number(rows.at), "action": .init(rows.action),
        ]))
      recorded.append(
        .object([
          "conversation_id": id, "step": .init(rows.step), "at": .number(rows.inputAt),
          "line": .string(rows.inputLine),
        ]))
    }
    var messageRows: [String: [(Int64, Int64)]] = [:]
    var claimed = Set<String>()
    let statement = WriteStepsStatement(
      documents: [
        created, updated, keys, renamed, search, unlabelled, labelled, appended, noted, read,
        decided, recorded,
      ].map { JSONValue.array($0).jsonText }, now: now, webhooks: webhooks)
    for try await (kind, key, seq, id) in try await writes.connection.execute(
      statement, logger: writes.logger
    ) {
      if kind == "key" {
        claimed.insert(key)
      } else if let seq, let id {
        messageRows[key, default: []].append((seq, id))
      }
    }
    // A new contact's key taken by a conversation created elsewhere meanwhile: the
    // one-at-a-time way ends on the winner's conversation (`findOrCreate`).
    guard required.isSubset(of: claimed) else { throw BatchConflict() }
    return messageRows.mapValues { $0.sorted { $0.0 < $1.0 }.map(\.1) }
  }

  private static func searchRow(_ conversation: String, kind: String, text: String) -> JSONValue {
    .object([
      "conversation_id": .string(conversation), "kind": .string(kind), "text": .string(text),
      "words": .string(SearchWords.vector(text)),
    ])
  }
}

/// `findAndLock`'s statement, prepared once per connection.
private struct FindAndLockStatement: PostgresPreparedStatement {
  /// The last column is the lock's (void, as text): in the select list, so that it runs.
  typealias Row = (Int64, Bool, String?, String?)
  var ordinals: [Int64]
  var whatsappIDs: [String]
  var keyOrdinals: [Int64]
  var keys: [String]

  static let sql = """
    WITH given AS (
      SELECT * FROM unnest($1::int8[], $2::text[]) AS g(ordinal, wa_id)),
    keyed AS (
      SELECT * FROM unnest($3::int8[], $4::text[]) AS k(ordinal, key)),
    resolved AS (
      SELECT g.ordinal, EXISTS (SELECT 1 FROM messages m WHERE m.wa_id = g.wa_id) AS seen,
        (SELECT c.id FROM keyed x
          JOIN contact_keys k ON k.key = x.key
          JOIN conversations c ON c.id = k.conversation_id
          WHERE x.ordinal = g.ordinal ORDER BY c.created_at, c.id LIMIT 1) AS owner
      FROM given g)
    SELECT ordinal, seen, owner, pg_advisory_xact_lock(hashtextextended(owner, 0))::text
    FROM resolved
    """

  func makeBindings() throws -> PostgresBindings {
    var bindings = PostgresBindings(capacity: 4)
    bindings.append(ordinals)
    bindings.append(whatsappIDs)
    bindings.append(keyOrdinals)
    bindings.append(keys)
    return bindings
  }

  func decodeRow(_ row: PostgresRow) throws -> Row {
    try row.decode(Row.self)
  }
}

/// `writeSteps`' statement, prepared once per connection: parsing and planning a statement
/// of this size each time cost PostgreSQL more than running it.
private struct WriteStepsStatement: PostgresPreparedStatement {
  typealias Row = (String, String, Int64?, Int64?)
  /// The rows of each table as a JSON array, in the order of `$1` … `$12`.
  var documents: [String]
  var now: Double
  var webhooks: [Int64]

  static let conversationColumns = """
    id text, contact_id text, phone text, user_id text, name text, attributes text,
    mode text, assignee text, presence text, team text, priority text, priority_rank int8,
    version int8, step_count int8, last_step_time float8, held_triggers text,
    transcript_count int8, created_at float8, updated_at float8
    """

  static let sql = """
    WITH created AS (
      INSERT INTO conversations (id, contact_id, phone, user_id, name, attributes, mode,
        assignee, presence, team, priority, priority_rank, version, step_count,
        last_step_time, held_triggers, transcript_count, created_at, updated_at)
      SELECT id, contact_id, phone, user_id, name, attributes, mode, assignee, presence,
        team, priority, priority_rank, version, step_count, last_step_time, held_triggers,
        transcript_count, created_at, updated_at
      FROM jsonb_to_recordset($1::jsonb) AS r(\(conversationColumns))),
    updated AS (
      UPDATE conversations c SET contact_id = r.contact_id, phone = r.phone,
        name = r.name, attributes = r.attributes, mode = r.mode, assignee = r.assignee,
        presence = r.presence, team = r.team, priority = r.priority,
        priority_rank = r.priority_rank, version = r.version, step_count = r.step_count,
        last_step_time = r.last_step_time, held_triggers = r.held_triggers,
        transcript_count = r.transcript_count,
        updated_at = GREATEST(c.updated_at, r.updated_at)
      FROM jsonb_to_recordset($2::jsonb) AS r(\(conversationColumns))
      WHERE c.id = r.id),
    claimed AS (
      INSERT INTO contact_keys (key, conversation_id)
      SELECT key, conversation_id
      FROM jsonb_to_recordset($3::jsonb) AS r(key text, conversation_id text)
      ON CONFLICT (key) DO NOTHING RETURNING key),
    unnamed AS (
      DELETE FROM search s USING jsonb_array_elements_text($4::jsonb) AS r(id)
      WHERE s.conversation_id = r.id AND s.kind = 'name'),
    indexed AS (
      INSERT INTO search (conversation_id, kind, text, words)
      SELECT conversation_id, kind, text, words::tsvector
      FROM jsonb_to_recordset($5::jsonb)
        AS r(conversation_id text, kind text, text text, words text)),
    unlabelled AS (
      DELETE FROM conversation_labels l
      USING jsonb_to_recordset($6::jsonb) AS r(conversation_id text, label text)
      WHERE l.conversation_id = r.conversation_id AND l.label = r.label),
    labelled AS (
      INSERT INTO conversation_labels (conversation_id, label, reason)
      SELECT conversation_id, label, reason
      FROM jsonb_to_recordset($7::jsonb)
        AS r(conversation_id text, label text, reason text)
      ON CONFLICT (conversation_id, label) DO UPDATE SET reason = excluded.reason),
    appended AS (
      INSERT INTO messages (conversation_id, seq, direction, author, type, wire_type,
        text, attachments, wa_id, context_id, status, at, raw)
      SELECT conversation_id, seq, direction, author, type, wire_type, text, attachments,
        wa_id, context_id, status, at, raw
      FROM jsonb_to_recordset($8::jsonb) AS r(conversation_id text, seq int8,
        direction text, author text, type text, wire_type text, text text,
        attachments text, wa_id text, context_id text, status text, at float8, raw text)
      RETURNING id, conversation_id, seq),
    noted AS (
      INSERT INTO notes (conversation_id, author, text, mentions, at)
      SELECT conversation_id, author, text, mentions, at
      FROM jsonb_to_recordset($9::jsonb) AS r(conversation_id text, author text,
        text text, mentions text, at float8)),
    read AS (
      INSERT INTO read_state (conversation_id, member, read_count)
      SELECT conversation_id, member, read_count
      FROM jsonb_to_recordset($10::jsonb)
        AS r(conversation_id text, member text, read_count int8)
      ON CONFLICT (conversation_id, member) DO UPDATE SET read_count = excluded.read_count),
    decided AS (
      INSERT INTO decisions (conversation_id, step, rule_set_version, document, at, action)
      SELECT conversation_id, step, rule_set_version, document, at, action
      FROM jsonb_to_recordset($11::jsonb) AS r(conversation_id text, step int8,
        rule_set_version text, document text, at float8, action text)),
    recorded AS (
      INSERT INTO step_inputs (conversation_id, step, at, line)
      SELECT conversation_id, step, at, line
      FROM jsonb_to_recordset($12::jsonb)
        AS r(conversation_id text, step int8, at float8, line text)
      ON CONFLICT (conversation_id, step) DO UPDATE SET at = excluded.at,
        line = excluded.line),
    done AS (
      UPDATE webhooks SET processed_at = $13, error = NULL WHERE id = ANY($14::int8[]))
    SELECT 'message', conversation_id, seq, id FROM appended
    UNION ALL SELECT 'key', key, NULL, NULL FROM claimed
    """

  func makeBindings() throws -> PostgresBindings {
    var bindings = PostgresBindings(capacity: documents.count + 2)
    for document in documents { bindings.append(document) }
    bindings.append(now)
    bindings.append(webhooks)
    return bindings
  }

  func decodeRow(_ row: PostgresRow) throws -> Row {
    try row.decode(Row.self)
  }
}

extension JSONValue {
  fileprivate init(_ text: String?) { self = text.map(JSONValue.string) ?? .null }
  fileprivate init(_ number: Double?) { self = number.map(JSONValue.number) ?? .null }
  fileprivate init(_ number: Int) { self = .number(Double(number)) }
}
