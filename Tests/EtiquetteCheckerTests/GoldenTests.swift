import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteTestSupport
import Testing

/// Every fixture under Fixtures/ against its `.expected` rendering (and `.json` for some).
/// `ETIQUETTE_UPDATE_GOLDEN=1` regenerates them; review the diff.
@Suite struct GoldenTests {
  /// Fixtures whose JSON form is also kept.
  static let jsonFixtures: Set<String> = [
    "unknown_label", "enum_value", "regex_error", "label_cycle", "routing_team_access",
    "phrase_two_labels", "duplicate_label",
  ]

  @Test(arguments: CheckerHarness.fixtureNames)
  func fixture(_ name: String) throws {
    let harness = CheckerHarness.loading(fixture: name)
    // Fixtures are valid syntax: anything reported comes from the checker.
    #expect(harness.parseDiagnostics.isEmpty, "\(name) has syntax errors")
    let result = harness.check()
    let base = CheckerHarness.fixturesDirectory + "/" + name
    if let diff = GoldenFile.mismatch(
      actual: harness.render(result), expectedPath: base + ".expected")
    {
      Issue.record(Comment(rawValue: diff))
    }
    if Self.jsonFixtures.contains(name),
      let diff = GoldenFile.mismatch(actual: harness.json(result), expectedPath: base + ".json")
    {
      Issue.record(Comment(rawValue: diff))
    }
    // The rule set exists exactly when there is no error.
    #expect((result.ruleSet == nil) == result.diagnostics.hasErrors)
    #expect(result.diagnostics == result.diagnostics.sortedByPosition())
  }

  @Test func everyJSONFixtureExists() {
    #expect(Self.jsonFixtures.isSubset(of: Set(CheckerHarness.fixtureNames)))
    #expect(CheckerHarness.fixtureNames.count >= 40)
  }
}
