import Foundation
import Logging
import PostgresNIO

/// The shared store: one PostgreSQL database that several server instances use at once (tables
/// in `PostgresMigrations.swift`). Unlike SQLite's single writer, nothing here serialises the
/// instances: every statement that must not run twice says so in SQL (unique keys with
/// `ON CONFLICT`, `FOR UPDATE SKIP LOCKED` claims, leases checked in the `WHERE` clause).
///
/// This folder is the only code that imports PostgresNIO, and holds every PostgreSQL statement;
/// it implements the whole storage interface (`ServerStore+PostgreSQL.swift`).
public final class PostgresStore: Sendable {
  let client: PostgresClient
  /// Runs the connection pool, and the listener that rings `bell` for other instances' jobs.
  private let running: Task<Void, Never>
  /// Wakes this instance's workers: after its own commits, and on other instances' `NOTIFY`.
  let bell: JobBell
  let logger: Logger
  /// What every stored timestamp reads.
  public let clock: WallClock
  /// The intake batch's conversations as its last commit left them (see `ConversationCache`).
  let conversationCache = ConversationCache()
  /// When the intake last had the planner's statistics checked (`PlannerStatistics`).
  let plannerStatistics = PlannerStatistics()
  /// How many times the job listener started listening: 1 once open, one more after each
  /// lost connection.
  let listens: ListenCount
  /// The other instances' live events and served rules, as they are announced.
  let news: StoreNews
  /// What the store runs for a server (`serve`: the live-event relay), cancelled by `close`.
  let tasks = StoreTasks()
  /// The last live event committed when the store opened: the relay publishes every later one
  /// (a change this instance makes is always later), whenever its listener starts.
  let liveEventsBefore: Int64
  /// How many intake transactions run at once (`processPendingWebhooks`): half the pool, so
  /// that the API, the workers and the listener keep connections while a burst is processed.
  let intakeTransactions: Int

  /// The `NOTIFY` channel of the job queue; the payload is one job kind.
  static let jobChannel = "etiquette_jobs"

  private init(
    client: PostgresClient, running: Task<Void, Never>, bell: JobBell, clock: WallClock,
    logger: Logger, listens: ListenCount, news: StoreNews, liveEventsBefore: Int64,
    intakeTransactions: Int
  ) {
    self.intakeTransactions = intakeTransactions
    self.news = news
    self.liveEventsBefore = liveEventsBefore
    self.listens = listens
    self.client = client
    self.running = running
    self.bell = bell
    self.clock = clock
    self.logger = logger
  }

  /// Connects, migrates the schema (under an advisory lock: instances that start together
  /// migrate once) and starts listening for other instances' jobs. Throws
  /// `PostgresStoreError` when the database cannot be reached (a connection attempt is given
  /// up after `connectTimeout`).
  public static func open(
    _ address: PostgresAddress, clock: WallClock = .system, maximumConnections: Int = 20,
    connectTimeout: Duration = .seconds(10), logger: Logger = Logger(label: "etiquette.postgres")
  ) async throws -> PostgresStore {
    var configuration = PostgresClient.Configuration(
      host: address.host, port: address.port, username: address.user,
      password: address.password, database: address.database, tls: address.security.tls)
    configuration.options.maximumConnections = maximumConnections
    // Floats as JSON text (a step's read, `load`) in their shortest exact form, whatever the
    // database's or role's own setting: timestamps come back to the bit.
    configuration.options.additionalStartupParameters = [("extra_float_digits", "1")]
    configuration.options.connectTimeout = connectTimeout
    // One connection of its own first: a refused connection, a wrong password or a missing
    // database fails here at once with the server's reason (the pool would retry quietly),
    // and the migrations run on it, under their lock.
    // No deadline on the migrations: they may wait for another instance's, under the lock.
    var liveEventsBefore: Int64 = 0
    do {
      var direct = PostgresConnection.Configuration(
        host: address.host, port: address.port, username: address.user,
        password: address.password, database: address.database,
        tls: try address.security.connectionTLS())
      direct.options.connectTimeout = .init(connectTimeout)
      let connection = try await PostgresConnection.connect(
        configuration: direct, id: 0, logger: logger)
      do {
        try await migrate(on: connection, clock: clock, logger: logger)
        for try await seq in try await connection.query(
          "SELECT COALESCE(MAX(seq), 0) FROM live_events", logger: logger
        ).decode(Int64.self) {
          liveEventsBefore = seq
        }
      } catch {
        try? await connection.close()
        throw error
      }
      try await connection.close()
    } catch {
      throw PostgresStoreError.readable(error, address: address)
    }
    let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    let bell = JobBell()
    let news = StoreNews()
    let (listening, listeningContinuation) = AsyncStream.makeStream(of: Void.self)
    let listens = ListenCount()
    let running = Task {
      await withDiscardingTaskGroup { group in
        group.addTask { await client.run() }
        group.addTask {
          await Self.listen(
            client: client, bell: bell, news: news, logger: logger, lost: listens.lost
          ) {
            listens.increment()
            listeningContinuation.yield()
          }
        }
      }
    }
    let store = PostgresStore(
      client: client, running: running, bell: bell, clock: clock, logger: logger,
      listens: listens, news: news, liveEventsBefore: liveEventsBefore,
      intakeTransactions: max(1, min(8, maximumConnections / 2)))
    do {
      // Jobs another instance commits from now on ring this instance's bell.
      try await Self.withTimeout(connectTimeout, address: address) {
        for await _ in listening { break }
      }
    } catch {
      await store.close()
      throw PostgresStoreError.readable(error, address: address)
    }
    return store
  }

