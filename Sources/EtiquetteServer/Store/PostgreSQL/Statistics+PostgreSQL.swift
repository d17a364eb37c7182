import Foundation
import Logging
import PostgresNIO

/// The dashboard's figures in PostgreSQL: SQLite's aggregates (`Statistics+SQLite.swift`),
/// figure for figure, in one read-only snapshot. What is spelled differently, and why the
/// results stay the same:
///
/// - a day is `trunc(…)::bigint`: SQLite's `CAST(… AS INTEGER)` truncates, PostgreSQL's rounds;
/// - decision documents are read with `json` operators where SQLite uses `json_extract` and
///   `json_each` (`json`, not `jsonb`: a document may hold `\u0000`);
/// - SQLite's two-argument `MAX(a, b)` is NULL when either is; `GREATEST` ignores NULLs, so a
///   reply that answered no customer message keeps its NULL wait (and is left out) explicitly;
/// - the median and the 90th percentile use SQLite's interpolation formula rather than
///   `percentile_cont`, so both stores add the same two weighted waits.
extension PostgresStore: InboxStatistics {
  func dailyStatistics(_ days: StatisticsDays) async throws -> DailyStatistics {
    let period = StatisticsPeriodPostgres(days)
    let logger = logger
    return try await readSnapshot { connection in
      var figures = DailyStatistics()
      figures.messagesIn = try await period.counts(
        connection,
        sql: """
          SELECT \(period.day("at")) AS day, COUNT(*) FROM messages
          WHERE direction = 'in' AND at >= $1 AND at < $2
          GROUP BY day
          """, logger: logger)
      figures.notifications = try await period.counts(
        connection,
        sql: """
          SELECT \(period.day("created_at")) AS day, COUNT(*) FROM notifications
          WHERE created_at >= $1 AND created_at < $2
          GROUP BY day
          """, logger: logger)
      figures.labelled = try await period.countsByKey(
        connection,
        sql: """
          SELECT day, label, COUNT(DISTINCT conversation_id) FROM (
            SELECT \(period.day("d.at")) AS day, added.value ->> 'label' AS label,
              d.conversation_id
            FROM decisions d, json_array_elements(d.document::json -> 'added') added
            WHERE d.at >= $1 AND d.at < $2 AND substr(d.document, 1, 11) <> '{"added":[]'
          ) labels
          GROUP BY day, label
          """, logger: logger)
      let routed = try await period.countsByKey(
        connection,
        sql: """
          SELECT day, mode, COUNT(DISTINCT conversation_id) FROM (
            SELECT \(period.day("at")) AS day, document::json -> 'route' ->> 'mode' AS mode,
              conversation_id
            FROM decisions
            WHERE at >= $1 AND at < $2
              AND (strpos(document, '"outcome":"rule"') > 0
                OR strpos(document, '"outcome":"default"') > 0)
              AND document::json -> 'route' ->> 'outcome' IN ('rule', 'default')
          ) routes
          GROUP BY day, mode
          """, logger: logger)
      figures.routedToAI = routed.compactMapValues { $0["ai"] }
      figures.routedToHumans = routed.compactMapValues { $0["human"] }
      figures.handoffs = try await period.countsByKey(
        connection,
        sql: """
          SELECT \(period.day("at")) AS day, action, COUNT(*) FROM decisions
          WHERE at >= $1 AND at < $2
            AND action IN ('take_over', 'transfer_to_ai', 'keep_human_and_leave')
          GROUP BY day, action
          """, logger: logger)
      figures.firstHumanReply = try await period.replyTimes(connection, logger: logger)
      return figures
    }
  }
}

/// The SQL of one period in PostgreSQL: `$1` and `$2` its bounds, then each offset change's
/// instant and seconds (`$3`, `$4`, …), reused as often as a statement needs.
struct StatisticsPeriodPostgres {
  let days: StatisticsDays

  init(_ days: StatisticsDays) { self.days = days }

  private var binds: PostgresBindings {
    var binds = PostgresBindings()
    binds.append(days.start)
    binds.append(days.end)
    for offset in days.offsets {
      binds.append(offset.from)
      binds.append(offset.seconds)
    }
    return binds
  }

