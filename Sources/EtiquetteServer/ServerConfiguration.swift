import EtiquetteEngine
import EtiquetteSyntax
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Everything `etiquette serve` needs: where the rules and the database are, where to listen,
/// and the secrets that authenticate WhatsApp and the integrations.
///
/// Read from a JSON file (`--config`), then from environment variables, then from the command
/// line, each overriding the previous one. `description` never shows a secret.
///
/// Decoded with `Codable` rather than swift-configuration (1.4, in the package set), on
/// purpose: its JSON provider refuses arrays of objects (`unexpectedValueInArray`), and
/// `webhooks` is one; and its readers pull the keys they know, so a misspelt key in the file is
/// never read and never reported — the silent `rules_poll_second` this type now refuses, with
/// its path and a "did you mean" (`unknownKeys(in:)`).
public struct ServerConfiguration: Sendable, CustomStringConvertible {
  public var rulesDirectory: String = "rules"
  /// `--db`: an SQLite file path or a `postgres://` URL (see `DatabaseLocation`); it may hold
  /// a password, so logs show `databaseLocation` instead.
  public var databasePath: String = "etiquette.db"
  /// `ETIQUETTE_DB_PASSWORD`: the PostgreSQL password, kept out of the URL and the files.
  public var databasePassword: String?
  public var host: String = "127.0.0.1"
  public var port: Int = 8080
  /// The Meta app secret: the key of `X-Hub-Signature-256`.
  public var whatsappAppSecret: String?
  /// The token Meta echoes in the subscription handshake.
  public var whatsappVerifyToken: String?
  /// Keys accepted on `POST /v1/events` as `Authorization: Bearer KEY`.
  public var integrationKeys: [String] = []
  /// When set, `GET /metrics` needs `Authorization: Bearer TOKEN` (it names routes and volumes).
  public var metricsToken: String?
  /// Bodies above this size are refused with 413.
  public var maxBodyBytes: Int = 10 * 1024 * 1024
  /// A connection that neither sends a request nor waits for a response this long is closed:
  /// idle keep-alive connections, and a client that stalls in the middle of its request's head
  /// or body (a streamed response, the live stream among them, is never cut).
  public var idleTimeout: Double = 60
  /// The connections served at once; beyond it, new connections wait in the listen backlog
  /// until one closes. nil: the file-descriptor limit less a reserve for the database and
  /// outbound calls, at most 4,096 (`effectiveMaxConnections`).
  public var maxConnections: Int?
  /// PostgreSQL: the connections this instance opens to the database at most (its pool),
  /// besides one that listens for the other instances' news. N instances open N × this: keep
  /// it under the server's `max_connections`. Unused with SQLite.
  public var databasePoolSize = 10
  /// PostgreSQL: how long a connection attempt may take at start (not in the file: the tests,
  /// which start hundreds of servers on two cores, wait longer).
  var databaseConnectTimeout: Duration = .seconds(10)
  /// How often the rules directory is checked for changes; nil turns polling off.
  public var rulesPollInterval: Double? = 2
  /// The address clients reach this server at (`https://inbox.example.fr`): attachment URLs in
  /// webhook payloads point at `{public_url}/v1/media/{id}`. Defaults to `http://host:port`.
  public var publicURL: String?
  /// Outbound webhook subscriptions (Zapier, Make, a CRM).
  public var webhooks: [WebhookSubscription] = []
  /// How outbound webhooks are retried.
  public var webhookDelivery = DeliveryPolicy()
  /// Sending through the WhatsApp Cloud API; nil keeps outgoing messages `queued`.
  public var whatsapp: WhatsAppSending?
  /// Where downloaded media are kept.
  public var media = MediaStorage()
  /// The AI agent's endpoint; nil emits `ai.requested` webhooks instead.
  public var ai: AIEndpoint?
  /// Members with the `ai` role: an external agent answering through the API with their token.
  public var aiAgents: [String] = []
  /// The admin console (issue 17).
  public var console = ConsoleSettings()
  /// The relay that e-mails invitations from the members page; nil: the page shows the link
  /// for the manager to pass on.
  public var smtp: SMTPRelay?

  public init() {}

  /// The base of URLs this server hands out.
  public var baseURL: String {
    var base = publicURL ?? "http://\(host):\(port)"
    while base.hasSuffix("/") { base.removeLast() }
    return base
  }

