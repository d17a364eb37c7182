import Crypto
import Foundation

/// `X-Etiquette-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` on every
/// request Etiquette sends to a webhook receiver. The timestamp is inside the MAC, so a receiver
/// that rejects old timestamps is safe from replays; `v1` names the scheme so a later one can be
/// sent alongside during a rotation.
public enum OutboundSignature {
  public static let headerName = "X-Etiquette-Signature"

  /// The header value for `body` sent at `timestamp` (Unix seconds).
  public static func header(secret: String, timestamp: Int, body: [UInt8]) -> String {
    "t=\(timestamp),v1=\(hex(secret: secret, timestamp: timestamp, body: body))"
  }

  static func hex(secret: String, timestamp: Int, body: [UInt8]) -> String {
    var message = Array("\(timestamp).".utf8)
    message.append(contentsOf: body)
    let mac = HMAC<SHA256>.authenticationCode(
      for: message, using: SymmetricKey(data: Array(secret.utf8)))
    return mac.hexString
  }

  /// Checks a header as a receiver would (used by the tests' own receivers and by documentation
  /// examples): the MAC over the exact body, and a timestamp within `tolerance` of `now`.
  public static func verify(
    header: String, secret: String, body: [UInt8], now: Date, tolerance: Double = 300
  ) -> Bool {
    var timestamp: Int?
    var candidates: [String] = []
    for part in header.split(separator: ",") {
      let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
      guard pair.count == 2 else { continue }
      switch pair[0].trimmingCharacters(in: .whitespaces) {
      case "t": timestamp = Int(pair[1])
      case "v1": candidates.append(pair[1])
      default: continue
      }
    }
    guard let timestamp, abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else {
      return false
    }
    let expected = hex(secret: secret, timestamp: timestamp, body: body)
    return candidates.contains { InboxServer.constantTimeEqual($0, expected) }
  }
}
