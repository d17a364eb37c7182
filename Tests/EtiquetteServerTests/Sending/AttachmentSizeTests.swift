import EtiquetteEngine
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// Webhook payloads carry each attachment's size once the file is stored (Meta's webhook
/// gives none), so an automation can decide before downloading it.
@Suite struct AttachmentSizeTests {
  @Test func payloadsCarryTheSizeOfStoredAttachments() async throws {
    let graph = FakeGraph()
    try await graph.run { base in
      let (mediaHarness, directory) = try await SendingSupport.harness(base: base)
      // The same configuration, plus a subscription whose receiver is never reached: the test
      // reads the outbox rows, which hold the bodies exactly as they will be sent.
      let database = mediaHarness.directory.appendingPathComponent("sizes.db").path
      let harness = try await ServerHarness(databasePath: database) { configuration in
        configuration = mediaHarness.server.configuration
        configuration.databasePath = database
        configuration.webhooks = [
          .init(
            name: "crm", url: "http://127.0.0.1:9/unused", secret: "s",
            events: ["message.received"])
        ]
      }
      let setup = MediaTests.Setup(
        harness: harness, directory: directory, base: base, graph: graph.script)
      let workers = harness.server.startIntegrations()
      do {
        try await harness.test { client in
          await MediaTests.script(
            setup, mediaID: "7101", size: MediaTests.picture.count, file: MediaTests.jpeg())
          _ = try await MediaTests.receive(setup, client, mediaID: "7101", phone: "33611112222")
          let row = try await MediaTests.settled(setup, "7101")
          #expect(row.status == "stored")
          #expect(
            try await ServerHarness.post(
              client,
              webhook: ServerHarness.textWebhook(
                from: "33611112222", id: "wamid.after.7101", text: "vous avez reçu la photo ?"))
              == .ok)
        }
      } catch {
        await workers.stop()
        throw error
      }
      await workers.stop()
      let bodies = try await harness.inspect.deliveries().map {
        try JSONDecoder().decode(JSONValue.self, from: $0.body)
      }
      #expect(bodies.count == 2)
      let first = bodies.first?["payload"]?["attachments"]?.arrayValue?.first
      let last = bodies.last?["payload"]?["attachments"]?.arrayValue?.first
      // At the image's own step the file was not downloaded yet; by the next message it is.
      #expect(first?["size"] == nil)
      #expect(last?["url"] == .string("\(SendingSupport.publicURL)/v1/media/7101"))
      #expect(last?["size"] == .number(Double(MediaTests.picture.count)))
      #expect(last?["type"] == .string("image/jpeg"))
    }
  }
}