  /// One outbound webhook subscription.
  public struct WebhookSubscription: Sendable, Hashable, Codable {
    /// A stable name for the subscription (deliveries are listed by it); defaults to the URL.
    public var name: String
    public var url: String
    /// The HMAC-SHA256 key of `X-Etiquette-Signature`.
    public var secret: String
    /// Event types (`message.received`, `label.added`, …); empty means every event.
    public var events: [String]
    /// When not empty, only conversations carrying one of these labels (after the step).
    public var labels: [String]
    /// A member's own webhook: it receives that member's notifications only.
    public var member: String?

    public init(
      name: String? = nil, url: String, secret: String, events: [String] = [],
      labels: [String] = [], member: String? = nil
    ) {
      self.name = name ?? url
      self.url = url
      self.secret = secret
      self.events = events
      self.labels = labels
      self.member = member
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
      case name, url, secret, events, labels, member
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      url = try c.decode(String.self, forKey: .url)
      name = try c.decodeIfPresent(String.self, forKey: .name) ?? url
      secret = try c.decode(String.self, forKey: .secret)
      events = try c.decodeIfPresent([String].self, forKey: .events) ?? []
      labels = try c.decodeIfPresent([String].self, forKey: .labels) ?? []
      member = try c.decodeIfPresent(String.self, forKey: .member)
    }
  }

