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

  /// The list's views: « Toutes », « Non lues », « À répondre », one per label.
  enum View: Sendable, Hashable {
    case all
    case unread
    /// The customer wrote last: someone owes an answer (unlike unread, which is per member).
    case needsReply
    case label(String)

    /// The `view` query parameter's value.
    var parameter: String {
      switch self {
      case .all: "all"
      case .unread: "unread"
      case .needsReply: "reply"
      case .label(let name): "label:" + name
      }
    }

    init(parameter: String?) {
      switch parameter {
      case "unread": self = .unread
      case "reply": self = .needsReply
      case let value? where value.hasPrefix("label:"): self = .label(String(value.dropFirst(6)))
      default: self = .all
      }
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
  }

  struct Page: Sendable {
    var rows: [Row]
    var nextCursor: String?
  }

  func list(member: String, view: View, options: ListOptions = ListOptions()) async throws
    -> Page
  {
    var query = ConversationListQuery()
    query.limit = Self.pageSize
    query.text = options.search
    query.sort = options.sort
    query.cursor = options.cursor
    switch view {
    case .all, .needsReply: break
    case .unread: query.unread = true
    case .label(let name): query.label = name
    }
    let page = try await conversations.list(member: member, query: query)
    let lines = try await previews.conversationPreviews(ids: page.conversations.map(\.id))
    let rows = page.conversations.map { Row(summary: $0, preview: lines[$0.id]) }
    // « À répondre » filters each page of the list: a page may show fewer rows than it read.
    return Page(
      rows: view == .needsReply ? rows.filter { $0.preview?.direction == "in" } : rows,
      nextCursor: page.nextCursor)
  }

  /// How many conversations « Non lues » and « À répondre » hold, up to one page each (a
  /// full page shows as "100+").
  struct Counts: Sendable {
    var unread: Int
    var needsReply: Int
  }

  func counts(member: String) async throws -> Counts {
    Counts(
      unread: try await list(member: member, view: .unread).rows.count,
      needsReply: try await list(member: member, view: .needsReply).rows.count)
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
    return Opened(detail: detail, mayReply: mayReply)
  }

  func act(_ request: AgentActionRequest, on id: String, by member: String) async throws {
    _ = try await conversations.act(request, on: id, by: member)
  }

  /// « Marquer comme non lu »: the last line is new again for this member.
  func markUnread(member: String, id: String) async throws {
    _ = try await conversations.markRead(member: member, id: id, read: false)
  }
}
