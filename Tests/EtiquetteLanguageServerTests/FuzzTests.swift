import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteMatcher
import EtiquetteSyntax
import EtiquetteTestSupport
import Foundation
import Testing

/// Random edits replayed against the server: it stays alive, and after every edit its
/// diagnostics are those the checker gives on the same text (as `etiquette check` runs it).
@Suite struct FuzzTests {

  /// Pieces of the language and of broken text; no character outside the BMP and no `\r`, so a
  /// UTF-16 column is also a character column.
  static let snippets = [
    "label \"X\" {", "}", "{", "\"", "when ", "message contains \"prix\"", "\n", "label \"VIP\"",
    " and ", " or ", "not ", "[", "]", ", ", " -> ", "human", "ai", "é", "# note\n",
    "/\\d+/i", "during \"bureau\"", "team \"Support\"", "routing {", "default ai\n",
    "priority high",
    "label \"Suport Technique\"", "contact.tier == \"vip\"", "event \"calendly.booking.confirmed\"",
    "x", "à", "(", ")", "message.type is image", "when message matches /^.{5,}$/s -> human\n",
    "when message matches /\\b(?:CMD|ORD)-\\d{6}\\b/ -> ai\n",
  ]

  @Test(arguments: [UInt64(0x5EED), 0xE71C_E77E])
  func randomEditsKeepDiagnosticsEqualToTheCheckers(seed: UInt64) async throws {
    let folder = try RuleFolder.examples()
    defer { folder.remove() }
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.url.path)
      .filter { $0.hasSuffix(".etq") }.sorted()
    let edited = "routing.etq"
    var texts: [String: String] = [:]
    for name in names { texts[name] = try folder.text(name) }
    var units = Array((texts[edited] ?? "").utf16)

    let client = TestClient()
    try await client.initialize(root: folder.url)
    let uri = folder.uri(edited)
    await client.open(uri, text: texts[edited] ?? "")
    _ = try await client.diagnostics(for: uri, version: 1)

    var random = SplitMix64(seed: seed)
    for version in 2...80 {
      let start = Int.random(in: 0...units.count, using: &random)
      let end: Int
      let inserted: String
      if Bool.random(using: &random) || units.isEmpty {
        end = start
        inserted = Self.snippets.randomElement(using: &random) ?? ""
      } else {
        end = min(units.count, start + Int.random(in: 1...20, using: &random))
        inserted =
          Bool.random(using: &random) ? "" : Self.snippets.randomElement(using: &random) ?? ""
      }
      let range = JSONValue.object([
        "start": Self.position(of: start, in: units), "end": Self.position(of: end, in: units),
      ])
      units.replaceSubrange(start..<end, with: Array(inserted.utf16))
      await client.change(uri, version: version, range: range, text: inserted)
      texts[edited] = String(decoding: units, as: UTF16.self)

      let published = try await client.diagnostics(for: uri, version: version)
      let expected = Self.expectedDiagnostics(names: names, texts: texts, file: edited)
      #expect(
        published.map(Self.summary) == expected,
        "seed \(seed), version \(version), text:\n\(texts[edited] ?? "")")
    }
    // Still alive, and the buffer the server holds is the test's text.
    let format = try await client.request(
      "textDocument/documentSymbol", .object(["textDocument": .object(["uri": .string(uri)])]))
    #expect(format["error"] == nil)
    #expect(try await client.shutdown() == 0)
  }

  /// code, severity, range and first line of the message.
  static func summary(_ diagnostic: JSONValue) -> String {
    let range = diagnostic["range"]
    let message = diagnostic["message"]?.stringValue ?? ""
    let firstLine = message.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
    return [
      diagnostic["code"]?.stringValue ?? "", "\(diagnostic["severity"]?.intValue ?? 0)",
      "\(range?["start"]?["line"]?.intValue ?? -1):\(range?["start"]?["character"]?.intValue ?? -1)",
      "\(range?["end"]?["line"]?.intValue ?? -1):\(range?["end"]?["character"]?.intValue ?? -1)",
      String(firstLine),
    ].joined(separator: " ")
  }

  /// What `etiquette check` reports for one file of the folder, in the same summary form.
  static func expectedDiagnostics(names: [String], texts: [String: String], file: String)
    -> [String]
  {
    var sources = SourceMap()
    let parsed = names.map { Parser.parse(sources.add(path: $0, text: texts[$0] ?? "")) }
    var diagnostics = parsed.flatMap(\.diagnostics)
    if !diagnostics.hasErrors {
      let result = Checker.check(parsed.map(\.ruleFile), sources: sources)
      diagnostics += result.diagnostics
      if let ruleSet = result.ruleSet {
        diagnostics += MatcherCatalogue.slowPatterns(in: RuleMatcher(ruleSet))
      }
    }
    guard let id = names.firstIndex(of: file), let source = sources[SourceFileID(id)] else {
      return []
    }
    return diagnostics.sortedByPosition().filter { $0.span.file == source.id }.map { d in
      let start = source.location(ofOffset: d.span.start)
      let end = source.location(ofOffset: d.span.end)
      let severity =
        switch d.severity {
        case .error: 1
        case .warning: 2
        case .note: 3
        }
      let label = d.primary.message.isEmpty ? "" : " (\(d.primary.message))"
      return [
        d.code.rawValue, "\(severity)", "\(start.line - 1):\(start.column - 1)",
        "\(end.line - 1):\(end.column - 1)", d.message + label,
      ].joined(separator: " ")
    }
  }

  static func position(of offset: Int, in units: [UInt16]) -> JSONValue {
    var line = 0
    var lineStart = 0
    for (index, unit) in units[..<offset].enumerated() where unit == 10 {
      line += 1
      lineStart = index + 1
    }
    return .position(line, offset - lineStart)
  }
}
