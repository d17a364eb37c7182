import EtiquetteChecker
import EtiquetteEngine
import Foundation
import Mustache

/// Renders the web inbox's pages: swift-mustache templates (`Resources/Web/templates`), which
/// escape every value, filled with the view models below. The one place HTML is made.
struct WebRenderer: Sendable {
  let library: MustacheLibrary
  let assets: WebAssets
  /// The language of the pages (`WebInbox.localized` picks it per request).
  var text = WebText.french
  /// Times are shown in the zone of the team's office hours (the example rules' "bureau"):
  /// never the machine's zone, so a page reads the same wherever the server runs.
  let zone = TimeZone(identifier: "Europe/Paris") ?? .gmt

  /// Loads the templates and the static files of the module's resource bundle.
  static func bundled() throws -> WebRenderer {
    guard let web = Bundle.module.url(forResource: "Web", withExtension: nil) else {
      throw ConfigurationError("the web inbox's resources are missing from the server's bundle")
    }
    var library = MustacheLibrary()
    let templates = web.appendingPathComponent("templates")
    for name in try FileManager.default.contentsOfDirectory(atPath: templates.path)
    where name.hasSuffix(".mustache") {
      let source = try String(
        contentsOf: templates.appendingPathComponent(name), encoding: .utf8)
      try library.register(source, named: String(name.dropLast(".mustache".count)))
    }
    return WebRenderer(
      library: library, assets: try WebAssets(directory: web.appendingPathComponent("static")))
  }

  /// What every page's `head` partial reads.
  struct Head: Sendable {
    var title: String
    var css: String
    var js: String
    var live: String
    var labelsCSS: String?
  }

  func head(_ title: String, labelsCSS: String? = nil) -> Head {
    Head(
      title: title, css: assets.paths["inbox.css"] ?? "", js: assets.paths["inbox.js"] ?? "",
      live: assets.paths["live.js"] ?? "", labelsCSS: labelsCSS)
  }

  func render(_ template: String, _ model: Any) -> String {
    library.render(model, withTemplate: template) ?? ""
  }

  // MARK: - Sign-in pages

  struct SignInPage {
    var head: Head
    var t: WebText
    var csrf: String
    var email: String
    var error: String?
  }

  func signInPage(csrf: String, email: String = "", error: String? = nil) -> String {
    render(
      "login",
      SignInPage(
        head: head(text.signInTitle), t: text, csrf: csrf, email: email, error: error))
  }

  struct InvitationPage {
    var head: Head
    var t: WebText
    var csrf: String
    var email: String?
    var action: String
    var error: String?
  }

  func invitationPage(token: String, email: String?, csrf: String, error: String? = nil)
    -> String
  {
    render(
      "invitation",
      InvitationPage(
        head: head(text.invitationTitle), t: text, csrf: csrf, email: email,
        action: "/invitation/" + token, error: email == nil ? text.invitationInvalid : error))
  }

  struct MessagePage {
    var head: Head
    var t: WebText
    var message: String
    var back: String
  }

  func messagePage(_ message: String, back: String = "/app") -> String {
    render("message", MessagePage(head: head(text.appName), t: text, message: message, back: back))
  }

  // MARK: - The inbox

  struct ViewLink {
    var name: String
    var href: String
    var current: Bool
    /// The number shown beside the name; nil shows none.
    var count: String?
  }

  struct Chip {
    var name: String
    var cssClass: String
  }

  struct ListRow {
    var href: String
    var contact: String
    var time: String
    var author: String?
    var preview: String
    var unread: Bool
    var count: Int
    var mode: String
    /// « Urgent », « Priorité haute »; nil for normal and low.
    var priority: String?
    var labels: [Chip]
    var overflow: String?
    var selected: Bool
  }

  struct Bubble {
    var side: String
    var who: String?
    var ai: Bool
    var text: String
    var time: String
    var status: String?
  }

  struct NoteLine {
    var author: String
    var body: String
    var time: String
  }

  struct SystemLine {
    var line: String
  }

  struct TimelineItem {
    var message: Bubble?
    var note: NoteLine?
    var system: SystemLine?
    var day: SystemLine?
  }

