import Foundation
import Testing

@testable import EtiquetteServer

#if canImport(Glibc)
  import Glibc
#endif

/// At `max_connections` the server stops accepting: new connections wait in the listen backlog
/// and are served when another closes, so sockets never take every file descriptor (19,990 idle
/// sockets once left nothing for the database and `/healthz` timed out).
@Suite struct ConnectionCapTests {
  /// A connected loopback socket (the kernel completes the handshake even when the server does
  /// not accept yet: the connection then waits in the backlog).
  static func connect(port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(fd >= 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    try #require(connected == 0)
    return fd
  }

  /// What the server answered on `fd`, up to its first 200 bytes (30 s at most: generous, the
  /// answer comes as soon as the connection is accepted).
  static func answer(_ fd: Int32) -> String {
    var timeout = timeval(tv_sec: 30, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var buffer = [UInt8](repeating: 0, count: 200)
    let count = recv(fd, &buffer, buffer.count, 0)
    return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
  }

  /// `answer(fd)` on a thread of its own: a blocking `recv` on one of Swift's cooperative
  /// threads (two on this machine) would hold a thread the server needs to answer.
  static func awaitAnswer(_ fd: Int32) async -> String {
    await withCheckedContinuation { continuation in
      Thread.detachNewThread { continuation.resume(returning: answer(fd)) }
    }
  }

  /// Waits (polling, 30 s at most) until the server counts `open` connections.
  static func waitUntil(_ server: InboxServer, open: Int) async throws {
    for _ in 0..<6_000 where server.connections.snapshot.open != open {
      try await Task.sleep(for: .milliseconds(5))
    }
    #expect(server.connections.snapshot.open == open)
  }

  @Test func beyondTheCapConnectionsWaitAndAreServedWhenOneCloses() async throws {
    let harness = try await ServerHarness {
      $0.maxConnections = 3
      $0.idleTimeout = 600
      $0.port = 0
    }
    let server = harness.server
    // The application run as `serve` runs it: HummingbirdTesting's live client rebuilds the
    // configuration without the connection delegate.
    let (ports, listening) = AsyncStream.makeStream(of: Int.self)
    let application = server.makeApplication { listening.yield($0) }
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await application.runService(gracefulShutdownSignals: []) }
      var iterator = ports.makeAsyncIterator()
      let port = try #require(await iterator.next())
      var idle: [Int32] = []
      for _ in 0..<3 {
        let before = server.connections.snapshot.open
        idle.append(try Self.connect(port: port))
        try await Self.waitUntil(server, open: before + 1)
      }
      try #require(server.connections.snapshot.open == 3, "\(server.connections.snapshot)")
      // The third is counted as NIO accepts it, before its accept loop asks the socket for
      // more: a connection arriving that moment would be taken in the same loop (CI saw 4).
      // The server has stopped accepting once it has paused.
      for _ in 0..<6_000 where server.connections.snapshot.pauses == 0 {
        try await Task.sleep(for: .milliseconds(5))
      }
      try #require(server.connections.snapshot.pauses >= 1, "\(server.connections.snapshot)")
      // One more: it connects, sends its request, and waits unaccepted.
      let waiting = try Self.connect(port: port)
      defer { close(waiting) }
      _ = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".withCString {
        send(waiting, $0, strlen($0), 0)
      }
      // Room is made: the waiting connection is accepted and answered.
      close(idle.removeFirst())
      let answer = await Self.awaitAnswer(waiting)
      #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
      for fd in idle { close(fd) }
      group.cancelAll()
    }
    let snapshot = server.connections.snapshot
    #expect(snapshot.highest == 3, "never more than the cap at once")
    #expect(snapshot.pauses >= 1)
    #expect(server.metrics.render().contains("etiquette_http_connection_limit_reached_total"))
  }

  @Test func theDefaultFollowsTheDescriptorLimit() {
    var configuration = ServerConfiguration()
    #expect((16...4_096).contains(configuration.effectiveMaxConnections))
    configuration.maxConnections = 0
    #expect(configuration.problems().contains { $0.hasPrefix("max_connections") })
    configuration.maxConnections = 50
    #expect(configuration.effectiveMaxConnections == 50)
    #expect(!configuration.problems().contains { $0.hasPrefix("max_connections") })
    #expect(configuration.description.hasSuffix("max_connections=50"))
  }
}
