import EtiquetteDiagnostics
import EtiquetteReplay
import Foundation

// The text rendering of `etiquette diff`: the grouping is the replay library's
// (`RuleDiffReport`), the terminal's colours are the CLI's.
extension RuleDiffReport {
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

  fileprivate func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
  }
}
