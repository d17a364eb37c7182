import EtiquetteChecker
import EtiquetteEngine
import EtiquetteReplay
import EtiquetteSyntax
import Foundation
import Logging
import PostgresNIO

/// Conversations loaded into the engine's value type and saved after a step, in PostgreSQL:
/// the same rows as SQLite's `ConversationRecords` (labels, teams and triggers stored by name).
///
/// A load is a few indexed reads inside the step's transaction, after the conversation's lock.
/// Only the intake's batch reads through the instance's `ConversationCache`, and only a state
/// whose step count is the stored one (another instance may have stepped it since); the other
/// steps (an agent's action, an event, an AI reply) load the conversation whole.
extension PostgresStore {
  /// The conversation of a contact, created (in the rules' default mode) when new.
  ///
  /// The contact's keys are claimed with inserts their unique key guards: of two instances
  /// racing on a new contact, the second's insert waits for the first's commit and is then
  /// refused (`ON CONFLICT DO NOTHING`); it drops the conversation it had just created, in
  /// its own transaction, and takes the winner's — both end on one conversation.
  static func findOrCreate(
    _ writes: StepWrites, phone rawPhone: String?, userID: String?, name: String?,
    rules: LoadedRules, at time: Date
  ) async throws -> String {
    let connection = writes.connection
    let logger = writes.logger
    let phone = ConversationRecords.normalizePhone(rawPhone)
    let keys = ConversationRecords.contactKeys(phone: phone, userID: userID)
    if let id = try await owner(of: keys, writes) { return id }
    let id = ConversationRecords.newID()
    let contact = Contact(id: userID ?? phone ?? id, phone: phone, name: name)
    let c = rules.engine.newConversation(id: id, contact: contact)
    let seconds = time.timeIntervalSince1970
    try await connection.query(
      """
      INSERT INTO conversations (id, contact_id, phone, user_id, name, mode, presence,
        priority, priority_rank, version, step_count, created_at, updated_at)
      VALUES (\(id), \(contact.id), \(phone), \(userID), \(name), \(c.mode.rawValue),
        \(c.presence.rawValue), \(c.priority.rawValue), \(ConversationRecords.rank(c.priority)),
        0, 0, \(seconds), \(seconds))
      """, logger: logger)
    var claimed = 0
    for key in keys where try await claim(key, for: id, writes) { claimed += 1 }
    if claimed == 0, !keys.isEmpty, let winner = try await owner(of: keys, writes) {
      try await connection.query("DELETE FROM conversations WHERE id = \(id)", logger: logger)
      return winner
    }
    try await indexName(writes, id: id, name: name)
    return id
  }

  /// The oldest conversation owning one of `keys` (ties, same creation instant, by id: there
  /// is no insertion order to fall back on as SQLite's rowid).
  static func owner(of keys: [String], _ writes: StepWrites) async throws -> String? {
    guard !keys.isEmpty else { return nil }
    let rows = try await writes.connection.query(
      """
      SELECT k.conversation_id FROM contact_keys k
      JOIN conversations c ON c.id = k.conversation_id
      WHERE k.key = ANY(\(keys)) ORDER BY c.created_at, c.id LIMIT 1
      """, logger: writes.logger)
    for try await id in rows.decode(String.self) { return id }
    return nil
  }

  /// True when `key` now names `conversation`; false when another conversation owns it.
  static func claim(_ key: String, for conversation: String, _ writes: StepWrites) async throws
    -> Bool
  {
    let rows = try await writes.connection.query(
      """
      INSERT INTO contact_keys (key, conversation_id) VALUES (\(key), \(conversation))
      ON CONFLICT (key) DO NOTHING RETURNING conversation_id
      """, logger: writes.logger)
    for try await _ in rows.decode(String.self) { return true }
    return false
  }

  /// The contact name's search entry, replaced (found by conversation and kind, indexed).
  static func indexName(_ writes: StepWrites, id: String, name: String?) async throws {
    try await writes.connection.query(
      "DELETE FROM search WHERE conversation_id = \(id) AND kind = 'name'",
      logger: writes.logger)
    if let name, !name.isEmpty {
      try await indexForSearch(
        writes.connection, conversation: id, kind: "name", text: name, logger: writes.logger)
    }
  }