  struct HandoffButton {
    var action: String
    var label: String
  }

  struct ConversationPane {
    var contact: String
    var mode: String
    var priority: String?
    var labels: [Chip]
    var items: [TimelineItem]
    var actionBase: String
    var mayReply: Bool
    var handoff: [HandoffButton]
  }

  struct InboxPage {
    var head: Head
    var t: WebText
    var csrf: String
    var member: String
    var view: String
    var search: String?
    /// `priority` when the list is sorted so (the search form keeps it).
    var sort: String?
    var views: [ViewLink]
    var sorts: [ViewLink]
    var rows: [ListRow]
    /// The next page of the list.
    var more: String?
    var conversation: ConversationPane?
  }

  /// The list of `rows` in `view`, with `opened` in the right pane when there is one.
  func inboxPage(
    member: String, csrf: String, view: InboxPageService.View, counts: InboxPageService.Counts,
    options: InboxPageService.ListOptions, nextCursor: String?, labels: [LabelDefinition],
    rows: [InboxPageService.Row], opened: InboxPageService.Opened?, rules: LoadedRules,
    rulesPath: String, now: Date
  ) -> String {
    let viewQuery = "?view=" + Self.queryEscaped(view.parameter)
    func count(_ value: Int) -> String? {
      value == 0 ? nil : value >= InboxPageService.pageSize ? "\(value)+" : "\(value)"
    }
    var views = [
      ViewLink(name: text.viewAll, href: "/app", current: view == .all, count: nil),
      ViewLink(
        name: text.viewUnread, href: "/app?view=unread", current: view == .unread,
        count: count(counts.unread)),
      ViewLink(
        name: text.viewNeedsReply, href: "/app?view=reply", current: view == .needsReply,
        count: count(counts.needsReply)),
    ]
    for label in labels {
      let parameter = InboxPageService.View.label(label.name).parameter
      views.append(
        ViewLink(
          name: label.name, href: "/app?view=" + Self.queryEscaped(parameter),
          current: view == .label(label.name), count: nil))
    }
    let listRows = rows.map { row in
      let chips = row.summary.labels.map { chip($0, rules: rules) }
      return ListRow(
        href: "/app/conversations/\(Self.pathEscaped(row.summary.id))\(viewQuery)",
        contact: contactName(row.summary.contact),
        time: row.preview.map { listTime(Date(timeIntervalSince1970: $0.at), now: now) } ?? "",
        author: row.preview.flatMap { previewAuthor($0, member: member) },
        preview: row.preview.map { String($0.text.prefix(120)) } ?? "",
        unread: row.summary.unreadCount > 0, count: row.summary.unreadCount,
        mode: modeName(row.summary.mode, holder: row.summary.assignee, member: member),
        priority: priorityName(row.summary.priority), labels: Array(chips.prefix(3)),
        overflow: chips.count > 3 ? "+\(chips.count - 3)" : nil,
        selected: row.summary.id == opened?.detail.id)
    }
    return render(
      "inbox",
      InboxPage(
        // The unread count in the tab's title, as WhatsApp Web shows it.
        head: head(
          counts.unread > 0
            ? "(\(count(counts.unread) ?? "")) \(text.conversations)" : text.conversations,
          labelsCSS: labelStylesheetPath(rules)),
        t: text, csrf: csrf, member: member, view: view.parameter, search: options.search,
        sort: options.sort == .priority ? "priority" : nil, views: views,
        sorts: [
          ViewLink(
            name: text.sortRecent, href: listHref(view, options.search, .recent, nil),
            current: options.sort == .recent, count: nil),
          ViewLink(
            name: text.sortPriority, href: listHref(view, options.search, .priority, nil),
            current: options.sort == .priority, count: nil),
        ],
        rows: listRows,
        more: nextCursor.map { listHref(view, options.search, options.sort, $0) },
        conversation: opened.map {
          pane($0, member: member, rules: rules, rulesPath: rulesPath, now: now)
        }
      ))
  }

