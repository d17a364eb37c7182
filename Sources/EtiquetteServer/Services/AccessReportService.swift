import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteSyntax
import Foundation

/// Who may do what (issue 17, « Accès »): the member × label matrix and who may see one
/// conversation, each answer with the grant that gives it. Every answer is the engine's own
/// (`Engine.can`), asked level by level: nothing here reads the grants to decide, so the page
/// cannot disagree with what the inbox and the API let a member do.
struct AccessReportService: Sendable {
  let rules: RuleHolder
  let conversations: ConversationService

  /// One member facing one set of labels: the strongest level the engine allows, and the
  /// answer that says why (the allowing grant, or the refusal to view).
  struct MemberAccess: Sendable {
    var member: String
    /// nil: the member may not even view.
    var level: AccessLevel?
    /// The engine's answer for `level`, or its answer for `view` when nothing is allowed.
    var answer: AccessAnswer
  }

  /// The levels from the strongest: the first the engine allows is the member's.
  static let strongestFirst: [AccessLevel] = AccessLevel.allCases.sorted(by: >)

  /// What `member` may do with a conversation carrying exactly `labels`.
  static func access(_ member: String, labels: Set<LabelID>, engine: Engine) -> MemberAccess {
    var refusal: AccessAnswer?
    for level in strongestFirst {
      let answer = engine.can(member, level, labels: labels)
      if answer.allowed { return MemberAccess(member: member, level: level, answer: answer) }
      refusal = answer
    }
    // `refusal` is the answer for `view`, the last level asked.
    return MemberAccess(
      member: member, level: nil,
      answer: refusal ?? engine.can(member, .view, labels: labels))
  }

  /// A column of the matrix: a conversation carrying this one label, or no label at all.
  struct Column: Sendable {
    /// nil: a conversation without labels.
    var label: LabelDefinition?
    var labels: Set<LabelID> { label.map { [$0.id] } ?? [] }
  }

  struct Matrix: Sendable {
    var rules: LoadedRules
    var columns: [Column]
    /// One row per member named in the rules (in the rule set's order), one cell per column.
    var rows: [(member: MemberDefinition, cells: [MemberAccess])]
  }

  /// Every member named in the rules × every label, then a conversation without labels: one
  /// rule set read once, so the whole page answers for the same version of the rules.
  func matrix() -> Matrix {
    let loaded = rules.current
    let columns = loaded.ruleSet.labels.map { Column(label: $0) } + [Column(label: nil)]
    return Matrix(
      rules: loaded, columns: columns,
      rows: loaded.ruleSet.members.map { member in
        (
          member,
          columns.map { Self.access(member.email, labels: $0.labels, engine: loaded.engine) }
        )
      })
  }

  /// « Qui peut voir cette conversation ? »: every member facing the conversation's labels
  /// as they are now. `viewer` reads the conversation like any page (404 when it does not
  /// exist or they may not view it).
  struct ConversationAccess: Sendable {
    var rules: LoadedRules
    var detail: ConversationDetail
    var members: [MemberAccess]
  }

  func conversation(_ id: String, viewer: String) async throws -> ConversationAccess {
    let loaded = rules.current
    let detail = try await conversations.detail(member: viewer, id: id)
    let labels = ConversationService.labelIDs(
      detail.labels.map(\.name), ruleSet: loaded.ruleSet)
    return ConversationAccess(
      rules: loaded, detail: detail,
      members: loaded.ruleSet.members.map {
        Self.access($0.email, labels: labels, engine: loaded.engine)
      })
  }
}
