import EtiquetteChecker
import EtiquetteEngine
import EtiquetteSyntax
import Foundation
import Logging

/// What a member does to a conversation, as decoded from a request: checked for access first,
/// then for its content, so a member learns nothing (not even "unknown label") about a
/// conversation they may not view.
enum AgentActionRequest: Sendable {
  case reply(text: String?)
  case addLabel(name: String?)
  case removeLabel(name: String)
  case note(text: String?)
  case handoff(action: String?)

  /// The access the request needs before its content is looked at (an action may need more:
  /// `Step.AgentAction.requiredLevel`).
  var level: AccessLevel {
    switch self {
    case .note: .view
    case .reply, .addLabel, .removeLabel, .handoff: .reply
    }
  }

  /// The engine's action and the members a note mentions, or 422 naming what is wrong.
  func action(in rules: LoadedRules) throws -> (Step.AgentAction, mentions: [String]) {
    switch self {
    case .reply(let text):
      guard let text, !text.isEmpty else {
        throw APIError.unprocessable("invalid_body", "\"text\" must be a non-empty string")
      }
      return (.reply(text), [])
    case .addLabel(let name):
      guard let name else {
        throw APIError.unprocessable("invalid_body", "\"label\" must be a label's name")
      }
      return (.addLabel(try Self.label(named: name, in: rules)), [])
    case .removeLabel(let name):
      return (.removeLabel(try Self.label(named: name, in: rules)), [])
    case .note(let text):
      guard let text, !text.isEmpty else {
        throw APIError.unprocessable("invalid_body", "\"text\" must be a non-empty string")
      }
      let members = Set(rules.ruleSet.members.map(\.email))
      return (.note(text), Self.mentions(in: text).filter(members.contains))
    case .handoff(let action):
      switch action {
      case "take_over": return (.takeOver, [])
      case "transfer_to_ai": return (.transferToAI, [])
      case "keep_human_and_leave": return (.keepHumanAndLeave, [])
      default:
        throw APIError.unprocessable(
          "invalid_body",
          "\"action\" must be \"take_over\", \"transfer_to_ai\" or \"keep_human_and_leave\"")
      }
    }
  }

  static func label(named name: String, in rules: LoadedRules) throws -> LabelID {
    guard let label = rules.ruleSet.label(named: name) else {
      throw APIError.unprocessable("unknown_label", "unknown label \"\(name)\"")
    }
    return label.id
  }

  /// `@email` words of a note, trailing punctuation dropped, each once.
  static func mentions(in text: String) -> [String] {
    var result: [String] = []
    for word in text.split(whereSeparator: { $0.isWhitespace }) where word.hasPrefix("@") {
      var email = String(word.dropFirst())
      while let last = email.last, ",.;:!?)".contains(last) { email.removeLast() }
      if email.contains("@"), !result.contains(email) { result.append(email) }
    }
    return result
  }
}

/// The conversations a member works with: lists, details, actions, read state, the AI's
/// drafts. Every read and write is checked against the current rules' grants: a conversation
/// the member may not view does not exist for them (`notFound`), one they may view but not
/// change is `forbidden`.
struct ConversationService: Sendable {
  let store: any InboxStore
  let rules: RuleHolder
  let hub: IntegrationHub
  let metrics: ServerMetrics

  func list(member: String, query: ConversationListQuery) async throws -> ConversationPage {
    do {
      return try await store.conversationPage(member: member, query: query, rules: rules.current)
    } catch is CursorError {
      throw APIError.badRequest("invalid cursor")
    }
  }

  /// How many conversations of `query` the member may view, counting no further than `limit`.
  func count(member: String, query: ConversationListQuery, limit: Int) async throws -> Int {
    try await store.conversationCount(
      member: member, query: query, rules: rules.current, limit: limit)
  }

  func detail(member: String, id: String) async throws -> ConversationDetail {
    let loaded = rules.current
    let detail = try await store.conversationDetail(id: id, member: member, rules: loaded) {
      labels in
      loaded.engine.can(
        member, .view, labels: ConversationService.labelIDs(labels, ruleSet: loaded.ruleSet)
      )
      .allowed
    }
    guard let detail else { throw APIError.notFound() }
    return detail
  }