  private func from(_ index: Int) -> String { "$\(3 + 2 * index)::float8" }
  private func offset(_ index: Int) -> String { "$\(4 + 2 * index)::bigint" }

  /// The day number of the instant in `column`: the offset in force at that instant, the
  /// newest change tried first. An empty list of offsets counts as UTC.
  func day(_ column: String) -> String {
    var offset = days.offsets.isEmpty ? "0" : offset(0)
    if days.offsets.count > 1 {
      let changes = days.offsets.indices.dropFirst().reversed().map {
        "WHEN \(column) >= \(from($0)) THEN \(self.offset($0))"
      }
      offset = "CASE \(changes.joined(separator: " ")) ELSE \(self.offset(0)) END"
    }
    return "trunc((\(column) + \(offset)) / 86400.0)::bigint"
  }

  /// PostgresNIO declares each parameter's type, so a statement may leave some unused.
  private func query(_ sql: String) -> PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }

  func counts(_ connection: PostgresConnection, sql: String, logger: Logger) async throws
    -> [Int: Int]
  {
    var result: [Int: Int] = [:]
    for try await (day, count) in try await connection.query(query(sql), logger: logger).decode(
      (Int, Int).self)
    {
      result[day] = count
    }
    return result
  }

  /// Rows of (day, key, count); rows without a key are left out.
  func countsByKey(_ connection: PostgresConnection, sql: String, logger: Logger) async throws
    -> [Int: [String: Int]]
  {
    var result: [Int: [String: Int]] = [:]
    for try await (day, key, count) in try await connection.query(query(sql), logger: logger)
      .decode((Int, String?, Int).self)
    {
      guard let key else { continue }
      result[day, default: [:]][key] = count
    }
    return result
  }

  /// SQLite's `StatisticsPeriodSQL.replyTimes`, statement for statement.
  func replyTimes(_ connection: PostgresConnection, logger: Logger) async throws
    -> [Int: DailyStatistics.ReplyTimes]
  {
    let sql = """
      WITH replies AS (
        SELECT h.conversation_id AS conversation, h.id, h.at,
          COALESCE((
            SELECT MAX(p.id) FROM messages p
            WHERE p.conversation_id = h.conversation_id AND p.id < h.id
              AND p.direction IN ('out', 'echo') AND p.author <> 'ai'
          ), 0) AS answered
        FROM messages h
        WHERE h.direction IN ('out', 'echo') AND h.author <> 'ai'
          AND h.at >= $1 AND h.at < $2
      ),
      started AS (
        SELECT r.at, (
            SELECT MIN(m.at) FROM messages m
            WHERE m.conversation_id = r.conversation AND m.direction = 'in'
              AND m.id > r.answered AND m.id < r.id
          ) AS first_in
        FROM replies r
      ),
      waits AS (
        SELECT \(day("at")) AS day,
          CASE WHEN first_in IS NULL THEN NULL
            ELSE GREATEST(0.0::float8, at - first_in) END AS wait
        FROM started
      ),
      ranked AS (
        SELECT day, wait,
          (ROW_NUMBER() OVER (PARTITION BY day ORDER BY wait) - 1)::float8 AS ordinal,
          (COUNT(*) OVER (PARTITION BY day) - 1)::float8 AS highest
        FROM waits WHERE wait IS NOT NULL
      )
      SELECT day, (MAX(highest) + 1)::bigint,
        SUM(wait * GREATEST(0.0::float8, 1.0::float8 - abs(ordinal - 0.5::float8 * highest))),
        SUM(wait * GREATEST(0.0::float8, 1.0::float8 - abs(ordinal - 0.9::float8 * highest)))
      FROM ranked
      GROUP BY day
      """
    var result: [Int: DailyStatistics.ReplyTimes] = [:]
    for try await (day, count, median, p90) in try await connection.query(
      query(sql), logger: logger
    ).decode((Int, Int, Double, Double).self) {
      result[day] = DailyStatistics.ReplyTimes(count: count, median: median, p90: p90)
    }
    return result
  }
}
