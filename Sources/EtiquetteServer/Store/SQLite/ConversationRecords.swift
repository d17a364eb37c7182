import EtiquetteChecker
import EtiquetteEngine
import EtiquetteMatcher
import EtiquetteSyntax
import Foundation
import GRDB

/// Loads conversations into the engine's value type and saves what a step changed.
///
/// Labels, teams and triggers are stored by name, not by the rule set's numeric ids, so a
/// reloaded rule set (where ids may shift) reads them correctly; a label the new rules no longer
/// declare is ignored by the engine but kept in the store.
enum ConversationRecords {
  /// The conversation of a contact, created (in the rules' default mode) when new.
  ///
  /// The contact's keys are claimed with an insert that a unique key guards, not looked up and
  /// then inserted: a writer that loses a race for a new contact (another process, on a store
  /// with concurrent writers) finds its own claim refused, drops the conversation it had just
  /// created, in this same transaction, and takes the winner's.
  static func findOrCreate(
    _ db: Database, phone rawPhone: String?, userID: String?, name: String?, rules: LoadedRules,
    at time: Date
  ) throws -> String {
    let phone = normalizePhone(rawPhone)
    let keys = contactKeys(phone: phone, userID: userID)
    if let id = try owner(of: keys, in: db) { return id }
    let id = newID()
    let contact = Contact(id: userID ?? phone ?? id, phone: phone, name: name)
    let c = rules.engine.newConversation(id: id, contact: contact)
    try db.executeCached(
      sql: """
        INSERT INTO conversations (id, contact_id, phone, user_id, name, mode, presence,
          priority, priority_rank, version, step_count, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?)
        """,
      arguments: [
        id, contact.id, phone, userID, name, c.mode.rawValue, c.presence.rawValue,
        c.priority.rawValue, rank(c.priority), time.timeIntervalSince1970,
        time.timeIntervalSince1970,
      ])
    var claimed = 0
    for key in keys where try claim(key, for: id, in: db) { claimed += 1 }
    if claimed == 0, !keys.isEmpty, let winner = try owner(of: keys, in: db) {
      try db.executeCached(sql: "DELETE FROM conversations WHERE id = ?", arguments: [id])
      return winner
    }
    try indexName(db, id: id, name: name)
    return id
  }

  /// The oldest conversation owning one of `keys`, as lookups by phone or user id always chose.
  static func owner(of keys: [String], in db: Database) throws -> String? {
    guard !keys.isEmpty else { return nil }
    return try String.fetchOne(
      db.cachedStatement(
        sql: """
          SELECT k.conversation_id FROM contact_keys k
          JOIN conversations c ON c.id = k.conversation_id
          WHERE k.key IN (?1, ?2) ORDER BY c.created_at, c.rowid LIMIT 1
          """),
      arguments: [keys[0], keys.count > 1 ? keys[1] : nil])
  }

  /// True when `key` now names `conversation`; false when another conversation already owns it.
  static func claim(_ key: String, for conversation: String, in db: Database) throws -> Bool {
    try String.fetchOne(
      db.cachedStatement(
        sql: """
          INSERT INTO contact_keys (key, conversation_id) VALUES (?, ?)
          ON CONFLICT(key) DO NOTHING RETURNING conversation_id
          """),
      arguments: [key, conversation]) != nil
  }

  /// The contact name's entry in `search` has its conversation's rowid, negated (transcript
  /// entries take rowids from 0 up), so a new contact or a rename replaces one row found by its
  /// key: `conversation_id` is not indexed in FTS5, and deleting by it scanned the whole index
  /// inside the single writer (1,500 new contacts in one webhook took 17 s).
  static let deleteNameEntry =
    "DELETE FROM search WHERE rowid = -(SELECT rowid FROM conversations WHERE id = ?)"

  static func indexName(_ db: Database, id: String, name: String?) throws {
    try db.executeCached(sql: deleteNameEntry, arguments: [id])
    if let name, !name.isEmpty {
      try db.executeCached(
        sql: """
          INSERT INTO search (rowid, conversation_id, kind, text)
          VALUES (-(SELECT rowid FROM conversations WHERE id = ?), ?, 'name', ?)
          """, arguments: [id, id, name])
    }
  }