  /// The stored label names of a conversation, or nil when there is no such conversation.
  static func storedLabels(_ writes: StepWrites, conversation id: String) async throws
    -> [String]?
  {
    let exists = try await writes.connection.query(
      "SELECT 1 FROM conversations WHERE id = \(id)", logger: writes.logger)
    var found = false
    for try await _ in exists.decode(Int32.self) { found = true }
    guard found else { return nil }
    var labels: [String] = []
    for try await label in try await writes.connection.query(
      "SELECT label FROM conversation_labels WHERE conversation_id = \(id) ORDER BY label",
      logger: writes.logger
    ).decode(String.self) {
      labels.append(label)
    }
    return labels
  }

  /// The conversation as the engine steps it, read in one statement: its row, and its labels,
  /// transcript, notes and read state as JSON beside it. Five statements before; a round trip,
  /// not PostgreSQL's work, is what a step's reads cost (README, "Load").
  static func load(_ writes: StepWrites, id: String, rules: LoadedRules) async throws
    -> LoadedConversation?
  {
    try await load(writes, ids: [id], rules: rules)[id]
  }

  /// Conversations as `load(_:id:rules:)` reads one, all in one statement (the intake's batch
  /// reads every conversation it steps at once); those that do not exist are absent. With a
  /// cache, a conversation whose cached state has the stored step count (compared in the
  /// statement, under the caller's locks) is taken from it: only its read state is read.
  static func load(
    _ writes: StepWrites, ids: [String], rules: LoadedRules, cache: ConversationCache? = nil
  ) async throws -> [String: LoadedConversation] {
    guard !ids.isEmpty else { return [:] }
    let ruleSet = rules.ruleSet
    let cached = ids.map { cache?.candidate(id: $0, rulesVersion: rules.version) }
    var loaded: [String: LoadedConversation] = [:]
    for try await row in try await writes.connection.execute(
      LoadConversationsStatement(
        ids: ids, knownStepCounts: cached.map { Int64($0?.stepCount ?? -1) }),
      logger: writes.logger)
    {
      let (
        ordinal, contactID, phone, name, attributesText, mode, assignee, presence, team,
        priority, version, stepCount, lastStepTime, heldText, labelsText, messagesText,
        notesText, readText
      ) = row
      let index = Int(ordinal) - 1
      let id = ids[index]
      let decoder = JSONDecoder()
      let readState = try decoder.decode([String: Int].self, from: Data(readText.utf8))
      guard let labelsText, let messagesText, let notesText else {
        // The statement left them out: the cached state is the stored one.
        guard var c = cached[index] else { throw StoreError.missingConversation(id) }
        c.readState = readState
        loaded[id] = LoadedConversation(
          conversation: c, transcriptCount: c.transcript.count, notesCount: c.notes.count,
          readState: readState)
        continue
      }
      let contact = Contact(
        id: contactID, phone: phone, name: name,
        attributes: ConversationRecords.storedAttributes(attributesText))
      var c = Conversation(
        id: id, contact: contact, mode: Mode(rawValue: mode) ?? ruleSet.routing.defaultMode)
      c.assignee = assignee
      c.presence = Presence(rawValue: presence) ?? .active
      c.team = team.flatMap { ruleSet.team(named: $0)?.id }
      c.priority = Priority(rawValue: priority) ?? .normal
      c.version = version
      c.stepCount = stepCount
      c.lastStepTime = lastStepTime.map(Date.init(timeIntervalSince1970:))
      c.heldTriggers = ConversationRecords.storedHeldTriggers(heldText, engine: rules.engine)
      for name in try decoder.decode([String].self, from: Data(labelsText.utf8)) {
        ConversationRecords.addStoredLabel(name, to: &c, ruleSet: ruleSet)
      }
      for line in try decoder.decode([StoredLine].self, from: Data(messagesText.utf8)) {
        c.transcript.append(
          ConversationRecords.transcriptEntry(
            direction: line.direction, author: line.author, type: line.type, text: line.text,
            attachments: line.attachments, at: line.at))
      }
      for note in try decoder.decode([StoredNote].self, from: Data(notesText.utf8)) {
        c.notes.append(
          Note(at: Date(timeIntervalSince1970: note.at), author: note.author, text: note.text))
      }
      c.readState = readState
      loaded[id] = LoadedConversation(
        conversation: c, transcriptCount: c.transcript.count, notesCount: c.notes.count,
        readState: readState)
    }
    return loaded
  }

  /// A transcript line as `load` reads it: `[direction, author, type, text, attachments, at]`.
  private struct StoredLine: Decodable {
    var direction: String
    var author: String
    var type: String?
    var text: String
    var attachments: String
    var at: Double

