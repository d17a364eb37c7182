import EtiquetteEngine
import EtiquetteTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import EtiquetteServer

/// The console's dashboard: a period's figures per day, counted by the store from what came
/// in through the real front doors (signed webhooks, the API's replies and handoffs) on a
/// clock the test moves from day to day; the SVG charts, their tables, the CSV, and the
/// period's limits.
@Suite("The admin console: the dashboard")
struct DashboardTests {
  /// Tuesday 25 November 2025, 10:00 UTC (11:00 in Paris, the rules' "bureau" zone).
  static let tuesday = TestClock.officeHours
  static let day = 86_400.0

  /// Three days seen from Paris — 25/11 busy, 26/11 busy, 27/11 quiet — and the server, its
  /// clock on 26/11 at 10:10 UTC when the test reads the figures.
  ///
  /// 25/11: Anne books (label Planifié, to the AI), Bob asks for a person (to people: the 3
  /// members who may reply are notified), Chris asks for a quote (Vente, to the AI). Manon
  /// answers Bob after 2 min and Chris after 6 min, then leaves Bob keeping him human.
  /// 26/11: Anne writes again, Dana asks about an order (Commande, to the AI), Bob writes again
  /// (Manon, away, is notified). Manon answers Bob after 1 min, takes Dana over and answers her
  /// after 4 min, hands her back to the AI, and answers Anne 10 min after her second message —
  /// 24 h 10 min after her first, which no person had answered.
  static func seeded() async throws -> (ServerHarness, SteppedClock) {
    let time = SteppedClock(tuesday)
    let harness = try await ServerHarness(clock: time.clock)
    let manon = harness.auth("manon@exemple.fr")
    try await harness.test { client in
      var now = tuesday
      func write(_ phone: String, _ name: String, _ text: String) async throws {
        let status = try await ServerHarness.post(
          client,
          webhook: ServerHarness.textWebhook(
            from: phone, id: "wamid.\(phone).\(Int(now.timeIntervalSince1970))", text: text,
            name: name, at: Int(now.timeIntervalSince1970)))
        #expect(status == .ok)
      }
      func at(_ instant: Date) {
        time.advance(by: instant.timeIntervalSince(now))
        now = instant
      }
      func id(_ name: String) async throws -> String {
        try #require(
          try await harness.list(client, as: "manon@exemple.fr").first {
            $0["contact"]?["name"]?.stringValue == name
          }?["id"]?.stringValue)
      }
      func reply(_ name: String) async throws {
        let (status, _) = try await ServerHarness.send(
          client, .post, "/v1/conversations/\(try await id(name))/messages", headers: manon,
          json: #"{"text":"Bonjour, je m'en occupe"}"#)
        #expect(status == .created)
      }
      func handoff(_ name: String, _ action: String) async throws {
        let (status, _) = try await ServerHarness.send(
          client, .post, "/v1/conversations/\(try await id(name))/handoff", headers: manon,
          json: #"{"action":"\#(action)"}"#)
        #expect(status == .ok)
      }
      try await write("33600000031", "Anne", "J'ai réservé un créneau")
      try await write("33600000032", "Bob", "Je veux parler à un humain")
      try await write("33600000033", "Chris", "Je voudrais un devis")
      at(tuesday + 120)
      try await reply("Bob")
      at(tuesday + 300)
      try await handoff("Bob", "keep_human_and_leave")
      at(tuesday + 360)
      try await reply("Chris")

      let wednesday = tuesday + day
      at(wednesday)
      try await write("33600000031", "Anne", "Toujours là ?")
      try await write("33600000034", "Dana", "Où en est ma commande CMD-123456 ?")
      try await write("33600000032", "Bob", "Vous êtes là ?")
      at(wednesday + 60)
      try await reply("Bob")
      at(wednesday + 180)
      try await handoff("Dana", "take_over")
      at(wednesday + 240)
      try await reply("Dana")
      at(wednesday + 300)
      try await handoff("Dana", "transfer_to_ai")
      at(wednesday + 600)
      try await reply("Anne")
    }
    return (harness, time)
  }

  /// A page or file of the console as `session`: its status, headers and body. (Pages are
  /// not API routes: the tests reach them without the OpenAPI check, as the inbox's tests.)
  static func get(_ client: any TestClientProtocol, _ uri: String, _ session: String)
    async throws -> (HTTPResponse.Status, HTTPFields, String)
  {
    try await client.execute(
      uri: uri, method: .get, headers: WebInboxTests.cookieHeaders(session)
    ) { ($0.status, $0.headers, String(buffer: $0.body)) }
  }

  /// The CSV's rows as (date, metric, key) → value, after its header.
  static func rows(_ csv: String) -> (header: String, values: [String: String], count: Int) {
    var lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
    let header = lines.removeFirst()
    var values: [String: String] = [:]
    for line in lines {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      values[fields[0...2].joined(separator: "|")] = fields[3]
    }
    return (header, values, lines.count)
  }

  /// The HTML of one figure's section.
  static func section(_ html: String, _ id: String) -> String {
    let start = html.range(of: #"aria-labelledby="\#(id)-heading""#)
    guard let start else { return "" }
    let rest = html[start.upperBound...]
    return String(rest[..<(rest.range(of: "</section>")?.lowerBound ?? rest.endIndex)])
  }

  @Test(
    "per day: messages in, labels, AI vs people, handoffs by kind, reply median and p90, notifications"
  )
  func figuresPerDay() async throws {
    let (harness, _) = try await Self.seeded()
    let manon = try await WebInboxTests.session(WebInboxTests.signIn(harness), "manon@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      let (status, headers, csv) = try await Self.get(
        client, "/app/dashboard.csv?from=2025-11-25&to=2025-11-27", manon)
      #expect(status == .ok)
      #expect(headers[.contentType] == "text/csv; charset=utf-8")
      #expect(
        headers[.contentDisposition]
          == #"attachment; filename="etiquette-2025-11-25-2025-11-27.csv""#)
      let (header, values, count) = Self.rows(csv)
      #expect(header == "\u{FEFF}date,metric,key,value")
      // Per day: messages, 5 labels, 2 routes, 3 handoffs, median and p90, replies measured,
      // notifications.
      #expect(count == 3 * 15)
      func value(_ day: String, _ metric: String, _ key: String = "") -> String? {
        values["2025-11-\(day)|\(metric)|\(key)"]
      }
      #expect(value("25", "messages_in") == "3")
      #expect(value("26", "messages_in") == "3")
      #expect(value("27", "messages_in") == "0")
      #expect(value("25", "conversations_labelled", "Personnes Qui Ont Planifié") == "1")
      #expect(value("25", "conversations_labelled", "Demandes de Vente") == "1")
      #expect(value("25", "conversations_labelled", "Demandes de Commande") == "0")
      #expect(value("26", "conversations_labelled", "Demandes de Commande") == "1")
      #expect(value("26", "conversations_labelled", "Personnes Qui Ont Planifié") == "0")
      #expect(value("25", "conversations_routed", "ai") == "2")
      #expect(value("25", "conversations_routed", "human") == "1")
      #expect(value("26", "conversations_routed", "ai") == "1")
      #expect(value("26", "conversations_routed", "human") == "0")
      #expect(value("25", "handoffs", "keep_human_and_leave") == "1")
      #expect(value("25", "handoffs", "take_over") == "0")
      #expect(value("26", "handoffs", "take_over") == "1")
      #expect(value("26", "handoffs", "transfer_to_ai") == "1")
      // 25/11: waits of 120 s and 360 s. Median 240; p90 at rank 0.9 of [0, 1]:
      // 120 × 0.1 + 360 × 0.9 = 336.
      #expect(value("25", "human_replies_measured") == "2")
      #expect(value("25", "first_human_reply_seconds", "median") == "240")
      #expect(value("25", "first_human_reply_seconds", "p90") == "336")
      // 26/11: 60 s (Bob), 240 s (Dana), 87,000 s (Anne, from her first message). Median
      // 240; p90 at rank 1.8 of [0, 2]: 240 × 0.2 + 87,000 × 0.8 = 69,648.
      #expect(value("26", "human_replies_measured") == "3")
      #expect(value("26", "first_human_reply_seconds", "median") == "240")
      #expect(value("26", "first_human_reply_seconds", "p90") == "69648")
      // Nothing to measure on 27/11: empty, not zero.
      #expect(value("27", "first_human_reply_seconds", "median") == "")
      #expect(value("27", "human_replies_measured") == "0")
      // Bob's request notifies the 3 members who may reply (bruno, chloe, manon); his second
      // message, the member who left him (manon).
      #expect(value("25", "notifications") == "3")
      #expect(value("26", "notifications") == "1")
      #expect(value("27", "notifications") == "0")
    }
  }

  @Test("the page: a form, an accessible SVG chart per figure with one bar per day, its table")
  func page() async throws {
    let (harness, _) = try await Self.seeded()
    let manon = try await WebInboxTests.session(WebInboxTests.signIn(harness), "manon@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      let (status, _, html) = try await Self.get(
        client, "/app/dashboard?from=2025-11-25&to=2025-11-27", manon)
      #expect(status == .ok)
      #expect(html.contains(#"<a href="/app/dashboard" aria-current="page">"#))
      #expect(html.contains(#"name="from" value="2025-11-25""#))
      #expect(html.contains(#"name="to" value="2025-11-27""#))
      #expect(html.contains(#"href="/app/dashboard.csv?from=2025-11-25&amp;to=2025-11-27""#))
      #expect(html.contains("Europe/Paris"))
      let messages = Self.section(html, "messages-in")
      #expect(
        messages.contains(
          #"<svg class="chart" role="img" aria-labelledby="messages-in-title messages-in-desc""#))
      #expect(messages.contains(#"<title id="messages-in-title">Messages reçus</title>"#))
      #expect(messages.contains(#"<desc id="messages-in-desc">"#))
      #expect(messages.components(separatedBy: #"<rect class="bar "#).count - 1 == 3)
      #expect(messages.contains(#"<th scope="row">25/11/2025</th><td>3</td></tr>"#))
      #expect(messages.contains(#"<th scope="row">27/11/2025</th><td>0</td></tr>"#))
      // Axes with their labels.
      #expect(messages.contains(">25/11</text>"))
      #expect(messages.contains(">Jour</text>"))
      // Stacked series: a bar per day and label, a legend, a total column.
      let labels = Self.section(html, "labelled")
      #expect(labels.components(separatedBy: #"<rect class="bar "#).count - 1 == 3 * 5)
      #expect(labels.contains(#"<span class="swatch series-0"></span>Personnes Qui Ont Planifié"#))
      let handoffs = Self.section(html, "handoffs")
      #expect(handoffs.contains(#"<th scope="col">Garder le mode humain et partir</th>"#))
      // Times as people read them; a day without a reply shows none.
      let replies = Self.section(html, "first-human-reply")
      #expect(replies.contains("<td>4 min</td><td>5 min 36 s</td><td>2</td>"))
      #expect(replies.contains("<td>—</td><td>—</td><td>0</td>"))
      #expect(replies.components(separatedBy: #"<rect class="bar "#).count - 1 == 4)
      // The page in English.
      let english = try await client.execute(
        uri: "/app/dashboard?from=2025-11-25&to=2025-11-27", method: .get,
        headers: {
          var headers = WebInboxTests.cookieHeaders(manon)
          headers[.acceptLanguage] = "en"
          return headers
        }()
      ) { String(buffer: $0.body) }
      #expect(english.contains(#"<title id="messages-in-title">Messages in</title>"#))
      #expect(english.contains(#"<th scope="row">2025-11-25</th><td>3</td></tr>"#))
    }
  }

  @Test("the period: the last 7 days by the server's clock, in the rules' zone, by default")
  func defaultPeriod() async throws {
    let (harness, _) = try await Self.seeded()
    let manon = try await WebInboxTests.session(WebInboxTests.signIn(harness), "manon@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      let (status, _, html) = try await Self.get(client, "/app/dashboard", manon)
      #expect(status == .ok)
      // The clock stands on Wednesday 26/11 in Paris.
      #expect(html.contains(#"name="from" value="2025-11-20""#))
      #expect(html.contains(#"name="to" value="2025-11-26""#))
      #expect(
        Self.section(html, "messages-in").components(separatedBy: #"<rect class="bar "#).count - 1
          == 7)
      #expect(html.contains("Du 20/11/2025 au 26/11/2025 (7 jours)."))
      let (_, _, csv) = try await Self.get(client, "/app/dashboard?format=csv", manon)
      #expect(Self.rows(csv).values["2025-11-26|messages_in|"] == "3")
    }
  }

  @Test("bad dates and a period over 92 days: 400 with the reason; 92 days are shown")
  func periodLimits() async throws {
    let harness = try await ServerHarness(clock: .fixed(Self.tuesday))
    let manon = try await WebInboxTests.session(WebInboxTests.signIn(harness), "manon@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      var (status, _, html) = try await Self.get(
        client, "/app/dashboard?from=2025-13-01&to=2025-11-26", manon)
      #expect(status == .badRequest)
      #expect(html.contains(#"<p class="error" role="alert">« 2025-13-01 » n’est pas une date"#))
      // The form keeps what was typed, to be corrected.
      #expect(html.contains(#"name="from" value="2025-13-01""#))
      #expect(!html.contains("<svg"))
      (status, _, html) = try await Self.get(
        client, "/app/dashboard?from=2025-02-30&to=2025-03-02", manon)
      #expect(status == .badRequest)
      (status, _, html) = try await Self.get(
        client, "/app/dashboard?from=2025-11-26&to=2025-11-20", manon)
      #expect(status == .badRequest)
      #expect(html.contains("La période se termine avant de commencer"))
      (status, _, html) = try await Self.get(
        client, "/app/dashboard?from=2025-01-01&to=2025-11-26", manon)
      #expect(status == .badRequest)
      #expect(
        html.contains("La période compte 330 jours ; le tableau de bord en montre 92 au plus."))
      (status, _, html) = try await Self.get(
        client, "/app/dashboard?from=2025-08-26&to=2025-11-26", manon)
      #expect(status == .badRequest)
      (status, _, html) = try await Self.get(
        client, "/app/dashboard?from=2025-08-27&to=2025-11-26", manon)
      #expect(status == .ok)
      #expect(
        Self.section(html, "messages-in").components(separatedBy: #"<rect class="bar "#).count - 1
          == 92)
      var headers: HTTPFields
      (status, headers, html) = try await Self.get(
        client, "/app/dashboard.csv?from=yesterday", manon)
      #expect(status == .badRequest)
      #expect(headers[.contentType] == "text/plain; charset=utf-8")
      #expect(html.contains("« yesterday » n’est pas une date"))
    }
  }

  @Test("403 for a member who may not manage every conversation, on the page and the CSV")
  func forbidden() async throws {
    let harness = try await ServerHarness(clock: .fixed(Self.tuesday))
    let bruno = try await WebInboxTests.session(WebInboxTests.signIn(harness), "bruno@exemple.fr")
    try await harness.server.makeApplication().test(.router) { client in
      for uri in ["/app/dashboard", "/app/dashboard.csv", "/app/dashboard?format=csv"] {
        let (status, _, body) = try await Self.get(client, uri, bruno)
        #expect(status == .forbidden, "\(uri)")
        #expect(body.contains("can manage all"), "\(uri)")
        #expect(!body.contains("messages_in"), "\(uri)")
      }
      // Without a session: to the sign-in page.
      let status = try await client.execute(uri: "/app/dashboard", method: .get) { $0.status }
      #expect(status == .seeOther)
    }
  }

  @Test("CSV fields: quoted with a comma, a quote or a line break; formulas kept as text")
  func csvFields() {
    #expect(DashboardCSV.field("Support Technique") == "Support Technique")
    #expect(DashboardCSV.field("Ventes, devis") == #""Ventes, devis""#)
    #expect(DashboardCSV.field(#"Le "VIP""#) == #""Le ""VIP""""#)
    #expect(DashboardCSV.field("deux\nlignes") == "\"deux\nlignes\"")
    #expect(DashboardCSV.field("=HYPERLINK(\"x\")") == #""'=HYPERLINK(""x"")""#)
    #expect(DashboardCSV.field("@SUM") == "'@SUM")
    #expect(DashboardCSV.number(240) == "240")
    #expect(DashboardCSV.number(112.5) == "112.5")
  }

  @Test("days follow the zone across a change of time: a night after it counts on its own day")
  func daylightSavingTime() throws {
    let paris = try #require(TimeZone(identifier: "Europe/Paris"))
    let period = DashboardService.Period(
      from: DashboardService.Day(year: 2026, month: 3, day: 28),
      to: DashboardService.Day(year: 2026, month: 3, day: 30),
      zone: DashboardService.Zone(timeZone: paris, hours: "bureau"))
    let days = DashboardService.statisticsDays(period)
    #expect(days.count == 3)
    // Midnight of 28/03 in Paris is 23:00 UTC the day before; 31/03 starts at 22:00 UTC.
    #expect(days.start == 1_774_652_400)
    #expect(days.end == 1_774_908_000)
    #expect(days.offsets.map(\.seconds) == [3600, 7200])
    // 00:30 on 30/03 in Paris (22:30 UTC on 29/03) is day 30/03.
    let instant = 1_774_823_400.0
    let offset = instant >= days.offsets[1].from ? days.offsets[1].seconds : days.offsets[0].seconds
    let number = Int((instant + Double(offset)) / 86_400)
    #expect(
      DashboardService.Day(number: number) == DashboardService.Day(year: 2026, month: 3, day: 30))
    #expect(DashboardService.Day(iso: "2026-03-30")?.number == number)
    #expect(DashboardService.Day(iso: "2026-02-29") == nil)
    #expect(DashboardService.Day(iso: "30/03/2026") == nil)
  }
}
