import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The console's dashboard (issue 17, part 7): `/app/dashboard` shows a period's figures per
/// day (a plain GET form: without JavaScript too), `/app/dashboard.csv` (or `?format=csv`)
/// gives them as a file. Only for members who may manage every conversation (403 otherwise,
/// as on every console page).
extension WebInbox {
  /// Nil on a store that does not count yet (PostgreSQL, until it serves conversations; the
  /// server refuses to serve from it meanwhile).
  var dashboardService: DashboardService? {
    (pages.conversations.store as? any InboxStatistics).map {
      DashboardService(statistics: $0, rules: rules, clock: clock)
    }
  }

  func registerDashboard(on router: Router<Context>) {
    router.get("/app/dashboard") { request, _ in
      try await dashboard(request, csv: Self.query(request).first("format") == "csv")
    }
    router.get("/app/dashboard.csv") { request, _ in try await dashboard(request, csv: true) }
  }

  func dashboard(_ request: Request, csv: Bool) async throws -> Response {
    try await console(request) { member, _, renderer in
      let text = DashboardText.of(renderer.text.language)
      guard let service = dashboardService else {
        return page(renderer.messagePage(text.unavailable), .notImplemented)
      }
      let query = Self.query(request)
      let from = query.first("from")
      let to = query.first("to")
      switch service.period(from: from, to: to) {
      case .failure(let problem):
        if csv { return plainText(text.problem(problem), .badRequest) }
        return page(
          renderer.dashboardPage(
            member: member, from: from ?? "", to: to ?? "", zone: service.zone(), dashboard: nil,
            error: text.problem(problem)), .badRequest)
      case .success(let period):
        let figures = try await service.dashboard(period)
        if csv {
          return csvFile(
            DashboardCSV.text(figures),
            name: "etiquette-\(period.from.iso)-\(period.to.iso).csv")
        }
        return page(
          renderer.dashboardPage(
            member: member, from: period.from.iso, to: period.to.iso, zone: period.zone,
            dashboard: figures), .ok)
      }
    }
  }

  func csvFile(_ text: String, name: String) -> Response {
    var headers = Self.securityHeaders
    headers[.contentType] = "text/csv; charset=utf-8"
    headers[.contentDisposition] = "attachment; filename=\"\(name)\""
    // Figures of conversations: never kept by a cache, as the pages.
    headers[.cacheControl] = "no-store"
    return Response(
      status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
  }

  func plainText(_ text: String, _ status: HTTPResponse.Status) -> Response {
    var headers = Self.securityHeaders
    headers[.contentType] = "text/plain; charset=utf-8"
    headers[.cacheControl] = "no-store"
    return Response(
      status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
  }
}

/// The dashboard as CSV (RFC 4180): a header, then one row per day, figure and series —
/// `date,metric,key,value` — so that a spreadsheet's pivot table rebuilds any chart. Counts
/// are whole numbers, reply times seconds; a day without a reply to measure has an empty value.
enum DashboardCSV {
  static func text(_ dashboard: DashboardService.Dashboard) -> String {
    // Excel opens UTF-8 (a label « Planifié ») only behind a byte order mark.
    var lines = ["\u{FEFF}date,metric,key,value"]
    for (index, day) in dashboard.period.days.enumerated() {
      for metric in dashboard.metrics {
        for series in metric.series {
          // A figure of one series has no key of its own.
          let key = metric.series.count == 1 ? "" : series.key
          let value = index < series.values.count ? series.values[index] : nil
          lines.append(
            [day.iso, metric.kind.rawValue, key, value.map(number) ?? ""].map(field)
              .joined(separator: ","))
        }
      }
    }
    return lines.joined(separator: "\r\n") + "\r\n"
  }

  /// `12`, `90`, `112.5`: no trailing zeros, a point for decimals whatever the language.
  static func number(_ value: Double) -> String {
    if value == value.rounded() { return String(Int(value)) }
    var text = String(format: "%.3f", value)
    while text.hasSuffix("0") { text.removeLast() }
    return text
  }

  /// Quoted when it holds a comma, a quote or a line break (quotes doubled). A field a
  /// spreadsheet would run as a formula (`=`, `+`, `-`, `@` first: a label's name is written
  /// by people) is kept as text behind a `'`, as OWASP advises for CSV injection.
  static func field(_ value: String) -> String {
    var value = value
    if let first = value.first, "=+-@\t\r".contains(first) { value = "'" + value }
    // `isNewline`: "\r\n" is one Character in Swift, equal to neither "\r" nor "\n".
    guard value.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return value }
    return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
