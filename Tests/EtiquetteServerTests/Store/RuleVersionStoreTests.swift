import Foundation
import Testing

@testable import EtiquetteServer

/// The published rule versions read back the same from SQLite and PostgreSQL.
@Suite struct RuleVersionStoreTests {
  @Test(arguments: StoreKind.available)
  func versionsAreNumberedAndReadBackWhole(kind: StoreKind) async throws {
    try await kind.withStore(clock: .fixed(Date(timeIntervalSince1970: 1_700_000_000))) { store in
      #expect(try await store.ruleVersions(limit: 10).isEmpty)
      let first = [
        PublishedFile(name: "labels.etq", text: "label \"A\" {}\n"),
        // What a rule file may hold and TEXT or JSON could mangle: a NUL, accents, quotes.
        PublishedFile(name: "sous/dossier.etq", text: "# nul \u{0} « é » \"q\"\n"),
      ]
      let one = try await store.recordRuleVersion(
        author: RuleVersion.foundOnDisk, at: 100, message: "Fichiers trouvés", digest: "aaa",
        files: first)
      let two = try await store.recordRuleVersion(
        author: "manon@exemple.fr", at: 200.5, message: "Ajoute « combien »", digest: "bbb",
        files: [first[0]])
      #expect(two > one)
      let versions = try await store.ruleVersions(limit: 10)
      #expect(versions.map(\.number) == [two, one])
      #expect(try await store.ruleVersions(limit: 1).map(\.number) == [two])
      let read = try #require(try await store.ruleVersion(number: one))
      #expect(
        read
          == RuleVersion(
            number: one, author: RuleVersion.foundOnDisk, at: 100, message: "Fichiers trouvés",
            digest: "aaa", files: first))
      #expect(try await store.ruleVersion(number: two + 100) == nil)
    }
  }
}
