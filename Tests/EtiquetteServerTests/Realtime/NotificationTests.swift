import EtiquetteEngine
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// Notifications from the engine's `notify` outcomes and from `@mentions`, through the API.
@Suite struct NotificationTests {
  typealias Support = RealtimeSupport

  static func list(
    _ harness: ServerHarness, _ client: any TestClientProtocol, _ member: String,
    query: String = ""
  ) async throws -> JSONValue {
    let (status, body) = try await ServerHarness.send(
      client, .get, "/v1/notifications" + query, headers: harness.auth(member))
    #expect(status == .ok)
    return body
  }

  @Test func routingAwayAndMentionsNotifyTheRightMembers() async throws {
    let harness = try await ServerHarness()
    try await harness.test { client in
      // To a human without a team: everyone who may reply.
      let x = try await Support.converse(
        harness, client, phone: "33630000001", text: "je veux parler à un humain")
      // To the Support team, priority high.
      let y = try await Support.converse(
        harness, client, phone: "33630000002", text: "mon application plante")
      let bruno = harness.auth("bruno@exemple.fr")
      for action in ["take_over", "keep_human_and_leave"] {
        let (status, _) = try await ServerHarness.send(
          client, .post, "/v1/conversations/\(x)/handoff", headers: bruno,
          json: #"{"action": "\#(action)"}"#)
        #expect(status == .ok)
      }
      _ = try await Support.converse(harness, client, phone: "33630000001", text: "vous êtes là ?")
      let (noted, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(x)/notes", headers: harness.auth("manon@exemple.fr"),
        json: #"{"text": "@bruno@exemple.fr peux-tu rappeler ? cc @alice@exemple.fr"}"#)
      #expect(noted == .ok)

      let brunoPage = try await Self.list(harness, client, "bruno@exemple.fr")
      let reasons = (brunoPage["notifications"]?.arrayValue ?? []).compactMap {
        $0["reason"]?.stringValue
      }
      #expect(reasons == ["mention", "assignee_away", "may_reply"])
      #expect(brunoPage["unread"] == .number(3))
      let mention = brunoPage["notifications"]?.arrayValue?.first
      #expect(mention?["conversation"] == .string(x))
      #expect(mention?["text"]?.stringValue?.contains("manon@exemple.fr mentioned you") == true)

      // alice may not view X: her mention is not recorded (it would reveal the conversation).
      #expect(try await Self.list(harness, client, "alice@exemple.fr")["unread"] == .number(0))
      let stored = try await harness.inspect.notifications()
      #expect(stored.filter { $0.member == "alice@exemple.fr" }.isEmpty)
      let may = stored.filter { $0.reason == "may_reply" }.map(\.member).sorted()
      #expect(may == ["bruno@exemple.fr", "chloe@exemple.fr", "manon@exemple.fr"])

      let devPage = try await Self.list(harness, client, "dev@exemple.fr")
      let team = devPage["notifications"]?.arrayValue?.first
      #expect(team?["reason"] == .string("team"))
      #expect(team?["team"] == .string("Support"))
      #expect(team?["priority"] == .string("high"))
      #expect(team?["conversation"] == .string(y))
      #expect(team?["text"]?.stringValue?.contains("mon application plante") == true)
      #expect(devPage["unreadByLabel"] == .object(["Support Technique": .number(1)]))
    }
  }

  @Test func markingReadAndPaging() async throws {
    let harness = try await ServerHarness()
    try await harness.test { client in
      for (n, phone) in ["33640000001", "33640000002", "33640000003"].enumerated() {
        _ = try await Support.converse(
          harness, client, phone: phone, text: "ma commande \(n) : parler à un humain")
      }
      let chloe = harness.auth("chloe@exemple.fr")
      let page = try await Self.list(harness, client, "chloe@exemple.fr")
      let ids = (page["notifications"]?.arrayValue ?? []).compactMap { $0["id"] }
      #expect(ids.count == 3)
      #expect(page["unreadByLabel"] == .object(["Demandes de Commande": .number(3)]))

      let first = try await Self.list(harness, client, "chloe@exemple.fr", query: "?limit=2")
      #expect(first["notifications"]?.arrayValue?.count == 2)
      let before = try #require(first["nextBefore"])
      let second = try await Self.list(
        harness, client, "chloe@exemple.fr", query: "?limit=2&before=\(JSONLine.encode(before))")
      #expect(second["notifications"]?.arrayValue?.count == 1)
      #expect(second["nextBefore"] == nil)

      let (marked, body) = try await ServerHarness.send(
        client, .post, "/v1/notifications/\(JSONLine.encode(ids[0]))/read", headers: chloe)
      #expect(marked == .ok && body["marked"] == .number(1))
      let unread = try await Self.list(harness, client, "chloe@exemple.fr", query: "?unread=true")
      #expect(unread["notifications"]?.arrayValue?.count == 2)
      #expect(unread["unread"] == .number(2))
      #expect(unread["unreadByLabel"] == .object(["Demandes de Commande": .number(2)]))

      // Someone else's notification does not exist for chloe.
      let brunos = try await Self.list(harness, client, "bruno@exemple.fr")
      let other = try #require(brunos["notifications"]?.arrayValue?.first?["id"])
      let (missing, _) = try await ServerHarness.send(
        client, .post, "/v1/notifications/\(JSONLine.encode(other))/read", headers: chloe)
      #expect(missing == .notFound)
      #expect(try await Self.list(harness, client, "bruno@exemple.fr")["unread"] == .number(3))

      let (all, allBody) = try await ServerHarness.send(
        client, .post, "/v1/notifications/read-all", headers: chloe)
      #expect(all == .ok && allBody["marked"] == .number(2))
      #expect(try await Self.list(harness, client, "chloe@exemple.fr")["unread"] == .number(0))

      for query in ["?limit=0", "?limit=x", "?unread=maybe", "?before=abc"] {
        let (status, _) = try await ServerHarness.send(
          client, .get, "/v1/notifications" + query, headers: chloe)
        #expect(status == .badRequest)
      }
      let (anonymous, _) = try await ServerHarness.send(
        client, .get, "/v1/notifications", headers: [:])
      #expect(anonymous == .unauthorized)
    }
  }
}
