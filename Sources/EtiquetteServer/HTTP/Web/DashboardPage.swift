import Foundation

/// The dashboard's page: a chart per figure, drawn by the server as SVG (no chart library),
/// each with its numbers in a table beside it. The geometry is computed here; the template
/// (`dashboard.mustache`) writes the elements, so every text still goes through its escaping.
extension WebRenderer {
  struct DashboardPage {
    var head: Head
    var t: WebText
    var d: DashboardText
    var nav = ConsoleNav(dashboard: true)
    var member: String
    var from: String
    var to: String
    var csv: String?
    var period: String?
    var zone: String
    var error: String?
    var charts: [ChartView]
  }

  /// One figure: its heading, an SVG chart and the table of its numbers.
  struct ChartView {
    var id: String
    var heading: String
    var explanation: String
    /// Said instead of a chart when there is nothing to draw.
    var empty: String?
    var svg: SVGChart?
    var legend: [LegendItem]
    var hasLegend: Bool
    var table: TableView?
  }

  struct SVGChart {
    var title: String
    var description: String
    var width: Int
    var height: Int
    var bars: [Bar]
    var yTicks: [AxisTick]
    var xTicks: [AxisTick]
    var axisLeft: String
    var axisRight: String
    var axisTop: String
    var axisBottom: String
    var xTitle: String
    var xTitleX: String
    var xTitleY: String
    var yTitle: String
    var yTitleY: String
    var yTitleTransform: String
  }

  struct Bar {
    var x: String
    var y: String
    var width: String
    var height: String
    var series: String
    var tooltip: String
  }

  /// A tick of an axis with its label (and for the value axis, the grid line across).
  struct AxisTick {
    var x: String
    var y: String
    var label: String
  }

  struct LegendItem {
    var name: String
    var series: String
  }

  struct TableView {
    var caption: String
    var columns: [String]
    var rows: [TableRow]
    var footer: TableRow?
  }

  struct TableRow {
    var day: String
    var cells: [String]
  }

  /// `/app/dashboard`: the period's form, and its figures when the period is valid.
  func dashboardPage(
    member: String, from: String, to: String, zone: DashboardService.Zone,
    dashboard: DashboardService.Dashboard?, error: String? = nil
  ) -> String {
    let d = DashboardText.of(text.language)
    let zoneLine =
      zone.hours.map {
        d.zoneOfHours.replacingOccurrences(of: "{zone}", with: zone.timeZone.identifier)
          .replacingOccurrences(of: "{hours}", with: $0)
      } ?? d.zoneUTC
    var csv: String?
    var period: String?
    var charts: [ChartView] = []
    if let dashboard {
      let p = dashboard.period
      csv = "/app/dashboard.csv?from=\(p.from.iso)&to=\(p.to.iso)"
      period = d.periodLine.replacingOccurrences(of: "{from}", with: longDay(p.from))
        .replacingOccurrences(of: "{to}", with: longDay(p.to))
        .replacingOccurrences(of: "{n}", with: "\(p.dayCount)")
      charts = dashboardCharts(dashboard, d)
    }
    return render(
      "dashboard",
      DashboardPage(
        head: head(text.dashboardTitle), t: text, d: d, member: member, from: from, to: to,
        csv: csv, period: period, zone: zoneLine, error: error, charts: charts))
  }

