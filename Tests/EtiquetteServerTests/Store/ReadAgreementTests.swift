import EtiquetteChecker
import EtiquetteEngine
import Foundation
import Testing

@testable import EtiquetteServer

/// The read side of the PostgreSQL store answers what SQLite's answers: the same rows written
/// into both (`TestInboxRows`), the same questions asked of both, the same answers — lists
/// and their cursors in every sort, counts, details and visibility (`all except` included),
/// notifications, sessions, statistics, the steps' history, failed messages and inspection.
@Suite struct ReadAgreementTests {
  static let rules: LoadedRules = {
    let path = ServerHarness.fixtures.appendingPathComponent("rules/complete.etq").path
    guard case .success(let loaded) = RuleLoading.load(path: path) else {
      fatalError("the fixture rules do not load")
    }
    return loaded
  }()

  static let members = ServerHarness.members + ["nobody@exemple.fr"]

  static let planned = "Personnes Qui Ont Planifié"
  static let orders = "Demandes de Commande"
  static let support = "Support Technique"
  static let sales = "Demandes de Vente"

  /// Conversations with every kind of label (one the rules do not define), ties on the sort
  /// keys, unread and read lines, mentions, media, suggestions and notifications.
  static let rows: TestInboxRows = {
    var rows = TestInboxRows()
    let labels: [String: [String]] = [
      "c1": [planned], "c2": [orders], "c3": [support], "c4": [], "c5": ["Ancien Label"],
      "c6": [sales, "VIP"], "c7": [orders, support], "c8": [], "c9": [orders],
    ]
    var messageID: Int64 = 0
    for (index, id) in labels.keys.sorted().enumerated() {
      // Ties: c1–c3 share their update time, c4–c6 their rank and time.
      let updated = index < 3 ? 5_000.0 : index < 6 ? 4_000.0 : 3_000.0 - Double(index)
      rows.conversations.append(
        TestInboxRows.Conversation(
          id: id, phone: "+3360000000\(index)", name: "Contact \(id)",
          attributes: #"{"tier":"standard"}"#, mode: index % 2 == 0 ? "ai" : "human",
          assignee: index == 2 ? "bruno@exemple.fr" : nil, team: index == 3 ? "Support" : nil,
          priority: index == 7 ? "urgent" : "normal", priorityRank: index == 7 ? 3 : 1,
          version: index + 1, stepCount: index + 1, transcriptCount: 2,
          createdAt: 1_000 + Double(index), updatedAt: updated))
      for label in labels[id] ?? [] {
        rows.labels.append(.init(conversation: id, label: label, reason: #"{"label":"\#(label)"}"#))
      }
      let lastIn = index % 3 != 1
      messageID += 1
      rows.messages.append(
        .init(
          id: messageID, conversation: id, seq: 1, direction: "in", author: "customer",
          type: "text", text: "Bonjour \(id), ma commande", whatsappID: "wamid.\(id).1",
          at: updated - 10))
      messageID += 1
      rows.messages.append(
        .init(
          id: messageID, conversation: id, seq: 2, direction: lastIn ? "in" : "out",
          author: lastIn ? "customer" : "bruno@exemple.fr", type: "text",
          text: "Suite \(id)",
          attachments: id == "c2"
            ? #"[{"type":"image","url":"https://inbox.example/v1/media/m1"}]"# : "[]",
          whatsappID: "wamid.\(id).2", status: lastIn ? nil : "failed",
          errors: lastIn ? nil : #"[{"code":131047,"title":"Re-engagement message"}]"#,
          sendAttempts: lastIn ? 0 : 2, at: updated - 5))
      rows.searchTexts.append((id, "name", "Contact \(id)"))
    }
    rows.searchTexts.append(("c2", "message", "Où est ma commande ?"))
    rows.searchTexts.append(("c7", "message", "Ma commande plante"))
    rows.notes = [
      .init(
        id: 1, conversation: "c2", author: "manon@exemple.fr", text: "@bruno regarde",
        mentions: #"["bruno@exemple.fr"]"#, at: 4_990),
      .init(
        id: 2, conversation: "c3", author: "manon@exemple.fr", text: "@dev",
        mentions: #"["dev@exemple.fr","alice@exemple.fr"]"#, at: 4_991),
    ]
    rows.readStates = [
      .init(conversation: "c2", member: "bruno@exemple.fr", count: 2),
      .init(conversation: "c4", member: "bruno@exemple.fr", count: 1),
      .init(conversation: "c1", member: "alice@exemple.fr", count: 2),
    ]
    var notificationID: Int64 = 0
    for member in ["bruno@exemple.fr", "dev@exemple.fr", "alice@exemple.fr"] {
      for id in ["c1", "c2", "c3", "c5", "c7", "c9", "c2"] {
        notificationID += 1
        rows.notifications.append(
          .init(
            id: notificationID, member: member, conversation: id, reason: "team",
            team: "Service Client", text: "Nouveau message \(notificationID)",
            createdAt: 2_000 + Double(notificationID),
            readAt: notificationID % 4 == 0 ? 3_000 : nil))
      }
    }
    rows.media = [
      .init(
        id: "m1", conversation: "c2", status: "stored", mimeType: "image/jpeg",
        sha256: "abc", bytes: Data((0..<2_500).map { UInt8($0 % 251) }), at: 4_000),
      .init(id: "m2", conversation: "c3", kind: "audio", status: "pending", at: 4_000),
      .init(id: "m3", conversation: "c2", status: "failed", error: "gone", at: 4_000),
    ]
    rows.suggestions = (1...3).map {
      .init(
        id: Int64($0), conversation: "c2", version: $0, text: "Suggestion \($0)",
        createdAt: 4_000 + Double($0))
    }
    rows.webhooks = [(1, "{}", 100), (2, "{\"b\":1}", 101)]
    rows.failures = [
      .init(webhook: 1, whatsappID: "wamid.f1", error: "bad", failedAt: 100),
      .init(webhook: 1, whatsappID: "wamid.f2", error: "no id", retryable: false, failedAt: 101),
      .init(
        webhook: 2, whatsappID: "wamid.f3", error: "fixed", attempts: 2, failedAt: 102,
        resolvedAt: 200),
      .init(webhook: 2, whatsappID: "wamid.f4", error: "bad again", failedAt: 103),
    ]
    return rows
  }()

  /// SQLite and PostgreSQL stores holding `rows`.
  func withBothStores(
    _ rows: TestInboxRows, clock: WallClock = .fixed(Date(timeIntervalSince1970: 10_000)),
    icuLocale: String? = nil, _ body: (SQLiteStore, PostgresStore) async throws -> Void
  ) async throws {
    try #require(
      TestPostgres.address != nil || !TestPostgres.required, "ETIQUETTE_TEST_POSTGRES_URL unset")
    guard TestPostgres.address != nil else { return }
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("etiquette-read-\(UUID().uuidString).db").path
    let sqlite = try SQLiteStore(path: path, clock: clock)
    try await sqlite.insertTestRows(rows)
    try await TestPostgres.withDatabase(icuLocale: icuLocale) { address in
      let postgres = try await PostgresStore.open(
        address, clock: clock, maximumConnections: 4, connectTimeout: TestPostgres.patience)
      do {
        try await postgres.insertTestRows(rows)
        try await body(sqlite, postgres)
      } catch {
        await postgres.close()
        throw error
      }
      await postgres.close()
    }
  }

  /// Every page of `query` for `member`, following the cursors.
  func allPages(
    _ store: any ConversationReads, member: String, query: ConversationListQuery
  ) async throws -> [[ConversationSummary]] {
    var pages: [[ConversationSummary]] = []
    var query = query
    for _ in 0..<20 {
      let page = try await store.conversationPage(member: member, query: query, rules: Self.rules)
      pages.append(page.conversations)
      guard let next = page.nextCursor else { break }
      query.cursor = next
    }
    return pages
  }

  static var queries: [ConversationListQuery] {
    func query(_ change: (inout ConversationListQuery) -> Void) -> ConversationListQuery {
      var query = ConversationListQuery()
      query.limit = 2
      change(&query)
      return query
    }
    let filters: [(inout ConversationListQuery) -> Void] = [
      { _ in }, { $0.label = orders }, { $0.anyLabels = [orders, support] },
      { $0.allLabels = [orders, support] }, { $0.noLabels = [orders] },
      { $0.mentioning = "bruno@exemple.fr" }, { $0.mentioning = "alice@exemple.fr" },
      { $0.awaitingReply = true }, { $0.unread = true }, { $0.unread = false },
      { $0.mode = "human" }, { $0.assignee = "bruno@exemple.fr" }, { $0.text = "commande" },
      { $0.text = "ma commande plante" }, { $0.text = "--" }, { $0.text = "  " },
      { $0.limit = 500 },
    ]
    return filters.flatMap { filter in
      [ConversationListQuery.Sort.recent, .priority].map { sort in
        query {
          filter(&$0)
          $0.sort = sort
        }
      }
    }
  }

  @Test func listsCountsAndDetailsAgree() async throws {
    try await withBothStores(Self.rows) { sqlite, postgres in
      var compared = 0
      for member in Self.members {
        for query in Self.queries {
          let expected = try await allPages(sqlite, member: member, query: query)
          let found = try await allPages(postgres, member: member, query: query)
          #expect(found == expected, "\(member) \(query)")
          for limit in [100, 2] {
            let count = try await sqlite.conversationCount(
              member: member, query: query, rules: Self.rules, limit: limit)
            #expect(
              try await postgres.conversationCount(
                member: member, query: query, rules: Self.rules, limit: limit) == count)
          }
          compared += 1
        }
        let engine = Self.rules.engine
        let ruleSet = Self.rules.ruleSet
        for id in Self.rows.conversations.map(\.id) + ["absent"] {
          let mayView: @Sendable ([String]) -> Bool = { labels in
            engine.can(
              member, .view, labels: ConversationService.labelIDs(labels, ruleSet: ruleSet)
            ).allowed
          }
          let expected = try await sqlite.conversationDetail(
            id: id, member: member, rules: Self.rules, mayView: mayView)
          #expect(
            try await postgres.conversationDetail(
              id: id, member: member, rules: Self.rules, mayView: mayView) == expected)
        }
      }
      #expect(compared == Self.members.count * Self.queries.count)
      // The visibility really filters: `all except` keeps c5's undefined label out.
      let bruno = try await allPages(
        postgres, member: "bruno@exemple.fr", query: ConversationListQuery())
      let ids = Set(bruno.joined().map(\.id))
      #expect(!ids.contains("c5") && !ids.contains("c3") && ids.contains("c2"))
      let detail = try await postgres.conversationDetail(
        id: "c2", member: "bruno@exemple.fr", rules: Self.rules, mayView: { _ in true })
      #expect(detail?.transcript.last?.error?.code == 131047)
      #expect(detail?.notes.first?.mentions == ["bruno@exemple.fr"])
      await #expect(throws: CursorError.self) {
        var query = ConversationListQuery()
        query.cursor = "not a cursor"
        _ = try await postgres.conversationPage(
          member: "manon@exemple.fr", query: query, rules: Self.rules)
      }
    }
  }

