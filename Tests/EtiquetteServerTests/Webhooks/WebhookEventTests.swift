import EtiquetteEngine
import EtiquetteTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// Which events a step produces, which subscriptions get them, and the body's schema.
@Suite struct WebhookEventTests {
  typealias Subscription = ServerConfiguration.WebhookSubscription
  /// The repository: four levels above this file.
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

  /// Every event type once: a customer message (label, routing, AI request), a takeover, a
  /// reply, a note mentioning a member, a label removed; then a second conversation.
  static func scenario() async throws -> ServerHarness {
    let url = "http://127.0.0.1:9/unused"
    let h = try await ServerHarness {
      $0.webhooks = [
        Subscription(name: "all", url: url, secret: "s1"),
        Subscription(name: "orders", url: url, secret: "s2", labels: ["Demandes de Commande"]),
        Subscription(name: "sent", url: url, secret: "s3", events: ["message.sent"]),
        Subscription(name: "bruno", url: url, secret: "s4", member: "bruno@exemple.fr"),
      ]
    }
    // No worker runs: the rows stay in the outbox for the test to read.
    try await h.test { client in
      try await ServerHarness.post(
        client,
        webhook: ServerHarness.textWebhook(
          from: "33612345678", id: "wamid.e1", text: "Bonjour, ma commande CMD-123456"))
      let id = try await h.inspect.conversations().first?.id
      let manon = h.auth("manon@exemple.fr")
      let calls: [(String, HTTPRequest.Method, String)] = [
        ("/handoff", .post, #"{"action":"take_over"}"#),
        ("/messages", .post, #"{"text":"Je regarde"}"#),
        ("/notes", .post, #"{"text":"à voir avec @bruno@exemple.fr"}"#),
        ("/labels/Demandes%20de%20Commande", .delete, ""),
      ]
      for (path, method, body) in calls {
        let status = try await client.execute(
          uri: "/v1/conversations/\(id ?? "")\(path)", method: method, headers: manon,
          body: ByteBuffer(string: body)
        ) { $0.status }
        #expect(status.code < 300, "\(path)")
      }
      try await ServerHarness.post(
        client,
        webhook: ServerHarness.textWebhook(
          from: "33698765432", id: "wamid.e2", text: "je veux parler à un humain"))
    }
    return h
  }

  static func rows(_ h: ServerHarness, _ subscription: String) async throws -> [(String, JSONValue)]
  {
    try await h.inspect.deliveries().filter { $0.subscription == subscription }.map { delivery in
      (
        delivery.eventType,
        (try? JSONDecoder().decode(JSONValue.self, from: delivery.body)) ?? .null
      )
    }
  }

  @Test func derivesEventsAndMatchesSubscriptions() async throws {
    let h = try await Self.scenario()
    let all = try await Self.rows(h, "all")
    #expect(
      all.map(\.0) == [
        "message.received", "label.added", "conversation.routed", "ai.requested", "handoff",
        "message.sent", "note.added", "label.removed", "message.received",
        "conversation.routed",
      ])
    let added = try #require(all.first { $0.0 == "label.added" }?.1)
    #expect(added["data"]?["label"]?.stringValue == "Demandes de Commande")
    #expect(added["data"]?["reason"]?["by"]?.stringValue == "trigger")
    let ai = try #require(all.first { $0.0 == "ai.requested" }?.1)
    #expect(ai["data"]?["ai"]?["instruction"]?.stringValue == "reply")
    #expect(ai["data"]?["ai"]?["version"] == ai["payload"]?["version"])
    let note = try #require(all.first { $0.0 == "note.added" }?.1)
    #expect(note["data"]?["note"]?["mentions"] == .array([.string("bruno@exemple.fr")]))
    let sent = try #require(all.first { $0.0 == "message.sent" }?.1)
    #expect(sent["data"]?["message"]?["author"]?.stringValue == "manon@exemple.fr")
    #expect(sent["payload"]?["lastSentMessage"]?["text"]?.stringValue == "Je regarde")
    // An earlier step's label keeps its real reason in later payloads.
    let handoff = try #require(all.first { $0.0 == "handoff" }?.1)
    #expect(
      handoff["payload"]?["labels"]?.arrayValue?.first?["reason"]?["by"]?.stringValue
        == "trigger")
    #expect(handoff["data"]?["handoff"]?["action"]?.stringValue == "take_over")

    // The label filter: the first conversation while labelled, and the removal itself.
    let orders = try await Self.rows(h, "orders").map(\.0)
    #expect(
      orders == [
        "message.received", "label.added", "conversation.routed", "ai.requested", "handoff",
        "message.sent", "note.added", "label.removed",
      ])
    #expect(try await Self.rows(h, "sent").map(\.0) == ["message.sent"])
    // A member's subscription: only that member's notifications (the mention, then the
    // second conversation routed to humans with nobody holding it).
    let bruno = try await Self.rows(h, "bruno")
    #expect(bruno.allSatisfy { $0.0 == "notification.created" })
    #expect(
      bruno.allSatisfy {
        $0.1["data"]?["notification"]?["member"]?.stringValue == "bruno@exemple.fr"
      })
    #expect(bruno.first?.1["data"]?["notification"]?["reason"]?.stringValue == "mention")
    #expect(bruno.count >= 2)
    // One event id per event, one delivery id per row.
    let ids = try await h.inspect.deliveries().map(\.id)
    #expect(Set(ids).count == ids.count)
  }

  /// A member's own webhook must not hear of a conversation that member may not view, even
  /// when someone mentions them in a note there (the payload carries the whole conversation).
  @Test func mentionsOfMembersWhoMayNotViewAreNotForwarded() async throws {
    let url = "http://127.0.0.1:9/unused"
    let h = try await ServerHarness {
      $0.webhooks = [
        Subscription(name: "alice", url: url, secret: "s1", member: "alice@exemple.fr"),
        Subscription(name: "bruno", url: url, secret: "s2", member: "bruno@exemple.fr"),
      ]
    }
    try await h.test { client in
      try await ServerHarness.post(
        client,
        webhook: ServerHarness.textWebhook(
          from: "33612340000", id: "wamid.m1", text: "Bonjour, ma commande CMD-654321"))
      let id = try await h.inspect.conversations().first?.id
      let status = try await client.execute(
        uri: "/v1/conversations/\(id ?? "")/notes", method: .post,
        headers: h.auth("manon@exemple.fr"),
        body: ByteBuffer(string: #"{"text":"@alice@exemple.fr et @bruno@exemple.fr, à voir"}"#)
      ) { $0.status }
      #expect(status == .ok)
    }
    // Alice (bookings only) may not view an order conversation; Bruno may.
    #expect(try await Self.rows(h, "alice").isEmpty)
    let bruno = try await Self.rows(h, "bruno")
    #expect(bruno.map { $0.1["data"]?["notification"]?["reason"]?.stringValue } == ["mention"])
  }

  @Test func bodiesValidateAgainstTheSchema() async throws {
    let h = try await Self.scenario()
    let dir = NSTemporaryDirectory() + "etiquette-webhook-event-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let bodies = try await h.inspect.deliveries().map(\.body)
    #expect(bodies.count > 10)
    var paths: [String] = []
    for (index, body) in bodies.enumerated() {
      let path = "\(dir)/event\(index).json"
      try body.write(to: URL(fileURLWithPath: path))
      paths.append(path)
    }
    // The event schema refers to the payload schema by its relative URL; both are registered.
    let script = """
      import json, sys, jsonschema
      from referencing import Registry, Resource
      event = json.load(open(sys.argv[1]))
      payload = json.load(open(sys.argv[2]))
      jsonschema.Draft202012Validator.check_schema(event)
      registry = Registry().with_resources(
          [(s["$id"], Resource.from_contents(s)) for s in (event, payload)])
      validator = jsonschema.Draft202012Validator(event, registry=registry)
      types = set()
      for path in sys.argv[3:]:
          body = json.load(open(path))
          validator.validate(body)
          types.add(body["type"])
      print("valid", len(sys.argv) - 3, "types", len(types))
      """
    let (status, output) = try PythonScript.run(
      script,
      arguments: [
        Self.root + "/schemas/webhook-event.v1.json",
        Self.root + "/schemas/integration-payload.v1.json",
      ] + paths)
    #expect(status == 0, "\(output)")
    #expect(output.contains("valid \(bodies.count) types 9"), "\(output)")
  }
}