  static func load(
    _ db: Database, id: String, rules: LoadedRules, cache: ConversationCache? = nil
  ) throws -> LoadedConversation? {
    guard
      let row = try Row.fetchOne(
        db.cachedStatement(sql: "SELECT * FROM conversations WHERE id = ?"),
        arguments: [id])
    else { return nil }
    if let cache,
      var c = cache.conversation(
        id: id, stepCount: row["step_count"], rulesVersion: rules.version)
    {
      // The hot path: the transcript and notes are already in memory.
      let readState = try loadReadState(db, id: id)
      c.readState = readState
      return LoadedConversation(
        conversation: c, transcriptCount: c.transcript.count, notesCount: c.notes.count,
        readState: readState)
    }
    let ruleSet = rules.ruleSet
    let contact = Contact(
      id: row["contact_id"], phone: row["phone"], name: row["name"],
      attributes: storedAttributes(row["attributes"]))
    var c = Conversation(
      id: id, contact: contact, mode: Mode(rawValue: row["mode"]) ?? ruleSet.routing.defaultMode)
    c.assignee = row["assignee"]
    c.presence = Presence(rawValue: row["presence"]) ?? .active
    c.team = (row["team"] as String?).flatMap { ruleSet.team(named: $0)?.id }
    c.priority = Priority(rawValue: row["priority"]) ?? .normal
    c.version = row["version"]
    c.stepCount = row["step_count"]
    c.lastStepTime = (row["last_step_time"] as Double?).map(Date.init(timeIntervalSince1970:))
    c.heldTriggers = storedHeldTriggers(row["held_triggers"], engine: rules.engine)
    for name in try String.fetchAll(
      db, sql: "SELECT label FROM conversation_labels WHERE conversation_id = ?", arguments: [id])
    {
      addStoredLabel(name, to: &c, ruleSet: ruleSet)
    }
    for m in try Row.fetchAll(
      db,
      sql: """
        SELECT direction, author, type, text, attachments, at FROM messages
        WHERE conversation_id = ? AND seq IS NOT NULL ORDER BY seq
        """, arguments: [id])
    {
      c.transcript.append(
        transcriptEntry(
          direction: m["direction"], author: m["author"], type: m["type"], text: m["text"],
          attachments: m["attachments"], at: m["at"]))
    }
    for n in try Row.fetchAll(
      db, sql: "SELECT author, text, at FROM notes WHERE conversation_id = ? ORDER BY id",
      arguments: [id])
    {
      c.notes.append(
        Note(
          at: Date(timeIntervalSince1970: n["at"]), author: n["author"],
          text: n["text"]))
    }
    let readState = try loadReadState(db, id: id)
    c.readState = readState
    return LoadedConversation(
      conversation: c, transcriptCount: c.transcript.count, notesCount: c.notes.count,
      readState: readState)
  }

  static func loadReadState(_ db: Database, id: String) throws -> [String: Int] {
    var readState: [String: Int] = [:]
    for r in try Row.fetchAll(
      db.cachedStatement(
        sql: "SELECT member, read_count FROM read_state WHERE conversation_id = ?"),
      arguments: [id])
    {
      readState[r["member"]] = r["read_count"]
    }
    return readState
  }

