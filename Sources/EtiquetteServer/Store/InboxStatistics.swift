import Foundation

/// What the admin console's dashboard counts (issue 17), per local day of a period: every
/// figure is an SQL aggregate of the store, so a period of three months costs one pass over
/// its rows, never the rows loaded into the server.
///
/// Both stores implement it (`Statistics+SQLite.swift`, `Statistics+PostgreSQL.swift`), with
/// the same interpolation of the reply times, so they give the same figures.
protocol InboxStatistics: Sendable {
  func dailyStatistics(_ days: StatisticsDays) async throws -> DailyStatistics
}

/// The local days of a period in one time zone, as a store groups rows by day.
///
/// A day is numbered by the days since 1970-01-01 on the zone's calendar: an instant's day is
/// `(unix seconds + the zone's offset at that instant) / 86400`, rounded down. The offsets are
/// given as the zone's own changes over the period, so a day of 23 or 25 hours (a change to
/// or from daylight saving time) is still one day, and the store needs no time zone database.
struct StatisticsDays: Sendable, Hashable {
  /// The number of the period's first day.
  var first: Int
  /// How many days, the last one included.
  var count: Int
  /// Midnight of the first day, in unix seconds.
  var start: Double
  /// Midnight after the last day.
  var end: Double
  /// The zone's offset from UTC over the period, oldest first: each applies from its instant
  /// until the next one's (the first from `start`).
  var offsets: [Offset]

  struct Offset: Sendable, Hashable {
    var from: Double
    var seconds: Int
  }

  var numbers: Range<Int> { first..<(first + count) }
}

/// The figures of each day, keyed by the day's number (`StatisticsDays`); a day without any
/// is absent.
struct DailyStatistics: Sendable, Hashable {
  /// Messages from customers.
  var messagesIn: [Int: Int] = [:]
  /// Conversations that got each label that day (added by a trigger or by a member), by the
  /// name the label had then.
  var labelled: [Int: [String: Int]] = [:]
  /// Conversations routed to the AI (by a routing rule, or the default mode of a new one).
  var routedToAI: [Int: Int] = [:]
  /// Conversations routed to people.
  var routedToHumans: [Int: Int] = [:]
  /// Handoffs a member made, by their action's wire name (`take_over`, `transfer_to_ai`,
  /// `keep_human_and_leave`).
  var handoffs: [Int: [String: Int]] = [:]
  /// How long customers waited for a person's answer, on the day of that answer.
  var firstHumanReply: [Int: ReplyTimes] = [:]
  /// Notifications made for members.
  var notifications: [Int: Int] = [:]

  /// The waits of one day: from the first customer message no person had answered yet to a
  /// member's reply (a reply in WhatsApp's own app counts; the AI's do not), in seconds.
  struct ReplyTimes: Sendable, Hashable {
    var count: Int
    /// Interpolated between the two middle waits when their number is even (the
    /// `percentile_cont` of SQL), as is `p90`.
    var median: Double
    var p90: Double
  }
}