  /// Closes the connections (and ends the listener); the store is unusable afterwards.
  public func close() async {
    news.connect(live: {}, rules: {})
    await plannerStatistics.finish()
    await tasks.cancelAll()
    running.cancel()
    await running.value
  }

  // MARK: - Plumbing

  /// Listens, on one pooled connection kept for it, to every channel of news from the other
  /// instances: jobs (rings `bell`), live events and served rules (`news`, which `serve`
  /// connects to the relay and the rules follower); listens again after a lost connection.
  /// `ready` is called each time the `LISTEN`s hold, `lost` each time their connection ends.
  private static func listen(
    client: PostgresClient, bell: JobBell, news: StoreNews, logger: Logger,
    lost: @escaping @Sendable () -> Void, ready: @escaping @Sendable () -> Void
  ) async {
    while !Task.isCancelled {
      do {
        try await client.withConnection { connection in
          try await withThrowingTaskGroup(of: Void.self) { group in
            let listening = ListenCount()
            // Each channel's consumer says when its `LISTEN` holds; `ready` once all three do.
            func held() {
              listening.increment()
              guard listening.value == 3 else { return }
              // What was committed while nobody listened (the start, a reconnect): the
              // workers look for due jobs now (their polling would find them later), the
              // relay and the rules follower catch up.
              bell.ring(Set(JobKind.allCases))
              news.liveArrived()
              news.rulesArrived()
              ready()
            }
            group.addTask {
              try await connection.listen(on: jobChannel) { notifications in
                held()
                for try await notification in notifications {
                  if let kind = JobKind(rawValue: notification.payload) { bell.ring([kind]) }
                }
              }
            }
            group.addTask {
              try await connection.listen(on: liveChannel) { notifications in
                held()
                for try await _ in notifications { news.liveArrived() }
              }
            }
            group.addTask {
              try await connection.listen(on: rulesChannel) { notifications in
                held()
                for try await _ in notifications { news.rulesArrived() }
              }
            }
            // One channel's end (a lost connection) ends them all, to listen again.
            try await group.next()
            group.cancelAll()
          }
        }
      } catch {
        if Task.isCancelled { return }
        lost()
        logger.warning("notifications: listening again after \(PostgresStoreError.readable(error))")
        try? await Task.sleep(for: .seconds(1))
        continue
      }
      // The channels ended without an error: the connection is gone all the same.
      lost()
    }
  }

  private static func withTimeout(
    _ limit: Duration, address: PostgresAddress, _ body: @escaping @Sendable () async throws -> Void
  ) async throws {
    try await withThrowingTaskGroup(of: Bool.self) { group in
      group.addTask {
        try await body()
        return true
      }
      group.addTask {
        try await Task.sleep(for: limit)
        return false
      }
      defer { group.cancelAll() }
      guard try await group.next() == true else {
        throw PostgresStoreError.unreachable(address, limit)
      }
    }
  }
}

/// What the listener hears besides jobs, passed on to whoever `serve` connected.
final class StoreNews: @unchecked Sendable {
  // Guards the handlers.
  private let lock = NSLock()
  private var live: (@Sendable () -> Void)?
  private var rules: (@Sendable () -> Void)?

  func connect(live: @escaping @Sendable () -> Void, rules: @escaping @Sendable () -> Void) {
    lock.withLock {
      self.live = live
      self.rules = rules
    }
  }

