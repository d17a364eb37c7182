import EtiquetteDiagnostics
import EtiquetteEngine
import Foundation

/// The differences of a `RuleDiff`, grouped by the rule change that explains them, with counts,
/// in the two renderings of `etiquette diff`.
struct RuleDiffReport {
  let oldPaths: [String]
  let newPaths: [String]
  let conversations: Int
  let steps: Int
  let differing: [DifferingStep]
  let rejected: [RejectedStepLine]
  let groups: [Group]

  /// Every difference one rule change explains.
  struct Group {
    var cause: ChangeCause
    var effects: [Effect]
    /// The differing steps, each with only this group's differences, in input order.
    var steps: [DifferingStep]
    var conversations: Set<String>
  }

  /// One kind of consequence of a rule change (`+38 conversations labelled 'X'`).
  struct Effect {
    var sign: String
    var effect: String
    var category: DifferenceCategory
    /// Conversations in order of their first difference.
    var conversations: [String]
    var steps: Int
  }

  init(diff: RuleDiff, oldPaths: [String], newPaths: [String]) {
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

  var hasDifferences: Bool { !differing.isEmpty }

  var changedConversations: Int { Set(differing.map(\.conversation)).count }

  /// Conversations with at least one difference of each category.
  var categoryCounts: [(DifferenceCategory, Int)] {
    DifferenceCategory.allCases.map { category in
      let ids = differing.filter { $0.differences.contains { $0.category == category } }
        .map(\.conversation)
      return (category, Set(ids).count)
    }
  }

  // MARK: Text

  func text(style: TerminalStyle, brief: Bool) -> String {
    var out = ""
    for group in groups {
      let header =
        "\(group.cause.description): \(plural(group.conversations.count, "conversation")), "
        + plural(group.steps.count, "step")
      out += style.paint(header, nil, bold: true) + "\n"
      for effect in group.effects {
        let count = "\(effect.sign)\(effect.conversations.count)"
        let colour: TerminalStyle.Colour? =
          effect.sign == "+" ? .green : effect.sign == "-" ? .red : .yellow
        let noun = effect.conversations.count == 1 ? "conversation" : "conversations"
        let examples = effect.conversations.prefix(3).joined(separator: ", ")
        // The issue's sentence: "+38 conversations labelled 'X' because of new phrase 'prix' (…)".
        out += "  " + style.paint(count, colour) + " \(noun) \(effect.effect)"
        out += " because of \(group.cause.description)"
        out += style.paint(" (e.g. \(examples))", nil) + "\n"
      }
      if !brief {
        for step in group.steps {
          let details = step.differences.map(\.detail).joined(separator: "; ")
          out += "    \(step.conversation) step \(step.step), line \(step.line)"
          out += " \(step.summary): \(details)\n"
        }
      }
      out += "\n"
    }
    if !rejected.isEmpty {
      out += style.paint("rejected lines:", .red, bold: true) + "\n"
      for line in rejected {
        let side = line.side == "both" ? "" : " (\(line.side) rules only)"
        out += "  line \(line.line): \(line.error)\(side)\n"
      }
      out += "\n"
    }
    out += "replayed \(plural(steps, "step")) over \(plural(conversations, "conversation"))"
    if !rejected.isEmpty { out += ", \(plural(rejected.count, "line")) rejected" }
    out += "\n"
    guard hasDifferences else {
      return out + style.paint("no differences", .green, bold: true) + "\n"
    }
    out +=
      style.paint(
        "\(plural(changedConversations, "conversation")) changed in "
          + "\(plural(differing.count, "step")), by \(plural(groups.count, "rule change"))",
        .yellow, bold: true) + "\n"
    for (category, count) in categoryCounts where count > 0 {
      let name = category.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)
      out += "  \(name)\(plural(count, "conversation"))\n"
    }
    return out
  }

  private func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
  }

  // MARK: JSON

  struct Document: Codable {
    var old: [String]
    var new: [String]
    var summary: Summary
    var groups: [GroupDocument]
    var steps: [StepDocument]
    var rejected: [RejectedStepLine]
  }

  struct Summary: Codable {
    var conversations: Int
    var steps: Int
    var rejectedLines: Int
    var changedConversations: Int
    var changedSteps: Int
    /// Per category, the conversations with at least one difference of it.
    var categories: [String: Int]
  }

  struct CauseDocument: Codable {
    var kind: String
    var subject: String?
    var location: String?
    var description: String
  }

  struct GroupDocument: Codable {
    var cause: CauseDocument
    var conversations: Int
    var steps: Int
    var effects: [EffectDocument]
    /// Up to five conversations, in order of their first difference.
    var examples: [String]
  }

  struct EffectDocument: Codable {
    var description: String
    var category: String
    var sign: String?
    var conversations: Int
    var steps: Int
    var examples: [String]
  }

  struct StepDocument: Codable {
    var line: Int
    var conversation: String
    var step: Int
    var summary: String
    var differences: [DifferenceDocument]
  }

  struct DifferenceDocument: Codable {
    var category: String
    var field: String
    var subject: String?
    var old: String
    var new: String
    var description: String
    var cause: String
  }

  static func causeDocument(_ cause: ChangeCause) -> CauseDocument {
    CauseDocument(
      kind: cause.kind.rawValue, subject: cause.subject.isEmpty ? nil : cause.subject,
      location: cause.location, description: cause.description)
  }

  func document() -> Document {
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

  func json() -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(document()) else { return "{}\n" }
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}
