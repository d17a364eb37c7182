import Crypto
import Foundation
import _CryptoExtras

/// A member's web password, stored as PBKDF2-HMAC-SHA256 with a per-member random salt:
/// `pbkdf2-sha256$ROUNDS$SALT$KEY` (salt and key in hex). The rounds are in the stored
/// text, so raising them later still verifies older passwords.
enum MemberPassword {
  /// The shortest password accepted.
  static let minimumLength = 12
  /// OWASP's figure for PBKDF2-HMAC-SHA256 (2023): each guess costs an attacker with a copy
  /// of the database as much as one sign-in costs the server (about 0.2 s on one core).
  static let defaultRounds = 600_000

  /// The stored form of `password`.
  static func hash(_ password: String, rounds: Int = defaultRounds) throws -> String {
    var generator = SystemRandomNumberGenerator()
    let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let key = try derive(password, salt: salt, rounds: rounds)
    return "pbkdf2-sha256$\(rounds)$\(salt.hexString)$\(key.hexString)"
  }

  /// True when `password` is the one `stored` was made from; compared in constant time.
  static func verify(_ password: String, against stored: String) -> Bool {
    let parts = stored.split(separator: "$").map(String.init)
    guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]),
      rounds > 0, let salt = bytes(hex: parts[2]),
      let key = try? derive(password, salt: salt, rounds: rounds)
    else { return false }
    return InboxServer.constantTimeEqual(key.hexString, parts[3])
  }

  private static func derive(_ password: String, salt: [UInt8], rounds: Int) throws -> [UInt8] {
    // `unsafeUncheckedRounds` only so that tests may use few rounds; production passes
    // `defaultRounds`, above the library's own minimum.
    let key = try KDF.Insecure.PBKDF2.deriveKey(
      from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32,
      unsafeUncheckedRounds: rounds)
    return key.withUnsafeBytes { Array($0) }
  }

  private static func bytes(hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count.isMultiple(of: 2) else { return nil }
    var result: [UInt8] = []
    for index in stride(from: 0, to: digits.count, by: 2) {
      guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16)
      else { return nil }
      result.append(byte)
    }
    return result
  }
}
