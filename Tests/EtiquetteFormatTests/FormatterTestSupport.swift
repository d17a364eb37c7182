import EtiquetteDiagnostics
import EtiquetteFormat
import EtiquetteSyntax
import EtiquetteTestSupport
import Foundation

/// Shared inputs and helpers of the formatter tests.
enum FormatterCorpus {
  static let fixtures = GoldenFile.directory(of: #filePath) + "/Fixtures"

  /// The golden inputs, by file name.
  static var fixtureNames: [String] {
    GoldenFile.files(in: fixtures, withExtension: "etq").map {
      URL(fileURLWithPath: $0).lastPathComponent
    }
  }

  /// Every `.etq` under the repository's grammar/ and rules/ folders (recursively), as paths
  /// relative to the repository root.
  static var repositoryFiles: [String] {
    let root = GoldenFile.repositoryRoot(from: #filePath)
    var paths: [String] = []
    for folder in ["grammar", "rules"] {
      let enumerator = FileManager.default.enumerator(atPath: root + "/" + folder)
      while let relative = enumerator?.nextObject() as? String {
        if relative.hasSuffix(".etq") { paths.append(folder + "/" + relative) }
      }
    }
    return paths.sorted()
  }

  /// Every input the properties are checked on: golden inputs and repository files, as paths
  /// that `read(_:)` understands.
  static var allInputs: [String] {
    fixtureNames.map { "Fixtures/" + $0 } + repositoryFiles
  }

  static func read(_ input: String) -> String {
    let path =
      input.hasPrefix("Fixtures/")
      ? GoldenFile.directory(of: #filePath) + "/" + input
      : GoldenFile.repositoryRoot(from: #filePath) + "/" + input
    let data = FileManager.default.contents(atPath: path) ?? Data()
    return String(decoding: data, as: UTF8.self)
  }
}

/// The outcome of parsing and formatting one text.
struct Formatted {
  var source: SourceFile
  var parsed: ParseResult
  var text: String

  init(_ text: String, path: String = "input.etq") {
    source = SourceFile(id: SourceFileID(0), path: path, text: text)
    parsed = Parser.parse(source)
    self.text = Formatter.format(parsed.ruleFile, source: source)
  }

  /// The diagnostics, rendered compactly for a failure message.
  var diagnosticSummary: String {
    parsed.diagnostics.map {
      "\(source.location(ofOffset: $0.span.start)) \($0.code): \($0.message)"
    }.joined(separator: "\n")
  }

  /// The comment texts, trailing white space aside (the formatter strips it), sorted: a multiset.
  var commentTexts: [String] {
    parsed.ruleFile.comments.map(\.text.trimmedTrailingSpace).sorted()
  }
}

extension String {
  var trimmedTrailingSpace: String {
    var result = Substring(self)
    while let last = result.last, last == " " || last == "\t" || last == "\r" {
      result.removeLast()
    }
    return String(result)
  }
}
