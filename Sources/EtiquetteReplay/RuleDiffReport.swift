import EtiquetteDiagnostics
import EtiquetteEngine
import Foundation

/// The differences of a `RuleDiff`, grouped by the rule change that explains them, with counts,
/// in the two renderings of `etiquette diff`.
public struct RuleDiffReport: Sendable {
  public let oldPaths: [String]
  public let newPaths: [String]
  public let conversations: Int
  public let steps: Int
  public let differing: [DifferingStep]
  public let rejected: [RejectedStepLine]
  public let groups: [Group]

  /// Every difference one rule change explains.
  public struct Group: Sendable {
    public var cause: ChangeCause
    public var effects: [Effect]
    /// The differing steps, each with only this group's differences, in input order.
    public var steps: [DifferingStep]
    public var conversations: Set<String>
  }

  /// One kind of consequence of a rule change (`+38 conversations labelled 'X'`).
  public struct Effect: Sendable {
    public var sign: String
    public var effect: String
    public var category: DifferenceCategory
    /// Conversations in order of their first difference.
    public var conversations: [String]
    public var steps: Int
  }

  public init(diff: RuleDiff, oldPaths: [String], newPaths: [String]) {
    self.oldPaths = oldPaths
    self.newPaths = newPaths
    conversations = diff.conversations.count
    steps = diff.appliedSteps
    differing = diff.differing
    rejected = diff.rejected
    var byCause: [ChangeCause: Group] = [:]
    for step in diff.differing {
      var perCause: [ChangeCause: [StepDifference]] = [:]
      var causeOrder: [ChangeCause] = []
      for difference in step.differences {
        if perCause[difference.cause] == nil { causeOrder.append(difference.cause) }
        perCause[difference.cause, default: []].append(difference)
      }
      for cause in causeOrder {
        let differences = perCause[cause] ?? []
        var group =
          byCause[cause] ?? Group(cause: cause, effects: [], steps: [], conversations: [])
        var part = step
        part.differences = differences
        group.steps.append(part)
        group.conversations.insert(step.conversation)
        for difference in differences {
          if let index = group.effects.firstIndex(where: {
            $0.sign == difference.sign && $0.effect == difference.effect
          }) {
            if !group.effects[index].conversations.contains(step.conversation) {
              group.effects[index].conversations.append(step.conversation)
            }
            group.effects[index].steps += 1
          } else {
            group.effects.append(
              Effect(
                sign: difference.sign, effect: difference.effect, category: difference.category,
                conversations: [step.conversation], steps: 1))
          }
        }
        byCause[cause] = group
      }
    }
    // Biggest change first; "other changes" last; ties by description, so output is stable.
    groups = byCause.values.map { group in
      var sorted = group
      sorted.effects.sort {
        ($0.conversations.count, $1.effect) > ($1.conversations.count, $0.effect)
      }
      return sorted
    }.sorted { a, b in
      if (a.cause.kind == .other) != (b.cause.kind == .other) { return b.cause.kind == .other }
      if a.conversations.count != b.conversations.count {
        return a.conversations.count > b.conversations.count
      }
      return a.cause < b.cause
    }
  }

  public var hasDifferences: Bool { !differing.isEmpty }

  public var changedConversations: Int { Set(differing.map(\.conversation)).count }

  /// Conversations with at least one difference of each category.
  public var categoryCounts: [(DifferenceCategory, Int)] {
    DifferenceCategory.allCases.map { category in
      let ids = differing.filter { $0.differences.contains { $0.category == category } }
        .map(\.conversation)
      return (category, Set(ids).count)
    }
  }

  // MARK: JSON

  public struct Document: Codable, Sendable {
    public var old: [String]
    public var new: [String]
    public var summary: Summary
    public var groups: [GroupDocument]
    public var steps: [StepDocument]
    public var rejected: [RejectedStepLine]
  }

  public struct Summary: Codable, Sendable {
    public var conversations: Int
    public var steps: Int
    public var rejectedLines: Int
    public var changedConversations: Int
    public var changedSteps: Int
    /// Per category, the conversations with at least one difference of it.
    public var categories: [String: Int]
  }

  public struct CauseDocument: Codable, Sendable {
    public var kind: String
    public var subject: String?
    public var location: String?
    public var description: String
  }

  public struct GroupDocument: Codable, Sendable {
    public var cause: CauseDocument
    public var conversations: Int
    public var steps: Int
    public var effects: [EffectDocument]
    /// Up to five conversations, in order of their first difference.
    public var examples: [String]
  }

  public struct EffectDocument: Codable, Sendable {
    public var description: String
    public var category: String
    public var sign: String?
    public var conversations: Int
    public var steps: Int
    public var examples: [String]
  }

  public struct StepDocument: Codable, Sendable {
    public var line: Int
    public var conversation: String
    public var step: Int
    public var summary: String
    public var differences: [DifferenceDocument]
  }

  public struct DifferenceDocument: Codable, Sendable {
    public var category: String
    public var field: String
    public var subject: String?
    public var old: String
    public var new: String
    public var description: String
    public var cause: String
  }

  public static func causeDocument(_ cause: ChangeCause) -> CauseDocument {
    CauseDocument(
      kind: cause.kind.rawValue, subject: cause.subject.isEmpty ? nil : cause.subject,
      location: cause.location, description: cause.description)
  }

  public func document() -> Document {
    Document(
      old: oldPaths, new: newPaths,
      summary: Summary(
        conversations: conversations, steps: steps, rejectedLines: rejected.count,
        changedConversations: changedConversations, changedSteps: differing.count,
        categories: Dictionary(
          uniqueKeysWithValues: categoryCounts.map { ($0.0.rawValue, $0.1) })),
      groups: groups.map { group in
        var examples: [String] = []
        for step in group.steps where !examples.contains(step.conversation) {
          examples.append(step.conversation)
          if examples.count == 5 { break }
        }
        return GroupDocument(
          cause: Self.causeDocument(group.cause), conversations: group.conversations.count,
          steps: group.steps.count,
          effects: group.effects.map {
            EffectDocument(
              description: "\($0.sign)\($0.conversations.count) conversations \($0.effect)",
              category: $0.category.rawValue, sign: $0.sign.isEmpty ? nil : $0.sign,
              conversations: $0.conversations.count, steps: $0.steps,
              examples: Array($0.conversations.prefix(5)))
          }, examples: examples)
      },
      steps: differing.map { step in
        StepDocument(
          line: step.line, conversation: step.conversation, step: step.step,
          summary: step.summary,
          differences: step.differences.map {
            DifferenceDocument(
              category: $0.category.rawValue, field: $0.field, subject: $0.subject, old: $0.old,
              new: $0.new, description: $0.detail, cause: $0.cause.description)
          })
      },
      rejected: rejected)
  }

  public func json() -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(document()) else { return "{}\n" }
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}
