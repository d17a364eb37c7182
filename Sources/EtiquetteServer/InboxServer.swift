import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteEngine
import Foundation
import Hummingbird
import Logging
import NIOCore

#if canImport(Glibc)
  import Glibc
#endif

/// The inbox server: WhatsApp webhook intake, integration events, the REST API and hot reload
/// of the rules, over one SQLite store.
public struct InboxServer: Sendable {
  public typealias Context = InboxRequestContext

  public let configuration: ServerConfiguration
  /// Every service and worker reads and writes through the storage interface only.
  let store: any ServerStore
  public let rules: RuleHolder
  public let metrics: ServerMetrics
  /// The connections open, against `max_connections`.
  public let connections: ConnectionCount
  /// Webhooks, WhatsApp sending, the AI connector, the live stream and notifications.
  public let hub: IntegrationHub
  public let logger: Logger
  /// What every step and stored timestamp reads.
  public let clock: WallClock
  /// Members and their tokens (`etiquette member`, the development mode's tokens).
  public var members: any MemberDirectory { store }
  let intake: WebhookIntake
  let reloads: RuleReloads
  let conversations: ConversationService
  let events: EventService
  let deliveries: DeliveryService
  let failedMessages: FailedMessageService
  let notifications: NotificationService
  /// The web inbox (issue 16): sign-in and server-rendered pages.
  let web: WebInbox

  /// Loads and checks the rules (refusing to start on errors) and opens the SQLite store `db`
  /// names; a PostgreSQL `db` is opened by `open`, which waits for the database.
  /// `clock` is the time every step and stored timestamp reads (tests pass their own).
  public init(
    configuration: ServerConfiguration, clock: WallClock = .system,
    logger: Logger = Logger(label: "etiquette")
  ) throws {
    try Self.check(configuration)
    guard case .sqlite(let path) = try configuration.databaseLocation() else {
      throw ConfigurationError(
        "db: a PostgreSQL database is opened with InboxServer.open, which connects first")
    }
    let rules = try Self.loadRules(configuration)
    try self.init(
      configuration: configuration, rules: rules, store: SQLiteStore(path: path, clock: clock),
      clock: clock, logger: logger)
  }

  /// Loads and checks the rules, then opens the store `db` names — an SQLite file, or a
  /// PostgreSQL database (connecting and migrating it, under a lock other instances share).
  public static func open(
    configuration: ServerConfiguration, clock: WallClock = .system,
    logger: Logger = Logger(label: "etiquette")
  ) async throws -> InboxServer {
    try check(configuration)
    switch try configuration.databaseLocation() {
    case .sqlite:
      return try InboxServer(configuration: configuration, clock: clock, logger: logger)
    case .postgres(let address):
      // The rules first: a rule error does not need a database connection to be reported.
      let rules = try loadRules(configuration)
      let store = try await PostgresStore.open(
        address, clock: clock, maximumConnections: configuration.databasePoolSize,
        connectTimeout: configuration.databaseConnectTimeout, logger: logger)
      do {
        return try InboxServer(
          configuration: configuration, rules: rules, store: store, clock: clock, logger: logger)
      } catch {
        await store.close()
        throw error
      }
    }
  }

  private static func check(_ configuration: ServerConfiguration) throws {
    let problems = configuration.problems()
    guard problems.isEmpty else {
      throw ConfigurationError(problems.joined(separator: "\n"))
    }
    // The served document is a resource: a missing bundle stops the server here, not later.
    _ = OpenAPIDocument.json
  }

  private static func loadRules(_ configuration: ServerConfiguration) throws -> RuleHolder {
    switch RuleLoading.load(path: configuration.rulesDirectory) {
    case .failure(let failure): throw failure
    case .success(let loaded):
      return RuleHolder(path: configuration.rulesDirectory, rules: loaded)
    }
  }