  func dashboardCharts(_ dashboard: DashboardService.Dashboard, _ d: DashboardText)
    -> [ChartView]
  {
    let days = dashboard.period.days
    func series(_ kind: DashboardService.MetricKind) -> [DashboardService.Series] {
      dashboard.metric(kind)?.series ?? []
    }
    var charts: [ChartView] = []
    charts.append(
      countChart(
        id: "messages-in", heading: d.messagesIn, explanation: d.messagesInWhat, days: days,
        series: series(.messagesIn).map { ($0, d.messagesIn) }, d: d))
    let labels = series(.labelled)
    var labelled = countChart(
      id: "labelled", heading: d.labelled, explanation: d.labelledWhat, days: days,
      series: labels.map { ($0, $0.key) }, d: d)
    if labels.isEmpty { labelled.empty = d.noLabels }
    charts.append(labelled)
    let routeNames = ["ai": d.toAI, "human": d.toHumans]
    charts.append(
      countChart(
        id: "routed", heading: d.routed, explanation: d.routedWhat, days: days,
        series: series(.routed).map { ($0, routeNames[$0.key] ?? $0.key) }, d: d))
    let handoffNames = [
      "take_over": text.takeOver, "transfer_to_ai": text.transferToAI,
      "keep_human_and_leave": text.keepHuman,
    ]
    charts.append(
      countChart(
        id: "handoffs", heading: d.handoffs, explanation: d.handoffsWhat, days: days,
        series: series(.handoffs).map { ($0, handoffNames[$0.key] ?? $0.key) }, d: d))
    charts.append(
      replyChart(
        days: days, times: series(.firstHumanReply),
        measured: series(.humanReplies).first?.values ?? [], d: d))
    charts.append(
      countChart(
        id: "notifications", heading: d.notifications, explanation: d.notificationsWhat,
        days: days, series: series(.notifications).map { ($0, d.notifications) }, d: d))
    return charts
  }

  // MARK: - Charts

  /// The drawing area of every chart, in the SVG's own units (it scales to the page's width).
  enum Frame {
    static let width = 640.0
    static let height = 260.0
    static let left = 56.0
    static let right = 8.0
    static let top = 12.0
    static let bottom = 44.0
    static var plotWidth: Double { width - left - right }
    static var plotHeight: Double { height - top - bottom }
  }

  /// Counts per day: one bar per day, the series stacked in it.
  func countChart(
    id: String, heading: String, explanation: String, days: [DashboardService.Day],
    series: [(DashboardService.Series, String)], d: DashboardText
  ) -> ChartView {
    guard !series.isEmpty else {
      return ChartView(
        id: id, heading: heading, explanation: explanation, empty: nil, svg: nil, legend: [],
        hasLegend: false, table: nil)
    }
    let totals = days.indices.map { index in
      series.reduce(0.0) { $0 + ($1.0.values[index] ?? 0) }
    }
    let scale = AxisScale(maximum: totals.max() ?? 0, integers: true)
    let slot = Frame.plotWidth / Double(max(days.count, 1))
    let barWidth = slot * 0.7
    var bars: [Bar] = []
    for (index, day) in days.enumerated() {
      var base = 0.0
      for (number, (values, name)) in series.enumerated() {
        let value = values.values[index] ?? 0
        // Every series has its rectangle, even of height 0: one bar per day and series, at
        // the same place in the document, whatever the numbers.
        bars.append(
          Bar(
            x: Self.svgNumber(Frame.left + Double(index) * slot + (slot - barWidth) / 2),
            y: Self.svgNumber(scale.y(base + value)), width: Self.svgNumber(barWidth),
            height: Self.svgNumber(scale.y(base) - scale.y(base + value)),
            series: Self.seriesClass(number),
            tooltip: "\(shortDay(day)) · \(name)\(colon)\(Self.count(value))"))
        base += value
      }
    }
    let peak = totals.indices.max { totals[$0] < totals[$1] }
    let description = d.countsDescription
      .replacingOccurrences(of: "{from}", with: longDay(days.first))
      .replacingOccurrences(of: "{to}", with: longDay(days.last))
      .replacingOccurrences(of: "{n}", with: "\(days.count)")
      .replacingOccurrences(of: "{total}", with: Self.count(totals.reduce(0, +)))
      .replacingOccurrences(of: "{max}", with: Self.count(peak.map { totals[$0] } ?? 0))
      .replacingOccurrences(of: "{day}", with: longDay(peak.map { days[$0] }))
    let several = series.count > 1
    let rows = days.enumerated().map { index, day in
      TableRow(
        day: longDay(day),
        cells: series.map { Self.count($0.0.values[index] ?? 0) }
          + (several ? [Self.count(totals[index])] : []))
    }
    let footer = TableRow(
      day: d.total,
      cells: series.map { Self.count($0.0.values.reduce(0) { $0 + ($1 ?? 0) }) }
        + (several ? [Self.count(totals.reduce(0, +))] : []))
    return ChartView(
      id: id, heading: heading, explanation: explanation, empty: nil,
      svg: svg(
        title: heading, description: description, days: days, bars: bars, scale: scale,
        yTitle: d.count, d: d),
      legend: several
        ? series.enumerated().map {
          LegendItem(name: $0.element.1, series: Self.seriesClass($0.offset))
        }
        : [],
      hasLegend: several,
      table: TableView(
        caption: d.tableOf.replacingOccurrences(of: "{name}", with: heading),
        columns: series.map(\.1) + (several ? [d.total] : []), rows: rows, footer: footer))
  }

