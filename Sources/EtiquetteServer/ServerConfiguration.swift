import Foundation

/// Everything `etiquette serve` needs: where the rules and the database are, where to listen,
/// and the secrets that authenticate WhatsApp and the integrations.
///
/// Read from a JSON file (`--config`), then from environment variables, then from the command
/// line, each overriding the previous one. `description` never shows a secret.
public struct ServerConfiguration: Sendable, CustomStringConvertible {
  public var rulesDirectory: String = "rules"
  public var databasePath: String = "etiquette.db"
  public var host: String = "127.0.0.1"
  public var port: Int = 8080
  /// The Meta app secret: the key of `X-Hub-Signature-256`.
  public var whatsappAppSecret: String?
  /// The token Meta echoes in the subscription handshake.
  public var whatsappVerifyToken: String?
  /// Keys accepted on `POST /v1/events` as `Authorization: Bearer KEY`.
  public var integrationKeys: [String] = []
  /// Bodies above this size are refused with 413.
  public var maxBodyBytes: Int = 10 * 1024 * 1024
  /// How often the rules directory is checked for changes; nil turns polling off.
  public var rulesPollInterval: Double? = 2

  public init() {}

  /// The file's keys, all optional.
  struct FileDocument: Decodable {
    var rules: String?
    var db: String?
    var host: String?
    var port: Int?
    var whatsappAppSecret: String?
    var whatsappVerifyToken: String?
    var integrationKeys: [String]?
    var maxBodyBytes: Int?
    var rulesPollSeconds: Double?

    enum CodingKeys: String, CodingKey {
      case rules, db, host, port
      case whatsappAppSecret = "whatsapp_app_secret"
      case whatsappVerifyToken = "whatsapp_verify_token"
      case integrationKeys = "integration_keys"
      case maxBodyBytes = "max_body_bytes"
      case rulesPollSeconds = "rules_poll_seconds"
    }
  }

  /// Applies a JSON configuration file; the error is a sentence for the user.
  public mutating func apply(file path: String) throws(ConfigurationError) {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ConfigurationError("cannot read the configuration file \(path)")
    }
    let document: FileDocument
    do {
      document = try JSONDecoder().decode(FileDocument.self, from: data)
    } catch {
      throw ConfigurationError("\(path) is not a valid configuration (JSON object expected)")
    }
    if let v = document.rules { rulesDirectory = v }
    if let v = document.db { databasePath = v }
    if let v = document.host { host = v }
    if let v = document.port { port = v }
    if let v = document.whatsappAppSecret { whatsappAppSecret = v }
    if let v = document.whatsappVerifyToken { whatsappVerifyToken = v }
    if let v = document.integrationKeys { integrationKeys = v }
    if let v = document.maxBodyBytes { maxBodyBytes = v }
    if let v = document.rulesPollSeconds { rulesPollInterval = v > 0 ? v : nil }
  }

  /// `ETIQUETTE_WHATSAPP_APP_SECRET`, `ETIQUETTE_WHATSAPP_VERIFY_TOKEN` and
  /// `ETIQUETTE_INTEGRATION_KEYS` (comma-separated).
  public mutating func apply(environment: [String: String]) {
    if let v = environment["ETIQUETTE_WHATSAPP_APP_SECRET"], !v.isEmpty { whatsappAppSecret = v }
    if let v = environment["ETIQUETTE_WHATSAPP_VERIFY_TOKEN"], !v.isEmpty {
      whatsappVerifyToken = v
    }
    if let v = environment["ETIQUETTE_INTEGRATION_KEYS"] {
      integrationKeys = v.split(separator: ",").map {
        $0.trimmingCharacters(in: .whitespaces)
      }.filter { !$0.isEmpty }
    }
  }

  public var description: String {
    // Secrets are shown only as set or unset, so logs never carry them.
    func state(_ secret: String?) -> String { secret == nil ? "unset" : "set" }
    return "rules=\(rulesDirectory) db=\(databasePath) listen=\(host):\(port) "
      + "whatsapp_app_secret=\(state(whatsappAppSecret)) "
      + "whatsapp_verify_token=\(state(whatsappVerifyToken)) "
      + "integration_keys=\(integrationKeys.count)"
  }
}

/// A configuration problem, as a sentence for the user.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}
