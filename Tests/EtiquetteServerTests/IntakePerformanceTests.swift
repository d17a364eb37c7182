import EtiquetteEngine
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// The fast path must not change what is stored: group commit, the in-memory conversation cache
/// and the cached statements.
@Suite struct IntakePerformanceTests {
  @Test func concurrentWebhooksAreAllCommittedAndProcessed() async throws {
    let harness = try await ServerHarness()
    try await harness.test { client in
      try await withThrowingTaskGroup(of: Void.self) { group in
        for i in 0..<60 {
          group.addTask {
            let body = ServerHarness.textWebhook(
              from: "3360000010\(i % 3)", id: "wamid.group.\(i)", text: "ma commande \(i)")
            let status = try await ServerHarness.post(client, webhook: body)
            #expect(status == .ok)
          }
        }
        try await group.waitForAll()
      }
    }
    // Every 200 was answered after its batch was processed: nothing is left pending.
    let counts = try await harness.inspect.counts()
    #expect(counts.webhooks == 60)
    #expect(counts.unprocessedWebhooks == 0)
    #expect(counts.conversations == 3)
    #expect(counts.steps == 60)
    #expect(counts.searchedMessages == 60)
  }

  @Test(
    .enabled(
      if: TestStore.kind == .sqlite, "SQLite's conversation cache (PostgreSQL reloads every step)"))
  func cachedConversationIsExactlyWhatTheStoreReloads() async throws {
    let harness = try await ServerHarness()
    let texts = ["Bonjour", "J'ai réservé le créneau", "ma commande CMD-123456", "merci"]
    try await harness.test { client in
      for (i, text) in texts.enumerated() {
        let body = ServerHarness.textWebhook(
          from: "33600000200", id: "wamid.cache.\(i)", text: text, at: 1_764_064_800 + i)
        let status = try await ServerHarness.post(client, webhook: body)
        #expect(status == .ok)
      }
    }
    let rules = harness.server.rules.current
    let cache = harness.server.sqlite.conversationCache
    let id = try await harness.inspect.conversations().first?.id ?? ""
    let fromStore = try #require(try await harness.inspect.conversation(id: id, rules: rules))
    let cached = try #require(
      cache.conversation(
        id: fromStore.id, stepCount: fromStore.stepCount, rulesVersion: rules.version))
    #expect(cached == fromStore)
    #expect(cached.transcript.count == texts.count)
    // A stale step count (a write the cache did not see) is never served.
    #expect(
      cache.conversation(
        id: fromStore.id, stepCount: fromStore.stepCount + 1, rulesVersion: rules.version)
        == nil)
  }

  @Test func cacheStaysBounded() {
    let cache = ConversationCache(capacity: 8)
    for i in 0..<100 {
      let c = Conversation(id: "c\(i)", contact: Contact(id: "k\(i)"), mode: .ai)
      cache.store(c, rulesVersion: "v1")
    }
    #expect(cache.count <= 8)
    #expect(cache.conversation(id: "c99", stepCount: 0, rulesVersion: "v1") != nil)
    #expect(cache.conversation(id: "c99", stepCount: 0, rulesVersion: "v2") == nil)
  }
}
