import EtiquetteChecker
import EtiquetteSyntax

/// What the word after a command may be, for tab completion.
enum ReplArgumentKind: Sendable {
  case none, text, label, labelOrRouting, member, team, event, level, json, instant, file
}

/// One `:command` of the REPL: its spelling, arguments and one line of help.
struct ReplCommandSpec: Sendable {
  var name: String
  var arguments: String
  var summary: String
  var argument: ReplArgumentKind
}

/// Every command, in the order `:help` lists them.
enum ReplCommandTable {
  static let messageTypes: [MessageType] = MessageType.allCases.filter { $0 != .text }

  static let all: [ReplCommandSpec] =
    [
      ReplCommandSpec(
        name: "help", arguments: "", summary: "list the commands", argument: .none),
      ReplCommandSpec(
        name: "say", arguments: "TEXT",
        summary: "a customer text message (for text that starts with `:`)", argument: .text),
    ]
    + messageTypes.map { type in
      type == .document
        ? ReplCommandSpec(
          name: type.rawValue, arguments: "[FILENAME]",
          summary: "the customer sends a document", argument: .text)
        : ReplCommandSpec(
          name: type.rawValue, arguments: "[CAPTION]",
          summary: "the customer sends \(article(type)) \(type.rawValue) message", argument: .text)
    }
    + [
      ReplCommandSpec(
        name: "event", arguments: "NAME [{JSON}]",
        summary: "an integration event with its fields", argument: .event),
      ReplCommandSpec(
        name: "contact", arguments: "{JSON}",
        summary: "set contact attributes, e.g. {\"tier\": \"vip\"}", argument: .json),
      ReplCommandSpec(
        name: "at", arguments: "ISO-8601",
        summary: "the time of the next steps, e.g. 2026-11-24T10:00:00+01:00",
        argument: .instant),
      ReplCommandSpec(
        name: "as", arguments: "MEMBER", summary: "act as this team member", argument: .member),
      ReplCommandSpec(
        name: "can", arguments: "view|reply|manage",
        summary: "may the member do this here? with the deciding grant", argument: .level),
      ReplCommandSpec(
        name: "takeover", arguments: "", summary: "the member takes over", argument: .none),
      ReplCommandSpec(
        name: "transfer-ai", arguments: "", summary: "the member hands back to the AI",
        argument: .none),
      ReplCommandSpec(
        name: "keep-human", arguments: "",
        summary: "the member keeps human mode and leaves", argument: .none),
      ReplCommandSpec(
        name: "add-label", arguments: "LABEL", summary: "the member adds a label",
        argument: .label),
      ReplCommandSpec(
        name: "remove-label", arguments: "LABEL", summary: "the member removes a label",
        argument: .label),
      ReplCommandSpec(
        name: "reply", arguments: "TEXT", summary: "the member replies", argument: .text),
      ReplCommandSpec(
        name: "note", arguments: "TEXT", summary: "the member writes an internal note",
        argument: .text),
      ReplCommandSpec(
        name: "state", arguments: "", summary: "the whole conversation", argument: .none),
      ReplCommandSpec(
        name: "team", arguments: "NAME", summary: "a team's members and grants", argument: .team),
      ReplCommandSpec(
        name: "new", arguments: "", summary: "start a fresh conversation", argument: .none),
      ReplCommandSpec(
        name: "why", arguments: "LABEL|routing",
        summary: "every trigger and why it held or not on the last message",
        argument: .labelOrRouting),
      ReplCommandSpec(
        name: "reload", arguments: "",
        summary: "re-read the rule files (on errors the old rules stay)", argument: .none),
      ReplCommandSpec(
        name: "save", arguments: "FILE",
        summary: "write the session as a `test` block with the current outcomes",
        argument: .file),
      ReplCommandSpec(name: "quit", arguments: "", summary: "leave (or Ctrl-D)", argument: .none),
    ]

  /// Other spellings people type out of habit.
  static let aliases: [String: String] = [
    "q": "quit", "exit": "quit", "h": "help", "?": "help", "transfer": "transfer-ai",
  ]

  static func command(named name: String) -> ReplCommandSpec? {
    let canonical = aliases[name] ?? name
    return all.first { $0.name == canonical }
  }

  private static func article(_ type: MessageType) -> String {
    let vowels: Set<Character> = ["a", "e", "i", "o", "u"]
    return type.rawValue.first.map { vowels.contains($0) } == true ? "an" : "a"
  }

  /// The `:help` text.
  static var help: String {
    let rows = all.map { spec -> (String, String) in
      (":" + spec.name + (spec.arguments.isEmpty ? "" : " " + spec.arguments), spec.summary)
    }
    let width = (rows.map(\.0.count).max() ?? 0) + 2
    var text = "Any other line is a customer text message. Commands:\n"
    for (usage, summary) in rows {
      text += "  " + usage.padding(toLength: width, withPad: " ", startingAt: 0) + summary + "\n"
    }
    text += "Tab completes commands and label, team, member and event names; Up/Down and Ctrl-R "
    text += "search the history.\n"
    return text
  }
}

/// "did you mean …?" over a list of names: the closest by edit distance, ignoring case.
enum Suggestion {
  static func closest(to name: String, among candidates: [String]) -> String? {
    let target = Array(name.lowercased())
    var best: (String, Int)?
    for candidate in candidates {
      let folded = Array(candidate.lowercased())
      if folded.starts(with: target), !target.isEmpty { return candidate }
      let limit = max(2, target.count / 3)
      let d = distance(target, folded)
      if d <= limit, d < (best?.1 ?? Int.max) { best = (candidate, d) }
    }
    return best?.0
  }

  static func hint(_ name: String, among candidates: [String], prefix: String = "") -> String {
    guard let match = closest(to: name, among: candidates) else { return "" }
    return " (did you mean \(prefix)\(match)?)"
  }

  private static func distance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
      var current = [i] + Array(repeating: 0, count: b.count)
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
      }
      previous = current
    }
    return previous[b.count]
  }
}
