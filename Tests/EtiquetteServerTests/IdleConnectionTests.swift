import Foundation
import Testing

@testable import EtiquetteServer

#if canImport(Glibc)
  import Glibc
#endif

/// Connections that hold a socket without finishing a request are closed after
/// `idle_timeout_seconds`: 19,990 idle sockets once exhausted the file descriptors. The live
/// stream, a response still being written, is never cut (`LiveStreamTests`).
@Suite struct IdleConnectionTests {
  /// A raw loopback socket: connects, optionally writes, and reads until the server closes.
  static func closedByServer(port: Int, sending bytes: String, within limit: Int32) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { return false }
    if !bytes.isEmpty { _ = bytes.withCString { send(fd, $0, strlen($0), 0) } }
    // Waits for the close, `limit` seconds at most (generous: the timeout is far shorter).
    var timeout = timeval(tv_sec: Int(limit), tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var buffer = [UInt8](repeating: 0, count: 256)
    while true {
      let count = recv(fd, &buffer, buffer.count, 0)
      if count == 0 { return true }  // closed by the server
      if count < 0 { return false }  // still open when the limit passed
    }
  }

  /// `closedByServer` on a thread of its own, off Swift's cooperative threads (two on this
  /// machine): its blocking `recv` must not hold one that a server of another test needs.
  static func awaitClosedByServer(port: Int, sending bytes: String, within limit: Int32) async
    -> Bool
  {
    await withCheckedContinuation { continuation in
      Thread.detachNewThread {
        continuation.resume(returning: closedByServer(port: port, sending: bytes, within: limit))
      }
    }
  }

  @Test func idleAndStalledConnectionsAreClosed() async throws {
    let harness = try await ServerHarness { $0.idleTimeout = 0.2 }
    try await harness.test(.live) { client in
      let port = try #require(client.port)
      let idle = await Self.awaitClosedByServer(port: port, sending: "", within: 30)
      #expect(idle, "an idle connection")
      let stalled = await Self.awaitClosedByServer(
        port: port, sending: "GET /healthz HTTP/1.1\r\nHost: x\r\n", within: 30)
      #expect(stalled, "a request head that never ends")
    }
  }

  @Test func aDayAtMostAndMoreThanZero() {
    var configuration = ServerConfiguration()
    configuration.idleTimeout = 0
    #expect(configuration.problems().contains { $0.hasPrefix("idle_timeout_seconds") })
    configuration.idleTimeout = 60
    #expect(!configuration.problems().contains { $0.hasPrefix("idle_timeout_seconds") })
  }
}
