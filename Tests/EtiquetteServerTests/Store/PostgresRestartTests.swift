import AsyncHTTPClient
import EtiquetteEngine
import Foundation
import NIOCore
import Testing

@testable import EtiquetteServer

#if canImport(Glibc)
  import Glibc
#endif

/// PostgreSQL restarted under two running `etiquette serve` processes (issue 15's faults):
/// while it is down every request is answered 503 with `Retry-After` (no crash, nothing
/// half-written), and the servers recover by themselves when it is back.
@Suite(.serialized) struct PostgresRestartTests {
  typealias Crash = WebhookCrashTests

  /// A signed webhook to an instance: its status and `Retry-After`, or nil when the request
  /// itself failed (the patience is a loaded machine's, far above the store's own timeout).
  static func post(_ body: [UInt8], port: Int) async -> (status: Int, retryAfter: String?)? {
    try? await Crash.answer(body, port: port, timeout: .seconds(120))
  }

  static func webhook(_ index: Int) -> (id: String, body: [UInt8]) {
    // Two conversations, so both instances write to each.
    let phone = index % 2 == 0 ? "33644000001" : "33644000002"
    let id = "wamid.restart.\(index)"
    return (id, ServerHarness.textWebhook(from: phone, id: id, text: "message \(index)"))
  }

  @Test(.enabled(if: TestPostgres.address != nil || TestPostgres.required))
  func postgresRestartedUnderRunningServersAnswers503ThenRecoversByItself() async throws {
    guard FileManager.default.isExecutableFile(atPath: Crash.executable) else {
      Issue.record("build the binary first (swift build): \(Crash.executable) is missing")
      return
    }
    let cluster = try await ThrowawayCluster.started()
    do {
      try await restart(cluster)
    } catch {
      await cluster.destroy()
      throw error
    }
    await cluster.destroy()
  }

  func restart(_ cluster: ThrowawayCluster) async throws {
    let configs = try (0..<2).map {
      // No outbound webhook: nothing here receives one.
      try PostgresFaultTests.config(
        directory: cluster.directory, name: "instance\($0)", database: cluster.url,
        receiverPort: nil)
    }
    let processes = ProcessBoard(count: 2)
    defer { processes.killAll() }
    var started: [Int] = []
    for index in 0..<2 {
      let (process, port) = try await Crash.startServer(
        config: configs[index], log: cluster.directory + "/instance\(index).log")
      processes.set(index, process)
      started.append(port)
    }
    let ports = started

    // Before: eight webhooks, answered 200 by both instances.
    for index in 0..<8 {
      let answer = await Self.post(Self.webhook(index).body, port: ports[index % 2])
      #expect(
        answer?.status == 200, "webhook \(index) before the restart: \(String(describing: answer))")
    }

    // A store in this process, to watch what the instances see.
    let address = try PostgresAddress(url: cluster.url, environment: [:])
    let store = try await PostgresStore.open(
      address, clock: .system, maximumConnections: 2, connectTimeout: TestPostgres.patience)
    defer { Task { await store.close() } }
    #expect(store.isReachable)

    // PostgreSQL goes down as in a crash: every request that needs it is answered 503, the
    // processes stay up.
    try await cluster.crash()
    // The listener's connection breaks at once: from then on requests are answered 503
    // without waiting for the pool to give up connecting.
    #expect(await eventually(within: 120) { !store.isReachable }, "the store knows it is down")
    // Sent together: an instance whose listener saw the crash answers 503 without trying the
    // store.
    let down = await withTaskGroup(of: (Int, (status: Int, retryAfter: String?)?).self) { group in
      for index in 8..<12 {
        group.addTask { (index, await Self.post(Self.webhook(index).body, port: ports[index % 2])) }
      }
      return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
    }
    for index in 8..<12 {
      #expect(down[index]?.status == 503, "webhook \(index) while PostgreSQL is down")
      #expect(down[index]?.retryAfter != nil, "a 503 says when to try again")
    }
    for index in 0..<2 {
      #expect(processes.get(index)?.isRunning == true, "instance \(index) outlives the outage")
    }
    // The process is alive: a health check says so (only requests that need the store get 503).
    let health = try await HTTPClient.shared.execute(
      HTTPClientRequest(url: "http://127.0.0.1:\(ports[0])/healthz"), timeout: .seconds(120))
    #expect(health.status == .ok, "/healthz answers while PostgreSQL is down")

    // Back: each instance answers 200 again by itself (WhatsApp retries what got 503).
    try await cluster.start()
    #expect(await eventually(within: 120) { store.isReachable }, "the store knows it is back")
    for index in 8..<12 {
      let body = Self.webhook(index).body
      let port = ports[index % 2]
      #expect(
        await eventually(within: 120) { await Self.post(body, port: port)?.status == 200 },
        "webhook \(index) answered 200 once PostgreSQL is back")
    }
    for index in 12..<16 {
      let answer = await Self.post(Self.webhook(index).body, port: ports[index % 2])
      #expect(answer?.status == 200, "webhook \(index) after the restart")
    }

    // Every webhook applied once, each with its whole step: no message without its decision.
    let inspect = store.storeInspection
    let expected = Set((0..<16).map { Self.webhook($0).id })
    #expect(
      try await eventually(within: 120) {
        try await inspect.messages().filter { $0.direction == "in" }.count >= expected.count
      }, "every webhook answered 200 is applied")
    let ids = try await inspect.messages().filter { $0.direction == "in" }.compactMap(\.whatsappID)
    #expect(Set(ids) == expected, "each message stored, none lost")
    #expect(ids.count == expected.count, "none applied twice")
    #expect(try await inspect.decisions().count == expected.count, "one whole step per message")
  }
}