    init(from decoder: any Decoder) throws {
      var fields = try decoder.unkeyedContainer()
      direction = try fields.decode(String.self)
      author = try fields.decode(String.self)
      type = try fields.decodeIfPresent(String.self)
      text = try fields.decode(String.self)
      attachments = try fields.decode(String.self)
      at = try fields.decode(Double.self)
    }
  }

  /// A note as `load` reads it: `[author, text, at]`.
  private struct StoredNote: Decodable {
    var author: String
    var text: String
    var at: Double

    init(from decoder: any Decoder) throws {
      var fields = try decoder.unkeyedContainer()
      author = try fields.decode(String.self)
      text = try fields.decode(String.self)
      at = try fields.decode(Double.self)
    }
  }

  /// Applies one step and saves everything it changed, with its input and its effects, in the
  /// caller's transaction, under the conversation's lock (taken here if the caller has not).
  static func apply(
    _ step: Step, to id: String, _ writes: StepWrites, rules: LoadedRules, extras: EntryExtras,
    mentions: [String] = [], hub: IntegrationHub? = nil
  ) async throws -> (Conversation, Decision, DecisionDocument) {
    try await lockConversation(id, writes: writes)
    guard let loaded = try await load(writes, id: id, rules: rules) else {
      throw StoreError.missingConversation(id)
    }
    let (after, decision) = rules.engine.apply(step, to: loaded.conversation)
    let document = DecisionDocument(
      decision, conversation: after, ruleSet: rules.ruleSet, sources: rules.sources)
    let rows = try await save(
      StepRows(
        step: step, before: loaded, after: after, decision: decision, document: document,
        rules: rules, extras: extras, mentions: mentions), writes)
    try await recordEffects(
      StepEffects(
        before: loaded, after: after, step: step, decision: decision, document: document,
        rules: rules, mentions: mentions, messageRows: rows),
      writes, hub: hub)
    return (after, decision, document)
  }

  /// Encodes as SQLite's `save` does: sorted keys, slashes as they are.
  static func storedJSON(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
  }

  /// Writes a step's rows one statement each (the intake's batch writes several steps' rows in
  /// one, `IntakeBatch+PostgreSQL.swift`); returns `messages.id` of each appended transcript
  /// line.
  static func save(_ rows: StepRows, _ writes: StepWrites) async throws -> [Int64] {
    let connection = writes.connection
    let logger = writes.logger
    let c = rows.conversation
    try await connection.query(
      """
      UPDATE conversations SET contact_id = \(c.contactID), phone = \(c.phone),
        name = \(c.name), attributes = \(c.attributes), mode = \(c.mode),
        assignee = \(c.assignee), presence = \(c.presence), team = \(c.team),
        priority = \(c.priority), priority_rank = \(c.priorityRank), version = \(c.version),
        step_count = \(c.stepCount), last_step_time = \(c.lastStepTime),
        held_triggers = \(c.heldTriggers), transcript_count = \(c.transcriptCount),
        updated_at = GREATEST(updated_at, \(rows.at))
      WHERE id = \(c.id)
      """, logger: logger)
    if rows.renamed {
      try await indexName(writes, id: c.id, name: c.name)
    }
    if let key = rows.learntPhoneKey {
      _ = try await claim(key, for: c.id, writes)
    }
    for label in rows.removedLabels {
      try await connection.query(
        "DELETE FROM conversation_labels WHERE conversation_id = \(c.id) AND label = \(label)",
        logger: logger)
    }
    for (label, reason) in rows.addedLabels {
      try await connection.query(
        """
        INSERT INTO conversation_labels (conversation_id, label, reason)
        VALUES (\(c.id), \(label), \(reason))
        ON CONFLICT (conversation_id, label) DO UPDATE SET reason = excluded.reason
        """, logger: logger)
    }
    var ids: [Int64] = []
    for m in rows.messages {
      let inserted = try await connection.query(
        """
        INSERT INTO messages (conversation_id, seq, direction, author, type, wire_type, text,
          attachments, wa_id, context_id, status, at, raw)
        VALUES (\(c.id), \(m.seq), \(m.direction), \(m.author), \(m.type), \(m.wireType),
          \(m.text), \(m.attachments), \(m.whatsappID), \(m.contextID), \(m.status), \(m.at),
          \(m.raw))
        RETURNING id
        """, logger: logger)
      for try await id in inserted.decode(Int64.self) { ids.append(id) }
      if !m.text.isEmpty {
        try await indexForSearch(
          connection, conversation: c.id, kind: "message", text: m.text, logger: logger)
      }
    }
    for note in rows.notes {
      try await connection.query(
        """
        INSERT INTO notes (conversation_id, author, text, mentions, at)
        VALUES (\(c.id), \(note.author), \(note.text), \(note.mentions), \(note.at))
        """, logger: logger)
    }
    for (member, count) in rows.readState {
      try await connection.query(
        """
        INSERT INTO read_state (conversation_id, member, read_count)
        VALUES (\(c.id), \(member), \(count))
        ON CONFLICT (conversation_id, member) DO UPDATE SET read_count = excluded.read_count
        """, logger: logger)
    }
    try await connection.query(
      """
      INSERT INTO decisions (conversation_id, step, rule_set_version, document, at, action)
      VALUES (\(c.id), \(rows.step), \(rows.ruleSetVersion), \(rows.document), \(rows.at),
        \(rows.action))
      """, logger: logger)
    // The step's input (`step_inputs`), as `StepRecords.record` writes it in SQLite.
    try await connection.query(
      """
      INSERT INTO step_inputs (conversation_id, step, at, line)
      VALUES (\(c.id), \(rows.step), \(rows.inputAt), \(rows.inputLine))
      ON CONFLICT (conversation_id, step) DO UPDATE SET at = excluded.at, line = excluded.line
      """, logger: logger)
    return ids
  }
}

