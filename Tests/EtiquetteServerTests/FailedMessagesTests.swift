import EtiquetteEngine
import EtiquetteTestSupport
import Foundation
import HTTPTypes
import Testing

@testable import EtiquetteServer

/// A message the intake could not apply is listed for managers with its reason, until it is
/// applied (issue 22, finding 2: "listed for managers").
@Suite struct FailedMessagesTests {
  static let manager = "manon@exemple.fr"

  @Test func managersSeeEachFailedMessageWithItsReasonUntilItIsApplied() async throws {
    let harness = try await ServerHarness()
    try await harness.server.faults.injectMessageInsertFault(whatsappID: "wamid.bad")
    let body = IntakeIsolationTests.body([
      ("wamid.good", "33650000021", .string("1764064800")),
      ("wamid.bad", "33650000022", .string("1764064801")),
    ])
    try await harness.test { client in
      #expect(try await ServerHarness.post(client, webhook: body) == .ok)
      let (status, page) = try await ServerHarness.send(
        client, .get, "/v1/messages/failed?status=open", headers: harness.auth(Self.manager))
      #expect(status == .ok)
      let failures = page["failures"]?.arrayValue ?? []
      #expect(failures.count == 1)
      #expect(failures.first?["whatsappId"] == .string("wamid.bad"))
      #expect(failures.first?["status"] == .string("open"))
      #expect(failures.first?["error"]?.stringValue?.contains("injected failure") == true)

      // A member who may not manage every conversation learns nothing: 403, whatever the query.
      for member in ["alice@exemple.fr", "audit@exemple.fr"] {
        let (denied, _) = try await ServerHarness.send(
          client, .get, "/v1/messages/failed?status=nonsense", headers: harness.auth(member))
        #expect(denied == .forbidden, "\(member)")
      }
      let (bad, _) = try await ServerHarness.send(
        client, .get, "/v1/messages/failed?status=nonsense", headers: harness.auth(Self.manager))
      #expect(bad == .badRequest)
    }

    // The fix, then the retry at the next start: the failure is resolved, no longer open.
    try await harness.server.faults.removeInjectedFaults()
    try await harness.server.recoverPendingWebhooks()
    try await harness.test { client in
      let (_, open) = try await ServerHarness.send(
        client, .get, "/v1/messages/failed?status=open", headers: harness.auth(Self.manager))
      #expect(open["failures"]?.arrayValue?.isEmpty == true)
      let (_, all) = try await ServerHarness.send(
        client, .get, "/v1/messages/failed", headers: harness.auth(Self.manager))
      let failure = all["failures"]?.arrayValue?.first
      #expect(failure?["status"] == .string("resolved"))
      #expect(failure?["resolvedAt"] != nil)
    }
  }

  @Test func pagesFollowTheCursor() async throws {
    let harness = try await ServerHarness()
    for index in 0..<3 {
      try await harness.server.faults.injectMessageInsertFault(whatsappID: "wamid.f\(index)")
      let body = IntakeIsolationTests.body([
        ("wamid.f\(index)", "3365000003\(index)", .string("1764064800"))
      ])
      let status = try await harness.test { client in
        try await ServerHarness.post(client, webhook: body)
      }
      #expect(status == .ok)
      try await harness.server.faults.removeInjectedFaults()
    }
    try await harness.test { client in
      var seen: [String] = []
      var query = "?limit=2"
      for _ in 0..<3 {
        let (status, page) = try await ServerHarness.send(
          client, .get, "/v1/messages/failed" + query, headers: harness.auth(Self.manager))
        #expect(status == .ok)
        for failure in page["failures"]?.arrayValue ?? [] {
          if case .string(let id) = failure["whatsappId"] { seen.append(id) }
        }
        guard case .string(let cursor) = page["nextCursor"] else { break }
        query = "?limit=2&cursor=" + cursor
      }
      #expect(seen == ["wamid.f2", "wamid.f1", "wamid.f0"], "newest first, each once")
    }
  }
}