  /// The access check and the step in one transaction, so labels cannot change between them.
  func act(_ request: AgentActionRequest, on id: String, by member: String) async throws
    -> StepRecord
  {
    let loaded = rules.current
    let now = store.clock.now()
    let record = try await store.applyStep(to: id, rules: loaded, hub: hub) { labels in
      try Self.checkAccess(labels, member: member, level: request.level, rules: loaded)
      let (action, mentions) = try request.action(in: loaded)
      if action.requiredLevel > request.level {
        try Self.checkAccess(labels, member: member, level: action.requiredLevel, rules: loaded)
      }
      return (Step(.agent(member: member, action: action), at: now), mentions)
    }
    metrics.recordDecision()
    return record
  }

  /// Read: every line; unread: the last line is new again. Returns the unread count.
  func markRead(member: String, id: String, read: Bool) async throws -> Int {
    let loaded = rules.current
    return try await store.markRead(conversation: id, member: member, read: read, hub: hub) {
      labels in
      try Self.checkAccess(labels, member: member, level: .view, rules: loaded)
    }
  }

  func suggestions(member: String, id: String) async throws -> [AISuggestion] {
    let loaded = rules.current
    return try await store.aiSuggestions(conversation: id) { labels in
      try Self.checkAccess(labels, member: member, level: .view, rules: loaded)
    }
  }

  /// A media row of a conversation the member may view (`viewer` nil: an integration key,
  /// which reads every attachment URL its payloads carry); 404 otherwise.
  func media(id: String, viewer: String?) async throws -> StoredMedia {
    let loaded = rules.current
    let row = try await store.media(id: id) { labels in
      guard let viewer else { return true }
      return loaded.engine.can(
        viewer, .view, labels: Self.labelIDs(labels, ruleSet: loaded.ruleSet)
      ).allowed
    }
    guard let row else { throw APIError.notFound("no such media") }
    return row
  }

  /// An external AI agent's reply, accepted only where the engine asked the AI for a reply at
  /// that version (404 elsewhere, with nothing about the conversation); a reply the engine
  /// discards is 409 with the reason, without the decision.
  func answerAsAI(
    _ text: String, version: Int, on id: String, by agent: String, logger: Logger
  ) async throws -> DecisionDocument {
    let step = Step(.aiReply(text: text, version: version), at: store.clock.now())
    guard
      let (decision, document) = try await store.applyAgentAIReply(
        step, conversation: id, version: version, rules: rules.current, hub: hub)
    else {
      throw APIError.notFound("no AI reply is awaited for this conversation at this version")
    }
    metrics.recordDecision()
    guard decision.aiReply == .accepted else {
      let reason = AIConnector.discardReason(decision.aiReply)
      logger.notice("AI reply by \(agent) for conversation \(id) discarded: \(reason)")
      throw APIError(
        status: .conflict, code: "ai_reply_discarded",
        message: "the reply was discarded: it was \(reason)")
    }
    return document
  }

  /// 404 when the conversation does not exist (nil labels) or the member may not view it,
  /// 403 when they may view it but `level` needs more.
  static func checkAccess(
    _ storedLabels: [String]?, member: String, level: AccessLevel, rules: LoadedRules
  ) throws {
    guard let storedLabels else { throw APIError.notFound() }
    let labels = labelIDs(storedLabels, ruleSet: rules.ruleSet)
    guard rules.engine.can(member, .view, labels: labels).allowed else {
      throw APIError.notFound()
    }
    guard rules.engine.can(member, level, labels: labels).allowed else {
      throw APIError.forbidden("\"\(member)\" may not \(level.rawValue) this conversation")
    }
  }

  /// The rules' ids of stored label names; a name the rules no longer define (renamed or
  /// removed by a reload) is `LabelID.unknownStored`, which only narrows access.
  static func labelIDs(_ names: [String], ruleSet: RuleSet) -> Set<LabelID> {
    Set(
      names.map {
        (ruleSet.label(named: $0) ?? ruleSet.label(formerlyNamed: $0))?.id ?? .unknownStored
      })
  }
}
