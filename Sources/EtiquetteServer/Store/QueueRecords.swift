import EtiquetteEngine
import Foundation

// What the queues' rows become once read, whatever store read them: the stores differ in
// their SQL and their row types, not in the documents and events they hand out.

extension WebhookDeliveryDocument {
  /// A `webhook_deliveries` row as the deliveries API shows it (times in seconds since 1970).
  init(
    id: String, subscription: String, eventType: String, eventID: String, conversation: String,
    status: String, attempts: Int, lastStatus: Int?, lastError: String?, createdAt: Double,
    updatedAt: Double, nextAttemptAt: Double, deliveredAt: Double?
  ) {
    func instant(_ seconds: Double) -> String {
      Instant.formatWithMilliseconds(Date(timeIntervalSince1970: seconds))
    }
    self.init(
      id: id, subscription: subscription, event: eventType, eventId: eventID,
      conversation: conversation, status: status, attempts: attempts, lastStatus: lastStatus,
      lastError: lastError, createdAt: instant(createdAt), updatedAt: instant(updatedAt),
      // Only a pending delivery has a next attempt; a finished one keeps its last value.
      nextAttemptAt: status == "pending" ? instant(nextAttemptAt) : nil,
      deliveredAt: deliveredAt.map(instant))
  }
}

extension LiveEvents {
  /// The `message.status` event of a message as stored (`messages.errors` holds the JSON the
  /// Graph API gave, or nothing).
  static func messageStatusEvent(
    conversation: String, message: Int64, status: String?, errors: String?
  ) -> LiveEvent {
    let decoded = errors.flatMap {
      try? JSONValue.parse(bytes: $0.utf8)
    }
    return LiveEvent(
      "message.status", conversation: conversation,
      data: StatusEvent(
        conversation: conversation, message: message, status: status, errors: decoded))
  }
}