  /// Ids that a locale orders otherwise than bytes (`_` and `-` ignored, case folded): the
  /// pages follow SQLite's order, their cursors neither skip nor repeat a row.
  @Test func pagesFollowTheBytesOfIdsWhateverTheLocale() async throws {
    var rows = TestInboxRows()
    for (index, id) in ["c-1", "c_2", "C3", "c2", "b-9", "B_8", "c1"].enumerated() {
      rows.conversations.append(
        .init(id: id, createdAt: Double(index), updatedAt: 100))
    }
    try await withBothStores(rows, icuLocale: "en-US") { sqlite, postgres in
      for sort in [ConversationListQuery.Sort.recent, .priority] {
        var query = ConversationListQuery()
        query.limit = 1
        query.sort = sort
        let expected = try await allPages(sqlite, member: "manon@exemple.fr", query: query)
        #expect(expected.joined().map(\.id) == ["c_2", "c2", "c1", "c-1", "b-9", "C3", "B_8"])
        #expect(try await allPages(postgres, member: "manon@exemple.fr", query: query) == expected)
      }
      let expected = try await sqlite.inspection.conversations()
      #expect(try await postgres.inspection().conversations() == expected)
    }
  }

  struct Refused: Error {}

  @Test func markReadSuggestionsAndMediaAgree() async throws {
    try await withBothStores(Self.rows) { sqlite, postgres in
      let hub = IntegrationHub(
        configuration: ServerConfiguration(), clock: .fixed(Date(timeIntervalSince1970: 10_000)))
      let authorize: @Sendable ([String]?) throws -> Void = { labels in
        guard labels != nil else { throw Refused() }
      }
      for (id, read) in [("c2", false), ("c2", true), ("c4", true), ("c1", false)] {
        let expected = try await sqlite.markRead(
          conversation: id, member: "bruno@exemple.fr", read: read, hub: hub,
          authorize: authorize)
        let found = try await postgres.markRead(
          conversation: id, member: "bruno@exemple.fr", read: read, hub: hub,
          authorize: authorize)
        #expect(found == expected)
      }
      await #expect(throws: Refused.self) {
        _ = try await postgres.markRead(
          conversation: "absent", member: "bruno@exemple.fr", read: true, hub: hub,
          authorize: authorize)
      }
      let detail = { (store: any ConversationReads) in
        try await store.conversationDetail(
          id: "c2", member: "bruno@exemple.fr", rules: Self.rules, mayView: { _ in true })
      }
      #expect(try await detail(postgres) == detail(sqlite))
      let events = try await postgres.storedLiveEventsForTests()
      #expect(events.count == 4)
      #expect(events.allSatisfy { $0.audience == #"{"member":{"_0":"bruno@exemple.fr"}}"# })
      #expect(events.first?.events.contains("read_state.changed") == true)
      #expect(events.allSatisfy { !$0.countsAsChange })

      let expected = try await sqlite.aiSuggestions(conversation: "c2", authorize: authorize)
      #expect(
        try await postgres.aiSuggestions(conversation: "c2", authorize: authorize) == expected)
      #expect(expected.map(\.id) == [3, 2, 1])
      await #expect(throws: Refused.self) {
        _ = try await postgres.aiSuggestions(conversation: "absent", authorize: authorize)
      }

      for id in ["m1", "m2", "m3", "absent"] {
        let a = try await sqlite.media(id: id) { _ in true }
        let b = try await postgres.media(id: id) { _ in true }
        #expect(a?.status == b?.status && a?.mimeType == b?.mimeType && a?.size == b?.size)
        #expect(a?.sha256 == b?.sha256 && a?.error == b?.error && a?.kind == b?.kind)
        #expect((a == nil) == (b == nil))
      }
      #expect(try await postgres.media(id: "m1") { _ in false } == nil)
      guard
        case .stored(let load)? = try await postgres.media(id: "m1", mayView: { _ in true })?
          .content
      else {
        Issue.record("PostgreSQL's media bytes are not in the store")
        return
      }
      #expect(try await load() == Self.rows.media[0].bytes)
      guard
        case .file(let name)? = try await sqlite.media(id: "m1", mayView: { _ in true })?
          .content
      else {
        Issue.record("SQLite's media is not a file")
        return
      }
      #expect(name == "m1")
    }
  }

  @Test func notificationsAgree() async throws {
    try await withBothStores(Self.rows) { sqlite, postgres in
      let hub = IntegrationHub(
        configuration: ServerConfiguration(), clock: .fixed(Date(timeIntervalSince1970: 10_000)))
      func pages(_ store: any NotificationStore, member: String, unreadOnly: Bool) async throws
        -> [MemberNotifications.Page]
      {
        var pages: [MemberNotifications.Page] = []
        var before: Int64?
        for _ in 0..<20 {
          let page = try await store.notificationPage(
            member: member, unreadOnly: unreadOnly, limit: 2, before: before, rules: Self.rules)
          pages.append(page)
          guard let next = page.nextBefore else { break }
          before = next
        }
        return pages
      }
      func same(_ member: String) async throws {
        for unreadOnly in [false, true] {
          let expected = try await pages(sqlite, member: member, unreadOnly: unreadOnly)
          let found = try await pages(postgres, member: member, unreadOnly: unreadOnly)
          #expect(found.map(\.notifications) == expected.map(\.notifications))
          #expect(found.map(\.unread) == expected.map(\.unread))
          #expect(found.map(\.unreadByLabel) == expected.map(\.unreadByLabel))
          #expect(found.map(\.nextBefore) == expected.map(\.nextBefore))
        }
      }
      for member in Self.members { try await same(member) }
      for (member, id) in [
        ("bruno@exemple.fr", Int64(2)), ("bruno@exemple.fr", 2), ("bruno@exemple.fr", 9),
        ("dev@exemple.fr", nil), ("dev@exemple.fr", nil), ("alice@exemple.fr", 999),
      ] as [(String, Int64?)] {
        let expected = try await sqlite.markNotificationsRead(member: member, id: id, hub: hub)
        #expect(
          try await postgres.markNotificationsRead(member: member, id: id, hub: hub) == expected)
      }
      for member in Self.members { try await same(member) }
      let events = try await postgres.storedLiveEventsForTests()
      #expect(events.count == 2)
      #expect(events.last?.events.contains("notification.read") == true)
      #expect(events.allSatisfy { $0.countsAsChange })
    }
  }

  @Test func sessionsAndMemberActivityAgree() async throws {
    try await withBothStores(Self.rows) { sqlite, postgres in
      func run(_ store: any WebSessionStore & MemberDirectory & MemberActivityStore) async throws
        -> [String]
      {
        var log: [String] = []
        func note(_ value: Any?) { log.append(String(describing: value)) }
        try await store.storeInvitation(email: "a@x.fr", tokenHash: "t1", expiresAt: 500)
        try await store.storeInvitation(email: "b@x.fr", tokenHash: "t2", expiresAt: 50)
        try await store.storeInvitation(email: "c@x.fr", tokenHash: "t3", expiresAt: 900)
        note(try await store.invitedMember(tokenHash: "t1", now: 100))
        note(try await store.invitedMember(tokenHash: "t2", now: 100))
        note(try await store.memberActivity(now: 100).sorted { $0.key < $1.key })
        note(try await store.acceptInvitation(tokenHash: "t1", passwordHash: "h1", now: 110))
        note(try await store.acceptInvitation(tokenHash: "t1", passwordHash: "h2", now: 111))
        note(try await store.acceptInvitation(tokenHash: "t2", passwordHash: "h2", now: 112))
        note(try await store.passwordHash(email: "a@x.fr"))
        note(try await store.passwordHash(email: "b@x.fr"))
        try await store.storeSession(idHash: "s1", email: "a@x.fr", now: 120)
        try await store.storeSession(idHash: "s2", email: "a@x.fr", now: 130)
        try await store.storeSession(idHash: "s3", email: "a@x.fr", now: 140)
        note(try await store.memberActivity(now: 150).sorted { $0.key < $1.key })
        note(try await store.sessionMember(idHash: "s1", now: 200, idleSince: 100, touch: true))
        note(try await store.sessionMember(idHash: "s1", now: 300, idleSince: 250, touch: false))
        note(try await store.sessionMember(idHash: "s2", now: 300, idleSince: 250, touch: true))
        note(try await store.sessionMember(idHash: "s2", now: 300, idleSince: 0, touch: true))
        note(try await store.sessionMember(idHash: "nope", now: 300, idleSince: 0, touch: true))
        note(try await store.memberActivity(now: 150).sorted { $0.key < $1.key })
        try await store.deleteSession(idHash: "s1")
        note(try await store.sessionMember(idHash: "s1", now: 300, idleSince: 0, touch: true))
        note(try await store.sessionMember(idHash: "s3", now: 300, idleSince: 0, touch: true))
        _ = try await store.addMember("a@x.fr")
        note(try await store.isRevoked(email: "a@x.fr"))
        _ = try await store.revokeMember("a@x.fr")
        note(try await store.isRevoked(email: "a@x.fr"))
        note(try await store.isRevoked(email: "z@x.fr"))
        note(try await store.sessionMember(idHash: "s3", now: 300, idleSince: 0, touch: true))
        try await store.storeSession(idHash: "s4", email: "c@x.fr", now: 400)
        try await store.deleteSessions(email: "c@x.fr")
        note(try await store.sessionMember(idHash: "s4", now: 400, idleSince: 0, touch: true))
        note(
          try await store.conversationPreviews(ids: ["c1", "c2", "absent"]).sorted {
            $0.key < $1.key
          })
        note(try await store.conversationPreviews(ids: []))
        return log
      }
      let expected = try await run(sqlite)
      #expect(try await run(postgres) == expected)
      #expect(expected[0] == #"Optional("a@x.fr")"#)
    }
  }

  @Test func statisticsAgree() async throws {
    var rows = Self.rows
    // Days around a change to summer time in Paris (2026-03-29 01:00 UTC).
    let change = 1_774_746_000.0
    let start = change - 3 * 86_400 + 3_600
    let days = StatisticsDays(
      first: Int((start + 3_600) / 86_400), count: 6, start: start, end: start + 6 * 86_400,
      offsets: [.init(from: start, seconds: 3_600), .init(from: change, seconds: 7_200)])
    var id: Int64 = 100
    for (index, conversation) in ["c1", "c2", "c3", "c4"].enumerated() {
      for hour in stride(from: 0, to: 140, by: 7 + index) {
        let at = start + Double(hour) * 3_600 + Double(index) * 61
        id += 1
        let reply = hour % 3 == 0
        rows.messages.append(
          .init(
            id: id, conversation: conversation,
            direction: reply
              ? (hour % 2 == 0 ? "out" : "echo")
              : "in",
            author: reply ? (hour % 5 == 0 ? "ai" : "bruno@exemple.fr") : "customer",
            text: "m\(id)", at: at))
      }
    }
    rows.notifications.append(
      .init(id: 500, member: "bruno@exemple.fr", conversation: "c1", text: "n", createdAt: change))
    rows.decisions = [
      .init(
        id: 1, conversation: "c1", step: 1,
        document:
          #"{"added":[{"label":"VIP","reason":{}}],"route":{"mode":"human","outcome":"rule"}}"#,
        action: nil, at: start + 10),
      .init(
        id: 2, conversation: "c2", step: 1,
        document: #"{"added":[],"route":{"mode":"ai","outcome":"default"}}"#, action: nil,
        at: change + 10),
      .init(
        id: 3, conversation: "c2", step: 2,
        document:
          #"{"added":[{"label":"Support Technique"},{"label":"VIP"}],"route":{"mode":"ai","outcome":"held"}}"#,
        action: "take_over", at: change + 20),
      .init(
        id: 4, conversation: "c3", step: 1, document: #"{"added":[],"route":null}"#,
        action: "transfer_to_ai", at: start + 86_400 * 4),
    ]
    try await withBothStores(rows) { sqlite, postgres in
      let expected = try await sqlite.dailyStatistics(days)
      #expect(try await postgres.dailyStatistics(days) == expected)
      #expect(!expected.messagesIn.isEmpty && !expected.firstHumanReply.isEmpty)
      #expect(!expected.labelled.isEmpty && !expected.handoffs.isEmpty)
      #expect(expected.routedToAI.values.reduce(0, +) == 1)
      // One zone offset only.
      var utc = days
      utc.offsets = [.init(from: start, seconds: 0)]
      #expect(try await postgres.dailyStatistics(utc) == sqlite.dailyStatistics(utc))
    }
  }

  @Test func renamedLabelsAgree() async throws {
    var rows = Self.rows
    rows.labels.append(.init(conversation: "c6", label: "Ancien Label", reason: "not json"))
    rows.labels.append(.init(conversation: "c9", label: "Ancien Label", reason: #"["a"]"#))
    let held = #"["routing|when label \"\#(Self.orders)\" -> human","when|\#(Self.orders)|0"]"#
    for index in rows.conversations.indices where rows.conversations[index].id == "c2" {
      rows.conversations[index].heldTriggers = held
    }
    try await withBothStores(rows) { sqlite, postgres in
      #expect(try await postgres.storedLabelCounts() == sqlite.storedLabelCounts())
      let renames = [Self.orders: "Commandes", "Ancien Label": Self.sales]
      let moved = try await sqlite.renameStoredLabels(renames)
      #expect(try await postgres.renameStoredLabels(renames) == moved)
      #expect(moved == [Self.orders: 3, "Ancien Label": 3])
      #expect(try await postgres.storedLabelCounts() == sqlite.storedLabelCounts())
      #expect(try await postgres.renameStoredLabels([:]) == [:])
      for id in rows.conversations.map(\.id) {
        let a = try await sqlite.conversationDetail(
          id: id, member: "manon@exemple.fr", rules: Self.rules, mayView: { _ in true })
        let b = try await postgres.conversationDetail(
          id: id, member: "manon@exemple.fr", rules: Self.rules, mayView: { _ in true })
        #expect(b == a, "\(id)")
      }
      let c2 = try await postgres.inspection().conversations().first { $0.id == "c2" }
      #expect(try await sqlite.inspection.conversations().first { $0.id == "c2" } == c2)
      #expect(
        c2?.heldTriggers == [#"routing|when label "Commandes" -> human"#, "when|Commandes|0"])
    }
  }

  @Test func historyFailuresAndInspectionAgree() async throws {
    var rows = Self.rows
    for step in 1...7 {
      rows.stepInputs.append(
        .init(
          conversation: step % 2 == 0 ? "c1" : "c2", step: step, line: "message \(step)",
          at: 1_000 + Double(step)))
    }
    try await withBothStores(rows) { sqlite, postgres in
      let from = Date(timeIntervalSince1970: 1_002)
      let to = Date(timeIntervalSince1970: 1_007)
      #expect(
        try await postgres.stepCount(from: from, to: to) == sqlite.stepCount(from: from, to: to))
      func read(_ store: any StepHistory) async throws -> [[StoredStep]] {
        var pages: [[StoredStep]] = []
        var cursor: Int64?
        while pages.count < 10 {
          let page = try await store.steps(from: from, to: to, after: cursor, limit: 2)
          if page.isEmpty { break }
          pages.append(page)
          cursor = page.last?.cursor
        }
        return pages
      }
      let steps = try await read(sqlite)
      #expect(try await read(postgres) == steps)
      #expect(steps.joined().count == 5)
      #expect(
        try await postgres.labels(ofConversations: ["c7", "c4", "absent"]).mapValues { $0.sorted() }
          == sqlite.labels(ofConversations: ["c7", "c4", "absent"]).mapValues { $0.sorted() })

      for status in [nil, "open", "unusable", "resolved", "other"] as [String?] {
        var filter = MessageFailureFilter(status: status, limit: 2, before: nil)
        for _ in 0..<5 {
          let expected = try await sqlite.messageFailures(filter)
          let found = try await postgres.messageFailures(filter)
          #expect(found.map(\.key) == expected.map(\.key))
          #expect(
            found.map { "\($0.document)" } == expected.map { "\($0.document)" }, "\(filter)")
          guard expected.count == filter.limit, let last = expected.last else { break }
          filter.before = last.key
        }
      }

      let a = sqlite.inspection
      let b = try await postgres.inspection()
      #expect(try await b.counts() == a.counts())
      #expect(try await b.conversations() == a.conversations())
      #expect(try await b.messages() == a.messages())
      #expect(try await b.messages(inConversation: "c2") == a.messages(inConversation: "c2"))
      #expect(try await b.decisions() == a.decisions())
      #expect(try await b.notifications() == a.notifications())
      #expect(try await b.deliveries() == a.deliveries())
      #expect(try await b.aiRequests() == a.aiRequests())
      #expect(try await b.messageFailures() == a.messageFailures())
      #expect(try await b.webhooks() == a.webhooks())
      for phone in ["+33600000001", "33600000001", "+1555"] {
        #expect(try await b.conversationID(forPhone: phone) == a.conversationID(forPhone: phone))
      }
      var media = try await a.media(id: "m1")
      media?.file = nil
      #expect(try b.media(id: "m1") == media)
      #expect(try await b.media(id: "m2") == a.media(id: "m2"))
    }
  }
}

/// The conversation reads both stores implement (PostgreSQL's write path is not here yet, so it
/// is not a whole `ConversationStore`).
protocol ConversationReads: Sendable {
  func conversationPage(member: String, query: ConversationListQuery, rules: LoadedRules)
    async throws -> ConversationPage
  func conversationDetail(
    id: String, member: String, rules: LoadedRules,
    mayView: @escaping @Sendable ([String]) -> Bool
  ) async throws -> ConversationDetail?
}

extension SQLiteStore: ConversationReads {}
extension PostgresStore: ConversationReads {}