/// `load`'s statement, prepared once per connection (every step runs it).
private struct LoadConversationsStatement: PostgresPreparedStatement {
  typealias Row = (
    Int64, String, String?, String?, String, String, String?, String, String?, String, Int,
    Int, Double?, String, String?, String?, String?, String
  )
  var ids: [String]
  /// The step count of each conversation's cached state, -1 for none: where it is the stored
  /// one, the labels, transcript and notes are not read (NULL).
  var knownStepCounts: [Int64]

  // Rows carry the id's position in `$1` (from 1). `CASE` evaluates the subqueries of the
  // branch taken only.
  static let sql = """
    SELECT k.n, c.contact_id, c.phone, c.name, c.attributes, c.mode, c.assignee, c.presence,
      c.team, c.priority, c.version, c.step_count, c.last_step_time, c.held_triggers,
      CASE WHEN c.step_count = k.known THEN NULL ELSE
        (SELECT COALESCE(json_agg(l.label), '[]') FROM conversation_labels l
          WHERE l.conversation_id = c.id)::text END,
      CASE WHEN c.step_count = k.known THEN NULL ELSE
        (SELECT COALESCE(json_agg(json_build_array(m.direction, m.author, m.type, m.text,
            m.attachments, m.at) ORDER BY m.seq), '[]')
          FROM messages m WHERE m.conversation_id = c.id AND m.seq IS NOT NULL)::text END,
      CASE WHEN c.step_count = k.known THEN NULL ELSE
        (SELECT COALESCE(json_agg(json_build_array(n.author, n.text, n.at) ORDER BY n.id), '[]')
          FROM notes n WHERE n.conversation_id = c.id)::text END,
      (SELECT COALESCE(json_object_agg(r.member, r.read_count), '{}') FROM read_state r
        WHERE r.conversation_id = c.id)::text
    FROM unnest($1::text[], $2::int8[]) WITH ORDINALITY AS k(id, known, n)
    JOIN conversations c ON c.id = k.id
    """

  func makeBindings() throws -> PostgresBindings {
    var bindings = PostgresBindings(capacity: 2)
    bindings.append(ids)
    bindings.append(knownStepCounts)
    return bindings
  }

  func decodeRow(_ row: PostgresRow) throws -> Row {
    try row.decode(Row.self)
  }
}

/// Everything a step writes, as column values, computed once from the step: the rows of SQLite's
/// `save` and `StepRecords.record`. `PostgresStore.save` writes them a statement each; the
/// intake's batch writes many steps' in one statement.
struct StepRows {
  /// The conversation's row after the step.
  struct ConversationRow {
    var id: String
    var contactID: String
    var phone: String?
    var name: String?
    var attributes: String
    var mode: String
    var assignee: String?
    var presence: String
    var team: String?
    var priority: String
    var priorityRank: Int
    var version: Int
    var stepCount: Int
    var lastStepTime: Double?
    var heldTriggers: String
    var transcriptCount: Int
  }

  /// A transcript line the step appended.
  struct MessageRow {
    var seq: Int
    var direction: String
    var author: String
    var type: String?
    var wireType: String?
    var text: String
    var attachments: String
    var whatsappID: String?
    var contextID: String?
    var status: String?
    var at: Double
    var raw: String?
  }

