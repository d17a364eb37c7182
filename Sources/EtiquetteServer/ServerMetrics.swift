import Foundation

/// Counters and a latency histogram, rendered in the Prometheus text format at `/metrics`.
public final class ServerMetrics: @unchecked Sendable {
  private let lock = NSLock()
  private var messagesIn = 0
  private var decisions = 0
  private var reloads: [String: Int] = ["accepted": 0, "refused": 0]
  private var webhooks = 0
  private var failedMessages = 0
  private var timestampsReplaced = 0
  /// Outbound calls by kind (`webhook`, `whatsapp`, `ai`) and result.
  private var outbound: [String: Int] = [:]
  /// Upper bounds in seconds.
  static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
  private var latency: [String: (counts: [Int], sum: Double, count: Int)] = [:]

  public init() {}

  func record(messages: Int, decisions: Int) {
    lock.withLock {
      messagesIn += messages
      self.decisions += decisions
    }
  }

  func recordDecision() { lock.withLock { decisions += 1 } }

  /// Messages of webhook bodies kept as failed, and timestamps replaced by the receive time.
  func recordIntakeProblems(failedMessages: Int, timestampsReplaced: Int) {
    guard failedMessages > 0 || timestampsReplaced > 0 else { return }
    lock.withLock {
      self.failedMessages += failedMessages
      self.timestampsReplaced += timestampsReplaced
    }
  }
  func recordWebhook() { lock.withLock { webhooks += 1 } }
  func recordWebhooks(_ count: Int) { lock.withLock { webhooks += count } }
  /// One outcome of an outbound call: `delivered`, `retried`, `failed` or (AI replies)
  /// `discarded`.
  func recordOutbound(_ kind: String, _ result: String) {
    lock.withLock { outbound["kind=\"\(kind)\",result=\"\(result)\"", default: 0] += 1 }
  }

  func recordReload(accepted: Bool) {
    lock.withLock { reloads[accepted ? "accepted" : "refused", default: 0] += 1 }
  }

  func observe(route: String, seconds: Double) {
    lock.withLock {
      var entry = latency[route] ?? (Array(repeating: 0, count: Self.buckets.count), 0, 0)
      for (i, bound) in Self.buckets.enumerated() where seconds <= bound { entry.counts[i] += 1 }
      entry.sum += seconds
      entry.count += 1
      latency[route] = entry
    }
  }

  public func render() -> String {
    lock.withLock {
      var out = """
        # HELP etiquette_messages_received_total Customer messages applied to conversations.
        # TYPE etiquette_messages_received_total counter
        etiquette_messages_received_total \(messagesIn)
        # HELP etiquette_webhooks_received_total Webhook bodies stored.
        # TYPE etiquette_webhooks_received_total counter
        etiquette_webhooks_received_total \(webhooks)
        # HELP etiquette_decisions_total Engine decisions recorded.
        # TYPE etiquette_decisions_total counter
        etiquette_decisions_total \(decisions)
        # HELP etiquette_rule_reloads_total Rule reloads, by result.
        # TYPE etiquette_rule_reloads_total counter

        """
      for (result, count) in reloads.sorted(by: { $0.key < $1.key }) {
        out += "etiquette_rule_reloads_total{result=\"\(result)\"} \(count)\n"
      }
      out += """
        # HELP etiquette_messages_failed_total Messages of webhook bodies that could not be \
        processed (kept as failed, retried at the next start or rules reload).
        # TYPE etiquette_messages_failed_total counter
        etiquette_messages_failed_total \(failedMessages)
        # HELP etiquette_message_timestamps_replaced_total Messages whose timestamp was unusable \
        and took the receive time.
        # TYPE etiquette_message_timestamps_replaced_total counter
        etiquette_message_timestamps_replaced_total \(timestampsReplaced)

        """
      out += "# HELP etiquette_outbound_total Outbound calls (webhooks, WhatsApp sends, the AI "
      out += "endpoint), by kind and result.\n"
      out += "# TYPE etiquette_outbound_total counter\n"
      for (labels, count) in outbound.sorted(by: { $0.key < $1.key }) {
        out += "etiquette_outbound_total{\(labels)} \(count)\n"
      }
      out += "# HELP etiquette_http_request_duration_seconds Request latency by route.\n"
      out += "# TYPE etiquette_http_request_duration_seconds histogram\n"
      for (route, entry) in latency.sorted(by: { $0.key < $1.key }) {
        let name = "etiquette_http_request_duration_seconds"
        let label = route.replacingOccurrences(of: "\"", with: "\\\"")
        for (i, bound) in Self.buckets.enumerated() {
          out += "\(name)_bucket{route=\"\(label)\",le=\"\(bound)\"} \(entry.counts[i])\n"
        }
        out += "\(name)_bucket{route=\"\(label)\",le=\"+Inf\"} \(entry.count)\n"
        out += "\(name)_sum{route=\"\(label)\"} \(entry.sum)\n"
        out += "\(name)_count{route=\"\(label)\"} \(entry.count)\n"
      }
      return out
    }
  }
}
