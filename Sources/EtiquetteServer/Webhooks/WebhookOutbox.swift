import Foundation
import GRDB

// Placeholder for the outbound webhook outbox (issue 9, part 1); replaced by its owner.

enum WebhookOutbox {
  static func registerMigrations(_ migrator: inout DatabaseMigrator) {}
  static func enqueue(_ effects: StepEffects, in db: Database, hub: IntegrationHub) throws {}
}

extension EtiquetteServer {
  func registerWebhookRoutes(on r: inout RouteRecorder) {}
  func startWebhookWorker() -> Task<Void, Never>? { nil }
}
