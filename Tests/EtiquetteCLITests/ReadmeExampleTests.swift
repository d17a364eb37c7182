import EtiquetteTestSupport
import Foundation
import Testing

/// Every example output in README.md is what the tool prints: each block follows a marker
///
///     <!-- output: etiquette ARGS | in: DIR | stdin: FILE | compare: json -->
///
/// (`in`, `stdin` and `compare` optional; paths relative to the repository root, `stdin`
/// relative to `in`). The command runs as a user would run it, and its standard output must be
/// the fenced block that follows, byte for byte — or, with `compare: json`, the same JSON
/// values, line by line, so a long decision line may be wrapped for reading.
/// `ETIQUETTE_UPDATE_GOLDEN=1` rewrites the blocks from the tool; review the diff.
@Suite struct ReadmeExampleTests {
  struct Example: CustomTestStringConvertible, Sendable {
    var line: Int
    var arguments: [String]
    var directory: String?
    var stdin: String?
    var json: Bool
    /// Where the fenced block's content lies in the README (UTF-8 offsets).
    var content: Range<Int>
    var expected: String
    var testDescription: String {
      "README.md:\(line) etiquette \(arguments.joined(separator: " "))"
    }
  }

  static let readmePath = CommandRunner.repositoryRoot + "/README.md"

  static func examples(in text: String) -> [Example] {
    let bytes = Array(text.utf8)
    var examples: [Example] = []
    var offset = 0
    var lineNumber = 1
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    var index = 0
    while index < lines.count {
      let line = lines[index]
      defer {
        offset += line.utf8.count + 1
        lineNumber += 1
        index += 1
      }
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      guard trimmed.hasPrefix("<!-- output: "), trimmed.hasSuffix("-->") else { continue }
      var fields: [String: String] = [:]
      var command = ""
      for part in trimmed.dropFirst(5).dropLast(3).split(separator: "|") {
        let pair = part.split(separator: ":", maxSplits: 1).map {
          $0.trimmingCharacters(in: .whitespaces)
        }
        guard pair.count == 2 else { continue }
        if pair[0] == "output" { command = pair[1] } else { fields[pair[0]] = pair[1] }
      }
      // The fence opens on the next line and closes at the next line that is only ```.
      guard index + 1 < lines.count, lines[index + 1].hasPrefix("```") else { continue }
      let start = offset + line.utf8.count + 1 + lines[index + 1].utf8.count + 1
      var end = start
      var closing = index + 2
      while closing < lines.count, lines[closing] != "```" {
        end += lines[closing].utf8.count + 1
        closing += 1
      }
      let words = command.split(separator: " ").map(String.init)
      examples.append(
        Example(
          line: lineNumber, arguments: Array(words.dropFirst()), directory: fields["in"],
          stdin: fields["stdin"], json: fields["compare"] == "json", content: start..<end,
          expected: String(decoding: bytes[start..<end], as: UTF8.self)))
    }
    return examples
  }

  static func output(of example: Example) throws -> String {
    let directory = example.directory.map { CommandRunner.repositoryRoot + "/" + $0 }
    let input = try example.stdin.map { file in
      try String(
        contentsOfFile: (directory ?? CommandRunner.repositoryRoot) + "/" + file, encoding: .utf8)
    }
    return try CommandRunner.run(example.arguments, in: directory, input: input).stdout
  }

  /// The same JSON values, line by line (a JSON text may span several lines in the README:
  /// lines are joined until each parses).
  static func sameJSON(_ expected: String, _ actual: String) -> Bool {
    func values(_ text: String) -> [NSObject]? {
      var out: [NSObject] = []
      var pending = ""
      for line in text.split(separator: "\n") {
        pending += line
        if let value = try? JSONSerialization.jsonObject(with: Data(pending.utf8)) as? NSObject {
          out.append(value)
          pending = ""
        }
      }
      return pending.isEmpty ? out : nil
    }
    guard let e = values(expected), let a = values(actual) else { return false }
    return e == a
  }

  /// A JSON object per line, wrapped between its top-level keys at 98 columns for reading.
  static func wrapped(_ output: String) -> String {
    output.split(separator: "\n").map { line -> String in
      guard
        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      else { return String(line) }
      let parts = object.keys.sorted().compactMap { key -> String? in
        guard
          let data = try? JSONSerialization.data(
            withJSONObject: [key: object[key] as Any],
            options: [.sortedKeys, .withoutEscapingSlashes])
        else { return nil }
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
      }
      var lines: [String] = []
      var current = "{"
      for part in parts {
        if current.count + part.count + 1 > 98, current != "{", current != " " {
          lines.append(current)
          current = " "
        }
        current += part + ","
      }
      lines.append(String(current.dropLast()) + "}")
      return lines.joined(separator: "\n")
    }.joined(separator: "\n") + "\n"
  }

  @Test func everyExampleOutputIsTheToolsOutput() throws {
    var readme = try String(contentsOfFile: Self.readmePath, encoding: .utf8)
    let examples = Self.examples(in: readme)
    // The examples of this README today: a marker that stops being recognised shows here.
    #expect(examples.count == 6, "\(examples.map(\.testDescription))")
    var replacements: [(Range<Int>, String)] = []
    for example in examples {
      let actual = try Self.output(of: example)
      #expect(!actual.isEmpty, "\(example.testDescription) printed nothing")
      let same = example.json ? Self.sameJSON(example.expected, actual) : example.expected == actual
      if same { continue }
      if GoldenFile.isUpdating {
        replacements.append((example.content, example.json ? Self.wrapped(actual) : actual))
      } else {
        Issue.record(
          """
          \(example.testDescription): the README shows
          \(example.expected)
          but the tool prints
          \(actual)
          (ETIQUETTE_UPDATE_GOLDEN=1 rewrites the README's blocks; review the diff)
          """)
      }
    }
    guard !replacements.isEmpty else { return }
    var bytes = Array(readme.utf8)
    for (range, text) in replacements.sorted(by: { $0.0.lowerBound > $1.0.lowerBound }) {
      bytes.replaceSubrange(range, with: Array(text.utf8))
    }
    readme = String(decoding: bytes, as: UTF8.self)
    try readme.write(toFile: Self.readmePath, atomically: true, encoding: .utf8)
  }
}