  /// Reply times per day: the median and the 90th percentile side by side, in minutes.
  func replyChart(
    days: [DashboardService.Day], times: [DashboardService.Series], measured: [Double?],
    d: DashboardText
  ) -> ChartView {
    let names = ["median": d.median, "p90": d.p90]
    let highest = times.flatMap { $0.values.compactMap { $0 } }.max() ?? 0
    let scale = AxisScale(maximum: highest / 60, integers: false)
    let slot = Frame.plotWidth / Double(max(days.count, 1))
    let barWidth = slot * 0.8 / Double(max(times.count, 1))
    var bars: [Bar] = []
    for (index, day) in days.enumerated() {
      for (number, series) in times.enumerated() {
        guard let seconds = series.values[index] else { continue }
        bars.append(
          Bar(
            x: Self.svgNumber(
              Frame.left + Double(index) * slot + slot * 0.1 + Double(number) * barWidth),
            y: Self.svgNumber(scale.y(seconds / 60)), width: Self.svgNumber(barWidth),
            height: Self.svgNumber(scale.y(0) - scale.y(seconds / 60)),
            series: Self.seriesClass(number),
            tooltip:
              "\(shortDay(day)) · \(names[series.key] ?? series.key)\(colon)\(duration(seconds))"
          ))
      }
    }
    let medians = times.first { $0.key == "median" }?.values ?? []
    let peak = medians.indices.filter { medians[$0] != nil }.max {
      (medians[$0] ?? 0) < (medians[$1] ?? 0)
    }
    let heading = d.firstHumanReply
    let description =
      peak.map { index in
        d.timesDescription.replacingOccurrences(of: "{from}", with: longDay(days.first))
          .replacingOccurrences(of: "{to}", with: longDay(days.last))
          .replacingOccurrences(of: "{n}", with: "\(days.count)")
          .replacingOccurrences(of: "{max}", with: duration(medians[index] ?? 0))
          .replacingOccurrences(of: "{day}", with: longDay(days[index]))
      } ?? d.nothingToMeasure
    let rows = days.enumerated().map { index, day in
      TableRow(
        day: longDay(day),
        cells: times.map { $0.values[index].map(duration) ?? d.none }
          + [Self.count(index < measured.count ? measured[index] ?? 0 : 0)])
    }
    return ChartView(
      id: "first-human-reply", heading: heading, explanation: d.firstHumanReplyWhat,
      empty: nil,
      svg: svg(
        title: heading, description: description, days: days, bars: bars, scale: scale,
        yTitle: d.minutes, d: d),
      legend: times.enumerated().map {
        LegendItem(
          name: names[$0.element.key] ?? $0.element.key, series: Self.seriesClass($0.offset))
      },
      hasLegend: true,
      table: TableView(
        caption: d.tableOf.replacingOccurrences(of: "{name}", with: heading),
        columns: times.map { names[$0.key] ?? $0.key } + [d.repliesMeasured], rows: rows,
        footer: nil))
  }

