import Foundation

/// The background workers of the integrations, started by a test; `cancel` stops them all.
/// (`InboxServer.run` hands the same workers to the application as services instead, so a
/// graceful shutdown waits for their attempts in flight.)
public struct IntegrationWorkers: Sendable {
  let tasks: [Task<Void, Never>]

  public func cancel() {
    for task in tasks { task.cancel() }
  }

  /// Cancels and waits for every worker to finish its current attempt.
  public func stop() async {
    cancel()
    for task in tasks { await task.value }
  }
}

extension InboxServer {
  /// The workers the configuration asks for: webhooks when a subscription is configured,
  /// sending and media downloads when `whatsapp` is (without it replies stay `queued` and
  /// media `pending`, their jobs waiting), the AI connector when an endpoint is.
  func jobWorkers() -> [JobWorker] {
    var workers: [JobWorker] = []
    if let webhooks = webhookWorker() { workers.append(webhooks) }
    if let whatsapp = configuration.whatsapp {
      workers.append(
        OutgoingSender(store: store, hub: hub, rules: rules, whatsapp: whatsapp, logger: logger)
          .worker())
      workers.append(
        MediaDownloads(
          store: store, hub: hub, whatsapp: whatsapp, storage: configuration.media,
          logger: logger
        ).worker())
    }
    if let ai = aiWorker() { workers.append(ai) }
    return workers
  }

  /// Starts the workers; tests call this (`run` runs them as services).
  public func startIntegrations() -> IntegrationWorkers {
    IntegrationWorkers(tasks: jobWorkers().map { worker in Task { try? await worker.run() } })
  }
}
