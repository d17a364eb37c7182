import Foundation
import Testing

@testable import EtiquetteServer

/// A key the configuration file does not know stops the server with the key named: a
/// misspelt `rules_poll_second` was ignored without a word.
@Suite struct ConfigurationKeyTests {
  func problem(_ json: String) throws -> String? {
    let path = try ConfigurationTests.write(json)
    var configuration = ServerConfiguration()
    do {
      try configuration.apply(file: path)
      return nil
    } catch {
      return error.description.replacingOccurrences(of: path, with: "config.json")
    }
  }

  @Test func aMisspeltTopLevelKeyIsNamedWithTheClosestKey() throws {
    let message = try #require(try problem(#"{"rules": "rules/", "rules_poll_second": 2}"#))
    #expect(
      message.hasPrefix(
        #"config.json: unknown key "rules_poll_second" (did you mean "rules_poll_seconds"?)"#))
  }

  @Test func unknownKeysInsideSectionsAreNamedByTheirPath() throws {
    let message = try #require(
      try problem(
        #"""
        {"webhooks": [{"url": "https://h.example/x", "secret": "s", "event": ["handoff"]}],
         "whatsapp": {"phone_number_id": "1", "access_token": "t", "retry": {"max_attempt": 3}},
         "media": {"max_byte": 10}}
        """#))
    let lines = message.split(separator: "\n").map(String.init)
    #expect(lines.count == 3)
    #expect(lines[0].contains(#"unknown key "media.max_byte" (did you mean "max_bytes"?)"#))
    #expect(lines[1].contains(#"unknown key "webhooks[0].event" (did you mean "events"?)"#))
    #expect(
      lines[2].contains(#"unknown key "whatsapp.retry.max_attempt" (did you mean "max_attempts"?)"#)
    )
  }

  @Test func everyDocumentedKeyIsKnown() throws {
    #expect(
      try problem(
        #"""
        {"rules": "r", "db": "d.db", "host": "127.0.0.1", "port": 8080,
         "whatsapp_app_secret": "s", "whatsapp_verify_token": "v", "integration_keys": ["k"],
         "max_body_bytes": 1000, "idle_timeout_seconds": 30, "rules_poll_seconds": 2, "public_url": "https://x.example",
         "webhooks": [{"name": "n", "url": "https://h.example", "secret": "s", "events": [],
                       "labels": [], "member": "m@x.fr"}],
         "webhook_delivery": {"max_attempts": 3, "initial_backoff_seconds": 1,
                              "max_backoff_seconds": 10, "timeout_seconds": 5},
         "whatsapp": {"graph_base": "https://g.example", "phone_number_id": "1",
                      "access_token": "t", "retry": {"max_attempts": 2}},
         "media": {"directory": "/tmp/m", "max_bytes": 10},
         "ai": {"url": "https://ai.example", "token": "t", "timeout_seconds": 3,
                "max_attempts": 2, "retry_backoff_seconds": 1},
         "ai_agents": ["a@x.fr"], "metrics_token": "m", "console": {"impact_max_steps": 1000},
         "smtp": {"host": "mail.x.fr", "port": 25, "from": "e@x.fr", "username": "e",
                  "starttls": false, "timeout_seconds": 10}}
        """#) == nil)
  }
}
