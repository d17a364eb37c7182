import Foundation
import Testing

@testable import EtiquetteServer

/// Members and their tokens, on each store: what `etiquette member` relies on.
@Suite struct MemberDirectoryTests {
  static let clock = WallClock.fixed(Date(timeIntervalSince1970: 1_700_000_000))

  @Test(arguments: StoreKind.available)
  func aTokenIdentifiesItsMemberUntilRevokedOrReplaced(on kind: StoreKind) async throws {
    try await kind.withStore(clock: Self.clock) { store in
      let first = try await store.addMember("bruno@exemple.fr")
      #expect(try await store.member(forToken: first) == "bruno@exemple.fr")
      let second = try await store.addMember("bruno@exemple.fr")
      #expect(try await store.member(forToken: first) == nil, "a new token replaces the old")
      #expect(try await store.member(forToken: second) == "bruno@exemple.fr")
      _ = try await store.addMember("alice@exemple.fr")
      #expect(try await store.members().map(\.email) == ["alice@exemple.fr", "bruno@exemple.fr"])
      #expect(try await store.revokeMember("bruno@exemple.fr"))
      #expect(try await store.revokeMember("bruno@exemple.fr") == false, "already revoked")
      #expect(try await store.revokeMember("nobody@exemple.fr") == false)
      #expect(try await store.member(forToken: second) == nil)
      let rows = try await store.members()
      #expect(rows.map(\.revokedAt) == [nil, Self.clock.now()])
      #expect(rows.allSatisfy { $0.createdAt == Self.clock.now() })
    }
  }

  @Test(arguments: StoreKind.available)
  func anInvitationTokenIsNeverStoredAsItIs(on kind: StoreKind) async throws {
    try await kind.withStore(clock: Self.clock) { store in
      let first = try await store.inviteMember("chloe@exemple.fr", validFor: 3_600)
      let second = try await store.inviteMember("chloe@exemple.fr", validFor: 3_600)
      #expect(first != second && first.count >= 32)
      #expect(try await store.member(forToken: first) == nil, "an invitation is not an API token")
    }
  }
}
