import Foundation
import GRDB
import Testing

@testable import EtiquetteServer

/// PostgreSQL's search finds what SQLite's FTS5 search finds: the same corpus indexed in both,
/// the same searches typed, the same conversations found (SQLite's side is the production
/// table definition and query builder, `ConversationQueries.ftsQuery`).
@Suite struct SearchAgreementTests {
  /// Conversation id → its texts (a name, then messages).
  static let corpus: [String: [String]] = [
    "c1": ["Élodie Février", "Bonjour, je voudrais annuler mon rendez-vous de jeudi."],
    "c2": ["Chloé", "L'été dernier, ma commande n°4521 n'est jamais arrivée !"],
    "c3": ["John O'Brien", "Hello, I'd like a REFUND for order #4521 please"],
    "c4": ["Ça va", "ÇA NE MARCHE PAS : écran noir après la mise à jour 2.3.1"],
    "c5": ["Zoë", "Rendez vous demain ? Mon e-mail : zoe.dupont@exemple.fr"],
    "c6": ["Œuvre", "cœur, sœur et Straße — garçon naïf à Noël"],
    "c7": ["Müller", "Remboursement svp… merci d’avance (déjà payé 49,90 €)"],
    "c8": ["Δημήτρης", "Привет! 你好 — κόσμε"],
    "c9": ["Rene\u{301}e", "cafe\u{301} cre\u{300}me; résumé"],
  ]

  static let searches = [
    "annuler", "ANNULER rendez-vous", "rendez-vous", "rendez vous", "vous rendez",
    "ete", "été", "l'été", "commande 4521", "4521", "refund", "Refund order", "o'brien",
    "brien", "ca marche", "ça", "ecran noir", "2.3.1", "2.3", "3.1", "zoe", "zoë",
    "zoe.dupont@exemple.fr", "exemple", "coeur", "cœur", "soeur", "strasse", "straße",
    "garcon naif", "noel", "remboursement", "deja paye", "49,90", "49", "€", "mercid",
    "d’avance", "davance", "δημητρης", "привет", "你好", "κοσμε", "renee", "creme", "cafe",
    "resume", "δημήτρης", "ΚΌΣΜΕ", "bonjour annuler", "bonjour refund", "élodie février", "fevrier",
    "\"annuler\"",
    "annuler*", "annul", "-annuler", "annuler OR refund", "NEAR(annuler)", "--", "  ", "a",
    "à", "l", "i", "d",
    // What tsquery or FTS5 would read as syntax is plain text.
    "annuler' | 'refund", "annuler & !refund", "annuler:*", "(annuler)", "\\annuler",
    "annuler <-> mon", "'", "!", "annuler -- refund", "-- ...",
    // A NUL separates words (it ended SQLite's query early: a 500).
    "ann\u{0}uler", "rendez\u{0}vous",
  ]

  @Test func theSameSearchesFindTheSameConversationsInBothStores() async throws {
    try #require(
      TestPostgres.address != nil || !TestPostgres.required, "ETIQUETTE_TEST_POSTGRES_URL unset")
    let sqlite = try DatabaseQueue()
    try await sqlite.write { db in
      try db.execute(
        sql: """
          CREATE VIRTUAL TABLE search USING fts5(
            conversation_id UNINDEXED, kind UNINDEXED, text,
            tokenize = 'unicode61 remove_diacritics 2')
          """)
      for (id, texts) in Self.corpus {
        for (index, text) in texts.enumerated() {
          try db.execute(
            sql: "INSERT INTO search (conversation_id, kind, text) VALUES (?, ?, ?)",
            arguments: [id, index == 0 ? "name" : "message", text])
        }
      }
    }
    var expected: [String: Set<String>] = [:]
    for search in Self.searches {
      guard let fts = ConversationQueries.ftsQuery(search) else {
        expected[search] = nil
        continue
      }
      expected[search] = try await sqlite.read { db in
        Set(
          try String.fetchAll(
            db, sql: "SELECT DISTINCT conversation_id FROM search WHERE search MATCH ?",
            arguments: [fts]))
      }
    }
    #expect(expected["été"] == ["c2"] && expected["rendez-vous"] == ["c1", "c5"])
    guard TestPostgres.address != nil else { return }
    try await StoreKind.postgres.withStore(clock: .fixed(Date(timeIntervalSince1970: 0))) {
      store in
      let postgres = try #require(store as? PostgresStore)
      for (id, texts) in Self.corpus {
        for (index, text) in texts.enumerated() {
          do {
            try await postgres.indexForSearch(
              conversation: id, kind: index == 0 ? "name" : "message", text: text)
          } catch {
            throw PostgresStoreError.readable(error)
          }
        }
      }
      for search in Self.searches {
        let found: Set<String>
        do {
          found = try await postgres.conversations(matching: search)
        } catch {
          throw PostgresStoreError.readable(error)
        }
        #expect(found == expected[search] ?? [], "search \"\(search)\"")
      }
    }
  }
}

/// How PostgreSQL's search cuts words and writes its literals (no server needed).
@Suite struct SearchWordsTests {
  @Test(arguments: [
    ("L'été, rendez-vous à 9h30 !", ["l", "ete", "rendez", "vous", "a", "9h30"]),
    ("CŒUR Straße Zoë", ["cœur", "straße", "zoe"]),
    ("Δημήτρης 你好", ["δημήτρης", "你好"]),
    ("cafe\u{301}", ["cafe"]),
    ("--- ... ", []),
  ])
  func tokensAreCutAndFoldedAsFTS5Does(text: String, tokens: [String]) {
    #expect(SearchWords.tokens(text) == tokens)
  }

  @Test func aVectorKeepsPositionsAndAQueryRequiresEveryWord() {
    #expect(SearchWords.vector("Rendez-vous demain") == "'rendez':1 'vous':2 'demain':3")
    #expect(SearchWords.query("rendez-vous DEMAIN") == .words("('rendez' <-> 'vous') & 'demain'"))
    #expect(SearchWords.query("  ") == .everything)
    #expect(SearchWords.query("-- !") == .nothing)
    #expect(SearchWords.query("a'b|c") == .words("('a' <-> 'b' <-> 'c')"))
  }
}
