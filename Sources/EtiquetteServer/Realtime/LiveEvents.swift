import Foundation
import GRDB

// Placeholder for the AI connector, the live stream and notifications (issue 9, parts 4–6);
// replaced by its owner.

enum AIConnector {
  static func enqueue(_ effects: StepEffects, in db: Database, hub: IntegrationHub) throws {}
}

enum MemberNotifications {
  static func record(_ effects: StepEffects, in db: Database, hub: IntegrationHub) throws {}
}

enum LiveEvents {
  static func registerMigrations(_ migrator: inout DatabaseMigrator) {}
  static func publish(_ effects: StepEffects, in db: Database, hub: IntegrationHub) throws {}
  /// A member marked a conversation read or unread (not a step).
  static func readStateChanged(
    conversation: String, member: String, unreadCount: Int, in db: Database, hub: IntegrationHub
  ) {}
}

final class LiveStream: Sendable {
  init() {}
}

extension EtiquetteServer {
  func registerRealtimeRoutes(on r: inout RouteRecorder) {}
  func startAIWorker() -> Task<Void, Never>? { nil }
}
