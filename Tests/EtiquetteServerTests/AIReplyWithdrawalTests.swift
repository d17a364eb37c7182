import EtiquetteEngine
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// "A takeover always wins" also after the engine accepted an AI reply: while that reply waits
/// out a rate limit, a person takes over, and the reply is withdrawn instead of reaching the
/// customer after the human's answer.
@Suite struct AIReplyWithdrawalTests {
  @Test func takeoverWithdrawsAQueuedAIReply() async throws {
    let graph = FakeGraph()
    try await graph.run { base in
      var harness = try await ServerHarness { configuration in
        var whatsapp = ServerConfiguration.WhatsAppSending(
          graphBase: base + "/v21.0", phoneNumberID: SendingSupport.phoneNumberID,
          accessToken: SendingSupport.token)
        whatsapp.retry.initialBackoff = 0.05
        whatsapp.retry.maxBackoff = 0.2
        whatsapp.retry.timeout = 60
        configuration.whatsapp = whatsapp
        configuration.aiAgents = ["agent-ia@exemple.fr"]
      }
      harness.tokens["agent-ia@exemple.fr"] = try await harness.server.store.addMember(
        "agent-ia@exemple.fr")
      let h = harness
      // The AI's reply meets a rate limit that asks to wait a minute.
      await graph.script.script(sends: [
        try .fixture(429, "error-130429.json", headers: ["Retry-After": "60"])
      ])
      let workers = h.server.startIntegrations()
      do {
        try await h.test { client in
          let id = try await RealtimeSupport.converse(
            h, client, phone: "33610000042", text: "bonjour")
          let (created, _) = try await ServerHarness.send(
            client, .post, "/v1/conversations/\(id)/ai-replies",
            headers: h.auth("agent-ia@exemple.fr"),
            json: #"{"text": "Bonjour, je suis l'assistant", "version": 0}"#)
          #expect(created == .created)
          let aiRow = try #require(try await h.inspect.messages().first { $0.author == "ai" }?.id)
          // The first attempt was refused with 429; the reply waits, still queued.
          _ = try await SendingSupport.eventually {
            await graph.script.received.count == 1 ? true : nil
          }
          _ = try await SendingSupport.eventually {
            try await h.inspect.message(id: aiRow)?.sendAttempts == 1 ? true : nil
          }
          #expect(try await SendingSupport.status(h, message: aiRow) == "queued")

          let (takeover, _) = try await ServerHarness.send(
            client, .post, "/v1/conversations/\(id)/handoff", headers: h.auth("manon@exemple.fr"),
            json: #"{"action": "take_over"}"#)
          #expect(takeover == .ok)
          #expect(try await SendingSupport.status(h, message: aiRow) == "discarded")
          try await SendingSupport.reply(h, client, conversation: id, text: "Manon, à votre écoute")
          let human = try #require(try await SendingSupport.replies(h, conversation: id).last)
          _ = try await SendingSupport.eventually {
            try await SendingSupport.status(h, message: human) == "sent" ? true : nil
          }
          let detail = try await SendingSupport.detail(h, client, conversation: id)
          let withdrawn = detail["transcript"]?.arrayValue?.first { $0["author"] == .string("ai") }
          #expect(withdrawn?["status"] == .string("discarded"))
          #expect(withdrawn?["error"]?["title"]?.stringValue?.contains("took over") == true)
        }
      } catch {
        await workers.stop()
        throw error
      }
      await workers.stop()
      // The AI's text went out once (the refused attempt), never again after the takeover.
      let texts = await graph.script.sentTexts()
      #expect(texts == ["Bonjour, je suis l'assistant", "Manon, à votre écoute"])
    }
  }
}