  func pane(
    _ opened: InboxPageService.Opened, member: String, rules: LoadedRules, rulesPath: String,
    now: Date
  ) -> ConversationPane {
    let detail = opened.detail
    // One timeline: lines, notes and label explanations in time order (a label's line after
    // the message that applied it, at the same instant).
    var timed: [(Date, Int, TimelineItem)] = []
    for message in detail.transcript {
      let at = Instant.parse(message.at) ?? .distantPast
      switch message.direction {
      case "event":
        timed.append((at, 0, TimelineItem(system: SystemLine(line: message.text))))
      default:
        let customer = message.direction == "in"
        let ai = message.author == "ai"
        timed.append(
          (
            at, 0,
            TimelineItem(
              message: Bubble(
                side: customer ? "customer" : "team",
                who: customer ? nil : (ai ? text.ai : authorName(message.author, member: member)),
                ai: ai, text: message.text, time: clockTime(at),
                status: message.status.map(statusName)))
          ))
      }
    }
    for label in detail.labels {
      let at = label.reason["at"]?.stringValue.flatMap(Instant.parse) ?? .distantPast
      timed.append(
        (
          at, 1,
          TimelineItem(system: SystemLine(line: labelLine(label, rulesPath: rulesPath)))
        ))
    }
    for note in detail.notes {
      let at = Instant.parse(note.at) ?? .distantPast
      timed.append(
        (
          at, 2,
          TimelineItem(
            note: NoteLine(
              author: authorName(note.author, member: member), body: note.text,
              time: clockTime(at)))
        ))
    }
    var items: [TimelineItem] = []
    var lastDay: String?
    for (at, _, item) in timed.enumerated().sorted(by: { a, b in
      (a.element.0, a.element.1, a.offset) < (b.element.0, b.element.1, b.offset)
    }).map(\.element) {
      let day = dayName(at, now: now)
      if day != lastDay {
        items.append(TimelineItem(day: SystemLine(line: day)))
        lastDay = day
      }
      items.append(item)
    }
    return ConversationPane(
      contact: contactName(detail.contact),
      mode: modeName(detail.mode, holder: detail.assignee, member: member),
      priority: priorityName(detail.priority),
      labels: detail.labels.map { chip($0.name, rules: rules) }, items: items,
      actionBase: "/app/conversations/" + Self.pathEscaped(detail.id),
      mayReply: opened.mayReply,
      handoff: [
        HandoffButton(action: "take_over", label: text.takeOver),
        HandoffButton(action: "transfer_to_ai", label: text.transferToAI),
        HandoffButton(action: "keep_human_and_leave", label: text.keepHuman),
      ])
  }

  /// « Étiquette "Personnes Qui Ont Planifié" — déclencheur "J'ai réservé"
  /// (rules/labels.etq:7) », or who added it.
  func labelLine(_ label: ConversationDetail.LabelDocument, rulesPath: String) -> String {
    var line = "\(text.labelWord) « \(label.name) »"
    if let match = label.reason["matches"]?.arrayValue?.first,
      let trigger = match["trigger"]?.stringValue
    {
      line += " — \(text.triggerWord) « \(trigger) »"
      if let location = match["location"]?.stringValue {
        line += " (\(Self.relative(location, to: rulesPath)))"
      }
    } else if let member = label.reason["member"]?.stringValue {
      line += " — \(text.addedBy) \(member)"
    } else if let rule = label.reason["rule"]?.stringValue {
      line += " (\(rule))"
    }
    return line
  }

  // MARK: - Formatting

  func chip(_ name: String, rules: LoadedRules) -> Chip {
    let index = rules.ruleSet.labels.firstIndex { $0.name == name }
    return Chip(name: name, cssClass: index.map { "label-\($0)" } ?? "label-unknown")
  }

  /// `/static/labels.<hash of the rule-set version>.css`.
  func labelStylesheetPath(_ rules: LoadedRules) -> String {
    "/static/" + Self.labelStylesheetName(rules)
  }

  static func labelStylesheetName(_ rules: LoadedRules) -> String {
    WebAssets.versionedName("labels.css", body: Array(rules.version.utf8))
  }

  func contactName(_ contact: ContactDocument) -> String {
    contact.name ?? contact.phone.map { "+" + $0 } ?? contact.userId ?? contact.id
  }