  func svg(
    title: String, description: String, days: [DashboardService.Day], bars: [Bar],
    scale: AxisScale, yTitle: String, d: DashboardText
  ) -> SVGChart {
    let slot = Frame.plotWidth / Double(max(days.count, 1))
    // At most about 12 dates under the axis, so that they never overlap.
    let every = max(1, Int((Double(days.count) / 12).rounded(.up)))
    let xTicks = days.enumerated().filter { $0.offset % every == 0 }.map { index, day in
      AxisTick(
        x: Self.svgNumber(Frame.left + (Double(index) + 0.5) * slot),
        y: Self.svgNumber(Frame.top + Frame.plotHeight + 16), label: shortDay(day))
    }
    let yTicks = scale.ticks.map { value in
      AxisTick(
        x: Self.svgNumber(Frame.left - 6), y: Self.svgNumber(scale.y(value)),
        label: scale.label(value, decimalComma: text.language == "fr"))
    }
    let middle = Frame.top + Frame.plotHeight / 2
    return SVGChart(
      title: title, description: description, width: Int(Frame.width),
      height: Int(Frame.height), bars: bars, yTicks: yTicks, xTicks: xTicks,
      axisLeft: Self.svgNumber(Frame.left), axisRight: Self.svgNumber(Frame.width - Frame.right),
      axisTop: Self.svgNumber(Frame.top), axisBottom: Self.svgNumber(Frame.top + Frame.plotHeight),
      xTitle: d.day, xTitleX: Self.svgNumber(Frame.left + Frame.plotWidth / 2),
      xTitleY: Self.svgNumber(Frame.height - 6), yTitle: yTitle,
      yTitleY: Self.svgNumber(middle), yTitleTransform: "rotate(-90 14 \(Self.svgNumber(middle)))")
  }

  /// The value axis: from 0 to a round number above the highest value, in 4 or 5 steps of
  /// 1, 2 or 5 times a power of ten.
  struct AxisScale {
    var top: Double
    var step: Double

    init(maximum: Double, integers: Bool) {
      guard maximum > 0 else {
        top = 1
        step = integers ? 1 : 0.25
        return
      }
      let raw = maximum / 4
      let magnitude = pow(10, (log10(raw)).rounded(.down))
      let residual = raw / magnitude
      var step = (residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10) * magnitude
      if integers { step = max(step, 1) }
      self.step = step
      top = step * (maximum / step).rounded(.up)
    }

    var ticks: [Double] {
      let count = Int((top / step).rounded())
      return (0...count).map { Double($0) * step }
    }

    /// The SVG's y of a value.
    func y(_ value: Double) -> Double {
      Frame.top + Frame.plotHeight * (1 - min(value, top) / top)
    }

    func label(_ value: Double, decimalComma: Bool) -> String {
      var text = String(format: "%.2f", value)
      while text.hasSuffix("0") { text.removeLast() }
      if text.hasSuffix(".") { text.removeLast() }
      return decimalComma ? text.replacingOccurrences(of: ".", with: ",") : text
    }
  }

  /// « : » in French, “: ” in English.
  var colon: String { text.language == "fr" ? " : " : ": " }

  static func seriesClass(_ index: Int) -> String { "series-\(index % 8)" }

  /// Coordinates with one decimal: enough at the SVG's scale, and short.
  static func svgNumber(_ value: Double) -> String { String(format: "%.1f", value) }

  static func count(_ value: Double) -> String { String(Int(value.rounded())) }

  /// « 45 s », « 4 min 30 s », « 2 h 05 min ».
  func duration(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    if total < 60 { return "\(total) s" }
    if total < 3600 {
      let rest = total % 60
      return rest == 0 ? "\(total / 60) min" : "\(total / 60) min \(String(format: "%02d", rest)) s"
    }
    return "\(total / 3600) h \(String(format: "%02d", (total % 3600) / 60)) min"
  }

  /// The date as this language writes it: « 02/12/2026 », “2026-12-02”.
  func longDay(_ day: DashboardService.Day?) -> String {
    guard let day else { return "" }
    return text.language == "fr"
      ? String(format: "%02d/%02d/%04d", day.day, day.month, day.year) : day.iso
  }

  /// Under the axis: « 02/12 », “12-02”.
  func shortDay(_ day: DashboardService.Day) -> String {
    text.language == "fr"
      ? String(format: "%02d/%02d", day.day, day.month)
      : String(format: "%02d-%02d", day.month, day.day)
  }
}
