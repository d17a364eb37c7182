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