  /// Retries of an outbound call: exponential backoff from `initialBackoff` doubling up to
  /// `maxBackoff`, with full jitter; dead-lettered after `maxAttempts`.
  public struct DeliveryPolicy: Sendable, Hashable, Codable {
    public var maxAttempts: Int = 8
    public var initialBackoff: Double = 1
    public var maxBackoff: Double = 300
    /// Seconds before one attempt is abandoned.
    public var timeout: Double = 10

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
      case maxAttempts = "max_attempts"
      case initialBackoff = "initial_backoff_seconds"
      case maxBackoff = "max_backoff_seconds"
      case timeout = "timeout_seconds"
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      let d = DeliveryPolicy()
      maxAttempts = try c.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? d.maxAttempts
      initialBackoff =
        try c.decodeIfPresent(Double.self, forKey: .initialBackoff) ?? d.initialBackoff
      maxBackoff = try c.decodeIfPresent(Double.self, forKey: .maxBackoff) ?? d.maxBackoff
      timeout = try c.decodeIfPresent(Double.self, forKey: .timeout) ?? d.timeout
    }
  }

  /// The WhatsApp Cloud API: `POST {graph_base}/{phone_number_id}/messages`.
  public struct WhatsAppSending: Sendable, Hashable, Codable {
    public var graphBase: String = "https://graph.facebook.com/v21.0"
    public var phoneNumberID: String
    public var accessToken: String
    public var retry = DeliveryPolicy()

    public init(graphBase: String? = nil, phoneNumberID: String, accessToken: String) {
      if let graphBase { self.graphBase = graphBase }
      self.phoneNumberID = phoneNumberID
      self.accessToken = accessToken
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
      case graphBase = "graph_base"
      case phoneNumberID = "phone_number_id"
      case accessToken = "access_token"
      case retry
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      graphBase = try c.decodeIfPresent(String.self, forKey: .graphBase) ?? graphBase
      phoneNumberID = try c.decode(String.self, forKey: .phoneNumberID)
      accessToken = try c.decode(String.self, forKey: .accessToken)
      retry = try c.decodeIfPresent(DeliveryPolicy.self, forKey: .retry) ?? DeliveryPolicy()
    }
  }

  /// Downloaded WhatsApp media: files under `directory`, at most `maxBytes` each.
  public struct MediaStorage: Sendable, Hashable, Codable {
    public var directory: String = "media"
    public var maxBytes: Int = 100 * 1024 * 1024

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
      case directory
      case maxBytes = "max_bytes"
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      directory = try c.decodeIfPresent(String.self, forKey: .directory) ?? directory
      maxBytes = try c.decodeIfPresent(Int.self, forKey: .maxBytes) ?? maxBytes
    }
  }

  /// The admin console: how far its impact replay goes.
  public struct ConsoleSettings: Sendable, Hashable, Codable {
    /// Steps replayed at most by one impact replay (the most recent of the period are left
    /// out beyond it).
    public var impactMaxSteps: Int = 100_000

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
      case impactMaxSteps = "impact_max_steps"
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      impactMaxSteps = try c.decodeIfPresent(Int.self, forKey: .impactMaxSteps) ?? impactMaxSteps
    }
  }

  /// The AI agent: `POST url` with the integration payload and the instruction, JSON back.
  public struct AIEndpoint: Sendable, Hashable, Codable {
    public var url: String
    /// Sent as `Authorization: Bearer TOKEN` when set.
    public var token: String?
    public var timeout: Double = 30
    /// Calls per request before it is marked `failed` (timeouts, 5xx, unusable answers).
    public var maxAttempts: Int = 3
    /// The wait before the first retry, doubled at each next one (with jitter, at most 60 s):
    /// a reply that comes minutes late is worse than none.
    public var retryBackoff: Double = 2

    public init(
      url: String, token: String? = nil, timeout: Double = 30, maxAttempts: Int = 3,
      retryBackoff: Double = 2
    ) {
      self.url = url
      self.token = token
      self.timeout = timeout
      self.maxAttempts = maxAttempts
      self.retryBackoff = retryBackoff
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
      case url, token
      case timeout = "timeout_seconds"
      case maxAttempts = "max_attempts"
      case retryBackoff = "retry_backoff_seconds"
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      url = try c.decode(String.self, forKey: .url)
      token = try c.decodeIfPresent(String.self, forKey: .token)
      timeout = try c.decodeIfPresent(Double.self, forKey: .timeout) ?? timeout
      maxAttempts = try c.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? maxAttempts
      retryBackoff = try c.decodeIfPresent(Double.self, forKey: .retryBackoff) ?? retryBackoff
    }
  }

  /// An SMTP relay: `host`, `port`, `from`, and (once TLS exists) `username` with
  /// `ETIQUETTE_SMTP_PASSWORD`.
  ///
  /// STARTTLS is not implemented: `starttls: true` and `username` are refused by `problems()`
  /// rather than sending a password in clear. Use a relay on the same host or network that
  /// accepts this server without authentication.
  public struct SMTPRelay: Sendable, Hashable, Codable {
    public var host: String
    public var port: Int = 25
    /// The envelope and `From:` address; required.
    public var from: String?
    public var username: String?
    /// `ETIQUETTE_SMTP_PASSWORD`, never read from the file nor shown.
    public var password: String?
    public var startTLS: Bool = false
    /// Seconds to connect, and to wait for each reply of the server.
    public var timeout: Double = 10

    public init(host: String, port: Int = 25, from: String?, timeout: Double = 10) {
      self.host = host
      self.port = port
      self.from = from
      self.timeout = timeout
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
      case host, port, from, username, starttls
      case timeout = "timeout_seconds"
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      host = try c.decode(String.self, forKey: .host)
      port = try c.decodeIfPresent(Int.self, forKey: .port) ?? port
      from = try c.decodeIfPresent(String.self, forKey: .from)
      username = try c.decodeIfPresent(String.self, forKey: .username)
      startTLS = try c.decodeIfPresent(Bool.self, forKey: .starttls) ?? false
      timeout = try c.decodeIfPresent(Double.self, forKey: .timeout) ?? timeout
    }

    // The password is not part of the file: encoding leaves it out too.
    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(host, forKey: .host)
      try c.encode(port, forKey: .port)
      try c.encodeIfPresent(from, forKey: .from)
      try c.encodeIfPresent(username, forKey: .username)
      try c.encode(startTLS, forKey: .starttls)
      try c.encode(timeout, forKey: .timeout)
    }
  }

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
    var idleTimeoutSeconds: Double?
    var maxConnections: Int?
    var dbPoolSize: Int?
    var rulesPollSeconds: Double?
    var publicURL: String?
    var webhooks: [WebhookSubscription]?
    var webhookDelivery: DeliveryPolicy?
    var whatsapp: WhatsAppSending?
    var media: MediaStorage?
    var ai: AIEndpoint?
    var aiAgents: [String]?
    var metricsToken: String?
    var console: ConsoleSettings?
    var smtp: SMTPRelay?

    enum CodingKeys: String, CodingKey, CaseIterable {
      case rules, db, host, port
      case whatsappAppSecret = "whatsapp_app_secret"
      case whatsappVerifyToken = "whatsapp_verify_token"
      case integrationKeys = "integration_keys"
      case maxBodyBytes = "max_body_bytes"
      case idleTimeoutSeconds = "idle_timeout_seconds"
      case maxConnections = "max_connections"
      case dbPoolSize = "db_pool_size"
      case rulesPollSeconds = "rules_poll_seconds"
      case publicURL = "public_url"
      case webhooks
      case webhookDelivery = "webhook_delivery"
      case whatsapp, media, ai
      case aiAgents = "ai_agents"
      case metricsToken = "metrics_token"
      case console
      case smtp
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
    } catch let DecodingError.keyNotFound(key, context) {
      throw ConfigurationError(
        "\(path): \(Self.keyPath(context.codingPath + [key])) is required")
    } catch let DecodingError.typeMismatch(_, context) {
      throw ConfigurationError(
        "\(path): \(Self.keyPath(context.codingPath)) has the wrong type")
    } catch {
      throw ConfigurationError("\(path) is not a valid configuration (JSON object expected)")
    }
    if let json = try? JSONValue.parse(bytes: data) {
      let unknown = Self.unknownKeys(in: json)
      guard unknown.isEmpty else {
        throw ConfigurationError(unknown.map { "\(path): \($0)" }.joined(separator: "\n"))
      }
    }
    if let v = document.rules { rulesDirectory = v }
    if let v = document.db { databasePath = v }
    if let v = document.host { host = v }
    if let v = document.port { port = v }
    if let v = document.whatsappAppSecret { whatsappAppSecret = v }
    if let v = document.whatsappVerifyToken { whatsappVerifyToken = v }
    if let v = document.integrationKeys { integrationKeys = v }
    if let v = document.maxBodyBytes { maxBodyBytes = v }
    if let v = document.idleTimeoutSeconds { idleTimeout = v }
    if let v = document.maxConnections { maxConnections = v }
    if let v = document.dbPoolSize { databasePoolSize = v }
    if let v = document.rulesPollSeconds { rulesPollInterval = v > 0 ? v : nil }
    if let v = document.publicURL { publicURL = v }
    if let v = document.webhooks { webhooks = v }
    if let v = document.webhookDelivery { webhookDelivery = v }
    if let v = document.whatsapp { whatsapp = v }
    if let v = document.media { media = v }
    if let v = document.ai { ai = v }
    if let v = document.aiAgents { aiAgents = v }
    if let v = document.metricsToken { metricsToken = v.isEmpty ? nil : v }
    if let v = document.console { console = v }
    if let v = document.smtp { smtp = v }
  }

  /// Keys of the file that no section declares, each named with its path and the closest
  /// declared key: a misspelt key (`rules_poll_second`) would otherwise be ignored without a
  /// word, and the server would run with a setting the operator believes changed.
  static func unknownKeys(in json: JSONValue) -> [String] {
    func names<K: CodingKey & CaseIterable>(_: K.Type) -> [String] {
      K.allCases.map(\.stringValue)
    }
    let policy = names(DeliveryPolicy.CodingKeys.self)
    let sections: [String: [String]] = [
      "": names(FileDocument.CodingKeys.self),
      "webhooks[]": names(WebhookSubscription.CodingKeys.self),
      "webhook_delivery": policy,
      "whatsapp": names(WhatsAppSending.CodingKeys.self),
      "whatsapp.retry": policy,
      "media": names(MediaStorage.CodingKeys.self),
      "ai": names(AIEndpoint.CodingKeys.self),
      "console": names(ConsoleSettings.CodingKeys.self),
      "smtp": names(SMTPRelay.CodingKeys.self),
    ]
    var problems: [String] = []
    func visit(_ value: JSONValue, section: String, path: String) {
      guard case .object(let object) = value, let known = sections[section] else { return }
      for key in object.keys.sorted() {
        let keyPath = path.isEmpty ? key : "\(path).\(key)"
        guard known.contains(key) else {
          let hint = Spelling.suggestion(for: key, among: known).map {
            " (did you mean \"\($0)\"?)"
          }
          problems.append(
            "unknown key \"\(keyPath)\"\(hint ?? ""); the keys here are "
              + known.joined(separator: ", "))
          continue
        }
        let child = section.isEmpty ? key : "\(section).\(key)"
        if case .array(let items)? = object[key], sections[child + "[]"] != nil {
          for (index, item) in items.enumerated() {
            visit(item, section: child + "[]", path: "\(keyPath)[\(index)]")
          }
        } else if let inner = object[key] {
          visit(inner, section: child, path: keyPath)
        }
      }
    }
    visit(json, section: "", path: "")
    return problems
  }

  /// The event types a webhook subscription may name.
  public static let webhookEventTypes = [
    "message.received", "message.sent", "label.added", "label.removed", "conversation.routed",
    "handoff", "note.added", "ai.requested", "notification.created",
  ]

  /// Problems no server should start with, as sentences naming the key: a subscription without
  /// an http(s) URL or secret, an unknown event type, duplicate names, non-positive limits.
  public func problems() -> [String] {
    var problems: [String] = []
    func isHTTP(_ text: String) -> Bool {
      guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
        scheme == "http" || scheme == "https", url.host != nil
      else { return false }
      return true
    }
    var names = Set<String>()
    for (index, subscription) in webhooks.enumerated() {
      let key = "webhooks[\(index)]"
      if !isHTTP(subscription.url) {
        problems.append("\(key).url must be an http or https URL, got \"\(subscription.url)\"")
      }
      if subscription.secret.isEmpty {
        problems.append("\(key).secret must not be empty: receivers verify the signature with it")
      }
      for event in subscription.events where !Self.webhookEventTypes.contains(event) {
        problems.append(
          "\(key).events: unknown event \"\(event)\" (known: "
            + Self.webhookEventTypes.joined(separator: ", ") + ")")
      }
      if !names.insert(subscription.name).inserted {
        problems.append("\(key).name \"\(subscription.name)\" is used by another subscription")
      }
    }
    func checkPolicy(_ policy: DeliveryPolicy, _ key: String) {
      if policy.maxAttempts < 1 { problems.append("\(key).max_attempts must be at least 1") }
      if policy.timeout <= 0 { problems.append("\(key).timeout_seconds must be positive") }
      if policy.initialBackoff < 0 || policy.maxBackoff < policy.initialBackoff {
        problems.append(
          "\(key): initial_backoff_seconds must be ≥ 0 and ≤ max_backoff_seconds")
      }
    }
    checkPolicy(webhookDelivery, "webhook_delivery")
    if let whatsapp {
      if !isHTTP(whatsapp.graphBase) {
        problems.append("whatsapp.graph_base must be an http or https URL")
      }
      if whatsapp.phoneNumberID.isEmpty { problems.append("whatsapp.phone_number_id is empty") }
      if whatsapp.accessToken.isEmpty { problems.append("whatsapp.access_token is empty") }
      checkPolicy(whatsapp.retry, "whatsapp.retry")
    }
    if media.maxBytes <= 0 { problems.append("media.max_bytes must be positive") }
    if console.impactMaxSteps <= 0 {
      problems.append("console.impact_max_steps must be positive")
    }
    if let ai {
      if !isHTTP(ai.url) { problems.append("ai.url must be an http or https URL") }
      if ai.timeout <= 0 { problems.append("ai.timeout_seconds must be positive") }
      if ai.maxAttempts < 1 { problems.append("ai.max_attempts must be at least 1") }
      if ai.retryBackoff < 0 { problems.append("ai.retry_backoff_seconds must be ≥ 0") }
    }
    if let smtp { problems += Self.problems(of: smtp) }
    if !(2...1_000).contains(databasePoolSize) {
      problems.append("db_pool_size must be between 2 and 1000, got \(databasePoolSize)")
    }
    if let maxConnections, !(1...1_000_000).contains(maxConnections) {
      problems.append("max_connections must be between 1 and 1000000, got \(maxConnections)")
    }
    if !(idleTimeout > 0) || idleTimeout > 86_400 {
      problems.append("idle_timeout_seconds must be between 0 and a day, got \(idleTimeout)")
    }
    if let publicURL, !isHTTP(publicURL) {
      problems.append("public_url must be an http or https URL, got \"\(publicURL)\"")
    }
    do {
      _ = try databaseLocation()
    } catch {
      problems.append(error.description)
    }
    return problems
  }

  static func problems(of smtp: SMTPRelay) -> [String] {
    var problems: [String] = []
    if smtp.host.isEmpty || smtp.host.contains(where: { $0.isWhitespace || $0.isNewline }) {
      problems.append("smtp.host must be a host name or address, got \"\(smtp.host)\"")
    }
    if !(1...65_535).contains(smtp.port) {
      problems.append("smtp.port must be between 1 and 65535, got \(smtp.port)")
    }
    if let from = smtp.from {
      if !MailAddress.isValid(from) {
        problems.append("smtp.from must be one e-mail address (name@domain), got \"\(from)\"")
      }
    } else {
      problems.append("smtp.from is required when smtp.host is set: the invitations' sender")
    }
    if !(smtp.timeout > 0) || smtp.timeout > 600 {
      problems.append("smtp.timeout_seconds must be between 0 and 600, got \(smtp.timeout)")
    }
    // No TLS library is wired into the server yet (swift-nio-ssl is only a dependency of the
    // HTTP client): rather than a session that looks secure and is not, both are refused.
    if smtp.startTLS {
      problems.append(
        "smtp.starttls: STARTTLS is not supported yet; use a relay reachable without TLS "
          + "(on this host or a private network) and remove starttls")
    }
    if smtp.username != nil || smtp.password != nil {
      problems.append(
        "smtp.username and ETIQUETTE_SMTP_PASSWORD: authentication is sent only over TLS, which "
          + "this server does not support yet; the password would travel in clear")
    }
    return problems
  }

  /// Where `db` points, with `ETIQUETTE_DB_PASSWORD` applied.
  public func databaseLocation() throws(DatabaseLocationError) -> DatabaseLocation {
    let environment = databasePassword.map { ["ETIQUETTE_DB_PASSWORD": $0] } ?? [:]
    return try DatabaseLocation(databasePath, environment: environment)
  }

  /// `webhooks[0].secret` for a decoding path.
  static func keyPath(_ path: [any CodingKey]) -> String {
    path.reduce(into: "") { text, key in
      if let index = key.intValue {
        text += "[\(index)]"
      } else {
        text += (text.isEmpty ? "" : ".") + key.stringValue
      }
    }
  }

  /// `ETIQUETTE_WHATSAPP_APP_SECRET`, `ETIQUETTE_WHATSAPP_VERIFY_TOKEN`,
  /// `ETIQUETTE_INTEGRATION_KEYS` (comma-separated) and `ETIQUETTE_WHATSAPP_ACCESS_TOKEN` (the
  /// Cloud API token of the `whatsapp` section, kept out of the file).
  public mutating func apply(environment: [String: String]) {
    if let v = environment["ETIQUETTE_WHATSAPP_ACCESS_TOKEN"], !v.isEmpty {
      whatsapp?.accessToken = v
    }
    if let v = environment["ETIQUETTE_WHATSAPP_APP_SECRET"], !v.isEmpty { whatsappAppSecret = v }
    if let v = environment["ETIQUETTE_DB_PASSWORD"], !v.isEmpty { databasePassword = v }
    if let v = environment["ETIQUETTE_METRICS_TOKEN"], !v.isEmpty { metricsToken = v }
    if let v = environment["ETIQUETTE_SMTP_PASSWORD"], !v.isEmpty { smtp?.password = v }
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
    let database = (try? databaseLocation().description) ?? "(invalid)"
    return "rules=\(rulesDirectory) db=\(database) listen=\(host):\(port) "
      + "whatsapp_app_secret=\(state(whatsappAppSecret)) "
      + "whatsapp_verify_token=\(state(whatsappVerifyToken)) "
      + "integration_keys=\(integrationKeys.count) webhooks=\(webhooks.count) "
      + "whatsapp_sending=\(whatsapp == nil ? "off" : "on") "
      + "ai=\(ai == nil ? "webhook" : "endpoint") metrics_token=\(state(metricsToken)) "
      + "smtp=\(smtp.map { "\($0.host):\($0.port)" } ?? "off") "
      + "max_connections=\(effectiveMaxConnections)"
  }
}

extension ServerConfiguration {
  /// `max_connections`, or by default the process's file-descriptor limit less 256 (SQLite's
  /// files, outbound HTTP, the rules' files), between 16 and 4,096: 19,990 idle sockets once
  /// exhausted the descriptors, and the server could then open nothing, not even its database.
  public var effectiveMaxConnections: Int {
    if let maxConnections { return maxConnections }
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_024 }
    let descriptors = Int(clamping: limit.rlim_cur)
    return min(4_096, max(16, descriptors - 256))
  }
}

/// A configuration problem, as a sentence for the user.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}
