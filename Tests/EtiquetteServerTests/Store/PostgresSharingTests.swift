import EtiquetteEngine
import Foundation
import Logging
import Testing

@testable import EtiquetteServer

/// What instances on one PostgreSQL database share besides the rows: the live events of a
/// change made on one reach the streams of every other, in order; and the rules one instance
/// serves become every instance's.
@Suite(
  .enabled(
    if: TestPostgres.address != nil,
    "ETIQUETTE_TEST_POSTGRES_URL is unset: no PostgreSQL server to share between instances"))
struct PostgresSharingTests {
  /// An instance: its store, the live stream its members are connected to, its rules.
  struct Instance {
    var store: PostgresStore
    var live: LiveStream
    var rules: RuleHolder
    var directory: URL
    var adopted: Adoptions
  }

  /// The rules directories' files each instance was asked to adopt.
  final class Adoptions: @unchecked Sendable {
    // Guards `digests`.
    private let lock = NSLock()
    private var digests: [String] = []
    func record(_ digest: String) { lock.withLock { digests.append(digest) } }
    var all: [String] { lock.withLock { digests } }
  }

  static let rulesText = """
    label "Demandes de Vente" {
      when message contains "prix"
    }

    team "Ventes" {
      members ["alice@exemple.fr"]
      can reply labels ["Demandes de Vente"]
    }

    team "Support" {
      members ["bruno@exemple.fr"]
      can reply all
    }

    routing {
      default human
    }

    """

  /// Two instances on one fresh database, each with a rules directory of its own holding the
  /// same files (or `second` for the second one), served as a server does.
  static func withTwoInstances<Value: Sendable>(
    second: String? = nil, _ body: ([Instance]) async throws -> Value
  ) async throws -> Value {
    try await PostgresInstancesTests.withInstances(2) { stores in
      var instances: [Instance] = []
      for (index, store) in stores.enumerated() {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
          "etiquette-sharing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let text = index == 1 ? (second ?? rulesText) : rulesText
        try text.write(
          to: directory.appendingPathComponent("regles.etq"), atomically: true, encoding: .utf8)
        let loaded = try RuleLoading.load(path: directory.path).get()
        let rules = RuleHolder(path: directory.path, rules: loaded)
        let live = LiveStream()
        let drafts = RuleDraftService(rules: rules)
        let adopted = Adoptions()
        store.serve(
          ServedInstance(
            live: live, rules: rules, logger: Logger(label: "test"),
            files: { drafts.served() },
            adopt: { served in
              adopted.record(served.digest)
              if (try? drafts.adopt(served)) == true { _ = rules.reload() }
            }))
        instances.append(
          Instance(
            store: store, live: live, rules: rules, directory: directory, adopted: adopted))
        // The first instance records its files before the second starts following.
        if index == 0 {
          _ = try await eventually { try await store.servedRules() != nil }
        }
      }
      return try await body(instances)
    }
  }

  @Test func aChangeOnOneInstanceReachesTheStreamsOfTheOtherInOrderAndOnlyItsViewers()
    async throws
  {
    try await Self.withTwoInstances { instances in
      let (_, alice) = try instances[1].live.subscribe(member: "alice@exemple.fr")
      let (_, bruno) = try instances[1].live.subscribe(member: "bruno@exemple.fr")
      // Three changes committed on the first instance: two about a sales conversation (alice
      // and bruno may view it), one about an unlabelled one (bruno only).
      for (index, labels) in [["Demandes de Vente"], ["Demandes de Vente"], []].enumerated() {
        try await instances[0].store.transaction { connection, _ in
          try await PostgresStore.storeLiveEvents(
            [
              LiveEvent(
                "message.created", conversation: "c\(index)", data: ["conversation": "c\(index)"])
            ], to: .viewers(before: nil, after: labels), on: connection, now: 1,
            logger: Logger(label: "test"))
        }
      }
      let brunoFrames = try await Self.frames(bruno, count: 3)
      #expect(brunoFrames.map { $0.contains("\"c0\"") } == [true, false, false])
      #expect(brunoFrames[2].contains("\"c2\""), "in commit order")
      let aliceFrames = try await Self.frames(alice, count: 2)
      #expect(aliceFrames.allSatisfy { !$0.contains("\"c2\"") }, "not what she may not view")
      #expect(aliceFrames[1].contains("\"c1\""))
    }
  }