  func liveArrived() { lock.withLock { live }?() }
  func rulesArrived() { lock.withLock { rules }?() }
}

/// Tasks a store runs for its server, ended when it closes.
final class StoreTasks: @unchecked Sendable {
  // Guards `tasks`.
  private let lock = NSLock()
  private var tasks: [Task<Void, Never>] = []

  func add(_ task: Task<Void, Never>) { lock.withLock { tasks.append(task) } }

  func cancelAll() async {
    let running = lock.withLock {
      defer { tasks = [] }
      return tasks
    }
    for task in running { task.cancel() }
    for task in running { await task.value }
  }
}

/// How many times the listener started listening, and whether it listens now (`isReachable`),
/// shared by the listener's task and its readers.
final class ListenCount: @unchecked Sendable {
  // Guards `count` and `holding`.
  private let lock = NSLock()
  private var count = 0
  private var holding = false

  /// The listener listens (again).
  func increment() {
    lock.withLock {
      count += 1
      holding = true
    }
  }
  /// The listener's connection is gone; it holds again at the next `increment`.
  func lost() { lock.withLock { holding = false } }

  var value: Int { lock.withLock { count } }
  var isHolding: Bool { lock.withLock { holding } }
}

/// Why the PostgreSQL store failed, in words an operator can act on; never shows a password.
public enum PostgresStoreError: Error, CustomStringConvertible {
  case unreachable(PostgresAddress, Duration)
  /// The server's own message and SQLSTATE (`28P01`: wrong password, `3D000`: no such
  /// database …).
  case refused(message: String, sqlState: String?)
  /// No connection: the network's reason (connection refused, unknown host …).
  case connection(PostgresAddress, reason: String)

  public var description: String {
    switch self {
    case .unreachable(let address, let limit):
      "cannot reach the PostgreSQL database \(address) within \(limit)"
    case .refused(let message, let sqlState):
      "PostgreSQL: \(message)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "")
    case .connection(let address, let reason):
      "cannot connect to the PostgreSQL database \(address): \(reason)"
    }
  }

  /// PostgresNIO's `PSQLError` describes itself without detail on purpose (a query's text or
  /// binds could be secret); the server's message, or the network's reason, is what an
  /// operator needs, and holds no password.
  static func readable(_ error: any Error, address: PostgresAddress? = nil) -> any Error {
    guard let error = error as? PSQLError else { return error }
    if let message = error.serverInfo?[.message] {
      return PostgresStoreError.refused(message: message, sqlState: error.serverInfo?[.sqlState])
    }
    if let address, let underlying = error.underlying {
      return PostgresStoreError.connection(address, reason: "\(underlying)")
    }
    return error
  }
}

extension PostgresAddress.TransportSecurity {
  fileprivate var tls: PostgresClient.Configuration.TLS {
    switch self {
    case .disable: .disable
    case .prefer: .prefer(.makeClientConfiguration())
    case .require: .require(.makeClientConfiguration())
    }
  }

  fileprivate func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
    switch self {
    case .disable: .disable
    case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
    case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
    }
  }
}

extension PostgresStore {
  /// False from the moment the listener's connection is lost (PostgreSQL down, restarting, or
  /// the network cut) until it listens again: requests are then answered 503 at once, instead
  /// of each waiting for the pool to give up on connecting (a minute, not configurable in this
  /// PostgresNIO).
  var isReachable: Bool { listens.isHolding }

  /// The connection is gone or cannot be made (the server down, restarting, or refusing
  /// connections: SQLSTATE classes 08 and 57), as opposed to a statement the server refused.
  func isUnavailable(_ error: any Error) -> Bool {
    switch error {
    case let error as PSQLError:
      switch error.code {
      case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
        return true
      case .server:
        let state = error.serverInfo?[.sqlState] ?? ""
        return state.hasPrefix("08") || state.hasPrefix("57")
      default:
        return error.underlying.map(isUnavailable) ?? false
      }
    case let error as PostgresStoreError:
      switch error {
      case .unreachable, .connection: return true
      case .refused(_, let state):
        return state.map { $0.hasPrefix("08") || $0.hasPrefix("57") } ?? false
      }
    default:
      // The pool's own errors (no connection could be made for a while: its circuit breaker)
      // come from a module PostgresNIO does not re-export; they are known by their type's name.
      return String(describing: type(of: error)) == "ConnectionPoolError"
    }
  }
}
