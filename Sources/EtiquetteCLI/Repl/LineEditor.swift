@preconcurrency import CLibEdit
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Where the REPL's lines come from: libedit on a terminal, plain reads otherwise.
protocol LineSource {
  /// The next line without its line break, or nil at the end of input (Ctrl-D).
  mutating func next() -> String?
}

/// Plain `readLine()`: no prompt, no escape codes, so `etiquette repl rules/ < session.txt`
/// reads like a script.
struct PlainLineSource: LineSource {
  mutating func next() -> String? {
    guard let line = readLine(strippingNewline: true) else { return nil }
    return line.hasSuffix("\r") ? String(line.dropLast()) : line
  }
}

/// libedit's readline-compatible editor: arrow keys, emacs bindings (Ctrl-R searches the
/// history), tab completion, and a history file kept across sessions.
final class EditLineSource: LineSource {
  static let historyLimit: Int32 = 1000

  private let prompt: String
  private let historyPath: String?
  private var lastLine: String?

  init(prompt: String, historyPath: String?, completions: ReplCompletion) {
    self.prompt = prompt
    self.historyPath = historyPath
    // Multibyte input (accents) needs the user's locale.
    setlocale(LC_CTYPE, "")
    ReplCompletion.current = completions
    rl_readline_name = UnsafePointer(strdup("etiquette"))
    // Names contain spaces ("Demandes de Vente"): only blanks separate the words that
    // completion replaces, and the completer works out the rest from the whole line.
    rl_completer_word_break_characters = strdup(" \t")
    rl_attempted_completion_function = replAttemptedCompletion
    rl_initialize()
    using_history()
    stifle_history(Self.historyLimit)
    if let historyPath { _ = read_history(historyPath) }
  }

  func next() -> String? {
    guard let raw = readline(prompt) else { return nil }
    defer { free(raw) }
    let line = String(cString: raw)
    if !line.trimmingCharacters(in: .whitespaces).isEmpty, line != lastLine {
      add_history(line)
      lastLine = line
      // Written at every line so that a killed session keeps its history too.
      if let historyPath {
        _ = write_history(historyPath)
        _ = history_truncate_file(historyPath, Self.historyLimit)
      }
    }
    return line
  }

  /// `$HOME/.etiquette_history`, or nil without a home.
  static func defaultHistoryPath() -> String? {
    guard let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty else {
      return nil
    }
    return (home.hasSuffix("/") ? home : home + "/") + ".etiquette_history"
  }
}

/// The names tab completion offers, per command argument.
struct ReplCompletion: Sendable {
  var commands: [String]
  var names: [ReplArgumentKind: [String]]
  var argumentKinds: [String: ReplArgumentKind]

  // C callbacks cannot capture context; libedit calls them on the REPL's only thread.
  nonisolated(unsafe) static var current = ReplCompletion(
    commands: [], names: [:], argumentKinds: [:])
  nonisolated(unsafe) static var pending: [String] = []

  init(
    commands: [String], names: [ReplArgumentKind: [String]],
    argumentKinds: [String: ReplArgumentKind]
  ) {
    self.commands = commands
    self.names = names
    self.argumentKinds = argumentKinds
  }

  /// What completes the word being typed. `line` is the text before the cursor, `word` its last
  /// blank-separated word; each result replaces `word`.
  func candidates(line: String, word: String) -> [String] {
    guard line.hasPrefix(":") else { return [] }
    guard let space = line.firstIndex(where: \.isWhitespace) else {
      return commands.map { ":" + $0 }.filter { $0.hasPrefix(line) }
    }
    let command = String(line[line.index(after: line.startIndex)..<space])
    let typed = String(line[space...].drop { $0.isWhitespace })
    guard let kind = argumentKinds[command], let names = names[kind] else { return [] }
    // The argument may span several words; offer each name's remainder from the current word.
    let already = typed.count - word.count
    guard already >= 0 else { return [] }
    return names.filter { $0.lowercased().hasPrefix(typed.lowercased()) }.map {
      String($0.dropFirst(already))
    }
  }
}

/// libedit's completion hook: the command name, then label, team, member or event names.
private let replAttemptedCompletion:
  @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<
    UnsafeMutablePointer<CChar>?
  >? = { text, _, end in
    // Never fall back to file-name completion.
    rl_attempted_completion_over = 1
    guard let text, let buffer = rl_line_buffer else { return nil }
    let bytes = Array(String(cString: buffer).utf8)
    let prefix = String(decoding: bytes.prefix(max(0, min(Int(end), bytes.count))), as: UTF8.self)
    let word = String(cString: text)
    ReplCompletion.pending = ReplCompletion.current.candidates(line: prefix, word: word)
    guard !ReplCompletion.pending.isEmpty else { return nil }
    return rl_completion_matches(text, replCompletionGenerator)
  }

/// Hands libedit one candidate per call; `state` counts the calls.
private let replCompletionGenerator:
  @convention(c) (UnsafePointer<CChar>?, Int32) ->
    UnsafeMutablePointer<CChar>? = { _, state in
      let index = Int(state)
      guard index >= 0, index < ReplCompletion.pending.count else { return nil }
      return strdup(ReplCompletion.pending[index])
    }
