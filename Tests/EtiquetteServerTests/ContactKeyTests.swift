import EtiquetteEngine
import EtiquetteTestSupport
import Foundation
import HTTPTypes
import Testing

@testable import EtiquetteServer

/// A contact's phone and user id are unique keys of the store (`contact_keys`), not searched
/// before an insert: one conversation per contact however writers race, and stores written
/// before the keys existed keep resolving a contact as they did.
@Suite struct ContactKeyTests {
  @Test(
    .enabled(if: TestStore.kind == .sqlite, "an SQLite file written before contact keys existed"))
  func aStoreWithTwoConversationsForOnePhoneKeepsTheOlderOne() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "etiquette-contact-keys-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("etiquette.db").path
    let (older, younger) = try SQLiteStore.makeStoreWithDuplicateContact(
      at: path, phone: "+33611111111")

    let harness = try await ServerHarness(databasePath: path)
    try await harness.test { client in
      let status = try await ServerHarness.post(
        client,
        webhook: ServerHarness.textWebhook(from: "33611111111", id: "wamid.k1", text: "bonjour"))
      #expect(status == .ok)
    }
    #expect(try await harness.inspect.conversationID(forPhone: "33611111111") == older)
    #expect(
      try await harness.inspect.messages(inConversation: older).map(\.whatsappID) == ["wamid.k1"])
    // Nothing is deleted: the younger conversation stays, readable by its id, and no third
    // conversation was made for the phone.
    #expect(try await harness.inspect.messages(inConversation: younger).isEmpty)
    #expect(
      try await harness.inspect.conversations().map(\.id).sorted() == [older, younger].sorted())
  }

  @Test func aPhoneAndAUserIDFindTheSameConversation() async throws {
    let harness = try await ServerHarness()
    @Sendable func booking(_ contact: String) -> String {
      #"{"contact":\#(contact),"event":"calendly.booking.confirmed","fields":{"invitee":"Léa","start":"x"}}"#
    }
    try await harness.test { client in
      var answers: [(HTTPResponse.Status, JSONValue)] = []
      for contact in [
        #"{"user_id":"u-42","phone":"+33 6 22 22 22 22"}"#, #"{"user_id":"u-42"}"#,
        #"{"phone":"33622222222"}"#,
      ] {
        answers.append(
          try await ServerHarness.send(
            client, .post, "/v1/events", headers: APITests.eventHeaders(), json: booking(contact)))
      }
      #expect(answers.allSatisfy { $0.0 == .ok })
      let ids = answers.map { $0.1["conversation"] }
      #expect(ids[0] != nil)
      #expect(ids[1] == ids[0] && ids[2] == ids[0], "one contact, one conversation: \(ids)")
    }
    #expect(try await harness.inspect.conversations().count == 1)
  }
}
