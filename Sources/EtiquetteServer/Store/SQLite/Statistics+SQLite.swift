import Foundation
import GRDB

/// The dashboard's figures, one aggregate query per figure in one read transaction (so every
/// figure describes the same moment of the store).
///
/// Where each fact is: customer messages in `messages` (`direction = 'in'`); the labels a step
/// added, the routing it decided, in `decisions.document` (the step's `DecisionDocument`); the
/// member's action of an agent step in `decisions.action` (from migration `statistics-v1`:
/// handoffs made before it are not counted); members' and WhatsApp-app replies in `messages`
/// (`out` / `echo`, author not `ai`); notifications in `notifications`.
extension SQLiteStore: InboxStatistics {
  func dailyStatistics(_ days: StatisticsDays) async throws -> DailyStatistics {
    let period = StatisticsPeriodSQL(days)
    return try await pool.read { db in
      var figures = DailyStatistics()
      figures.messagesIn = try period.counts(
        db,
        sql: """
          SELECT \(period.day("at")) AS day, COUNT(*) FROM messages
          WHERE direction = 'in' AND at >= :start AND at < :end
          GROUP BY day
          """)
      figures.notifications = try period.counts(
        db,
        sql: """
          SELECT \(period.day("created_at")) AS day, COUNT(*) FROM notifications
          WHERE created_at >= :start AND created_at < :end
          GROUP BY day
          """)
      // Documents are written with sorted keys (`ConversationRecords.save`), so `added` comes
      // first: a step that added nothing is skipped without parsing its JSON. Were the
      // encoding to change, nothing would be skipped, and the count would stay right.
      figures.labelled = try period.countsByKey(
        db,
        sql: """
          SELECT day, label, COUNT(DISTINCT conversation_id) FROM (
            SELECT \(period.day("d.at")) AS day, json_extract(added.value, '$.label') AS label,
              d.conversation_id
            FROM decisions d, json_each(d.document, '$.added') added
            WHERE d.at >= :start AND d.at < :end AND substr(d.document, 1, 11) <> '{"added":[]'
          )
          GROUP BY day, label
          """)
      // `default` is the default mode given to a new conversation; `held` (a rule to the AI
      // while a member holds the conversation) routed nothing. The `instr` tests only skip
      // documents cheaply; `json_extract` decides.
      let routed = try period.countsByKey(
        db,
        sql: """
          SELECT day, mode, COUNT(DISTINCT conversation_id) FROM (
            SELECT \(period.day("at")) AS day, json_extract(document, '$.route.mode') AS mode,
              conversation_id
            FROM decisions
            WHERE at >= :start AND at < :end
              AND (instr(document, '"outcome":"rule"') > 0
                OR instr(document, '"outcome":"default"') > 0)
              AND json_extract(document, '$.route.outcome') IN ('rule', 'default')
          )
          GROUP BY day, mode
          """)
      figures.routedToAI = routed.compactMapValues { $0["ai"] }
      figures.routedToHumans = routed.compactMapValues { $0["human"] }
      figures.handoffs = try period.countsByKey(
        db,
        sql: """
          SELECT \(period.day("at")) AS day, action, COUNT(*) FROM decisions
          WHERE at >= :start AND at < :end
            AND action IN ('take_over', 'transfer_to_ai', 'keep_human_and_leave')
          GROUP BY day, action
          """)
      figures.firstHumanReply = try period.replyTimes(db)
      return figures
    }
  }
}

/// The SQL of one period: its bounds and the expression that gives a row's local day.
struct StatisticsPeriodSQL {
  let days: StatisticsDays

  init(_ days: StatisticsDays) { self.days = days }

  /// Named, so that each query uses them in any order and as often as it needs.
  var arguments: StatementArguments {
    var values: [String: (any DatabaseValueConvertible)?] = [
      "start": days.start, "end": days.end,
    ]
    for (index, offset) in days.offsets.enumerated() {
      values["from\(index)"] = offset.from
      values["offset\(index)"] = offset.seconds
    }
    return StatementArguments(values)
  }

  /// The day number of the instant in `column` (unix seconds): the offset in force at that
  /// instant, the newest change tried first.
  func day(_ column: String) -> String {
    var offset = ":offset0"
    if days.offsets.count > 1 {
      let changes = days.offsets.indices.dropFirst().reversed().map {
        "WHEN \(column) >= :from\($0) THEN :offset\($0)"
      }
      offset = "CASE \(changes.joined(separator: " ")) ELSE :offset0 END"
    }
    return "CAST((\(column) + \(offset)) / 86400.0 AS INTEGER)"
  }

  /// Rows of (day, count).
  func counts(_ db: Database, sql: String) throws -> [Int: Int] {
    var result: [Int: Int] = [:]
    for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
      result[row[0]] = row[1]
    }
    return result
  }

  /// Rows of (day, key, count); rows without a key (a document without the field) are left out.
  func countsByKey(_ db: Database, sql: String) throws -> [Int: [String: Int]] {
    var result: [Int: [String: Int]] = [:]
    for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
      guard let key = row[1] as String? else { continue }
      result[row[0], default: [:]][key] = row[2]
    }
    return result
  }

  /// Each member's reply that answered a customer (the customer wrote since the previous
  /// reply of a person), with how long the customer had waited: from the first of those
  /// customer messages to the reply. The AI's answers in between do not end the wait: the
  /// figure is how long people take.
  ///
  /// Median and 90th percentile by linear interpolation between ranks (SQL's
  /// `percentile_cont`): a row of rank r among n weighs max(0, 1 − |r − p·(n − 1)|), which is
  /// 1 − f and f for the two rows around the position and 0 for every other.
  func replyTimes(_ db: Database) throws -> [Int: DailyStatistics.ReplyTimes] {
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
          AND h.at >= :start AND h.at < :end
      ),
      waits AS (
        SELECT \(day("r.at")) AS day,
          MAX(0.0, r.at - (
            SELECT MIN(m.at) FROM messages m
            WHERE m.conversation_id = r.conversation AND m.direction = 'in'
              AND m.id > r.answered AND m.id < r.id
          )) AS wait
        FROM replies r
      ),
      ranked AS (
        SELECT day, wait,
          ROW_NUMBER() OVER (PARTITION BY day ORDER BY wait) - 1 AS ordinal,
          COUNT(*) OVER (PARTITION BY day) - 1 AS highest
        FROM waits WHERE wait IS NOT NULL
      )
      SELECT day, MAX(highest) + 1,
        SUM(wait * MAX(0.0, 1.0 - abs(ordinal - 0.5 * highest))),
        SUM(wait * MAX(0.0, 1.0 - abs(ordinal - 0.9 * highest)))
      FROM ranked
      GROUP BY day
      """
    var result: [Int: DailyStatistics.ReplyTimes] = [:]
    for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
      result[row[0]] = DailyStatistics.ReplyTimes(count: row[1], median: row[2], p90: row[3])
    }
    return result
  }
}
