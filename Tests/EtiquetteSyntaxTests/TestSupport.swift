import EtiquetteDiagnostics
import EtiquetteSyntax
import EtiquetteTestSupport
import Foundation

/// Parses `text` as one file and returns the result with a source map for rendering.
func parse(_ text: String, path: String = "test.etq") -> (ParseResult, SourceMap) {
  var sources = SourceMap()
  let file = sources.add(path: path, text: text)
  return (Parser.parse(file), sources)
}

func parse(bytes: [UInt8], path: String = "test.etq") -> (ParseResult, SourceMap) {
  var sources = SourceMap()
  let file = sources.add(path: path, bytes: bytes)
  return (Parser.parse(file), sources)
}

/// Renders diagnostics as a user reads them, for failure messages.
func rendered(_ result: ParseResult, _ sources: SourceMap) -> String {
  DiagnosticRenderer(sources: sources, style: .plain).render(result.diagnostics)
}

let repositoryRoot = GoldenFile.repositoryRoot(from: #filePath)

/// Every `.etq` file under grammar/ and rules/, recursively, sorted.
func exampleFiles() -> [String] {
  var paths: [String] = []
  for folder in ["grammar", "rules"] {
    let root = repositoryRoot + "/" + folder
    guard let walker = FileManager.default.enumerator(atPath: root) else { continue }
    while let relative = walker.nextObject() as? String {
      if relative.hasSuffix(".etq") { paths.append(root + "/" + relative) }
    }
  }
  return paths.sorted()
}

/// The first label declaration's first `when` condition, for condition tests.
func firstCondition(_ source: String) -> Condition? {
  let (result, _) = parse(source)
  for item in result.ruleFile.items {
    if case .label(let label) = item {
      for clause in label.clauses {
        if case .when(let condition) = clause.kind { return condition }
      }
    }
  }
  return nil
}
