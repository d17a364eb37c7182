import EtiquetteEngine
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// The AI connector against a real AI endpoint on a loopback port.
@Suite struct AIConnectorTests {
  typealias Support = RealtimeSupport

  static func harness(
    url: String, timeout: Double = 60, attempts: Int = 3, rules: String? = nil,
    configure: (inout ServerConfiguration) -> Void = { _ in }
  ) async throws -> ServerHarness {
    try await ServerHarness(rulesDirectory: rules) {
      $0.ai = .init(
        url: url, token: "ai-secret", timeout: timeout, maxAttempts: attempts,
        retryBackoff: 0.05)
      configure(&$0)
    }
  }

  static func request(_ harness: ServerHarness) async throws -> InspectedAIRequest? {
    try await harness.inspect.aiRequests().first
  }

  static func status(_ harness: ServerHarness) async throws -> String? {
    try await request(harness)?.status
  }

  /// The replies of every conversation (none of which are sent here).
  static func replies(_ harness: ServerHarness) async throws -> [InspectedMessage] {
    try await harness.inspect.messages().filter { $0.direction == "out" }
  }

  @Test func aiFirstReplyIsQueuedAsAnOutgoingMessage() async throws {
    try await Support.withAIPeer({ _ in (.ok, #"{"text": "Bonjour ! Je regarde ça."}"#) }) {
      url, log in
      let harness = try await Self.harness(url: url)
      try await Support.withWorkers(harness) {
        try await harness.test { client in
          let id = try await Support.converse(
            harness, client, phone: "33610000001", text: "bonjour, une question")
          #expect(try await eventually { try await Self.status(harness) == "accepted" })
          let out = try await harness.inspect.messages(inConversation: id).filter {
            $0.direction == "out"
          }
          #expect(out.count == 1)
          #expect(out.first?.author == "ai")
          #expect(out.first?.text == "Bonjour ! Je regarde ça.")
          #expect(out.first?.status == "queued")
        }
      }
      let calls = await log.calls
      let call = try #require(calls.first)
      #expect(calls.count == 1)
      #expect(call["instruction"] == .string("reply"))
      #expect(call["version"] == .number(0))
      #expect(call["conversation"]?.stringValue?.hasPrefix("c") == true)
      #expect(call["payload"]?["lastUserMessage"]?["text"] == .string("bonjour, une question"))
      #expect(call["payload"]?["mode"] == .string("ai"))
      #expect(await log.authorizations.first == "Bearer ai-secret")
    }
  }

  @Test func timeoutsAreRetriedThenFailedWithoutASend() async throws {
    try await Support.withAIPeer({ _ in
      try? await Task.sleep(for: .seconds(1.5))
      return (.ok, #"{"text": "trop tard"}"#)
    }) { url, _ in
      let harness = try await Self.harness(url: url, timeout: 0.2, attempts: 2)
      try await Support.withWorkers(harness) {
        try await harness.test { client in
          _ = try await Support.converse(harness, client, phone: "33610000002", text: "allo")
          #expect(try await eventually { try await Self.status(harness) == "failed" })
        }
      }
      let row = try #require(try await Self.request(harness))
      #expect(row.attempts == 2)
      #expect(row.error?.contains("timeout") == true)
      // The peer's call count is not asserted: an attempt that times out before its request
      // is sent makes none, and a worker stalled past its lease lets the job run once more
      // (at least once, by design) — both happen on a loaded machine.
      #expect(try await Self.replies(harness).isEmpty)
    }
  }

  @Test func garbageAnswersAreRetriedThenFailed() async throws {
    let answers = [
      "<html>oops</html>", #"{"text": ""}"#, #"{"reply": "hello"}"#, #"["text"]"#,
      #"{"text": ""# + String(repeating: "a", count: 5000) + #""}"#,
    ]
    try await Support.withAIPeer({ n in (.ok, answers[min(n, answers.count) - 1]) }) {
      url, log in
      let harness = try await Self.harness(url: url, attempts: answers.count)
      try await Support.withWorkers(harness) {
        try await harness.test { client in
          _ = try await Support.converse(harness, client, phone: "33610000003", text: "allo")
          #expect(try await eventually { try await Self.status(harness) == "failed" })
        }
      }
      let row = try #require(try await Self.request(harness))
      #expect(row.attempts == answers.count)
      #expect(row.error?.contains("5000 characters") == true)
      #expect(await log.calls.count == answers.count)
      #expect(try await Self.replies(harness).isEmpty)
    }
  }

  @Test func serverErrorThenSuccessSendsOnce() async throws {
    try await Support.withAIPeer({ n in
      n == 1 ? (.internalServerError, "upstream down") : (.ok, #"{"text": "Me revoilà"}"#)
    }) { url, log in
      let harness = try await Self.harness(url: url)
      try await Support.withWorkers(harness) {
        try await harness.test { client in
          _ = try await Support.converse(harness, client, phone: "33610000004", text: "allo")
          #expect(try await eventually { try await Self.status(harness) == "accepted" })
        }
      }
      #expect(try await Self.request(harness)?.attempts == 2)
      #expect(await log.calls.count == 2)
      #expect(try await Self.replies(harness).filter { $0.text == "Me revoilà" }.count == 1)
    }
  }

  @Test func takeoverDuringTheCallDiscardsTheReply() async throws {
    let gate = Gate()
    try await Support.withAIPeer({ _ in
      await gate.wait()
      return (.ok, #"{"text": "réponse périmée"}"#)
    }) { url, log in
      let harness = try await Self.harness(url: url, timeout: 60)
      try await Support.withWorkers(harness) {
        try await harness.test { client in
          let id = try await Support.converse(
            harness, client, phone: "33610000005", text: "bonjour")
          // The call is in flight: the endpoint holds it.
          #expect(await eventually { await log.calls.count == 1 })
          let (status, _) = try await ServerHarness.send(
            client, .post, "/v1/conversations/\(id)/handoff",
            headers: harness.auth("bruno@exemple.fr"), json: #"{"action": "take_over"}"#)
          #expect(status == .ok)
          await gate.open()
          #expect(try await eventually { try await Self.status(harness) == "discarded" })
          let error = try await Self.request(harness)?.error
          #expect(error?.contains("made for version 0") == true)
          #expect(error?.contains("bruno@exemple.fr") == true)
          #expect(try await harness.inspect.messages().filter { $0.author == "ai" }.isEmpty)
          // The engine recorded the refusal as a decision.
          let documents = try await harness.inspect.decisions(inConversation: id).map(\.document)
          #expect(documents.last?.contains(#""outcome":"discarded""#) == true)
        }
      }
    }
  }

  @Test func humanFirstStoresSuggestionsForViewers() async throws {
    try await Support.withAIPeer({ _ in (.ok, #"{"text": "Proposition : votre colis arrive."}"#) }
    ) { url, log in
      let harness = try await Self.harness(url: url, rules: Support.rulesHumanFirst)
      try await Support.withWorkers(harness) {
        try await harness.test { client in
          let id = try await Support.converse(
            harness, client, phone: "33610000006", text: "où est ma commande ?")
          #expect(try await eventually { try await Self.status(harness) == "suggested" })
          let (status, body) = try await ServerHarness.send(
            client, .get, "/v1/conversations/\(id)/suggestions",
            headers: harness.auth("bruno@exemple.fr"))
          #expect(status == .ok)
          let list = body["suggestions"]?.arrayValue ?? []
          #expect(list.count == 1)
          #expect(list.first?["text"] == .string("Proposition : votre colis arrive."))
          // Not in the human-first rules' teams: may not view, so it does not exist for them.
          let (hidden, _) = try await ServerHarness.send(
            client, .get, "/v1/conversations/\(id)/suggestions",
            headers: harness.auth("alice@exemple.fr"))
          #expect(hidden == .notFound)
        }
      }
      #expect(await log.calls.first?["instruction"] == .string("suggest"))
      #expect(try await Self.replies(harness).isEmpty)
    }
  }

  /// A server with an external AI agent, agent-ia@exemple.fr, and its token.
  static func agentHarness() async throws -> ServerHarness {
    var harness = try await ServerHarness { $0.aiAgents = ["agent-ia@exemple.fr"] }
    harness.tokens["agent-ia@exemple.fr"] = try await harness.server.store.addMember(
      "agent-ia@exemple.fr")
    return harness
  }

  @Test func aiAgentMemberAnswersThroughTheAPI() async throws {
    let h = try await Self.agentHarness()
    try await h.test { client in
      let id = try await Support.converse(h, client, phone: "33610000007", text: "bonjour")
      let agent = h.auth("agent-ia@exemple.fr")
      let (created, body) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/ai-replies", headers: agent,
        json: #"{"text": "Bonjour, que puis-je faire ?", "version": 0}"#)
      #expect(created == .created)
      #expect(body["decision"]?["aiReply"]?["outcome"] == .string("accepted"))
      #expect(
        try await h.inspect.messages().filter { $0.author == "ai" && $0.status == "queued" }.count
          == 1)
      // A person takes over: the agent's reply for version 0 is now stale.
      _ = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/handoff", headers: h.auth("bruno@exemple.fr"),
        json: #"{"action": "take_over"}"#)
      let (conflict, refused) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/ai-replies", headers: agent,
        json: #"{"text": "trop tard", "version": 0}"#)
      #expect(conflict == .conflict)
      #expect(refused["error"]?["code"] == .string("ai_reply_discarded"))
      // The agent may view no conversation: the refusal says why, not what the decision was
      // (labels, team, assignee, mode).
      #expect(refused["decision"] == nil)
      #expect(
        refused["error"]?["message"]?.stringValue?.hasPrefix("the reply was discarded") == true)
      #expect(try await h.inspect.messages().filter { $0.author == "ai" }.count == 1)
      // Only ai-role members; bad bodies are refused before the engine sees them.
      let (forbidden, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/ai-replies", headers: h.auth("bruno@exemple.fr"),
        json: #"{"text": "x", "version": 1}"#)
      #expect(forbidden == .forbidden)
      for json in [#"{"text": "", "version": 1}"#, #"{"text": "x", "version": "1"}"#] {
        let (status, _) = try await ServerHarness.send(
          client, .post, "/v1/conversations/\(id)/ai-replies", headers: agent, json: json)
        #expect(status == .unprocessableContent)
      }
      let (missing, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/cnope/ai-replies", headers: agent,
        json: #"{"text": "x", "version": 0}"#)
      #expect(missing == .notFound)
    }
  }

  /// An AI agent's token answers only where the engine asked the AI for a reply, at that
  /// version: anywhere else it gets 404, learns nothing, and nothing reaches the customer.
  @Test func aiAgentAnswersOnlyWhereAReplyIsAwaited() async throws {
    let h = try await Self.agentHarness()
    try await h.test { client in
      let agent = h.auth("agent-ia@exemple.fr")
      // Routed to a person at once: the AI is asked for nothing.
      let human = try await Support.converse(
        h, client, phone: "33610000008", text: "je veux parler à un humain")
      let (refused, body) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(human)/ai-replies", headers: agent,
        json: #"{"text": "Je m'en occupe", "version": 0}"#)
      #expect(refused == .notFound)
      #expect(body["decision"] == nil)
      // Awaited at version 0, not at another version.
      let ai = try await Support.converse(h, client, phone: "33610000009", text: "bonjour")
      let (wrongVersion, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(ai)/ai-replies", headers: agent,
        json: #"{"text": "Bonjour", "version": 7}"#)
      #expect(wrongVersion == .notFound)
      let (created, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(ai)/ai-replies", headers: agent,
        json: #"{"text": "Bonjour", "version": 0}"#)
      #expect(created == .created)
    }
    #expect(try await h.inspect.messages().filter { $0.author == "ai" }.count == 1)
  }

  @Test func answerParsingNamesWhatIsWrong() {
    func failure(_ text: String) -> String? {
      if case .failure(let f) = AIConnector.text(ofAnswer: ByteBuffer(string: text)) {
        return f.description
      }
      return nil
    }
    #expect(failure("not json")?.contains("not a JSON object") == true)
    #expect(failure(#"{"text": 3}"#)?.contains("no \"text\" string") == true)
    #expect(failure(#"{"text": "  \n"}"#)?.contains("empty") == true)
    #expect(failure(#"{"text": "ok"}"#) == nil)
  }
}
