import Foundation
import Metrics
import Prometheus

/// What `/metrics` shows, in the Prometheus text format, through swift-prometheus.
///
/// The server's own counters live in a registry of its own (a test process runs many servers,
/// each counting from zero). HTTP request metrics come from Hummingbird's `MetricsMiddleware`,
/// which records through swift-metrics' process-wide factory: the first server of a process
/// bootstraps it with a Prometheus factory over `ServerMetrics.http`, and `/metrics` shows that
/// registry after its own. Every counter exists from the start, at 0, so a scraper sees it
/// before the first event.
public final class ServerMetrics: Sendable {
  let registry = PrometheusCollectorRegistry()
  private let messagesIn: Prometheus.Counter
  private let decisions: Prometheus.Counter
  private let webhooks: Prometheus.Counter
  private let failedMessages: Prometheus.Counter
  private let timestampsReplaced: Prometheus.Counter
  private let reloadsAccepted: Prometheus.Counter
  private let reloadsRefused: Prometheus.Counter
  private let connectionsOpen: Prometheus.Gauge
  private let connectionLimitReached: Prometheus.Counter

  /// The process's HTTP request metrics (`http_server_request_duration_seconds` and friends,
  /// labelled by route, method and status).
  static let http: PrometheusCollectorRegistry = {
    let registry = PrometheusCollectorRegistry()
    var factory = PrometheusMetricsFactory(registry: registry)
    factory.defaultDurationHistogramBuckets = [
      .milliseconds(1), .microseconds(2_500), .milliseconds(5), .milliseconds(10),
      .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
      .milliseconds(500), .seconds(1), .milliseconds(2_500),
    ]
    MetricsSystem.bootstrap(factory)
    return registry
  }()

  public init() {
    _ = Self.http
    let registry = registry
    messagesIn = Self.counter(
      "messages_received", help: "Customer messages applied to conversations.", in: registry)
    webhooks = Self.counter("webhooks_received", help: "Webhook bodies stored.", in: registry)
    decisions = Self.counter("decisions", help: "Engine decisions recorded.", in: registry)
    reloadsAccepted = Self.counter(
      "rule_reloads", labels: [("result", "accepted")], help: "Rule reloads, by result.",
      in: registry)
    reloadsRefused = Self.counter(
      "rule_reloads", labels: [("result", "refused")], help: "Rule reloads, by result.",
      in: registry)
    failedMessages = Self.counter(
      "messages_failed",
      help: "Messages of webhook bodies that could not be processed (kept as failed, retried at "
        + "the next start or rules reload).", in: registry)
    timestampsReplaced = Self.counter(
      "message_timestamps_replaced",
      help: "Messages whose timestamp was unusable and took the receive time.", in: registry)
    connectionsOpen = registry.makeGauge(
      descriptor: MetricNameDescriptor(
        namespace: "etiquette", metricName: "http", unitName: "connections",
        helpText: "HTTP connections open now (max_connections caps them)."))
    connectionLimitReached = Self.counter(
      "http_connection_limit_reached",
      help: "Times the server stopped accepting connections at max_connections (new ones wait "
        + "in the listen backlog).", in: registry)
  }

  func record(messages: Int, decisions: Int) {
    messagesIn.increment(by: Int64(messages))
    self.decisions.increment(by: Int64(decisions))
  }

  func recordDecision() { decisions.increment() }

  /// Messages of webhook bodies kept as failed, and timestamps replaced by the receive time.
  func recordIntakeProblems(failedMessages: Int, timestampsReplaced: Int) {
    if failedMessages > 0 { self.failedMessages.increment(by: Int64(failedMessages)) }
    if timestampsReplaced > 0 { self.timestampsReplaced.increment(by: Int64(timestampsReplaced)) }
  }

  func recordWebhooks(_ count: Int) { webhooks.increment(by: Int64(count)) }

  /// One outcome of an outbound call (`webhook`, `whatsapp`, `ai`): `delivered`, `retried`,
  /// `failed` or (AI replies) `discarded`.
  func recordOutbound(_ kind: String, _ result: String) {
    counter(
      "outbound", labels: [("kind", kind), ("result", result)],
      help: "Outbound calls (webhooks, WhatsApp sends, the AI endpoint), by kind and result."
    ).increment()
  }

  func recordConnections(open: Int) { connectionsOpen.set(Double(open)) }

  func recordConnectionLimitReached() { connectionLimitReached.increment() }

  func recordReload(accepted: Bool) {
    (accepted ? reloadsAccepted : reloadsRefused).increment()
  }

  /// `etiquette_NAME_total`.
  private func counter(_ name: String, labels: [(String, String)] = [], help: String)
    -> Prometheus.Counter
  {
    Self.counter(name, labels: labels, help: help, in: registry)
  }

  private static func counter(
    _ name: String, labels: [(String, String)] = [], help: String,
    in registry: PrometheusCollectorRegistry
  ) -> Prometheus.Counter {
    registry.makeCounter(
      descriptor: MetricNameDescriptor(
        namespace: "etiquette", metricName: name, unitName: "total", helpText: help),
      labels: labels)
  }

  public func render() -> String {
    var buffer: [UInt8] = []
    registry.emit(into: &buffer)
    Self.http.emit(into: &buffer)
    return String(decoding: buffer, as: UTF8.self)
  }
}
