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

  /// Both stores cache the intake's conversations (SQLite in its writer, PostgreSQL once the
  /// batch has committed): what is cached must be exactly what the store reloads, and a step
  /// taken another way (an agent's note, which does not go through the cache) must be seen by
  /// the next message.
  @Test func cachedConversationIsExactlyWhatTheStoreReloads() async throws {
    let harness = try await ServerHarness()
    let texts = ["Bonjour", "J'ai réservé le créneau", "ma commande CMD-123456", "merci"]
    let at = 1_764_064_800
    let post: @Sendable (any TestClientProtocol, Int, String) async throws -> Void = {
      client, i, text in
      let body = ServerHarness.textWebhook(
        from: "33600000200", id: "wamid.cache.\(i)", text: text, at: at + i)
      let status = try await ServerHarness.post(client, webhook: body)
      #expect(status == .ok)
    }
    try await harness.test { client in
      for (i, text) in texts.enumerated() { try await post(client, i, text) }
    }
    let rules = harness.server.rules.current
    let cache = harness.server.conversationCache
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

    // A note taken outside the intake, then a message: the message's step starts from the
    // state with the note, and the cache holds that state afterwards.
    _ = try await harness.server.store.applyStep(to: id, rules: rules, hub: nil) { _ in
      (
        Step(
          .agent(member: "manon@exemple.fr", action: .note("rappeler demain")),
          at: Date(timeIntervalSince1970: Double(at + 10))), []
      )
    }
    try await harness.test { client in try await post(client, 10, "toujours là ?") }
    let after = try #require(try await harness.inspect.conversation(id: id, rules: rules))
    #expect(after.notes.map(\.text) == ["rappeler demain"])
    #expect(after.transcript.count == texts.count + 1)
    #expect(after.stepCount == fromStore.stepCount + 2)
    let cachedAfter = try #require(
      cache.conversation(id: id, stepCount: after.stepCount, rulesVersion: rules.version))
    #expect(cachedAfter == after)

    // An agent's reply at an instant finer than the store keeps (a `Date` counted from 2001, as
    // `Date()` gives, loses its last bit through the stored seconds since 1970): the step's own
    // line takes the stored form of its time in the cache (the engine appended it in place,
    // without copying the earlier lines), so the cache still equals a reload, and the next
    // message's step starts from it.
    _ = try await harness.server.store.applyStep(to: id, rules: rules, hub: nil) { _ in
      (
        Step(
          .agent(member: "manon@exemple.fr", action: .reply("Je regarde tout de suite")),
          at: Date(timeIntervalSinceReferenceDate: Double(at) - 978_307_200 + 11.000_000_1)), []
      )
    }
    try await harness.test { client in try await post(client, 12, "d'accord") }
    let replied = try #require(try await harness.inspect.conversation(id: id, rules: rules))
    #expect(replied.transcript.count == texts.count + 3)
    #expect(replied.transcript.map(\.text).suffix(2) == ["Je regarde tout de suite", "d'accord"])
    let cachedReplied = try #require(
      cache.conversation(id: id, stepCount: replied.stepCount, rulesVersion: rules.version))
    // Read state is never cached (a reply marks it; `load` reads it at every step).
    #expect(replied.readState == ["manon@exemple.fr": texts.count + 2])
    var withoutReadState = replied
    withoutReadState.readState = [:]
    #expect(cachedReplied == withoutReadState)
  }

  /// A reload may rename stored labels without a step, and a version is the rules' hash: going
  /// back to an earlier rule set must find nothing from before. Two transactions storing out
  /// of their commit order must leave the newer state.
  @Test func cacheForgetsOtherRuleSetsAndKeepsTheNewerState() {
    let cache = ConversationCache(capacity: 8)
    var c = Conversation(id: "c1", contact: Contact(id: "k1"), mode: .ai)
    c.stepCount = 3
    cache.store(c, rulesVersion: "v1")
    cache.store(Conversation(id: "c2", contact: Contact(id: "k2"), mode: .ai), rulesVersion: "v2")
    cache.store(Conversation(id: "c3", contact: Contact(id: "k3"), mode: .ai), rulesVersion: "v1")
    #expect(cache.candidate(id: "c1", rulesVersion: "v1") == nil)
    #expect(cache.conversation(id: "c2", stepCount: 0, rulesVersion: "v2") == nil)
    #expect(cache.candidate(id: "c3", rulesVersion: "v1") != nil)

    var newer = c
    newer.stepCount = 5
    newer.assignee = "manon@exemple.fr"
    cache.store(newer, rulesVersion: "v1")
    cache.store(c, rulesVersion: "v1")
    #expect(cache.candidate(id: "c1", rulesVersion: "v1") == newer)
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
