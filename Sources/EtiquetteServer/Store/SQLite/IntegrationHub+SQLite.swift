import AsyncHTTPClient
import EtiquetteEngine
import Foundation
import GRDB
import Logging

extension IntegrationHub {
  /// Records every integration's share of a committed step, in the step's transaction.
  func record(_ effects: StepEffects, in db: Database) throws {
    try WebhookOutbox.enqueue(effects, in: db, hub: self)
    try OutgoingMessages.enqueue(effects, in: db, hub: self)
    try AIConnector.enqueue(effects, in: db, hub: self)
    try MemberNotifications.record(effects, in: db, hub: self)
    try LiveEvents.publish(effects, in: db, hub: self)
  }
}
