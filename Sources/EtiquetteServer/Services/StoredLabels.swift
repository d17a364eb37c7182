import EtiquetteChecker
import Foundation
import Logging

/// A label renamed by the rules (`was "Old"`), as a reload reports it.
public struct LabelRename: Codable, Sendable, Hashable {
  public var from: String
  public var to: String
  /// The conversations that carried the old name, now carrying the label.
  public var conversations: Int
}

/// Labels stored on conversations against the labels of a rule set.
///
/// A label the rules no longer declare must be handled on purpose: renaming "Support
/// Technique" once silently made its conversations visible to every "all except" team. So a
/// reload whose rules drop a label that conversations still carry is refused, with the count,
/// unless a label declares `was "…"` for it — then the stored labels, their reasons and the
/// triggers held under the old name move to it before the new rules serve. (Until then, and
/// for a store opened with such rules, an unknown stored label never widens access.)
enum StoredLabels {
  /// The renames the rules ask for, and the stored names they leave unaccounted for.
  static func plan(stored: [String: Int], ruleSet: RuleSet)
    -> (renames: [String: String], unknown: [(name: String, conversations: Int)])
  {
    var renames: [String: String] = [:]
    var unknown: [(name: String, conversations: Int)] = []
    for (name, count) in stored.sorted(by: { $0.key < $1.key })
    where ruleSet.label(named: name) == nil {
      if let label = ruleSet.label(formerlyNamed: name) {
        renames[name] = label.name
      } else {
        unknown.append((name, count))
      }
    }
    return (renames, unknown)
  }

  /// The refusal of rules that drop labels still stored on conversations.
  static func refusal(_ unknown: [(name: String, conversations: Int)]) -> RuleLoadFailure {
    let list = unknown.map {
      "\"\($0.name)\" (\($0.conversations) conversation\($0.conversations == 1 ? "" : "s"))"
    }
    .joined(separator: ", ")
    let first = unknown.first?.name ?? ""
    return RuleLoadFailure(
      message: "the rules no longer declare label\(unknown.count == 1 ? "" : "s") \(list), still "
        + "on stored conversations: to rename one, add `was \"\(first)\"` to the label that "
        + "replaces it; to keep it as it is, keep its `label` block (without `when`, it is only "
        + "added by hand)")
  }

  /// Applies the rules' renames to the store; with `refusingUnknown`, refuses rules that leave
  /// stored labels unaccounted for (a reload), otherwise logs them (a start: the server runs).
  static func reconcile(
    store: any InboxStore, ruleSet: RuleSet, refusingUnknown: Bool, logger: Logger
  ) async throws -> Result<[LabelRename], RuleLoadFailure> {
    let (renames, unknown) = plan(stored: try await store.storedLabelCounts(), ruleSet: ruleSet)
    if !unknown.isEmpty {
      if refusingUnknown { return .failure(refusal(unknown)) }
      for (name, count) in unknown {
        logger.warning(
          """
          label "\(name)" is on \(count) stored conversation(s) but not in the rules: only \
          members who view all see them; add `was "\(name)"` to the label that replaces it
          """)
      }
    }
    let moved = try await store.renameStoredLabels(renames)
    let report = renames.sorted { $0.key < $1.key }.map { old, new in
      LabelRename(from: old, to: new, conversations: moved[old] ?? 0)
    }
    for rename in report {
      logger.info(
        "label \"\(rename.from)\" renamed \"\(rename.to)\" on \(rename.conversations) conversation(s)"
      )
    }
    return .success(report)
  }
}