  /// `labels.etq:20:5` rather than the server's absolute path to the rules.
  static func relative(_ location: String, to rulesPath: String) -> String {
    var folder = rulesPath
    while folder.hasSuffix("/") { folder.removeLast() }
    guard !folder.isEmpty, location.hasPrefix(folder + "/") else { return location }
    return String(location.dropFirst(folder.count + 1))
  }

  func statusName(_ status: String) -> String {
    switch status {
    case "queued": text.statusQueued
    case "sent": text.statusSent
    case "delivered": text.statusDelivered
    case "read", "played": text.statusRead
    case "failed": text.statusFailed
    default: status
    }
  }

  /// « IA », « Humain », or « Humain · Bruno » when a member holds the conversation.
  func modeName(_ mode: String, holder: String?, member: String) -> String {
    guard mode != "ai" else { return text.modeAI }
    guard let holder else { return text.modeHuman }
    return text.modeHuman + " · " + authorName(holder, member: member)
  }

  func priorityName(_ priority: String) -> String? {
    switch priority {
    case "urgent": text.priorityUrgent
    case "high": text.priorityHigh
    default: nil
    }
  }

  /// « Aujourd'hui », « Hier », or the date: the separator above a day's first line.
  func dayName(_ date: Date, now: Date) -> String {
    let calendar = calendar
    let days =
      calendar.dateComponents(
        [.day], from: calendar.startOfDay(for: date), to: calendar.startOfDay(for: now)
      ).day ?? 0
    switch days {
    case ...0: return text.today
    case 1: return text.yesterday
    default:
      let parts = calendar.dateComponents([.day, .month, .year], from: date)
      return String(format: "%02d/%02d/%04d", parts.day ?? 0, parts.month ?? 0, parts.year ?? 0)
    }
  }

  /// « Vous », « IA », or the part of a member's e-mail before the @, capitalised (« Manon »).
  func authorName(_ author: String, member: String) -> String {
    if author == member { return text.you }
    if author == "ai" { return text.ai }
    let local = author.split(separator: "@").first.map(String.init) ?? author
    return local.prefix(1).uppercased() + local.dropFirst()
  }

  func previewAuthor(_ preview: ConversationPreview, member: String) -> String? {
    switch preview.direction {
    case "out", "echo": authorName(preview.author, member: member)
    default: nil
    }
  }

  var calendar: Calendar {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    return calendar
  }

  func clockTime(_ date: Date) -> String {
    let parts = calendar.dateComponents([.hour, .minute], from: date)
    return String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
  }

  /// HH:MM today, « Hier », the weekday within a week, the date before.
  func listTime(_ date: Date, now: Date) -> String {
    let calendar = calendar
    let days =
      calendar.dateComponents(
        [.day], from: calendar.startOfDay(for: date), to: calendar.startOfDay(for: now)
      ).day ?? 0
    switch days {
    case ...0: return clockTime(date)
    case 1: return text.yesterday
    case 2..<7:
      let weekday = calendar.component(.weekday, from: date)
      return text.weekdays[(weekday - 1) % 7]
    default:
      let parts = calendar.dateComponents([.day, .month, .year], from: date)
      return String(format: "%02d/%02d/%04d", parts.day ?? 0, parts.month ?? 0, parts.year ?? 0)
    }
  }

  /// The list's URL: view, search, sort and page.
  func listHref(
    _ view: InboxPageService.View, _ search: String?, _ sort: ConversationListQuery.Sort,
    _ cursor: String?
  ) -> String {
    var parts: [String] = []
    if view != .all { parts.append("view=" + Self.queryEscaped(view.parameter)) }
    if let search { parts.append("q=" + Self.queryEscaped(search)) }
    if sort == .priority { parts.append("sort=priority") }
    if let cursor { parts.append("cursor=" + Self.queryEscaped(cursor)) }
    return "/app" + (parts.isEmpty ? "" : "?" + parts.joined(separator: "&"))
  }

  static func pathEscaped(_ value: String) -> String {
    value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"]))
      ?? value
  }

  static func queryEscaped(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~:")
    return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
  }
}
