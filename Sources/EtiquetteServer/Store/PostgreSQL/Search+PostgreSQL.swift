import Foundation
import PostgresNIO

/// Full-text search in PostgreSQL, with the results of SQLite's FTS5 search (`search` table,
/// tokenizer `unicode61 remove_diacritics 2`, every word of the query quoted, all words in one
/// row): a conversation matches when its name, or one of its messages, holds every word of the
/// query, accents and case ignored.
///
/// The words are cut and folded here, in Swift, the way FTS5's tokenizer does it, and reach
/// PostgreSQL as `tsvector` and `tsquery` literals: PostgreSQL's own parser and `unaccent`
/// would cut differently ("rendez-vous" is three lexemes there, two in FTS5) and depend on the
/// database's locale (`[[:alnum:]]` is ASCII under the C locale), so the two stores would
/// disagree on some searches. A GIN index on the `tsvector` serves `@@`.
extension PostgresStore {
  static let searchMigration = Migration(
    name: "search-v1",
    statements: [
      """
      CREATE TABLE search (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        words TSVECTOR NOT NULL
      )
      """,
      "CREATE INDEX search_words ON search USING GIN (words)",
      "CREATE INDEX search_conversation ON search (conversation_id, kind)",
    ])

  /// Indexes one text of a conversation (`kind`: `name` or `message`), in the caller's
  /// transaction.
  static func indexForSearch(
    _ connection: PostgresConnection, conversation: String, kind: String, text: String,
    logger: Logger
  ) async throws {
    try await connection.query(
      """
      INSERT INTO search (conversation_id, kind, text, words)
      VALUES (\(conversation), \(kind), \(text), \(SearchWords.vector(text))::tsvector)
      """, logger: logger)
  }

  /// The condition a conversation list adds for a search (`c` the conversations' alias), and
  /// its bound query; nil when the search has no word (it then filters nothing, as in SQLite).
  static func searchCondition(_ text: String) -> PostgresQuery? {
    var sql = BoundSQL(.numbered)
    guard let condition = searchCondition(text, into: &sql) else { return nil }
    sql.sql = condition
    return query(sql)
  }

  /// The same condition, its query bound into a statement being built (a conversation list's).
  static func searchCondition(_ text: String, into sql: inout BoundSQL) -> String? {
    switch SearchWords.query(text) {
    case .everything: nil
    case .nothing: "FALSE"
    case .words(let query):
      "c.id IN (SELECT conversation_id FROM search WHERE words @@ \(sql.bind(query))::tsquery)"
    }
  }

  /// TEST ONLY outside a transaction: indexes `text` for `conversation`.
  func indexForSearch(conversation: String, kind: String, text: String) async throws {
    try await client.withConnection { connection in
      try await Self.indexForSearch(
        connection, conversation: conversation, kind: kind, text: text, logger: logger)
    }
  }

  /// The conversations a search finds, with no other filter (tests compare them with SQLite's).
  func conversations(matching text: String) async throws -> Set<String> {
    guard case .words(let query) = SearchWords.query(text) else { return [] }
    var found = Set<String>()
    for try await id in try await client.query(
      "SELECT DISTINCT conversation_id FROM search WHERE words @@ \(query)::tsquery",
      logger: logger
    ).decode(String.self) {
      found.insert(id)
    }
    return found
  }
}

/// Words as FTS5's `unicode61` tokenizer with `remove_diacritics 2` cuts and folds them:
/// runs of letters, digits and private-use characters; everything else separates. Each token is
/// lowercased, and its Latin letters lose their diacritics (é → e, œ stays œ, ß stays ß).
enum SearchWords {
  /// PostgreSQL refuses a lexeme longer than 2,047 bytes, and a position above 16,383 is
  /// clamped: such tokens are left out (no search types one).
  static let longestToken = 2_047

  static func tokens(_ text: String) -> [String] {
    var tokens: [String] = []
    var current = String.UnicodeScalarView()
    func flush() {
      if !current.isEmpty, String(current).utf8.count <= longestToken {
        tokens.append(String(current))
      }
      current = String.UnicodeScalarView()
    }
    for scalar in text.unicodeScalars {
      if isTokenScalar(scalar) {
        current.append(contentsOf: fold(scalar))
      } else if isDiacritic(scalar), !current.isEmpty {
        // A combining accent inside a word (a decomposed "é"): removed, as FTS5 does.
        continue
      } else {
        flush()
      }
    }
    flush()
    return tokens
  }

  /// The `tsvector` literal of a text: each token quoted, with its position, so that a phrase
  /// ("rendez-vous") matches adjacent tokens only.
  static func vector(_ text: String) -> String {
    tokens(text).prefix(16_383).enumerated().map { "\(quoted($1)):\($0 + 1)" }
      .joined(separator: " ")
  }

  /// What a search asks for.
  enum Query: Equatable {
    /// No word at all: the search filters nothing (as SQLite's, for a blank search).
    case everything
    /// Words, none with a token ("--"): FTS5 finds nothing, so neither does PostgreSQL.
    case nothing
    /// The `tsquery` literal: every word (split on spaces) required, a word of several tokens
    /// as a phrase.
    case words(String)
  }

  static func query(_ text: String) -> Query {
    let words = text.split(whereSeparator: \.isWhitespace).map { word -> String? in
      let tokens = tokens(String(word))
      guard !tokens.isEmpty else { return nil }
      let phrase = tokens.map(quoted).joined(separator: " <-> ")
      return tokens.count == 1 ? phrase : "(\(phrase))"
    }
    guard !words.isEmpty else { return .everything }
    // FTS5 leaves out a word with no token ("annuler <-> mon" is "annuler mon"), and finds
    // nothing when no word has one ("--").
    let found = words.compactMap { $0 }
    guard !found.isEmpty else { return .nothing }
    return .words(found.joined(separator: " & "))
  }

  private static func quoted(_ token: String) -> String {
    "'"
      + token.replacingOccurrences(of: "\\", with: "\\\\")
      .replacingOccurrences(of: "'", with: "''") + "'"
  }

  private static func isTokenScalar(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
      .decimalNumber, .letterNumber, .otherNumber, .privateUse:
      true
    default: false
    }
  }

  private static func isDiacritic(_ scalar: Unicode.Scalar) -> Bool {
    scalar.properties.generalCategory == .nonspacingMark
  }

  /// Lowercase, without the accents of a precomposed Latin letter. FTS5 removes the accents of
  /// Latin letters only (Latin-1 to Latin Extended-B, Latin Extended Additional): "Δημήτρης"
  /// keeps its tonos there, so it keeps it here.
  private static func fold(_ scalar: Unicode.Scalar) -> String.UnicodeScalarView {
    let lowered = String(scalar).lowercased()
    guard (0xC0...0x24F).contains(scalar.value) || (0x1E00...0x1EFF).contains(scalar.value)
    else { return lowered.unicodeScalars }
    let decomposed = lowered.decomposedStringWithCanonicalMapping.unicodeScalars
    var folded = String.UnicodeScalarView()
    for part in decomposed where !isDiacritic(part) { folded.append(part) }
    return folded.isEmpty ? lowered.unicodeScalars : folded
  }
}
