import EtiquetteChecker
import EtiquetteDiagnostics
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
    var icon: String
    var touchIcon: String
  }

  func head(_ title: String, labelsCSS: String? = nil) -> Head {
    Head(
      title: title, css: assets.paths["inbox.css"] ?? "", js: assets.paths["inbox.js"] ?? "",
      live: assets.paths["live.js"] ?? "", labelsCSS: labelsCSS,
      icon: assets.paths["icon.svg"] ?? "", touchIcon: assets.paths["icon-192.png"] ?? "")
  }

  // MARK: - The admin console

  struct DiagnosticLine {
    var code: String
    var severity: String
    var location: String
    var line: Int
    var message: String
    var help: String?
  }

  /// The console's pages, in its navigation (`console-top.mustache`): which one is shown.
  struct ConsoleNav {
    var rules = false
    var access = false
    var members = false
    var dashboard = false
  }

  struct ConsolePage {
    var head: Head
    var t: WebText
    var nav = ConsoleNav(rules: true)
    var csrf: String
    var member: String
    var files: [ViewLink]
    var file: String
    var text: String
    /// After « Vérifier »: the draft's diagnostics (an empty list: no problem found).
    var checked: Bool
    var diagnostics: [DiagnosticLine]
    var summary: String?
    var editor: String
    var codemirror: [String]
    var styles: [String]
    var message: String
    var trial: TrialView?
    var base: String
    var publishMessage: String
    var notice: String?
    var problem: String?
    var tests: TestsView?
    var tryTypes: [Option]
    var tryZones: [Option]
    var tryContact: String
    var tryEvent: String
    var tryFields: String
    var tryAt: String
    /// « Plus d'options » opens by itself when one of them is set.
    var tryMore: Bool
  }

  /// An `<option>` of a `<select>`.
  struct Option {
    var value: String
    var name: String
    var selected: Bool
  }

  /// « Lancer les tests »: the summary and each failure on its line.
  struct TestsView {
    struct Failure {
      var test: String
      var location: String
      var line: Int
      var message: String
    }
    var summary: String
    var failures: [Failure]
  }

  /// « Essayer »: what the draft decides for a message, as the REPL says it.
  struct TrialView {
    struct LabelLine {
      var name: String
      var why: [String]
    }
    struct AccessLine {
      var member: String
      var access: String
    }
    var labels: [LabelLine]
    var route: String
    var ai: String
    var members: [AccessLine]
  }

  func trialView(_ trial: RuleDraftService.Trial) -> TrialView? {
    guard let decision = trial.decision else { return nil }
    let labels = decision.added.map { reason in
      TrialView.LabelLine(
        name: reason.label,
        why: reason.matches.map { match in
          "« \(match.trigger) » (\(match.location)) : « \(match.text) »"
            + (match.how.map { " — \($0)" } ?? "")
        }
          + (reason.matches.isEmpty
            ? [reason.event.map { "\(text.eventWord) \($0)" } ?? reason.rule ?? ""] : []))
    }
    var route = decision.mode == "ai" ? text.modeAI : text.modeHuman
    if let team = decision.team { route += " · \(text.teamWord) \(team)" }
    if let priority = priorityName(decision.priority) { route += " · \(priority)" }
    if let rule = decision.route.rule { route += " — \(text.ruleWord) \(rule)" }
    let ai =
      switch decision.ai.action {
      case "reply": text.aiReplies
      case "suggest": text.aiSuggests
      default: text.aiWaits
      }
    return TrialView(
      labels: labels, route: route, ai: ai,
      members: trial.members.map {
        TrialView.AccessLine(
          member: $0.member,
          access: $0.reply ? text.mayReplyWord : $0.view ? text.mayViewWord : text.mayNotViewWord)
      })
  }

  // MARK: - The installable app

  struct ServiceWorker {
    var shell: [String]
    var version: String
  }

  /// `/sw.js`: caches the shell, the static files by their versioned names.
  func serviceWorker() -> String {
    // The inbox's shell: the console's editor (400 KB) stays out of every agent's cache.
    let shell = assets.paths.filter { !$0.key.hasPrefix("codemirror") && $0.key != "console.js" }
      .values.sorted()
    return render(
      "sw.js",
      ServiceWorker(
        shell: shell,
        version: String(
          WebAssets.versionedName("shell", body: Array(shell.joined().utf8)).dropFirst(6))))
  }

  struct Manifest {
    var t: WebText
    var icon192: String
    var icon512: String
    var iconSVG: String
  }

  /// `/manifest.webmanifest`: what makes the inbox installable on a phone.
  func manifest() -> String {
    render(
      "manifest.webmanifest",
      Manifest(
        t: text, icon192: assets.paths["icon-192.png"] ?? "",
        icon512: assets.paths["icon-512.png"] ?? "", iconSVG: assets.paths["icon.svg"] ?? ""))
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
    /// WhatsApp's 24-hour window for free replies closes within the next 4 hours.
    var windowClosing: Bool
  }

  struct Bubble {
    var side: String
    var who: String?
    var ai: Bool
    var text: String
    var time: String
    /// The delivery tick of a team message: its symbol, its class, and what it means (with
    /// Meta's error when it failed), shown on hover and read by screen readers.
    var tick: Tick?
    var media: [MediaView] = []
  }

  /// An attachment as the bubble shows it: an image inline, a player for audio and video, a
  /// link with the name and size for a document; a line while it downloads or when it failed.
  struct MediaView {
    var src: String
    var name: String
    var size: String?
    var mimeType: String?
    var image = false
    var video = false
    var audio = false
    var document = false
    /// An AAC rendition of an Ogg/Opus voice note, for browsers that cannot play Opus.
    var aac: String?
    var pending: String?
    var failed: String?
  }

  struct Tick {
    var symbol: String
    var state: String
    var title: String
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
    /// « 3 messages non lus », above the first line the member had not read.
    var unread: SystemLine?
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
    /// The labels the member may add (reply access), for the « Ajouter une étiquette » form.
    var addable: [String]
    var suggestions: [SuggestionLink]
    /// The composer's text: a suggestion the member chose to insert (`?draft=ID`).
    var draft: String
    /// Members `@` completion offers (those who may view the conversation), space-separated.
    var mentionable: String
    /// The 24-hour window's line when it closes within 4 hours or has closed.
    var window: String?
    var windowClosed: Bool
    // Stored, not computed: the templates read values by reflection.
    var hasSuggestions: Bool
    var hasAddable: Bool
    /// « Qui peut voir cette conversation ? », for members the console admits.
    var accessLink: ViewLink?
  }

  struct SuggestionLink {
    var text: String
    var href: String
    var id: String
  }

  struct FilterOption {
    var name: String
    var included: Bool
    var excluded: Bool
    var index: Int
  }

  struct FilterPanel {
    var options: [FilterOption]
    var matchAll: Bool
    var active: Bool
    /// How many labels the filter names, shown beside its title.
    var count: Int
    var clear: String
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
    var filter: FilterPanel
    /// The list's query string (`?view=…&label=…`), which forms send back so that an action
    /// returns to the same list.
    var listQuery: String
    /// `LiveStream.changeMark` when the page was drawn.
    var change: String
    /// The member may manage every conversation: the header links to the console.
    var console: Bool
  }

  /// The list of `rows` in `view`, with `opened` in the right pane when there is one.
  func inboxPage(
    member: String, csrf: String, view: InboxPageService.View,
    counts: [InboxPageService.View: Int], options: InboxPageService.ListOptions,
    nextCursor: String?, labels: [LabelDefinition], rows: [InboxPageService.Row],
    opened: InboxPageService.Opened?, rules: LoadedRules, rulesPath: String, now: Date,
    change: String = "", draft: Int64? = nil
  ) -> String {
    func count(_ value: Int?) -> String? {
      guard let value, value > 0 else { return nil }
      return value >= InboxPageService.pageSize ? "\(value)+" : "\(value)"
    }
    let viewNames: [InboxPageService.View: String] = [
      .all: text.viewAll, .unread: text.viewUnread, .needsReply: text.viewNeedsReply,
      .mentions: text.viewMentions, .aiMode: text.viewAIMode, .mine: text.viewMine,
    ]
    var views = InboxPageService.View.fixed.map { fixed in
      ViewLink(
        name: viewNames[fixed] ?? "", href: listHref(fixed, nil, .recent, nil),
        current: view == fixed, count: count(counts[fixed]))
    }
    for label in labels {
      let labelView = InboxPageService.View.label(label.name)
      views.append(
        ViewLink(
          name: label.name, href: listHref(labelView, nil, .recent, nil),
          current: view == labelView, count: nil))
    }
    let query = listHref(view, options.search, options.sort, nil, filter: options.filter)
      .dropFirst("/app".count)
    let listQuery = String(query)
    let listRows = rows.map { row in
      let chips = row.summary.labels.map { chip($0, rules: rules) }
      let window = row.preview?.customerAt.map { windowLeft(since: $0, now: now) }
      return ListRow(
        href: "/app/conversations/\(Self.pathEscaped(row.summary.id))\(listQuery)",
        contact: contactName(row.summary.contact),
        time: row.preview.map { listTime(Date(timeIntervalSince1970: $0.at), now: now) } ?? "",
        author: row.preview.flatMap { previewAuthor($0, member: member) },
        preview: row.preview.map { String($0.text.prefix(120)) } ?? "",
        unread: row.summary.unreadCount > 0, count: row.summary.unreadCount,
        mode: modeName(row.summary.mode, holder: row.summary.assignee, member: member),
        priority: priorityName(row.summary.priority), labels: Array(chips.prefix(3)),
        overflow: chips.count > 3 ? "+\(chips.count - 3)" : nil,
        selected: row.summary.id == opened?.detail.id,
        windowClosing: window.map { $0 > 0 && $0 <= Self.windowWarning } ?? false)
    }
    let unread = counts[.unread] ?? 0
    let console = rules.managesAll(member)
    return render(
      "inbox",
      InboxPage(
        // The unread count in the tab's title, as WhatsApp Web shows it.
        head: head(
          unread > 0 ? "(\(count(unread) ?? "")) \(text.conversations)" : text.conversations,
          labelsCSS: labelStylesheetPath(rules)),
        t: text, csrf: csrf, member: member, view: view.parameter, search: options.search,
        sort: options.sort == .priority ? "priority" : nil, views: views,
        sorts: [
          ViewLink(
            name: text.sortRecent,
            href: listHref(view, options.search, .recent, nil, filter: options.filter),
            current: options.sort == .recent, count: nil),
          ViewLink(
            name: text.sortPriority,
            href: listHref(view, options.search, .priority, nil, filter: options.filter),
            current: options.sort == .priority, count: nil),
        ],
        rows: listRows,
        more: nextCursor.map {
          listHref(view, options.search, options.sort, $0, filter: options.filter)
        },
        conversation: opened.map {
          pane(
            $0, member: member, rules: rules, rulesPath: rulesPath, now: now, draft: draft,
            listQuery: listQuery)
        },
        filter: FilterPanel(
          options: labels.enumerated().map { index, label in
            FilterOption(
              name: label.name, included: options.filter.labels.contains(label.name),
              excluded: options.filter.without.contains(label.name), index: index)
          }, matchAll: options.filter.matchAll, active: !options.filter.isEmpty,
          count: options.filter.labels.count + options.filter.without.count,
          clear: listHref(view, options.search, options.sort, nil)),
        listQuery: listQuery, change: change, console: console))
  }

  /// The 24-hour window is flagged in the list once fewer than 4 hours are left.
  static let windowWarning: TimeInterval = 4 * 3600

  /// Seconds left in WhatsApp's 24-hour window opened by the customer's last message.
  func windowLeft(since customerAt: Double, now: Date) -> TimeInterval {
    customerAt + 24 * 3600 - now.timeIntervalSince1970
  }

  func pane(
    _ opened: InboxPageService.Opened, member: String, rules: LoadedRules, rulesPath: String,
    now: Date, draft: Int64? = nil, listQuery: String = ""
  ) -> ConversationPane {
    let detail = opened.detail
    // The first line the member had not read when opening (the transcript's order is the
    // read state's: a member has read the first `readCount` lines).
    let firstUnread = detail.read.unreadCount > 0 ? detail.read.readCount : nil
    // One timeline: lines, notes and label explanations in time order (a label's line after
    // the message that applied it, at the same instant).
    var timed: [(Date, Int, TimelineItem)] = []
    var lastCustomer: Date?
    for (index, message) in detail.transcript.enumerated() {
      let at = Instant.parse(message.at) ?? .distantPast
      if index == firstUnread {
        let count = detail.read.unreadCount
        timed.append(
          (
            at, -1,
            TimelineItem(
              unread: SystemLine(
                line: count == 1
                  ? text.unreadSeparatorOne
                  : text.unreadSeparator.replacingOccurrences(of: "{n}", with: "\(count)")))
          ))
      }
      if message.direction == "in" { lastCustomer = at }
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
                tick: customer ? nil : message.status.map { tick($0, error: message.error) },
                media: mediaViews(message, stored: opened.media)))
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
    var window: String?
    var windowClosed = false
    if let lastCustomer, opened.mayReply {
      let left = windowLeft(since: lastCustomer.timeIntervalSince1970, now: now)
      if left <= 0 {
        window = text.windowClosed
        windowClosed = true
      } else if left <= Self.windowWarning {
        let hours = Int((left / 3600).rounded(.up))
        window = text.windowClosing.replacingOccurrences(of: "{n}", with: "\(hours)")
      }
    }
    let base = "/app/conversations/" + Self.pathEscaped(detail.id)
    let separator = listQuery.isEmpty ? "?" : "&"
    return ConversationPane(
      contact: contactName(detail.contact),
      mode: modeName(detail.mode, holder: detail.assignee, member: member),
      priority: priorityName(detail.priority),
      labels: detail.labels.map { chip($0.name, rules: rules) }, items: items,
      actionBase: base,
      mayReply: opened.mayReply,
      handoff: [
        HandoffButton(action: "take_over", label: text.takeOver),
        HandoffButton(action: "transfer_to_ai", label: text.transferToAI),
        HandoffButton(action: "keep_human_and_leave", label: text.keepHuman),
      ],
      addable: opened.addableLabels,
      suggestions: opened.suggestions.map {
        SuggestionLink(
          text: $0.text, href: base + listQuery + separator + "draft=\($0.id)", id: "\($0.id)")
      },
      draft: opened.suggestions.first { $0.id == draft }?.text ?? "",
      mentionable: opened.mentionable.joined(separator: " "),
      window: window, windowClosed: windowClosed, hasSuggestions: !opened.suggestions.isEmpty,
      hasAddable: !opened.addableLabels.isEmpty,
      accessLink: conversationAccessLink(conversation: detail.id, member: member, rules: rules))
  }

  func mediaViews(
    _ message: ConversationDetail.MessageDocument, stored: [String: StoredMedia]
  ) -> [MediaView] {
    message.attachments.compactMap { attachment in
      guard let id = InboxPageService.mediaID(attachment) else { return nil }
      let row = stored[id]
      let mime = row?.mimeType ?? attachment["type"]?.stringValue
      var view = MediaView(
        src: "/app/media/" + Self.pathEscaped(id),
        name: message.text.isEmpty ? text.attachment : message.text,
        size: row?.size.map(byteCount), mimeType: mime)
      switch row?.status {
      case "stored":
        let kind = message.type ?? row?.kind ?? ""
        view.image = kind == "image" || kind == "sticker"
        view.video = kind == "video"
        view.audio = kind == "audio" || kind == "voice"
        view.document = !(view.image || view.video || view.audio)
        if view.audio, mime?.hasPrefix("audio/ogg") == true {
          view.aac = view.src + "?format=aac"
        }
      case "failed": view.failed = text.mediaFailed
      default: view.pending = text.mediaPending
      }
      return view
    }
  }

  /// « 1,2 Mo », « 830 ko »: sizes as a French (or English) reader writes them.
  func byteCount(_ bytes: Int) -> String {
    let formatter = ByteCountFormatter()
    formatter.countStyle = .file
    var text = formatter.string(fromByteCount: Int64(bytes))
    if self.text.language == "fr" {
      text = text.replacingOccurrences(of: ".", with: ",").replacingOccurrences(
        of: "MB", with: "Mo"
      )
      .replacingOccurrences(of: "KB", with: "ko").replacingOccurrences(of: "kB", with: "ko")
      .replacingOccurrences(of: "GB", with: "Go").replacingOccurrences(of: "bytes", with: "octets")
    }
    return text
  }

  /// ✓ sent, ✓✓ delivered, blue ✓✓ read, a clock while queued, ⚠ failed (Meta's error in the
  /// title).
  func tick(_ status: String, error: ConversationDetail.DeliveryError?) -> Tick {
    switch status {
    case "queued": return Tick(symbol: "◔", state: "queued", title: text.statusQueued)
    case "sent": return Tick(symbol: "✓", state: "sent", title: text.statusSent)
    case "delivered": return Tick(symbol: "✓✓", state: "delivered", title: text.statusDelivered)
    case "read", "played": return Tick(symbol: "✓✓", state: "read", title: text.statusRead)
    case "failed":
      let reason = error.map { e in
        ([e.code.map { "\($0)" }, e.title, e.details].compactMap { $0 }).joined(separator: " · ")
      }
      return Tick(
        symbol: "⚠", state: "failed",
        title: reason.map { text.statusFailedWith.replacingOccurrences(of: "{n}", with: $0) }
          ?? text.statusFailed)
    default: return Tick(symbol: "", state: status, title: statusName(status))
    }
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
    _ cursor: String?, filter: InboxPageService.LabelFilter = .init()
  ) -> String {
    var parts: [String] = []
    if view != .all { parts.append("view=" + Self.queryEscaped(view.parameter)) }
    parts += filter.labels.map { "label=" + Self.queryEscaped($0) }
    if filter.matchAll { parts.append("match=all") }
    parts += filter.without.map { "without=" + Self.queryEscaped($0) }
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
