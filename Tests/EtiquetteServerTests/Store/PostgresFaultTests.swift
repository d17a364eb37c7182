import EtiquetteEngine
import Foundation
import Testing

@testable import EtiquetteServer

#if canImport(Glibc)
  import Glibc
#endif

/// Several real `etiquette serve` processes on one real PostgreSQL database, under load, one of
/// them killed midway (issue 15's faults): what was answered 200 is stored and applied once, in
/// arrival order per conversation, and every outbound webhook reaches the independent Python
/// receiver (Fixtures/webhooks/receiver.py) under one stable key.
@Suite(.serialized) struct PostgresFaultTests {
  typealias Crash = WebhookCrashTests

  /// The configuration file of one instance (`WebhookCrashTests.config`), named `name`.
  static func config(
    directory: String, name: String, database: String, receiverPort: Int?
  ) throws -> String {
    let config = Crash.config(database: database, receiverPort: receiverPort)
    let path = directory + "/\(name).json"
    try JSONLine.encode(config).write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// Posts `body` to the instances in turn from `first`, until one answers: a webhook that an
  /// instance did not answer (it was killed) is sent again to another, as WhatsApp retries.
  /// Returns the answering status.
  static func post(_ body: [UInt8], ports: @Sendable () -> [Int], first: Int) async -> Int? {
    for attempt in 0..<12 {
      let live = ports()
      guard !live.isEmpty else { continue }
      let port = live[(first + attempt) % live.count]
      if let status = try? await Crash.post(body, port: port) { return status }
    }
    return nil
  }

  @Test(.enabled(if: TestPostgres.address != nil || TestPostgres.required))
  func threeInstancesOneKilledUnderLoadLoseNothingAndApplyEachMessageOnceInOrder() async throws {
    guard FileManager.default.isExecutableFile(atPath: Crash.executable) else {
      Issue.record("build the binary first (swift build): \(Crash.executable) is missing")
      return
    }
    try await TestPostgres.withDatabase { address in
      let dir = NSTemporaryDirectory() + "etiquette-pg-fault-" + UUID().uuidString
      try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      let receiverLog = dir + "/receiver.jsonl"
      let (receiver, receiverPort) = try Crash.startReceiver(log: receiverLog, delay: 0)
      defer { kill(receiver.processIdentifier, SIGKILL) }
      let configs = try (0..<3).map {
        try Self.config(
          directory: dir, name: "instance\($0)", database: address.url,
          receiverPort: receiverPort)
      }
      let processes = ProcessBoard(count: 3)
      let ports = PortBoard(count: 3)
      defer { processes.killAll() }
      // One at a time: the first migrates, the others find the schema ready (they would wait
      // on the migration lock otherwise, which is also fine).
      for index in 0..<3 {
        let (process, port) = try await Crash.startServer(
          config: configs[index], log: dir + "/instance\(index).log")
        processes.set(index, process)
        ports.set(index, port)
      }

      // Two conversations, each receiving messages on every instance, from 16 clients.
      let phones = ["33633000001", "33633000002"]
      let perPhone = 40
      let bodies = (1...perPhone).flatMap { index in
        phones.map { phone in
          (
            id: "wamid.\(phone).\(index)",
            body: ServerHarness.textWebhook(
              from: phone, id: "wamid.\(phone).\(index)", text: "message \(index)")
          )
        }
      }
      let answered = Answers()
      let killAt = bodies.count / 2
      try await withThrowingTaskGroup(of: Void.self) { group in
        for client in 0..<16 {
          group.addTask {
            for (offset, item) in bodies.enumerated() where offset % 16 == client {
              if let status = await Self.post(
                item.body, ports: { ports.live }, first: offset)
              {
                answered.record(item.id, status)
              }
            }
          }
        }
        // Instance 1 is killed once half the webhooks were answered, and restarted.
        group.addTask {
          _ = await eventually(within: 120) { answered.count >= killAt }
          let victim = processes.get(1)
          ports.set(1, nil)
          if let victim {
            kill(victim.processIdentifier, SIGKILL)
            victim.waitUntilExit()
          }
        }
        try await group.waitForAll()
      }
      let (restarted, port) = try await Crash.startServer(
        config: configs[1], log: dir + "/instance1.log")
      processes.set(1, restarted)
      ports.set(1, port)

      #expect(answered.statuses.values.allSatisfy { $0 == 200 })
      #expect(answered.statuses.count == bodies.count, "every webhook was answered by someone")

      let store = try await PostgresStore.open(
        address, clock: .system, maximumConnections: 2, connectTimeout: TestPostgres.patience)
      defer { Task { await store.close() } }
      let inspect = store.storeInspection
      // Done when every answered webhook is applied (the others keep processing after a kill).
      #expect(
        try await eventually(within: 120) {
          try await inspect.messages().filter { $0.direction == "in" }.count == bodies.count
        }, "every webhook answered 200 is stored and applied")
      let incoming = try await inspect.messages().filter { $0.direction == "in" }
      let ids = incoming.compactMap(\.whatsappID)
      #expect(Set(ids) == Set(bodies.map(\.id)), "each message once, none lost")
      #expect(ids.count == Set(ids).count, "no message applied twice")
      #expect(
        try await inspect.decisions().count == bodies.count, "one engine step per message")
      // Each conversation's transcript follows the arrival order of its webhooks (the order
      // in which their bodies were committed, whichever instance received them).
      let arrival = try await store.webhookArrivalOrder()
      for phone in phones {
        // A body sent again (its instance was killed before answering) arrives twice: its
        // first arrival is the one applied, the second changes nothing.
        var seen = Set<String>()
        let arrived = arrival.filter { $0.hasPrefix("wamid.\(phone).") && seen.insert($0).inserted }
        let applied = incoming.filter { $0.whatsappID?.hasPrefix("wamid.\(phone).") == true }
          .sorted { $0.id < $1.id }.compactMap(\.whatsappID)
        #expect(applied == arrived, "applied in arrival order for \(phone)")
      }
      // Every outbound webhook reaches the receiver, each event under one key.
      // A message is known in its event by its customer and its text ("message 7").
      func delivered() -> Set<String> {
        Set(
          Crash.entries(receiverLog).filter { $0["processed"] == .bool(true) }.compactMap {
            guard let phone = $0["body"]?["payload"]?["user"]?["phone"]?.stringValue,
              let text = $0["body"]?["data"]?["message"]?["text"]?.stringValue
            else { return nil }
            return phone + "|" + text
          })
      }
      #expect(
        await eventually(within: 120) { delivered().count >= bodies.count },
        "every message.received delivered: \(delivered().count) of \(bodies.count)")
      let processed = Crash.entries(receiverLog).filter { $0["processed"] == .bool(true) }
      let events = processed.compactMap { $0["body"]?["id"]?.stringValue }
      #expect(events.count == Set(events).count, "no event processed twice under another key")
      #expect(
        Crash.entries(receiverLog).allSatisfy { $0["signatureValid"] == .bool(true) },
        "Python's hmac agrees")
    }
  }
}

