import AsyncHTTPClient
import EtiquetteEngine
import Foundation
import HTTPTypes
import NIOCore
import Testing

@testable import EtiquetteServer

#if canImport(Glibc)
  import Glibc
#endif

/// The real `etiquette serve` binary, killed with deliveries pending, against the independent
/// Python receiver (Fixtures/webhooks/receiver.py) that verifies every signature with `hmac`
/// and processes each Idempotency-Key once.
@Suite(.serialized) struct WebhookCrashTests {
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
  static let secret = "whsec-crash"

  /// The binary beside the test bundle (SwiftPM's build folder), as the CLI tests find it.
  static let executable: String = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var candidates = [url.appendingPathComponent("etiquette").path]
    for _ in 0..<4 {
      url = url.deletingLastPathComponent()
      candidates.append(url.appendingPathComponent("etiquette").path)
    }
    candidates.append(repository + "/.build/debug/etiquette")
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
  }()

  /// A server on the test rules and `database`, on port 0 (the system picks a free one); with
  /// a receiver, one subscription of `message.received` to it, retried quickly and long.
  static func config(database: String, receiverPort: Int?) -> JSONValue {
    var config: [String: JSONValue] = [
      "rules": .string(ServerHarness.fixtures.appendingPathComponent("rules").path),
      "db": .string(database),
      "host": .string("127.0.0.1"),
      "port": .number(0),
      "whatsapp_app_secret": .string(ServerHarness.secret),
      "rules_poll_seconds": .number(0),
    ]
    if let receiverPort {
      config["webhooks"] = .array([
        .object([
          "name": .string("zap"),
          "url": .string("http://127.0.0.1:\(receiverPort)/hook"),
          "secret": .string(secret),
          "events": .array([.string("message.received")]),
        ])
      ])
      config["webhook_delivery"] = .object([
        "max_attempts": .number(1000), "initial_backoff_seconds": .number(0.05),
        "max_backoff_seconds": .number(0.2), "timeout_seconds": .number(5),
      ])
    }
    return .object(config)
  }

  /// Starts receiver.py and returns it with its port.
  static func startReceiver(log: String, delay: Double, holdAfter: Int = -1, gate: String = "")
    throws -> (Process, Int)
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "python3", ServerHarness.fixtures.appendingPathComponent("webhooks/receiver.py").path,
      "--secret", secret, "--log", log, "--delay", String(delay), "--hold-after",
      String(holdAfter), "--gate", gate,
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    // The first line is "listening PORT".
    var line: [UInt8] = []
    while let byte = try pipe.fileHandleForReading.read(upToCount: 1)?.first, byte != 10 {
      line.append(byte)
    }
    let port = Int(String(decoding: line, as: UTF8.self).split(separator: " ").last ?? "") ?? 0
    return (process, port)
  }

  /// Starts `etiquette serve` on port 0 (the system chooses a free one: no port is guessed
  /// and then raced for) and returns it with the port its "listening on" line names.
  static func startServer(config: String, log: String) async throws -> (Process, Int) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["serve", "--config", config]
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    handle.seekToEndOfFile()
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    var port: Int?
    _ = await eventually {
      port = listeningPort(in: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
      return port != nil || !process.isRunning
    }
    guard let port else {
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
      throw ServerDidNotStart(log: text)
    }
    return (process, port)
  }

  struct ServerDidNotStart: Error, CustomStringConvertible {
    var log: String
    var description: String { "the server did not report its port; its log:\n\(log)" }
  }

  /// The port of the server's "listening on http://HOST:PORT" log line.
  static func listeningPort(in log: String) -> Int? {
    guard let range = log.range(of: "listening on http://127.0.0.1:") else { return nil }
    return Int(log[range.upperBound...].prefix { $0.isNumber })
  }

  static func entries(_ log: String) -> [JSONValue] {
    guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap {
      try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8))
    }
  }

  static func post(_ body: [UInt8], port: Int) async throws -> Int {
    try await answer(body, port: port, timeout: .seconds(10)).status
  }

  /// A signed webhook to a server: its status and `Retry-After`, checked against the
  /// OpenAPI document.
  static func answer(_ body: [UInt8], port: Int, timeout: TimeAmount) async throws -> (
    status: Int, retryAfter: String?
  ) {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/whatsapp")
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.headers.add(
      name: "X-Hub-Signature-256",
      value: WebhookSignature.header(body: body, secret: ServerHarness.secret))
    request.body = .bytes(ByteBuffer(bytes: body))
    let response = try await HTTPClient.shared.execute(request, timeout: timeout)
    let answer = try await response.body.collect(upTo: 1024 * 1024)
    OpenAPIContract.check(
      .init(
        method: "POST", uri: "/webhooks/whatsapp", status: Int(response.status.code),
        headers: OpenAPIContract.fields(response.headers),
        body: Array(answer.readableBytesView)))
    return (Int(response.status.code), response.headers.first(name: "Retry-After"))
  }

  static func healthy(port: Int) async -> Bool {
    let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
    return (try? await HTTPClient.shared.execute(request, timeout: .seconds(1)).status.code)
      == 200
  }

  @Test func killedWithDeliveriesPendingDeliversEachKeyOnceAfterRestart() async throws {
    guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
      Issue.record("build the binary first (swift build): \(Self.executable) is missing")
      return
    }
    let dir = NSTemporaryDirectory() + "etiquette-crash-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let receiverLog = dir + "/receiver.jsonl"
    // The receiver answers two requests, then holds every other one until the gate file
    // exists: deliveries are certainly pending (one held in flight per conversation) when the
    // server is killed, whatever the machine's load.
    let gate = dir + "/gate"
    let (receiver, receiverPort) = try Self.startReceiver(
      log: receiverLog, delay: 0, holdAfter: 2, gate: gate)
    // SIGKILL: the test process may ignore SIGTERM, and its children inherit that.
    defer { kill(receiver.processIdentifier, SIGKILL) }
    let config = Self.config(database: dir + "/etiquette.db", receiverPort: receiverPort)
    let configPath = dir + "/config.json"
    try JSONLine.encode(config).write(toFile: configPath, atomically: true, encoding: .utf8)

    let (first, port) = try await Self.startServer(config: configPath, log: dir + "/server.log")
    #expect(await eventually { await Self.healthy(port: port) }, "the server starts")
    let phones = ["33622000001", "33622000002"]
    let count = 5
    for index in 1...count {
      for phone in phones {
        let body = ServerHarness.textWebhook(
          from: phone, id: "wamid.\(phone).\(index)", text: "message \(index)")
        #expect(try await Self.post(body, port: port) == 200)
      }
    }
    #expect(await eventually { Self.entries(receiverLog).count >= 2 })
    kill(first.processIdentifier, SIGKILL)
    first.waitUntilExit()
    let before = Self.entries(receiverLog).filter { $0["processed"] == .bool(true) }.count
    #expect(before == 2, "deliveries were pending at the kill")
    // Released: what the killed server had in flight is answered into the void, and the next
    // server sends it again under the same key.
    _ = FileManager.default.createFile(atPath: gate, contents: nil)

    let (second, _) = try await Self.startServer(config: configPath, log: dir + "/server.log")
    defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
    // Done when the server has recorded every delivery (read-only, beside the running server).
    let database = dir + "/etiquette.db"
    #expect(
      try await eventually(within: 60) {
        let store = try SQLiteStore.inspection(ofDatabaseAt: database)
        return try await store.deliveries().filter { $0.status == "delivered" }.count
          == phones.count * count
      }, "every event arrives after the restart")
    // Every delivery is recorded: a second crash loses nothing either.
    kill(second.processIdentifier, SIGKILL)
    second.waitUntilExit()

    let entries = Self.entries(receiverLog)
    #expect(entries.allSatisfy { $0["signatureValid"] == .bool(true) }, "Python's hmac agrees")
    #expect(entries.allSatisfy { $0["contentType"]?.stringValue == "application/json" })
    let processed = entries.filter { $0["processed"] == .bool(true) }
    let keys = processed.compactMap { $0["key"]?.stringValue }
    // The receiver drops a key it already processed; what could still go wrong is the server
    // giving the same event a new key after the restart: then one event would be processed twice.
    let events = processed.compactMap { $0["body"]?["id"]?.stringValue }
    #expect(
      events.count == keys.count && Set(events).count == events.count,
      "no event processed twice (under another key)")
    let deliveries = try await SQLiteStore.inspection(ofDatabaseAt: database, readOnly: false)
      .deliveries()
    let ids = deliveries.map(\.id)
    let statuses = Array(Set(deliveries.map(\.status)))
    #expect(Set(ids) == Set(keys), "every outbox row was processed, under its own key")
    #expect(statuses == ["delivered"])
    for phone in phones {
      let texts = processed.filter {
        $0["body"]?["payload"]?["user"]?["phone"]?.stringValue == "+" + phone
      }.compactMap { $0["body"]?["data"]?["message"]?["text"]?.stringValue }
      #expect(texts == (1...count).map { "message \($0)" }, "in order for \(phone)")
    }
  }
}
