import Crypto
import Foundation

/// `X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the app secret.
public enum WebhookSignature {
  /// The header value Meta would send for this body.
  public static func header(body: [UInt8], secret: String) -> String {
    let mac = HMAC<SHA256>.authenticationCode(
      for: body, using: SymmetricKey(data: Data(secret.utf8)))
    return "sha256=" + mac.hexString
  }

  /// Whether the header is a valid signature of the body; the comparison takes the same time
  /// wherever the first difference is, so the signature cannot be guessed byte by byte.
  public static func isValid(header: String?, body: [UInt8], secret: String) -> Bool {
    guard let header, header.hasPrefix("sha256=") else { return false }
    guard let given = hexBytes(header.dropFirst("sha256=".count)) else { return false }
    // swift-crypto's `isValidAuthenticationCode` compares in constant time.
    return HMAC<SHA256>.isValidAuthenticationCode(
      given, authenticating: body, using: SymmetricKey(data: Data(secret.utf8)))
  }

  private static func hexBytes(_ text: Substring) -> [UInt8]? {
    let utf8 = Array(text.utf8)
    guard utf8.count == 64 else { return nil }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(32)
    var index = 0
    while index < utf8.count {
      guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
      bytes.append(high << 4 | low)
      index += 2
    }
    return bytes
  }

  private static func nibble(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
  }
}

/// Bearer tokens of members: random, shown once, stored only as their SHA-256.
public enum MemberToken {
  public static func generate() -> String {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
    return "etq_" + bytes.hexString
  }

  public static func hash(_ token: String) -> String {
    SHA256.hash(data: Data(token.utf8)).hexString
  }
}
