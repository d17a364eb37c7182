import EtiquetteEngine
import Foundation

/// What processing one webhook body did, on any store: messages applied, messages that failed
/// (each kept in `message_failures` with its reason), timestamps replaced by the receive time.
struct IntakeOutcome: Sendable {
  var messages = 0
  var failures: [(whatsappID: String, reason: String)] = []
  var timestampsReplaced = 0

  /// Logs and counts what went wrong in a body (after its transaction, not inside it).
  func report(webhook: Int64, metrics: ServerMetrics, hub: IntegrationHub?) {
    metrics.recordIntakeProblems(
      failedMessages: failures.count, timestampsReplaced: timestampsReplaced)
    for failure in failures {
      hub?.logger.error(
        """
        webhook \(webhook): message \(failure.whatsappID) could not be processed, kept as \
        failed (retried at the next start or rules reload): \(failure.reason)
        """)
    }
    if timestampsReplaced > 0 {
      hub?.logger.warning(
        """
        webhook \(webhook): \(timestampsReplaced) message(s) with an unusable \
        timestamp took the receive time
        """)
    }
  }
}

extension WhatsAppPayload.InboundMessage {
  /// The engine step of this customer message: its contact as the payload names it, and its
  /// media attachment pointing at the server's own media route (`mediaBase` + id) rather than
  /// at Meta's placeholder. The same in every store.
  func step(mediaBase: String) -> Step {
    let update = ContactUpdate(
      id: contact.userID, phone: ConversationRecords.normalizePhone(contact.phone),
      name: contact.name)
    var message = self.message
    if let media {
      let placeholder = WhatsAppPayload.placeholderURL(mediaID: media.id)
      message.attachments = message.attachments.map { attachment in
        guard attachment.url == placeholder else { return attachment }
        var attachment = attachment
        attachment.url = mediaBase + MediaDownloads.pathComponent(media.id)
        return attachment
      }
    }
    return Step(.message(message), at: at, contact: update)
  }
}

extension AIConnector {
  /// What the AI is asked after a decision — a reply at the version it names, or a suggestion
  /// at the conversation's version — or nil when nothing is asked. The same in every store.
  static func request(for decision: Decision) -> (kind: String, version: Int)? {
    switch decision.ai {
    case .none: nil
    case .reply(let version): ("reply", version)
    case .suggest: ("suggest", decision.version)
    }
  }
}