  private init(
    configuration: ServerConfiguration, rules: RuleHolder, store: any ServerStore,
    clock: WallClock, logger: Logger
  ) throws {
    self.configuration = configuration
    self.logger = logger
    self.rules = rules
    self.store = store
    self.clock = clock
    metrics = ServerMetrics()
    connections = ConnectionCount(
      limit: configuration.effectiveMaxConnections, metrics: metrics)
    hub = IntegrationHub(
      configuration: configuration, logger: logger, metrics: metrics, clock: clock,
      jobs: store.jobBell)
    conversations = ConversationService(store: store, rules: rules, hub: hub, metrics: metrics)
    events = EventService(store: store, rules: rules, hub: hub, metrics: metrics)
    deliveries = DeliveryService(store: store, rules: rules, logger: logger)
    failedMessages = FailedMessageService(store: store, rules: rules)
    notifications = NotificationService(store: store, rules: rules, hub: hub)
    let drafts = RuleDraftService(rules: rules)
    reloads = RuleReloads(
      holder: rules,
      admit: { [store, logger] loaded in
        let ruleSet = loaded.ruleSet
        let result = RuleReloads.waiting {
          do {
            return try await StoredLabels.reconcile(
              store: store, ruleSet: ruleSet, refusingUnknown: true, logger: logger)
          } catch {
            return .failure(
              RuleLoadFailure(
                message: "the labels stored on conversations could not be read: \(error)"))
          }
        }
        switch result {
        case .success(let renames):
          loaded.renamedLabels = renames
          return nil
        case .failure(let refusal): return refusal
        }
      },
      finished: Self.afterReload(
        store: store, rules: rules, drafts: drafts, metrics: metrics, hub: hub, logger: logger))
    intake = WebhookIntake(
      store: store, rules: rules, metrics: metrics, hub: hub, logger: logger,
      gathering: store.roundGathering)
    web = WebInbox(
      signIn: SignInService(store: store, rules: rules, clock: clock),
      pages: InboxPageService(conversations: conversations, previews: store, rules: rules),
      renderer: try WebRenderer.bundled(), rules: rules, clock: clock,
      secureCookies: configuration.publicURL?.lowercased().hasPrefix("https:") ?? false,
      live: hub.live, versions: store,
      publisher: RulePublisher(
        drafts: drafts, reloads: reloads, versions: store, clock: clock,
        logger: logger),
      impacts: RuleImpacts(
        history: store, rules: rules, clock: clock,
        maxSteps: configuration.console.impactMaxSteps))
    let reloads = reloads
    store.serve(
      ServedInstance(
        live: hub.live, rules: rules, logger: logger, files: { drafts.served() },
        adopt: { served in
          do {
            guard try drafts.adopt(served) else { return }
          } catch {
            logger.error("the rules the other instances serve could not be written: \(error)")
            return
          }
          if case .failure(let failure) = await reloads.reload() {
            logger.error(
              "the rules the other instances serve are refused here: \(failure.message)")
          }
        }))
  }

  /// One route: method and OpenAPI-style path (`/v1/conversations/{id}`).
  public struct RouteDescription: Sendable, Hashable {
    public var method: String
    public var path: String
  }

  /// Every route the router serves, as the OpenAPI document must list them.
  public var routeDescriptions: [RouteDescription] {
    var recorder = RouteRecorder(router: nil)
    register(on: &recorder)
    return recorder.recorded
  }

  public func buildRouter() -> Router<Context> {
    let router = Router(context: Context.self)
    // Counts and times every request, streamed bodies to their end (`/metrics`).
    router.add(middleware: MetricsMiddleware())
    router.add(
      middleware: StoreUnavailableMiddleware(
        isUnavailable: store.isUnavailable, isReachable: { [store] in store.isReachable }))
    router.add(middleware: MethodNotAllowedMiddleware(routes: routeDescriptions))
    var recorder = RouteRecorder(router: router)
    register(on: &recorder)
    // The web inbox's pages are not API routes: the OpenAPI document does not list them.
    web.register(on: router)
    // A conversation's media in the web inbox: the API's answer, for the session's member.
    router.get("/app/media/:id") { request, context in
      do {
        guard let (member, _) = try await web.member(of: request) else {
          throw APIError.notFound("no such media")
        }
        let raw = context.parameters.get("id") ?? ""
        return try await mediaFile(
          id: raw.removingPercentEncoding ?? raw, viewer: member,
          aac: request.uri.queryParameters["format"] == "aac", context)
      } catch let error as APIError {
        return error.response
      }
    }
    return router
  }

  /// `onListening` is called with the port once the socket is bound (the one the system
  /// chose when the configuration says port 0).
  /// `withWorkers` runs the job workers as the application's services: a graceful shutdown
  /// (SIGTERM, SIGINT) then waits for their attempts in flight.
  public func makeApplication(
    withWorkers: Bool = false,
    onListening: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
  ) -> some ApplicationProtocol {
    let port = configuration.port
    return Application(
      router: buildRouter(),
      server: .http1(
        configuration: .init(
          idleTimeout: .nanoseconds(Int64(configuration.idleTimeout * 1_000_000_000)))),
      configuration: .init(
        address: .hostname(configuration.host, port: port),
        serverName: "etiquette",
        availableConnectionsDelegate: ConnectionCap(count: connections)),
      services: withWorkers ? jobWorkers() : [],
      onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
      logger: logger)
  }

