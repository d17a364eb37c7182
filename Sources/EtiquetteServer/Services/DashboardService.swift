import Foundation

/// The admin console's dashboard (issue 17): what the inbox did each day of a period — messages
/// in, conversations labelled, routed to the AI or to people, handoffs, how long customers
/// waited for a person, notifications. The store counts (`InboxStatistics`); this service
/// reads the period a manager asked for and names the series.
struct DashboardService: Sendable {
  let statistics: any InboxStatistics
  let rules: RuleHolder
  let clock: WallClock

  /// A quarter: enough to compare months, and a bound on what one request makes the store
  /// read.
  static let maximumDays = 92
  /// The period shown when none is asked for: the last 7 days, today included.
  static let defaultDays = 7

  /// The handoffs a member makes, in the order of the conversation's buttons.
  static let handoffKinds = ["take_over", "transfer_to_ai", "keep_human_and_leave"]

  /// A calendar day, without a time or a zone.
  struct Day: Sendable, Hashable, Comparable {
    var year: Int
    var month: Int
    var day: Int

    /// `2026-12-02`, as an `<input type="date">` sends it; nil for anything else (a date that
    /// does not exist, such as `2026-02-30`, included).
    init?(iso text: String) {
      let parts = text.split(separator: "-", omittingEmptySubsequences: false)
      guard text.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2,
        parts[2].count == 2, let year = Int(parts[0]), let month = Int(parts[1]),
        let day = Int(parts[2]), year >= 1970
      else { return nil }
      self.init(year: year, month: month, day: day)
      guard Self(number: number) == self else { return nil }
    }

    init(year: Int, month: Int, day: Int) {
      self.year = year
      self.month = month
      self.day = day
    }

    /// The day of `number` (days since 1970-01-01).
    init(number: Int) {
      let parts = Self.utc.dateComponents(
        [.year, .month, .day], from: Date(timeIntervalSince1970: Double(number) * 86400))
      self.init(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
    }

    /// Days since 1970-01-01.
    var number: Int {
      let date = Self.utc.date(from: DateComponents(year: year, month: month, day: day))
      return Int(((date?.timeIntervalSince1970 ?? 0) / 86400).rounded(.down))
    }

    var iso: String { String(format: "%04d-%02d-%02d", year, month, day) }

    static func < (a: Day, b: Day) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    /// Day numbers are counted on a UTC calendar: the zone only decides which instants fall
    /// in a day (`StatisticsDays`).
    static let utc: Calendar = {
      var calendar = Calendar(identifier: .gregorian)
      calendar.timeZone = .gmt
      return calendar
    }()
  }

  /// The zone days are counted in: that of the rules' first `hours` block (the team's office
  /// hours), else UTC.
  struct Zone: Sendable {
    var timeZone: TimeZone
    /// The `hours` block it comes from; nil for UTC.
    var hours: String?
  }

  func zone() -> Zone {
    for hours in rules.current.ruleSet.hours {
      if let zone = TimeZone(identifier: hours.zone) {
        return Zone(timeZone: zone, hours: hours.name)
      }
    }
    return Zone(timeZone: .gmt, hours: nil)
  }

  /// A period a manager asked for, both days included.
  struct Period: Sendable {
    var from: Day
    var to: Day
    var zone: Zone

    var dayCount: Int { to.number - from.number + 1 }
    var days: [Day] { (from.number...to.number).map(Day.init(number:)) }
  }

  /// Why a period was refused.
  enum PeriodProblem: Error, Equatable {
    /// The text of a field that is not a date.
    case notADate(String)
    case endBeforeStart
    /// The number of days asked for.
    case tooLong(Int)
  }

  /// The period of the form's `from` and `to` (`YYYY-MM-DD`); a missing end is today (on the
  /// server's clock, in the zone), a missing start the end's week.
  func period(from: String?, to: String?) -> Result<Period, PeriodProblem> {
    let zone = zone()
    func day(_ text: String?) -> Result<Day?, PeriodProblem> {
      guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
        return .success(nil)
      }
      guard let day = Day(iso: text) else { return .failure(.notADate(text)) }
      return .success(day)
    }
    let end: Day
    let start: Day
    switch (day(from), day(to)) {
    case (.failure(let problem), _), (_, .failure(let problem)): return .failure(problem)
    case (.success(let first), .success(let last)):
      end = last ?? today(in: zone.timeZone)
      start = first ?? Day(number: end.number - (Self.defaultDays - 1))
    }
    guard start <= end else { return .failure(.endBeforeStart) }
    let count = end.number - start.number + 1
    guard count <= Self.maximumDays else { return .failure(.tooLong(count)) }
    return .success(Period(from: start, to: end, zone: zone))
  }