  /// What `load` would read back after `save` stored `after`: label reasons replaced by the
  /// placeholder, attributes and times through their stored forms, and only the appended
  /// transcript lines and notes added (they are all `save` writes). Caching exactly this keeps
  /// a step on a cached conversation identical to one on a reloaded conversation.
  static func shapedAsStored(_ after: Conversation, before: LoadedConversation, ruleSet: RuleSet)
    -> Conversation
  {
    func stored(_ date: Date) -> Date { Date(timeIntervalSince1970: date.timeIntervalSince1970) }
    var c = after
    for key in c.labels.keys {
      c.labels[key] = LabelProvenance(
        source: .manual(member: ""), at: Date(timeIntervalSince1970: 0), step: 0)
    }
    c.contact.attributes = c.contact.attributes.mapValues { FieldValue($0.json) }
    // The lines before the step are `after`'s own (the engine only appends); the step's lines
    // take their stored form, rewritten only when one differs: a write to the array `after`
    // shares copies every line. Looked for first, apart from the writes: in one loop the
    // optimiser makes the array unique before it, write or not (seen in `perf`).
    let appended = c.transcript.indices.dropFirst(before.transcriptCount)
    if appended.contains(where: { c.transcript[$0].at != stored(c.transcript[$0].at) }) {
      for index in appended { c.transcript[index].at = stored(c.transcript[index].at) }
    }
    c.notes =
      before.conversation.notes
      + after.notes.dropFirst(before.notesCount).map { note in
        Note(at: stored(note.at), author: note.author, text: note.text)
      }
    c.team = c.team.flatMap { ruleSet.team(named: ruleSet[$0].name)?.id }
    c.lastStepTime = c.lastStepTime.map(stored)
    c.readState = [:]
    return c
  }

  /// Applies one step and saves everything it changed, in the caller's transaction.
  ///
  /// With a cache, the conversation is taken from it when it is current and the saved state is
  /// put back into it (see `ConversationCache` for why a rolled-back step cannot leave a stale
  /// entry in use).
  static func apply(
    _ step: Step, to id: String, in db: Database, rules: LoadedRules, extras: EntryExtras,
    mentions: [String] = [], cache: ConversationCache? = nil, hub: IntegrationHub? = nil
  ) throws -> (Conversation, Decision, DecisionDocument) {
    guard var loaded = try load(db, id: id, rules: rules, cache: cache) else {
      throw StoreError.missingConversation(id)
    }
    // The engine appends the step's lines to the transcript. With no other reference to it —
    // the cache's entry dropped (the step stores its state back), `loaded` keeping only the
    // count of lines — the append is in place; with one, every step copied every line of the
    // conversation, and two conversations growing to 10,000–20,000 messages took the intake
    // from about 3,700 messages a second to 2,000.
    cache?.remove(id: id)
    let conversation = loaded.conversation
    loaded.conversation.transcript = []
    let (after, decision) = rules.engine.apply(step, to: consume conversation)
    let document = DecisionDocument(
      decision, conversation: after, ruleSet: rules.ruleSet, sources: rules.sources)
    do {
      let rows = try save(
        loaded, after: after, decision: decision, document: document, in: db, rules: rules,
        extras: extras, mentions: mentions, action: memberAction(of: step, decision))
      try StepRecords.record(
        step, number: decision.step, before: loaded.conversation, in: db, rules: rules)
      // The integrations' share of the step, in the same transaction (see IntegrationHub).
      try hub?.record(
        StepEffects(
          before: loaded, after: after, step: step, decision: decision, document: document,
          rules: rules, mentions: mentions, messageRows: rows),
        in: db)
    } catch {
      cache?.remove(id: id)
      throw error
    }
    cache?.store(
      shapedAsStored(after, before: loaded, ruleSet: rules.ruleSet), rulesVersion: rules.version)
    return (after, decision, document)
  }