/// The ports of the running instances (nil while one is down), shared with the clients.
final class PortBoard: @unchecked Sendable {
  // Guards `ports`.
  private let lock = NSLock()
  private var ports: [Int?]

  init(count: Int) { ports = Array(repeating: nil, count: count) }

  func set(_ index: Int, _ port: Int?) { lock.withLock { ports[index] = port } }

  var live: [Int] { lock.withLock { ports.compactMap { $0 } } }
}

/// The instances' processes, shared with the task that kills one.
final class ProcessBoard: @unchecked Sendable {
  // Guards `processes`.
  private let lock = NSLock()
  private var processes: [Process?]

  init(count: Int) { processes = Array(repeating: nil, count: count) }

  func set(_ index: Int, _ process: Process?) { lock.withLock { processes[index] = process } }
  func get(_ index: Int) -> Process? { lock.withLock { processes[index] } }

  /// SIGKILL: the test process may ignore SIGTERM, and its children inherit that.
  func killAll() {
    for process in lock.withLock({ processes }) {
      if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
  }
}

/// The status each webhook was answered with.
final class Answers: @unchecked Sendable {
  // Guards `answers`.
  private let lock = NSLock()
  private var answers: [String: Int] = [:]

  func record(_ id: String, _ status: Int) { lock.withLock { answers[id] = status } }

  var count: Int { lock.withLock { answers.count } }

  var statuses: [String: Int] { lock.withLock { answers } }
}