  var conversation: ConversationRow
  /// The step's time (`updated_at`, the decision's `at`).
  var at: Double
  /// The contact's name changed: its search entry is replaced.
  var renamed: Bool
  /// A phone the step taught: its key, claimed unless another conversation owns it.
  var learntPhoneKey: String?
  var removedLabels: [String]
  /// Label name and stored reason (JSON).
  var addedLabels: [(label: String, reason: String)]
  var messages: [MessageRow]
  var notes: [(author: String, text: String, mentions: String, at: Double)]
  var readState: [(member: String, count: Int)]
  var step: Int
  var ruleSetVersion: String
  var document: String
  var action: String?
  var inputAt: Double
  var inputLine: String

  init(
    step: Step, before: LoadedConversation, after c: Conversation, decision: Decision,
    document: DecisionDocument, rules: LoadedRules, extras: EntryExtras, mentions: [String]
  ) {
    let ruleSet = rules.ruleSet
    let held = c.heldTriggers.compactMap { rules.engine.triggerNames.name(of: $0) }.sorted()
    conversation = ConversationRow(
      id: c.id, contactID: c.contact.id, phone: c.contact.phone, name: c.contact.name,
      attributes: PostgresStore.storedJSON(c.contact.attributes.mapValues(\.json)),
      mode: c.mode.rawValue, assignee: c.assignee, presence: c.presence.rawValue,
      team: c.team.map { ruleSet[$0].name }, priority: c.priority.rawValue,
      priorityRank: ConversationRecords.rank(c.priority), version: c.version,
      stepCount: c.stepCount, lastStepTime: c.lastStepTime?.timeIntervalSince1970,
      heldTriggers: PostgresStore.storedJSON(held), transcriptCount: c.transcript.count)
    // INVARIANT: saved after a step, so `lastStepTime` is that step's time (see SQLite's).
    at = c.lastStepTime?.timeIntervalSince1970 ?? 0
    renamed = c.contact.name != before.conversation.contact.name
    // A phone learnt later finds this conversation from then on, unless another owns it.
    learntPhoneKey = c.contact.phone.flatMap {
      $0 != before.conversation.contact.phone ? "phone:" + $0 : nil
    }
    // Paired with the document as SQLite's `save` does.
    removedLabels = zip(decision.removed, document.removed).map { ruleSet[$0.0.label].name }
    addedLabels = zip(decision.added, document.added).map {
      (ruleSet[$0.0.label].name, PostgresStore.storedJSON($0.1))
    }
    // By index: `enumerated().dropFirst(n)` walks (and copies) the n earlier lines first.
    messages = c.transcript.indices.dropFirst(before.transcriptCount).map { offset in
      let entry = c.transcript[offset]
      let (direction, author) = ConversationRecords.storedAuthor(entry.author)
      let attachments = entry.attachments.map {
        ConversationRecords.AttachmentRow(url: $0.url, type: $0.type, size: $0.size)
      }
      return MessageRow(
        seq: offset, direction: direction, author: author, type: entry.type?.rawValue,
        wireType: extras.wireType ?? entry.type?.rawValue, text: entry.text,
        attachments: PostgresStore.storedJSON(attachments), whatsappID: extras.whatsappID,
        contextID: extras.contextID,
        status: direction == "out" ? (extras.status ?? "queued") : nil,
        at: entry.at.timeIntervalSince1970, raw: extras.raw)
    }
    let mentionsText = PostgresStore.storedJSON(mentions)
    notes = c.notes.dropFirst(before.notesCount).map {
      ($0.author, $0.text, mentionsText, $0.at.timeIntervalSince1970)
    }
    readState = c.readState.filter { before.readState[$0.key] != $0.value }
      .sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    self.step = decision.step
    ruleSetVersion = rules.version
    self.document = PostgresStore.storedJSON(document)
    action = ConversationRecords.memberAction(of: step, decision)
    // The step's input, the first with the contact as it was before (as SQLite records it).
    var contact = step.contact
    if decision.step == 1 {
      var first = contact ?? ContactUpdate()
      first.id = first.id ?? before.conversation.contact.id
      first.phone = first.phone ?? before.conversation.contact.phone
      first.name = first.name ?? before.conversation.contact.name
      for (key, value) in before.conversation.contact.attributes
      where first.attributes[key] == nil {
        first.attributes[key] = value
      }
      contact = first
    }
    inputAt = step.at.timeIntervalSince1970
    inputLine = StepLine.encode(
      step, conversation: before.conversation.id, contact: contact, ruleSet: rules.ruleSet,
      withInstant: false)
  }
}
