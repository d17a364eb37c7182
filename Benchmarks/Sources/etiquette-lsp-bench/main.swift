// Language server benchmark (issue 18): the time from a `didChange` to its
// `publishDiagnostics`, on the example rules and on a generated workspace of 5,000 labels in 50
// files. The server runs in-process behind its real transport (pipes, Content-Length frames);
// the figures are with the editor's 150 ms debounce and without it (the re-check alone).
import BenchmarkWorkspace
import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteLanguageServer
import EtiquetteMatcher
import EtiquetteSyntax
import Foundation

// The first 24 words: the workspace the figures in README.md were measured on.
let words = Array(phraseWords.prefix(24))

/// 5,000 labels of 10 phrases in 50 files, teams covering them, a routing block.
func generateWorkspace(in folder: URL, labels: Int = 5_000, files: Int = 50) throws {
  var random = SplitMix64(state: 42)
  let perFile = labels / files
  for f in 0..<files {
    var text = f == 0 ? "contact {\n  tier: \"standard\" | \"vip\"\n}\n\n" : ""
    for l in (f * perFile)..<((f + 1) * perFile) {
      let phrases = (0..<10).map { "\"\(random.pick(words)) \(l)-\($0)\"" }
      text += "label \"Étiquette \(l)\" {\n  when message contains any [\n"
      text += "    " + phrases.joined(separator: ", ") + "\n  ]\n"
      if l % 10 == 1 { text += "  when label \"Étiquette \(l - 1)\" and contact.tier == \"vip\"\n" }
      if l % 50 == 0 { text += "  when message matches /\\b(?:CMD|ORD)-\\d{6}\\b/\n" }
      text += "}\n\n"
    }
    try Data(text.utf8).write(
      to: folder.appendingPathComponent(String(format: "labels-%02d.etq", f)))
  }
  var teams = ""
  for t in 0..<10 {
    let slice = ((t * labels / 10)..<((t + 1) * labels / 10)).map { "\"Étiquette \($0)\"" }
    teams += "team \"Équipe \(t)\" {\n  members [\"agent\(t)@exemple.fr\"]\n"
    teams += "  can reply labels [\(slice.joined(separator: ", "))]\n}\n\n"
  }
  teams += "routing {\n  default ai\n  when label \"Étiquette 0\" -> human team \"Équipe 0\"\n}\n"
  try Data(teams.utf8).write(to: folder.appendingPathComponent("teams.etq"))
}

/// One client of an in-process server.
final class Session {
  let toServer = Pipe()
  let fromServer = Pipe()
  let reader: FrameReader
  var nextID = 0

  init(debounce: Duration) {
    let input = toServer.fileHandleForReading
    let output = fromServer.fileHandleForWriting
    Task.detached {
      _ = await LanguageServer.serve(input: input, output: output, debounce: debounce)
    }
    reader = FrameReader(handle: fromServer.fileHandleForReading)
  }

  func send(_ message: [String: Any]) {
    guard let body = try? JSONSerialization.data(withJSONObject: message) else { return }
    var frame = Data("Content-Length: \(body.count)\r\n\r\n".utf8)
    frame.append(body)
    toServer.fileHandleForWriting.write(frame)
  }

  /// Reads until a message satisfies `predicate`.
  func wait(_ predicate: ([String: Any]) -> Bool) {
    while let frame = reader.next() {
      guard case .message(let data) = frame,
        let message = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
      else { continue }
      if predicate(message) { return }
    }
    fatalError("the server closed its output")
  }

  func request(_ method: String, _ params: [String: Any]) {
    nextID += 1
    let id = nextID
    send(["jsonrpc": "2.0", "id": id, "method": method, "params": params])
    wait { ($0["id"] as? Int) == id }
  }

  func waitForDiagnostics(uri: String, version: Int) {
    wait { message in
      guard message["method"] as? String == "textDocument/publishDiagnostics",
        let params = message["params"] as? [String: Any]
      else { return false }
      return params["uri"] as? String == uri && params["version"] as? Int == version
    }
  }
}