  func today(in zone: TimeZone) -> Day {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    let parts = calendar.dateComponents([.year, .month, .day], from: clock.now())
    return Day(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
  }

  /// The period's days as the store counts them: the instants of its local midnights and the
  /// zone's changes of offset between them.
  static func statisticsDays(_ period: Period) -> StatisticsDays {
    let zone = period.zone.timeZone
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    func midnight(_ day: Day) -> Date {
      // A zone whose clocks skip midnight starts that day at the first instant that exists.
      calendar.startOfDay(
        for: calendar.date(
          from: DateComponents(year: day.year, month: day.month, day: day.day, hour: 12))
          ?? Date(timeIntervalSince1970: Double(day.number) * 86400))
    }
    let start = midnight(period.from)
    let end = midnight(Day(number: period.to.number + 1))
    var offsets = [
      StatisticsDays.Offset(
        from: start.timeIntervalSince1970, seconds: zone.secondsFromGMT(for: start))
    ]
    var instant = start
    while let change = zone.nextDaylightSavingTimeTransition(after: instant), change < end {
      offsets.append(
        StatisticsDays.Offset(
          from: change.timeIntervalSince1970, seconds: zone.secondsFromGMT(for: change)))
      instant = change
    }
    return StatisticsDays(
      first: period.from.number, count: period.dayCount, start: start.timeIntervalSince1970,
      end: end.timeIntervalSince1970, offsets: offsets)
  }

  /// One figure of the dashboard: a series per key (a label, a route, a kind of handoff …),
  /// a value per day of the period (nil: nothing to measure that day).
  struct Metric: Sendable {
    var kind: MetricKind
    var series: [Series]
  }

  struct Series: Sendable {
    /// The label's name, `ai` / `human`, a handoff's wire name, `median` / `p90`, or the
    /// metric's own name for a figure of one series.
    var key: String
    var values: [Double?]
  }

  enum MetricKind: String, Sendable, CaseIterable {
    case messagesIn = "messages_in"
    case labelled = "conversations_labelled"
    case routed = "conversations_routed"
    case handoffs = "handoffs"
    /// In seconds.
    case firstHumanReply = "first_human_reply_seconds"
    /// How many replies the times above measure.
    case humanReplies = "human_replies_measured"
    case notifications = "notifications"
  }

  struct Dashboard: Sendable {
    var period: Period
    var metrics: [Metric]

    func metric(_ kind: MetricKind) -> Metric? { metrics.first { $0.kind == kind } }
  }

  /// Every figure of the period.
  func dashboard(_ period: Period) async throws -> Dashboard {
    let days = Self.statisticsDays(period)
    let figures = try await statistics.dailyStatistics(days)
    let numbers = Array(days.numbers)
    func counts(_ values: [Int: Int]) -> [Double?] {
      numbers.map { Double(values[$0] ?? 0) }
    }
    func keyed(_ values: [Int: [String: Int]], _ key: String) -> [Double?] {
      numbers.map { Double(values[$0]?[key] ?? 0) }
    }
    return Dashboard(
      period: period,
      metrics: [
        Metric(
          kind: .messagesIn,
          series: [Series(key: "messages_in", values: counts(figures.messagesIn))]),
        Metric(
          kind: .labelled,
          series: labelNames(figures.labelled).map { name, stored in
            Series(
              key: name,
              values: numbers.map { day in
                Double(stored.reduce(0) { $0 + (figures.labelled[day]?[$1] ?? 0) })
              })
          }),
        Metric(
          kind: .routed,
          series: [
            Series(key: "ai", values: counts(figures.routedToAI)),
            Series(key: "human", values: counts(figures.routedToHumans)),
          ]),
        Metric(
          kind: .handoffs,
          series: Self.handoffKinds.map { Series(key: $0, values: keyed(figures.handoffs, $0)) }),
        Metric(
          kind: .firstHumanReply,
          series: [
            Series(key: "median", values: numbers.map { figures.firstHumanReply[$0]?.median }),
            Series(key: "p90", values: numbers.map { figures.firstHumanReply[$0]?.p90 }),
          ]),
        Metric(
          kind: .humanReplies,
          series: [
            Series(
              key: "human_replies_measured",
              values: numbers.map { Double(figures.firstHumanReply[$0]?.count ?? 0) })
          ]),
        Metric(
          kind: .notifications,
          series: [Series(key: "notifications", values: counts(figures.notifications))]),
      ])
  }

  /// The labels to show, in the rules' order, each with the stored names it was counted
  /// under (its own, and a former name `was` declares); then the names stored that no label
  /// has any more, alphabetically, so that nothing counted disappears.
  func labelNames(_ labelled: [Int: [String: Int]]) -> [(String, [String])] {
    let ruleSet = rules.current.ruleSet
    var stored = Set(labelled.values.flatMap(\.keys))
    var result: [(String, [String])] = []
    for label in ruleSet.labels {
      var names = [label.name]
      stored.remove(label.name)
      for name in stored.sorted() where ruleSet.label(formerlyNamed: name)?.name == label.name {
        names.append(name)
        stored.remove(name)
      }
      result.append((label.name, names))
    }
    for name in stored.sorted() { result.append((name, [name])) }
    return result
  }
}
