import EtiquetteEngine
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// A reply's delivery ticks reach the members watching the live stream: `sent` when the Graph
/// API accepts it, then each status webhook that moves it forward.
@Suite struct StatusStreamTests {
  @Test func deliveryStatusesArePushedOnTheStream() async throws {
    let graph = FakeGraph()
    try await graph.run { base in
      let (harness, _) = try await SendingSupport.harness(base: base)
      harness.server.hub.live.keepAliveInterval = .milliseconds(200)
      let workers = harness.server.startIntegrations()
      do {
        try await harness.test(.live) { client in
          let port = try #require(client.port)
          let manon = try await SSEClient.connect(
            port: port, token: harness.tokens["manon@exemple.fr"] ?? "")
          defer { manon.close() }
          let id = try await RealtimeSupport.converse(
            harness, client, phone: "33600000077", text: "bonjour")
          #expect(try await manon.waitFor("message.created", conversation: id))
          try await SendingSupport.reply(harness, client, conversation: id, text: "Bonjour !")
          #expect(try await manon.waitFor("message.status", conversation: id))
          let sent = await manon.events("message.status", conversation: id)
          #expect(sent.first?.data["status"] == .string("sent"))
          #expect(
            try await ServerHarness.post(
              client,
              webhook: try SendingSupport.statusWebhook("delivered", whatsappID: "wamid.fake.1"))
              == .ok)
          #expect(try await manon.waitFor("message.status", conversation: id, count: 2))
          let statuses = await manon.events("message.status", conversation: id).map {
            $0.data["status"]?.stringValue
          }
          #expect(statuses == ["sent", "delivered"])
          #expect(
            harness.server.metrics.render().contains(
              "etiquette_outbound_total{kind=\"whatsapp\",result=\"delivered\"} 1\n"))
        }
      } catch {
        await workers.stop()
        throw error
      }
      await workers.stop()
    }
  }
}