/// Opens `file`, then alternately inserts and deletes one letter inside its first phrase,
/// timing each `didChange` until the `publishDiagnostics` of its version.
func measure(folder: URL, file: String, debounce: Duration, edits: Int) throws -> [Double] {
  let session = Session(debounce: debounce)
  session.request("initialize", ["rootUri": folder.absoluteString, "capabilities": [:]])
  let url = folder.appendingPathComponent(file)
  let uri = url.absoluteString
  let text = try String(contentsOf: url, encoding: .utf8)
  session.send([
    "jsonrpc": "2.0", "method": "textDocument/didOpen",
    "params": [
      "textDocument": ["uri": uri, "languageId": "etiquette", "version": 1, "text": text]
    ],
  ])
  session.waitForDiagnostics(uri: uri, version: 1)
  // The first phrase: the first quote after `contains`.
  let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
  guard let line = lines.firstIndex(where: { $0.contains("contains") }) else { return [] }
  let target = lines[line].contains("\"") && lines[line].contains("[\"") ? line : line + 1
  let column =
    (lines[target].firstIndex(of: "\"")).map {
      lines[target].utf16.distance(from: lines[target].startIndex, to: $0) + 1
    } ?? 0
  let clock = ContinuousClock()
  var times: [Double] = []
  for version in 2...(edits + 1) {
    let insert = version % 2 == 0
    let start: [String: Any] = ["line": target, "character": column]
    let end: [String: Any] = ["line": target, "character": insert ? column : column + 1]
    let began = clock.now
    session.send([
      "jsonrpc": "2.0", "method": "textDocument/didChange",
      "params": [
        "textDocument": ["uri": uri, "version": version],
        "contentChanges": [["range": ["start": start, "end": end], "text": insert ? "z" : ""]],
      ],
    ])
    session.waitForDiagnostics(uri: uri, version: version)
    let elapsed = clock.now - began
    times.append(
      Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
  }
  return times
}

func report(_ name: String, _ times: [Double]) {
  let sorted = times.sorted()
  guard !sorted.isEmpty else { return }
  let median = sorted[sorted.count / 2]
  print(
    "  \(name): median \(String(format: "%.1f", median)) ms, min \(String(format: "%.1f", sorted[0])) ms, max \(String(format: "%.1f", sorted[sorted.count - 1])) ms (\(times.count) edits)"
  )
}

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let examples = FileManager.default.temporaryDirectory.appendingPathComponent(
  "etiquette-lsp-bench-examples")
let generated = FileManager.default.temporaryDirectory.appendingPathComponent(
  "etiquette-lsp-bench-5000")
for folder in [examples, generated] {
  try? FileManager.default.removeItem(at: folder)
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
}
for name in try FileManager.default.contentsOfDirectory(
  atPath: repository.appendingPathComponent("rules").path)
where name.hasSuffix(".etq") {
  try FileManager.default.copyItem(
    at: repository.appendingPathComponent("rules/\(name)"),
    to: examples.appendingPathComponent(name))
}
try generateWorkspace(in: generated)

print("Language server benchmark — didChange to publishDiagnostics, in-process over pipes")
for (title, folder, file) in [
  ("example rules (rules/, 4 files)", examples, "labels.etq"),
  ("generated workspace (5,000 labels, 50,000 phrases, 51 files)", generated, "labels-07.etq"),
] {
  print("\n\(title)")
  report(
    "re-check alone (no debounce)",
    try measure(folder: folder, file: file, debounce: .zero, edits: 20))
  report(
    "as an editor sees it (150 ms debounce)",
    try measure(folder: folder, file: file, debounce: .milliseconds(150), edits: 10))
}
/// Where the time of one re-check goes: the stages `RuleSetAnalysis` runs, best of five.
func breakdown(folder: URL) throws {
  let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    .filter { $0.hasSuffix(".etq") }.sorted()
  var sources = SourceMap()
  for name in names {
    let data = try Data(contentsOf: folder.appendingPathComponent(name))
    sources.add(path: name, bytes: Array(data))
  }
  let clock = ContinuousClock()
  func best(_ body: () -> Void) -> Double {
    (0..<5).map { _ in
      let elapsed = clock.measure(body)
      return Double(elapsed.components.attoseconds) / 1e15
        + Double(elapsed.components.seconds) * 1e3
    }.min() ?? 0
  }
  var parsed: [ParseResult] = []
  let parse = best { parsed = sources.files.map(Parser.parse) }
  let oneFile = best { _ = Parser.parse(sources.files[sources.files.count / 2]) }
  var result = CheckResult(ruleSet: nil, diagnostics: [])
  let check = best { result = Checker.check(parsed.map(\.ruleFile), sources: sources) }
  let compile = best { _ = result.ruleSet.map(RuleMatcher.init) }
  let index = best { _ = SymbolIndex(files: parsed.map(\.ruleFile)) }
  func ms(_ value: Double) -> String { String(format: "%.1f ms", value) }
  print(
    "  stages: parse all \(ms(parse)), parse one file \(ms(oneFile)), check \(ms(check)), "
      + "matcher compile (slow-pattern warnings) \(ms(compile)), name index \(ms(index))")
}
try breakdown(folder: generated)

for folder in [examples, generated] { try? FileManager.default.removeItem(at: folder) }
