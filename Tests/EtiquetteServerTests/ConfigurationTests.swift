import Foundation
import Testing

@testable import EtiquetteServer

/// The integration sections of the configuration file: parsed with their defaults, validated
/// before the server starts, and secrets never shown.
@Suite struct ConfigurationTests {
  static func write(_ json: String) throws -> String {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etiquette-config-\(UUID().uuidString).json")
    try json.write(to: file, atomically: true, encoding: .utf8)
    return file.path
  }

  @Test func integrationSectionsAreReadWithDefaults() throws {
    let path = try Self.write(
      #"""
      {
        "public_url": "https://inbox.exemple.fr/",
        "webhooks": [
          {"url": "https://hooks.zapier.com/hooks/catch/1/abc", "secret": "s1",
           "events": ["label.added"], "labels": ["Personnes Qui Ont Planifié"]},
          {"name": "alice", "url": "http://127.0.0.1:9000/n", "secret": "s2",
           "member": "alice@exemple.fr"}
        ],
        "webhook_delivery": {"max_attempts": 3, "initial_backoff_seconds": 0.5},
        "whatsapp": {"phone_number_id": "1234", "access_token": "file-token"},
        "media": {"directory": "/var/lib/etiquette/media"},
        "ai": {"url": "http://127.0.0.1:7000/reply", "timeout_seconds": 5},
        "ai_agents": ["ai@exemple.fr"]
      }
      """#)
    var configuration = ServerConfiguration()
    try configuration.apply(file: path)
    configuration.apply(environment: ["ETIQUETTE_WHATSAPP_ACCESS_TOKEN": "env-token"])
    #expect(configuration.baseURL == "https://inbox.exemple.fr")
    #expect(
      configuration.webhooks.map(\.name) == ["https://hooks.zapier.com/hooks/catch/1/abc", "alice"])
    #expect(configuration.webhooks[0].labels == ["Personnes Qui Ont Planifié"])
    #expect(configuration.webhooks[1].events.isEmpty)
    #expect(configuration.webhooks[1].member == "alice@exemple.fr")
    #expect(configuration.webhookDelivery.maxAttempts == 3)
    #expect(configuration.webhookDelivery.initialBackoff == 0.5)
    #expect(
      configuration.webhookDelivery.maxBackoff == ServerConfiguration.DeliveryPolicy().maxBackoff)
    #expect(configuration.whatsapp?.graphBase == "https://graph.facebook.com/v21.0")
    #expect(configuration.whatsapp?.accessToken == "env-token")
    #expect(configuration.media.directory == "/var/lib/etiquette/media")
    #expect(configuration.media.maxBytes == 100 * 1024 * 1024)
    #expect(configuration.ai?.timeout == 5)
    #expect(configuration.aiAgents == ["ai@exemple.fr"])
    #expect(configuration.problems().isEmpty)
    let text = configuration.description
    #expect(!text.contains("token") || text.contains("whatsapp_sending=on"))
    #expect(!text.contains("env-token") && !text.contains("s1") && !text.contains("file-token"))
  }

  @Test func defaultBaseURLIsTheListenAddress() {
    var configuration = ServerConfiguration()
    configuration.port = 9191
    #expect(configuration.baseURL == "http://127.0.0.1:9191")
  }

  @Test func aMissingRequiredKeyIsNamed() throws {
    let path = try Self.write(#"{"webhooks": [{"url": "https://x.example/h"}]}"#)
    var configuration = ServerConfiguration()
    do {
      try configuration.apply(file: path)
      Issue.record("expected an error")
    } catch {
      #expect(error.description == "\(path): webhooks[0].secret is required")
    }
    let wrongType = try Self.write(#"{"webhook_delivery": {"max_attempts": "three"}}"#)
    do {
      try configuration.apply(file: wrongType)
      Issue.record("expected an error")
    } catch {
      #expect(error.description == "\(wrongType): webhook_delivery.max_attempts has the wrong type")
    }
  }

  @Test func invalidSectionsAreRefusedBeforeStarting() throws {
    var configuration = ServerConfiguration()
    configuration.webhooks = [
      .init(url: "ftp://x.example/h", secret: "", events: ["label.added", "label.changed"]),
      .init(name: "ftp://x.example/h", url: "https://ok.example/h", secret: "s"),
    ]
    configuration.webhookDelivery.maxAttempts = 0
    configuration.ai = .init(url: "not a url", timeout: 0)
    #expect(
      configuration.problems() == [
        "webhooks[0].url must be an http or https URL, got \"ftp://x.example/h\"",
        "webhooks[0].secret must not be empty: receivers verify the signature with it",
        "webhooks[0].events: unknown event \"label.changed\" (known: message.received, "
          + "message.sent, label.added, label.removed, conversation.routed, handoff, "
          + "note.added, ai.requested, notification.created)",
        "webhooks[1].name \"ftp://x.example/h\" is used by another subscription",
        "webhook_delivery.max_attempts must be at least 1",
        "ai.url must be an http or https URL",
        "ai.timeout_seconds must be positive",
      ])
    configuration.rulesDirectory = ServerHarness.fixtures.appendingPathComponent("rules").path
    configuration.databasePath =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("etiquette-\(UUID().uuidString).db").path
    #expect(throws: ConfigurationError.self) {
      _ = try InboxServer(configuration: configuration)
    }
  }
}