  private static func save(
    _ before: LoadedConversation, after c: Conversation, decision: Decision,
    document: DecisionDocument, in db: Database, rules: LoadedRules, extras: EntryExtras,
    mentions: [String], action: String?
  ) throws -> [Int64] {
    let ruleSet = rules.ruleSet
    var rows: [Int64] = []
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    func json(_ value: some Encodable) -> String {
      (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
    let held = c.heldTriggers.compactMap { rules.engine.triggerNames.name(of: $0) }.sorted()
    let attributes = c.contact.attributes.mapValues(\.json)
    // INVARIANT: saved after a step, so `lastStepTime` is that step's time (the store's
    // `updated_at` orders conversations by their steps, not by when the writer ran).
    let now = c.lastStepTime?.timeIntervalSince1970 ?? 0
    try db.executeCached(
      sql: """
        UPDATE conversations SET contact_id = ?, phone = ?, name = ?, attributes = ?, mode = ?,
          assignee = ?, presence = ?, team = ?, priority = ?, priority_rank = ?, version = ?,
          step_count = ?, last_step_time = ?, held_triggers = ?, transcript_count = ?,
          updated_at = MAX(updated_at, ?)
        WHERE id = ?
        """,
      arguments: [
        c.contact.id, c.contact.phone, c.contact.name, JSONValue.object(attributes).jsonText,
        c.mode.rawValue,
        c.assignee, c.presence.rawValue, c.team.map { ruleSet[$0].name }, c.priority.rawValue,
        rank(c.priority), c.version, c.stepCount, c.lastStepTime?.timeIntervalSince1970,
        JSONValue.array(held.map(JSONValue.string)).jsonText, c.transcript.count, now, c.id,
      ])
    if c.contact.name != before.conversation.contact.name {
      try indexName(db, id: c.id, name: c.contact.name)
    }
    // A phone learnt later (an event naming both) finds this conversation from then on, unless
    // another conversation already owns it.
    if let phone = c.contact.phone, phone != before.conversation.contact.phone {
      _ = try claim("phone:" + phone, for: c.id, in: db)
    }
    for (change, reason) in zip(decision.removed, document.removed) {
      _ = reason
      try db.executeCached(
        sql: "DELETE FROM conversation_labels WHERE conversation_id = ? AND label = ?",
        arguments: [c.id, ruleSet[change.label].name])
    }
    for (change, reason) in zip(decision.added, document.added) {
      try db.executeCached(
        sql: """
          INSERT OR REPLACE INTO conversation_labels (conversation_id, label, reason)
          VALUES (?, ?, ?)
          """,
        arguments: [c.id, ruleSet[change.label].name, json(reason)])
    }
    // By index: `enumerated().dropFirst(n)` walks (and copies) the n earlier lines first.
    for offset in c.transcript.indices.dropFirst(before.transcriptCount) {
      let entry = c.transcript[offset]
      let (direction, author) = storedAuthor(entry.author)
      let attachments = entry.attachments.map {
        AttachmentRow(url: $0.url, type: $0.type, size: $0.size)
      }
      try db.executeCached(
        sql: """
          INSERT INTO messages (conversation_id, seq, direction, author, type, wire_type, text,
            attachments, wa_id, context_id, status, at, raw)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          c.id, offset, direction, author, entry.type?.rawValue,
          extras.wireType ?? entry.type?.rawValue, entry.text,
          attachments.isEmpty ? "[]" : json(attachments),
          extras.whatsappID, extras.contextID,
          direction == "out" ? (extras.status ?? "queued") : nil,
          entry.at.timeIntervalSince1970, extras.raw,
        ])
      rows.append(db.lastInsertedRowID)
      if !entry.text.isEmpty {
        try db.executeCached(
          sql: "INSERT INTO search (conversation_id, kind, text) VALUES (?, 'message', ?)",
          arguments: [c.id, entry.text])
      }
    }
    for note in c.notes.dropFirst(before.notesCount) {
      try db.executeCached(
        sql: "INSERT INTO notes (conversation_id, author, text, mentions, at) VALUES (?,?,?,?,?)",
        arguments: [c.id, note.author, note.text, json(mentions), note.at.timeIntervalSince1970])
    }
    for (member, count) in c.readState where before.readState[member] != count {
      try db.executeCached(
        sql: """
          INSERT INTO read_state (conversation_id, member, read_count) VALUES (?, ?, ?)
          ON CONFLICT(conversation_id, member) DO UPDATE SET read_count = excluded.read_count
          """,
        arguments: [c.id, member, count])
    }
    try db.executeCached(
      sql: """
        INSERT INTO decisions (conversation_id, step, rule_set_version, document, at, action)
        VALUES (?, ?, ?, ?, ?, ?)
        """,
      arguments: [c.id, decision.step, rules.version, json(document), now, action])
    return rows
  }

}

extension Database {
  /// `execute(sql:arguments:)` through GRDB's statement cache: the hot write path runs the same
  /// few statements for every message, so each is compiled once per connection.
  func executeCached(sql: String, arguments: StatementArguments = StatementArguments()) throws {
    try cachedStatement(sql: sql).execute(arguments: arguments)
  }
}
