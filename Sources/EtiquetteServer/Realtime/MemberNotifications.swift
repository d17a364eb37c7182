import EtiquetteChecker
import EtiquetteEngine
import Foundation

/// Per-member notifications: the engine's `notify` outcomes (the team on routing to a human,
/// every member who may reply, the assignee who left) and `@mentions` in notes.
///
/// Rows are written in the step's transaction, so a notification exists exactly when its
/// decision does; clients are told on the live stream after the commit.
enum MemberNotifications {
  /// A notification as the API returns it.
  struct Document: Codable, Sendable, Hashable {
    var id: Int64
    var conversation: String
    /// `team`, `may_reply`, `assignee_away` or `mention`.
    var reason: String
    var team: String?
    /// The conversation's priority after the step that caused it.
    var priority: String
    var text: String
    var createdAt: String
    var readAt: String?
  }

  /// `notification.created` on the stream.
  struct Event: Encodable {
    var conversation: String
    var notification: Document
  }

  struct Pending {
    var member: String
    var reason: String
    var team: String?
    var text: String
  }

  /// Longest quoted excerpt of a message or note in a notification's text.
  static let excerptLength = 140

  static func excerpt(_ text: String) -> String {
    let flat = text.replacingOccurrences(of: "\n", with: " ")
    return flat.count <= excerptLength ? flat : String(flat.prefix(excerptLength - 1)) + "…"
  }

  /// The notifications a step causes, before they are stored.
  static func pending(_ effects: StepEffects) -> [Pending] {
    let after = effects.after
    let ruleSet = effects.rules.ruleSet
    let contact = after.contact.name ?? after.contact.phone ?? after.contact.id
    let newCustomerLine = after.transcript.dropFirst(effects.before.transcriptCount).last {
      $0.author == .customer
    }
    let quoted = newCustomerLine.map { ": “\(excerpt($0.text))”" } ?? ""
    var result: [Pending] = []
    for note in effects.decision.notifications {
      switch note.reason {
      case .team(let team):
        let name = ruleSet[team].name
        result.append(
          Pending(
            member: note.member, reason: "team", team: name,
            text: newCustomerLine == nil
              ? "\(contact) needs a human reply (team \(name))"
              : "New message from \(contact) for team \(name)\(quoted)"))
      case .mayReply:
        result.append(
          Pending(
            member: note.member, reason: "may_reply", team: nil,
            text: newCustomerLine == nil
              ? "\(contact) needs a human reply"
              : "New message from \(contact)\(quoted)"))
      case .assigneeAway:
        result.append(
          Pending(
            member: note.member, reason: "assignee_away", team: nil,
            text: "\(contact) wrote while you were away\(quoted)"))
      }
    }
    if let note = after.notes.dropFirst(effects.before.notesCount).last {
      for member in effects.mentions where member != note.author {
        // A mention must not reveal a conversation the member may not open.
        guard effects.rules.engine.can(member, .view, labels: after.labelSet).allowed else {
          continue
        }
        result.append(
          Pending(
            member: member, reason: "mention", team: nil,
            text: "\(note.author) mentioned you in a note on \(contact): “\(excerpt(note.text))”"
          ))
      }
    }
    return result
  }

  // MARK: - Queries

  struct Page: Encodable {
    var notifications: [Document]
    var unread: Int
    /// Unread notifications per label of their conversation (a conversation with two labels
    /// counts under both), for an inbox sidebar.
    var unreadByLabel: [String: Int]
    /// Pass as `before` for the next (older) page.
    var nextBefore: Int64?
  }

}

/// `notification.read` on the stream: other clients of the member clear their badges.
struct ReadEvent: Encodable {
  var ids: [Int64]
  var all: Bool
}
