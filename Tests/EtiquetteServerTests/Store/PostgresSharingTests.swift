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