  /// SSE ids are global: both instances give an event the same id, and a stream resuming
  /// on the other instance from the last id it saw gets exactly what it missed — also from
  /// the database, when that instance's memory no longer holds it.
  @Test func idsAreTheSameOnEveryInstanceAndAStreamResumesOnAnother() async throws {
    try await Self.withTwoInstances { instances in
      let (_, onFirst) = try instances[0].live.subscribe(member: "bruno@exemple.fr")
      let (_, onSecond) = try instances[1].live.subscribe(member: "bruno@exemple.fr")
      func change(_ index: Int) async throws {
        try await instances[0].store.transaction { connection, _ in
          try await PostgresStore.storeLiveEvents(
            [
              LiveEvent("message.created", conversation: "c\(index)", data: ["n": index]),
              LiveEvent("label.added", conversation: "c\(index)", data: ["n": index]),
            ], to: .viewers(before: nil, after: []), on: connection, now: 1,
            logger: Logger(label: "test"))
        }
      }
      for index in 0..<3 { try await change(index) }
      let first = try await Self.frames(onFirst, count: 6)
      let second = try await Self.frames(onSecond, count: 6)
      let ids = first.compactMap(LiveEvent.id(of:))
      #expect(ids == second.compactMap(LiveEvent.id(of:)), "one id per event on every instance")
      #expect(ids == ids.sorted() && Set(ids).count == 6, "increasing")

      // The client saw the first change's first event, then lost its connection.
      let seen = ids[0]
      let missed = Array(ids.dropFirst())
      let fromMemory = try #require(
        instances[1].live.backlog(after: seen, for: "bruno@exemple.fr"))
      #expect(fromMemory.map(\.id) == missed)
      let loaded = instances[1].rules.current
      let fromDatabase = try #require(
        try await instances[1].store.liveBacklog(
          after: seen, for: "bruno@exemple.fr", rules: loaded))
      #expect(fromDatabase.map(\.id) == missed)
      #expect(fromDatabase.map(\.frame) == Array(second.dropFirst()), "the same frames")
      // What only one member may view is replayed to no one else.
      let alice = try #require(
        try await instances[1].store.liveBacklog(
          after: seen, for: "alice@exemple.fr", rules: loaded))
      #expect(alice.isEmpty)
      // An id no longer (or never) kept: nothing is replayed, the client reloads.
      #expect(
        try await instances[1].store.liveBacklog(
          after: 5, for: "bruno@exemple.fr", rules: loaded) == nil)
      #expect(instances[1].live.backlog(after: 5, for: "bruno@exemple.fr") == nil)
    }
  }

  @Test func aRolledBackChangePublishesNothing() async throws {
    try await Self.withTwoInstances { instances in
      let (_, bruno) = try instances[1].live.subscribe(member: "bruno@exemple.fr")
      struct Refused: Error {}
      await #expect(throws: Refused.self) {
        try await instances[0].store.transaction { connection, _ in
          try await PostgresStore.storeLiveEvents(
            [LiveEvent("message.created", conversation: "gone", data: ["x": 1])],
            to: .member("bruno@exemple.fr"), on: connection, now: 1,
            logger: Logger(label: "test"))
          throw Refused()
        }
      }
      try await instances[0].store.transaction { connection, _ in
        try await PostgresStore.storeLiveEvents(
          [LiveEvent("message.created", conversation: "kept", data: ["x": 2])],
          to: .member("bruno@exemple.fr"), on: connection, now: 1,
          logger: Logger(label: "test"))
      }
      let frames = try await Self.frames(bruno, count: 1)
      #expect(frames[0].contains("{\"x\":2}"), "the committed change, not the rolled-back one")
    }
  }

  @Test func rulesServedByOneInstanceAreAdoptedByTheOther() async throws {
    let changed = Self.rulesText.replacingOccurrences(of: "\"prix\"", with: "\"tarif\"")
    try await Self.withTwoInstances(second: changed) { instances in
      // At start the second instance found the first one's files recorded and adopted them.
      let recorded = try #require(try await instances[0].store.servedRules())
      #expect(recorded.digest == RuleDraftService(rules: instances[0].rules).served().digest)
      #expect(
        await eventually { instances[1].adopted.all.contains(recorded.digest) },
        "the instance that started with other files adopts the recorded ones")
      #expect(
        try await eventually {
          try String(
            contentsOf: instances[1].directory.appendingPathComponent("regles.etq"),
            encoding: .utf8) == Self.rulesText
        })
      // A reload on the second instance with new files: the first adopts them.
      let before = instances[0].rules.current.version
      let newer = Self.rulesText.replacingOccurrences(of: "\"prix\"", with: "\"combien\"")
      try newer.write(
        to: instances[1].directory.appendingPathComponent("regles.etq"), atomically: true,
        encoding: .utf8)
      _ = instances[1].rules.reload()
      try await instances[1].store.rulesServed(
        RuleDraftService(rules: instances[1].rules).served())
      #expect(
        await eventually {
          instances[0].rules.current.version != before
            && (try? String(
              contentsOf: instances[0].directory.appendingPathComponent("regles.etq"),
              encoding: .utf8)) == newer
        }, "the first instance serves the files the second published")
    }
  }

  /// The next `count` data frames of a stream (keep-alive comments skipped), looked for a
  /// bounded number of times: a relay that never delivers fails the test, never hangs it.
  static func frames(_ stream: AsyncStream<String>, count: Int) async throws -> [String] {
    let received = Received()
    let reader = Task {
      for await frame in stream where frame.hasPrefix("id:") { received.append(frame) }
    }
    defer { reader.cancel() }
    _ = await eventually { received.all.count >= count }
    let frames = received.all
    try #require(frames.count >= count, "only \(frames.count) frame(s) arrived")
    return Array(frames.prefix(count))
  }

  final class Received: @unchecked Sendable {
    // Guards `frames`.
    private let lock = NSLock()
    private var frames: [String] = []
    func append(_ frame: String) { lock.withLock { frames.append(frame) } }
    var all: [String] { lock.withLock { frames } }
  }
}