  /// Processes webhooks stored but not processed (a crash between the two): at startup.
  @discardableResult
  public func recoverPendingWebhooks() async throws -> Int {
    // Renames first (`was "…"`): the messages applied next see the labels under their names.
    _ = try await StoredLabels.reconcile(
      store: store, ruleSet: rules.current.ruleSet, refusingUnknown: false, logger: logger)
    let processed = try await store.processPendingWebhooks(
      rules: rules, metrics: metrics, hub: hub)
    let retried = try await store.retryFailedMessages(rules: rules, metrics: metrics, hub: hub)
    if retried > 0 { logger.info("applied \(retried) message(s) that had failed before") }
    return processed
  }

  /// Reloads the rules (see `RuleReloads`: one at a time, off the request threads) and logs
  /// the outcome; the old rules keep serving on failure.
  @discardableResult
  public func reloadRules(reason: String) async -> Result<LoadedRules, RuleLoadFailure> {
    Self.log(await reloads.reload(), reason: reason, logger: logger)
  }

  /// The same, waiting `limit` at most: nil when the reload is still running then.
  func reloadRules(reason: String, limit: Duration) async -> Result<LoadedRules, RuleLoadFailure>? {
    switch await reloads.reload(limit: limit) {
    case .finished(let result): return Self.log(result, reason: reason, logger: logger)
    case .stillRunning:
      logger.warning("rules reload (\(reason)) still running after \(limit); it applies when done")
      return nil
    }
  }

  private static func log(
    _ result: Result<LoadedRules, RuleLoadFailure>, reason: String, logger: Logger
  ) -> Result<LoadedRules, RuleLoadFailure> {
    switch result {
    case .success(let loaded):
      logger.info("rules reloaded (\(reason)): version \(loaded.version)")
    case .failure(let failure):
      logger.error("rules refused (\(reason)): \(failure.message); the old rules keep serving")
    }
    return result
  }

  /// What every reload does once, whoever asked for it: counted, and the new rules may be the
  /// fix a failed message waited for.
  static func afterReload(
    store: any ServerStore, rules: RuleHolder, drafts: RuleDraftService, metrics: ServerMetrics,
    hub: IntegrationHub, logger: Logger
  ) -> @Sendable (Result<LoadedRules, RuleLoadFailure>) -> Void {
    { result in
      guard case .success = result else {
        metrics.recordReload(accepted: false)
        return
      }
      metrics.recordReload(accepted: true)
      Task {
        // The other instances serve what this one now serves.
        do {
          try await store.rulesServed(drafts.served())
        } catch {
          logger.error("the rules served could not be recorded for the other instances: \(error)")
        }
        do {
          let retried = try await store.retryFailedMessages(
            rules: rules, metrics: metrics, hub: hub)
          if retried > 0 { logger.info("applied \(retried) message(s) that had failed before") }
        } catch {
          logger.error("retrying failed messages: \(error)")
        }
      }
    }
  }

  /// Runs until SIGTERM or SIGINT (graceful: in-flight requests finish). SIGHUP and file
  /// changes under the rules directory reload the rules. `onListening` gets the bound port.
  /// Throws `ServerStartError` when the address cannot be bound.
  public func run(onListening: @escaping @Sendable (_ port: Int) async -> Void = { _ in })
    async throws
  {
    logger.info("starting: \(configuration)")
    let recovered = try await recoverPendingWebhooks()
    if recovered > 0 { logger.info("processed \(recovered) webhook(s) left from the last run") }
    // Jobs left by the last run resume when the workers start: the queue is durable.
    signal(SIGHUP, SIG_IGN)
    let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
    hangup.setEventHandler { Task { await self.reloadRules(reason: "SIGHUP") } }
    hangup.resume()
    let poller = Task {
      guard let interval = configuration.rulesPollInterval else { return }
      while !Task.isCancelled {
        try? await Task.sleep(for: .seconds(interval))
        if rules.filesChanged() { await reloadRules(reason: "files changed") }
      }
    }
    defer {
      poller.cancel()
      hangup.cancel()
    }
    do {
      try await makeApplication(withWorkers: true) { port in
        logger.info("listening on http://\(configuration.host):\(port)")
        await onListening(port)
      }.runService()
    } catch let error as IOError where error.errnoCode == EADDRINUSE {
      throw ServerStartError.portInUse(host: configuration.host, port: configuration.port)
    } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL {
      throw ServerStartError.addressNotAvailable(host: configuration.host)
    }
    await close()
    logger.info("stopped")
  }

  /// Closes the store (PostgreSQL: its connections and listeners); `run` does it when it
  /// stops. The server must not be used afterwards.
  public func close() async { await store.close() }
}

/// Why the server could not start listening, in words an operator can act on.
public enum ServerStartError: Error, CustomStringConvertible {
  case portInUse(host: String, port: Int)
  case addressNotAvailable(host: String)

  public var description: String {
    switch self {
    case .portInUse(_, let port):
      "port \(port) is already in use; choose another with --port"
    case .addressNotAvailable(let host):
      "address \(host) is not an address of this machine; choose another with --host"
    }
  }
}
