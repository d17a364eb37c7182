import ArgumentParser
import EtiquetteServer
import Foundation

/// `etiquette serve`: the inbox server on a rules directory and an SQLite file.
struct ServeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Run the inbox server: WhatsApp webhooks, integration events and the REST API.",
    discussion: """
      Configuration comes from --config (JSON: rules, db, host, port, whatsapp_app_secret, \
      whatsapp_verify_token, integration_keys, max_body_bytes, rules_poll_seconds, public_url, \
      webhooks [{name, url, secret, events, labels, member}], webhook_delivery {max_attempts, \
      initial_backoff_seconds, max_backoff_seconds, timeout_seconds}, whatsapp {graph_base, \
      phone_number_id, access_token, retry}, media {directory, max_bytes}, ai {url, token, \
      timeout_seconds}, ai_agents), then the environment (ETIQUETTE_WHATSAPP_APP_SECRET, \
      ETIQUETTE_WHATSAPP_VERIFY_TOKEN, ETIQUETTE_INTEGRATION_KEYS comma-separated, \
      ETIQUETTE_WHATSAPP_ACCESS_TOKEN), then the options below. Secrets are never logged. \
      SIGTERM or SIGINT stops gracefully (webhook deliveries still pending resume at the next \
      start); SIGHUP reloads the rules.

      Exit status: 0 after a clean shutdown, 1 when the rules have errors or the address \
      cannot be used (a port already in use), 2 on usage errors (including an invalid \
      configuration).
      """
  )

  @Option(name: .long, help: "The rules directory (or file).")
  var rules: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The SQLite database file (created when missing) or a postgres://user@host:port/db URL.",
      discussion: """
        The PostgreSQL password comes from ETIQUETTE_DB_PASSWORD (or the URL); it is never \
        logged. Serving on PostgreSQL is refused until its store is complete (issue 15); \
        `etiquette member` already works on it.
        """))
  var db: String?

  @Option(
    name: .long,
    help: "The port to listen on (default 8080; 0: a free port, which the log names).")
  var port: Int?

  @Option(name: .long, help: "The address to listen on (default 127.0.0.1).")
  var host: String?

  @Option(name: .long, help: "A JSON configuration file.")
  var config: String?

  @Flag(
    name: .long,
    help: ArgumentHelp(
      "Development mode: generate the secrets, give every member a token, print the next steps.",
      discussion:
        "For a developer's machine only (what `make run` starts): refused when public_url is https."
    ))
  var dev = false

  @Flag(
    name: .customLong("no-demo"),
    help: ArgumentHelp(
      "With --dev: do not replay the demo conversations into an empty store.",
      discussion:
        "Development mode fills an empty store with a few days of demo traffic, sent through "
        + "the server's own webhook, event and API endpoints; never without --dev."))
  var noDemo = false

  func run() async throws {
    var configuration = try ServerConfiguration.load(file: config)
    configuration.apply(environment: ProcessInfo.processInfo.environment)
    if let rules { configuration.rulesDirectory = rules }
    if let db { configuration.databasePath = db }
    if let port { configuration.port = port }
    if let host { configuration.host = host }
    let development = dev ? try DevelopmentMode.prepare(&configuration) : nil
    let server: InboxServer
    do {
      server = try await InboxServer.open(configuration: configuration)
    } catch let problem as ConfigurationError {
      throw UsageError(description: "invalid configuration:\n" + problem.description)
    } catch let failure as RuleLoadFailure {
      Terminal.standardError.write("error: \(failure.message)\n")
      for entry in failure.diagnostics?.diagnostics ?? [] {
        Terminal.standardError.write(
          "  \(entry.file):\(entry.line):\(entry.column): \(entry.code): \(entry.message)\n")
      }
      throw ExitStatus.failure.exitCode
    } catch let failure as PostgresStoreError {
      Terminal.standardError.write("error: \(failure)\n")
      throw ExitStatus.failure.exitCode
    }
    var onListening: @Sendable (Int) async -> Void = { _ in }
    if let development {
      server.logger.warning(
        "DEVELOPMENT MODE: generated secrets and member tokens are printed on standard output")
      let tokens = try await DevelopmentMode.issueTokens(server)
      var invitations: [(email: String, token: String)] = []
      for (email, _) in tokens {
        if let token = try await server.inviteToWebInbox(email) {
          invitations.append((email, token))
        }
      }
      onListening = { [invitations] port in
        // Off the server's start-up path: the demo talks to the server it waits for.
        Task {
          let demo = DemoConversations(
            base: "http://\(server.configuration.host):\(port)",
            appSecret: development.appSecret, integrationKey: development.integrationKey,
            tokens: tokens, engine: server.rules.current.engine, now: server.clock.now(),
            clock: { server.clock.now() })
          var replayed: Int?
          do {
            if !noDemo { replayed = try await demo.replay() }
          } catch {
            server.logger.error("the demo data could not be replayed: \(error)")
          }
          let guide = development.guide(
            server: server, port: port, tokens: tokens, now: server.clock.now(),
            invitations: invitations, demo: replayed)
          Terminal.standardOutput.write(guide)
        }
      }
    }
    do {
      try await server.run(onListening: onListening)
    } catch let error as ServerStartError {
      Terminal.standardError.write("error: \(error)\n")
      throw ExitStatus.failure.exitCode
    }
  }
}
