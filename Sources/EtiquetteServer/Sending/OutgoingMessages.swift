import Foundation
import GRDB

// Placeholder for WhatsApp sending and media (issue 9, parts 2 and 3); replaced by its owner.

enum OutgoingMessages {
  static func registerMigrations(_ migrator: inout DatabaseMigrator) {}
  static func enqueue(_ effects: StepEffects, in db: Database, hub: IntegrationHub) throws {}
}

extension EtiquetteServer {
  func registerSendingRoutes(on r: inout RouteRecorder) {}
  func startSendingWorker() -> Task<Void, Never>? { nil }
}
