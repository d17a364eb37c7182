import EtiquetteEngine
import Foundation
import Hummingbird
import NIOCore

@testable import EtiquetteServer

/// A real HTTP webhook receiver on 127.0.0.1: an in-process Hummingbird app whose answers a
/// test scripts (status and delay per request), recording every request it gets.
final class LoopbackReceiver: @unchecked Sendable {
  struct Request: Sendable {
    var key: String
    var event: String
    var signature: String
    var contentType: String
    var userAgent: String
    var body: [UInt8]
    /// What the receiver answered.
    var status: Int
    /// When it arrived (monotonic, for ordering and lower bounds only).
    var arrivedAt = ContinuousClock.now

    var json: JSONValue {
      (try? JSONDecoder().decode(JSONValue.self, from: Data(body))) ?? .null
    }
    var conversation: String { json["conversationId"]?.stringValue ?? "" }
  }

  /// The answer to one request: its number (from 0) and the request, without `status`.
  typealias Script = @Sendable (Int, Request) -> (status: Int, delay: Duration)

  // Guards `requests` and `script`.
  private let lock = NSLock()
  private var requests: [Request] = []
  private var script: Script
  private var task: Task<Void, any Error>?
  private(set) var port = 0

  init(script: @escaping Script = { _, _ in (200, .zero) }) {
    self.script = script
  }

  var url: String { "http://127.0.0.1:\(port)/hook" }

  var received: [Request] { lock.withLock { requests } }
  /// Requests answered 2xx.
  var accepted: [Request] { received.filter { (200..<300).contains($0.status) } }

  func setScript(_ script: @escaping Script) { lock.withLock { self.script = script } }

  /// Listens on `port` (0: a free one) and returns once the port is bound.
  func start(port: Int = 0) async throws {
    let router = Router()
    router.post("/hook") { request, _ -> Response in
      let buffer = try await request.body.collect(upTo: 16 * 1024 * 1024)
      func header(_ name: String) -> String {
        request.headers.first { $0.name.canonicalName == name }?.value ?? ""
      }
      var entry = Request(
        key: header("idempotency-key"), event: header("x-etiquette-event"),
        signature: header("x-etiquette-signature"), contentType: header("content-type"),
        userAgent: header("user-agent"), body: Array(buffer.readableBytesView), status: 0)
      let (status, delay, index) = self.lock.withLock {
        let answer = self.script(self.requests.count, entry)
        entry.status = answer.status
        self.requests.append(entry)
        return (answer.status, answer.delay, self.requests.count - 1)
      }
      _ = index
      if delay > .zero { try await Task.sleep(for: delay) }
      return Response(
        status: HTTPResponse.Status(code: status),
        body: ResponseBody(byteBuffer: ByteBuffer(string: "{\"status\":\(status)}")))
    }
    let bound = AsyncStream<Int>.makeStream()
    let app = Application(
      router: router,
      configuration: .init(address: .hostname("127.0.0.1", port: port)),
      onServerRunning: { channel in
        bound.continuation.yield(channel.localAddress?.port ?? 0)
        bound.continuation.finish()
      })
    let task = Task {
      // A server that cannot bind ends the stream too: `start` throws instead of waiting
      // for a port that never comes.
      defer { bound.continuation.finish() }
      try await app.runService(gracefulShutdownSignals: [])
    }
    self.task = task
    for await value in bound.stream {
      self.port = value
      return
    }
    try await task.value
    throw CouldNotListen(port: port)
  }

  struct CouldNotListen: Error, CustomStringConvertible {
    var port: Int
    var description: String { "the receiver could not listen on 127.0.0.1:\(port)" }
  }

  func stop() async {
    task?.cancel()
    _ = try? await task?.value
    task = nil
  }
}

#if canImport(Glibc)
  import Glibc
#endif

/// A loopback port bound but not listening: connections to it are refused, and no other test
/// can take it meanwhile (a port closed and reused later could be another test's server).
///
/// The port is chosen below the range the system hands out on its own (32768 and up for
/// outgoing connections and port-0 binds), so once `release`d for a server to take, nothing
/// else can have taken it in between: not another test's port-0 server, not a PostgreSQL
/// connection's local port, and not a connection to it that the kernel made to itself (a
/// client dialling a free port of the ephemeral range may be given that very port). A
/// receiver that could not bind the port it was promised hung a whole CI run.
final class ReservedPort: @unchecked Sendable {
  private var descriptor: Int32
  let port: Int

  /// Above ThrowawayCluster's ports (20000–30000), below the ephemeral range.
  static let range = 10_000..<20_000

  init() throws {
    for _ in 0..<200 {
      let candidate = Int.random(in: Self.range)
      let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      guard descriptor >= 0 else { break }
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_addr.s_addr = inet_addr("127.0.0.1")
      address.sin_port = UInt16(candidate).bigEndian
      let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
      }
      if bound {
        self.descriptor = descriptor
        port = candidate
        return
      }
      close(descriptor)
    }
    throw NoFreePort()
  }

  struct NoFreePort: Error, CustomStringConvertible {
    var description: String { "no free loopback port in \(ReservedPort.range)" }
  }

  /// Frees the port for the server that takes it next.
  func release() {
    if descriptor >= 0 { close(descriptor) }
    descriptor = -1
  }

  deinit { release() }
}
