import EtiquetteTestSupport
import Foundation
import Testing

/// `check --format sarif` on checker fixtures: golden files beside the fixtures' `.json`, and every
/// document validated against the OASIS SARIF 2.1.0 schema by an independent implementation
/// (Python's jsonschema).
@Suite("SARIF output", .serialized)
struct SARIFTests {
  static let checkerTests = CommandRunner.repositoryRoot + "/Tests/EtiquetteCheckerTests"
  static let schema =
    CommandRunner.repositoryRoot + "/Tests/EtiquetteCLITests/Fixtures/sarif-schema-2.1.0.json"

  /// Fixtures whose JSON form is kept by the checker's golden tests get a SARIF form too.
  static let fixtures: [String] = {
    GoldenFile.files(in: checkerTests + "/Fixtures", withExtension: "json").map {
      URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent
    }
  }()

  @Test func coversAtLeastFiveFixtures() {
    #expect(Self.fixtures.count >= 5)
  }

  @Test(arguments: fixtures)
  func goldenAndSchemaValid(_ name: String) throws {
    var isDirectory: ObjCBool = false
    let folder = Self.checkerTests + "/Fixtures/" + name
    let path =
      FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory)
        && isDirectory.boolValue
      ? "Fixtures/\(name)" : "Fixtures/\(name).etq"
    let result = try CommandRunner.run(
      ["check", "--format", "sarif", path], in: Self.checkerTests)
    #expect(result.status == 0 || result.status == 1, "\(result.stderr)")
    if let diff = GoldenFile.mismatch(
      actual: result.stdout, expectedPath: Self.checkerTests + "/Fixtures/\(name).sarif")
    {
      Issue.record(Comment(rawValue: diff))
    }
    let validation = try Self.validate(result.stdout)
    #expect(validation.status == 0, "\(name): \(validation.output)")
  }

  static func validate(_ document: String) throws -> (status: Int32, output: String) {
    let dir = try CommandRunner.temporaryDirectory()
    try document.write(toFile: dir + "/out.sarif", atomically: true, encoding: .utf8)
    let script = """
      import json, sys, jsonschema
      schema = json.load(open(sys.argv[1]))
      doc = json.load(open(sys.argv[2]))
      jsonschema.validate(doc, schema)
      assert doc["runs"][0]["results"], "no results"
      print("valid")
      """
    return try PythonScript.run(script, arguments: [schema, dir + "/out.sarif"])
  }
}
