import EtiquetteChecker
import EtiquetteEngine
import Foundation

/// What the web inbox's pages show, built on `ConversationService` (which decides access):
/// the list with each conversation's last line, the views a member may open, a conversation
/// with whether the member may answer it.
struct InboxPageService: Sendable {
  let conversations: ConversationService
  let previews: any WebSessionStore
  let rules: RuleHolder

  /// The list's views: « Toutes », « Non lues », « À répondre », « Mentions », « Mode IA »,
  /// « Mes conversations », one per label.
  enum View: Sendable, Hashable {
    case all
    case unread
    /// The customer wrote last: someone owes an answer (unlike unread, which is per member).
    case needsReply
    /// An internal note mentions the member.
    case mentions
    /// The AI answers.
    case aiMode
    /// The member holds the conversation (took it over, or kept it when leaving).
    case mine
    case label(String)

    /// Every view but the labels', in the order the page shows them.
    static let fixed: [View] = [.all, .unread, .needsReply, .mentions, .aiMode, .mine]

    /// The `view` query parameter's value.
    var parameter: String {
      switch self {
      case .all: "all"
      case .unread: "unread"
      case .needsReply: "reply"
      case .mentions: "mentions"
      case .aiMode: "ai"
      case .mine: "mine"
      case .label(let name): "label:" + name
      }
    }

    init(parameter: String?) {
      switch parameter {
      case "unread": self = .unread
      case "reply": self = .needsReply
      case "mentions": self = .mentions
      case "ai": self = .aiMode
      case "mine": self = .mine
      case let value? where value.hasPrefix("label:"): self = .label(String(value.dropFirst(6)))
      default: self = .all
      }
    }

    /// The view as a query of the store, for `member`.
    func query(member: String) -> ConversationListQuery {
      var query = ConversationListQuery()
      switch self {
      case .all: break
      case .unread: query.unread = true
      case .needsReply: query.awaitingReply = true
      case .mentions: query.mentioning = member
      case .aiMode: query.mode = "ai"
      case .mine: query.assignee = member
      case .label(let name): query.label = name
      }
      return query
    }
  }

  /// Label filters that combine, on top of a view: conversations with any (or all) of
  /// `labels`, and none of `without` (`?label=A&label=B&match=all&without=C`).
  struct LabelFilter: Sendable, Hashable {
    var labels: [String] = []
    var matchAll = false
    var without: [String] = []

    var isEmpty: Bool { labels.isEmpty && without.isEmpty }

    func apply(to query: inout ConversationListQuery) {
      if matchAll { query.allLabels = labels } else { query.anyLabels = labels }
      query.noLabels = without
    }
  }

  struct Row: Sendable {
    var summary: ConversationSummary
    var preview: ConversationPreview?
  }

  /// How many conversations one page of the list shows.
  static let pageSize = 100

  /// What the list's URL asks for besides the view.
  struct ListOptions: Sendable, Hashable {
    /// Words the server's full-text index must find (transcript and contact name).
    var search: String?
    var sort: ConversationListQuery.Sort = .recent
    /// The next page's cursor (keyset pagination, from the previous page).
    var cursor: String?
    var filter = LabelFilter()
  }

  struct Page: Sendable {
    var rows: [Row]
    var nextCursor: String?
  }

  func list(member: String, view: View, options: ListOptions = ListOptions()) async throws
    -> Page
  {
    var query = view.query(member: member)
    query.limit = Self.pageSize
    query.text = options.search
    query.sort = options.sort
    query.cursor = options.cursor
    options.filter.apply(to: &query)
    let page = try await conversations.list(member: member, query: query)
    let lines = try await previews.conversationPreviews(ids: page.conversations.map(\.id))
    return Page(
      rows: page.conversations.map { Row(summary: $0, preview: lines[$0.id]) },
      nextCursor: page.nextCursor)
  }

  /// How many conversations each view but « Toutes » holds, up to one page each (a full page
  /// shows as "100+"). Counted by the store, with the member's access compiled into the SQL.
  func counts(member: String) async throws -> [View: Int] {
    var counts: [View: Int] = [:]
    for view in View.fixed where view != .all {
      counts[view] = try await conversations.count(
        member: member, query: view.query(member: member), limit: Self.pageSize)
    }
    return counts
  }

  /// The labels whose view the member may open: those a conversation carrying only that
  /// label would be visible with (the engine decides, as for every conversation).
  func visibleLabels(member: String) -> [LabelDefinition] {
    let loaded = rules.current
    return loaded.ruleSet.labels.filter { label in
      loaded.engine.can(member, .view, labels: [label.id]).allowed
    }
  }

  struct Opened: Sendable {
    var detail: ConversationDetail
    var mayReply: Bool
    /// The AI's drafts for a human to send (human-first rules), newest last.
    var suggestions: [AISuggestion] = []
    /// The labels the member may add: every label the conversation lacks, when the member may
    /// reply (the engine's grant for label changes).
    var addableLabels: [String] = []
    /// Members who may view the conversation, for `@` completion in notes.
    var mentionable: [String] = []
    /// The stored media of the conversation's attachments, by media id (size, type, whether
    /// it is downloaded yet).
    var media: [String: StoredMedia] = [:]
  }

  /// The media id of an attachment's URL (`…/v1/media/ID`, the server's own download route).
  static func mediaID(_ attachment: JSONValue) -> String? {
    guard let url = attachment["url"]?.stringValue,
      let range = url.range(of: "/v1/media/", options: .backwards)
    else { return nil }
    let id = String(url[range.upperBound...])
    return id.isEmpty ? nil : (id.removingPercentEncoding ?? id)
  }

  /// A conversation the member may view (404 otherwise), marked read.
  func open(member: String, id: String) async throws -> Opened {
    let detail = try await conversations.detail(member: member, id: id)
    let loaded = rules.current
    let labels = ConversationService.labelIDs(detail.labels.map(\.name), ruleSet: loaded.ruleSet)
    let mayReply = loaded.engine.can(member, .reply, labels: labels).allowed
    if detail.read.unread {
      _ = try await conversations.markRead(member: member, id: id, read: true)
    }
    var media: [String: StoredMedia] = [:]
    for attachment in detail.transcript.flatMap(\.attachments) {
      guard let id = Self.mediaID(attachment), media[id] == nil else { continue }
      media[id] = try? await conversations.media(id: id, viewer: member)
    }
    let present = Set(detail.labels.map(\.name))
    return Opened(
      detail: detail, mayReply: mayReply,
      suggestions: mayReply ? try await conversations.suggestions(member: member, id: id) : [],
      addableLabels: mayReply
        ? loaded.ruleSet.labels.map(\.name).filter { !present.contains($0) } : [],
      mentionable: loaded.ruleSet.members.map(\.email).filter {
        $0 != member && loaded.engine.can($0, .view, labels: labels).allowed
      }, media: media)
  }

  func act(_ request: AgentActionRequest, on id: String, by member: String) async throws {
    _ = try await conversations.act(request, on: id, by: member)
  }

  /// « Marquer comme non lu »: the last line is new again for this member.
  func markUnread(member: String, id: String) async throws {
    _ = try await conversations.markRead(member: member, id: id, read: false)
  }
}
