import Foundation

/// SARIF 2.1.0 output, so GitHub code scanning shows diagnostics inline on a pull request.
///
/// Columns are counted in Unicode characters (`columnKind: unicodeCodePoints`), the same
/// columns as the text and JSON forms for the French text rule files hold.
public enum DiagnosticSARIF {
  public static func encode(
    _ diagnostics: [Diagnostic], sources: SourceMap, catalogue: [CodeExplanation],
    toolVersion: String
  ) -> String {
    let used = Set(diagnostics.map(\.code))
    // Rules: every catalogued code that occurs (plus any uncatalogued one), in code order.
    var rules: [[String: Any]] = []
    var ruleIndex: [DiagnosticCode: Int] = [:]
    let known = Dictionary(catalogue.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
    for code in used.sorted() {
      ruleIndex[code] = rules.count
      var rule: [String: Any] = [
        "id": code.rawValue,
        "defaultConfiguration": ["level": level(code.defaultSeverity)],
      ]
      if let entry = known[code] {
        rule["shortDescription"] = ["text": entry.title]
        rule["fullDescription"] = ["text": entry.explanation]
        rule["help"] = ["text": "Run `etiquette explain \(code)` for details."]
      }
      rules.append(rule)
    }

    let results: [[String: Any]] = diagnostics.map { d in
      var text = d.message
      for note in d.notes { text += "\nnote: \(note)" }
      if let help = d.help { text += "\nhelp: \(help)" }
      var result: [String: Any] = [
        "ruleId": d.code.rawValue,
        "level": level(d.severity),
        "message": ["text": text],
        "locations": [location(d.primary, sources: sources)],
      ]
      if let index = ruleIndex[d.code] { result["ruleIndex"] = index }
      if !d.secondary.isEmpty {
        result["relatedLocations"] = d.secondary.enumerated().map { i, label in
          var loc = location(label, sources: sources)
          loc["id"] = i + 1
          return loc
        }
      }
      return result
    }

    let document: [String: Any] = [
      "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
      "version": "2.1.0",
      "runs": [
        [
          "tool": [
            "driver": [
              "name": "etiquette",
              "version": toolVersion,
              "informationUri": "https://github.com/etiquette-inbox/etiquette",
              "rules": rules,
            ]
          ],
          "columnKind": "unicodeCodePoints",
          "results": results,
        ]
      ],
    ]
    let data =
      (try? JSONSerialization.data(
        withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]))
      ?? Data()
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  private static func level(_ severity: Severity) -> String {
    switch severity {
    case .error: "error"
    case .warning: "warning"
    case .note: "note"
    }
  }

  private static func location(_ label: DiagnosticLabel, sources: SourceMap) -> [String: Any] {
    guard let file = sources[label.span.file] else { return [:] }
    let start = file.location(ofOffset: label.span.start)
    let end = file.location(ofOffset: label.span.end)
    var location: [String: Any] = [
      "physicalLocation": [
        "artifactLocation": ["uri": file.path],
        "region": [
          "startLine": start.line, "startColumn": start.column,
          "endLine": end.line, "endColumn": end.column,
        ],
      ]
    ]
    if !label.message.isEmpty { location["message"] = ["text": label.message] }
    return location
  }
}

/// GitHub Actions workflow commands (`::error file=…,line=…,col=…::message`), which annotate the
/// changed lines of a pull request without any upload step.
public enum DiagnosticGitHub {
  public static func encode(_ diagnostics: [Diagnostic], sources: SourceMap) -> String {
    diagnostics.map { d in
      let command =
        switch d.severity {
        case .error: "error"
        case .warning: "warning"
        case .note: "notice"
        }
      var properties: [String] = []
      if let file = sources[d.span.file] {
        let start = file.location(ofOffset: d.span.start)
        let end = file.location(ofOffset: d.span.end)
        properties = [
          "file=\(escapeProperty(file.path))", "line=\(start.line)", "col=\(start.column)",
          "endLine=\(end.line)", "endColumn=\(end.column)",
        ]
      }
      properties.append("title=\(escapeProperty("\(d.code): \(d.message)"))")
      var message = d.message
      if let help = d.help { message += "\nhelp: \(help)" }
      return "::\(command) \(properties.joined(separator: ","))::\(escapeData(message))\n"
    }.joined()
  }

  // Escaping rules of @actions/core's command.ts.
  static func escapeData(_ s: String) -> String {
    s.replacingOccurrences(of: "%", with: "%25")
      .replacingOccurrences(of: "\r", with: "%0D")
      .replacingOccurrences(of: "\n", with: "%0A")
  }

  static func escapeProperty(_ s: String) -> String {
    escapeData(s).replacingOccurrences(of: ":", with: "%3A")
      .replacingOccurrences(of: ",", with: "%2C")
  }
}
