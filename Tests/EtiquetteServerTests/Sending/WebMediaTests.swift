import EtiquetteEngine
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// Media in the web inbox: downloaded from a real (loopback) fake Graph API, shown in the
/// bubble and served to the session's member by `/app/media/{id}`, with an AAC rendition of
/// Ogg voice notes made by Debian's ffmpeg for browsers that cannot play Opus.
@Suite struct WebMediaTests {
  typealias S = SendingSupport

  static let ffmpegInstalled = VoiceNoteRendition.installed.ffmpeg != nil

  static func page(
    _ client: any TestClientProtocol, _ uri: String, session: String
  ) async throws -> (HTTPResponse.Status, HTTPFields, [UInt8]) {
    // The web inbox's routes are not the API's: outside the OpenAPI document on purpose.
    try await ContractCheckedClient.unchecked(client).execute(
      uri: uri, method: .get, headers: WebInboxTests.cookieHeaders(session)
    ) { ($0.status, $0.headers, Array($0.body.readableBytesView)) }
  }

  @Test func anImageIsShownInItsBubbleAndServedToViewersOnly() async throws {
    try await MediaTests().withMedia { setup, client in
      await MediaTests.script(
        setup, mediaID: "8001", size: MediaTests.picture.count, file: MediaTests.jpeg())
      let conversation = try await MediaTests.receive(setup, client, mediaID: "8001")
      _ = try await MediaTests.settled(setup, "8001")
      let signIn = WebInboxTests.signIn(setup.harness)
      let manon = try await WebInboxTests.session(signIn, "manon@exemple.fr")
      let alice = try await WebInboxTests.session(signIn, "alice@exemple.fr")
      let (_, _, html) = try await Self.page(
        client, "/app/conversations/\(conversation)", session: manon)
      let text = String(decoding: html, as: UTF8.self)
      #expect(text.contains(#"<img src="/app/media/8001" alt="Pièce jointe" loading="lazy">"#))
      #expect(text.contains(#"<span class="size">3 ko</span>"#))
      var (status, headers, body) = try await Self.page(client, "/app/media/8001", session: manon)
      #expect(status == .ok && body == MediaTests.picture)
      #expect(headers[.contentType] == "image/jpeg")
      // alice may not view the conversation: its media does not exist for her, nor for a
      // browser without a session.
      (status, _, _) = try await Self.page(client, "/app/media/8001", session: alice)
      #expect(status == .notFound)
      (status, _, _) = try await Self.page(client, "/app/media/8001", session: "forged")
      #expect(status == .notFound)
      // Not a voice note: no AAC rendition.
      (status, _, _) = try await Self.page(
        client, "/app/media/8001?format=aac", session: manon)
      #expect(status == .notFound)
    }
  }

  @Test(
    .enabled(
      if: ffmpegInstalled || ProcessInfo.processInfo.environment["CI"] == "true",
      "ffmpeg is not installed (apt-get install ffmpeg; make test installs it)"))
  func aVoiceNoteHasAnAACRenditionForSafari() async throws {
    let ogg = try Array(
      Data(contentsOf: ServerHarness.fixtures.appendingPathComponent("voice-note.ogg")))
    try await MediaTests().withMedia { setup, client in
      await MediaTests.script(
        setup, mediaID: "8002", mime: "audio/ogg; codecs=opus", sha256: S.sha256Hex(ogg),
        size: ogg.count,
        file: GraphReply(status: 200, headers: ["Content-Type": "audio/ogg"], body: ogg))
      let status = try await ServerHarness.post(
        client,
        webhook: S.mediaWebhook(
          from: "33611111112", id: "wamid.voice.8002", kind: "audio", mediaID: "8002",
          mime: "audio/ogg; codecs=opus", sha256: S.sha256Base64(ogg)))
      #expect(status == .ok)
      let row = try await MediaTests.settled(setup, "8002")
      #expect(row.status == "stored")
      let conversation = row.conversationID
      let manon = try await WebInboxTests.session(
        WebInboxTests.signIn(setup.harness), "manon@exemple.fr")
      let (_, _, html) = try await Self.page(
        client, "/app/conversations/\(conversation)", session: manon)
      let text = String(decoding: html, as: UTF8.self)
      #expect(text.contains(#"<source src="/app/media/8002?format=aac" type="audio/mp4">"#))
      #expect(text.contains(#"<source src="/app/media/8002" type="audio/ogg">"#))
      let (answer, headers, body) = try await Self.page(
        client, "/app/media/8002?format=aac", session: manon)
      #expect(answer == .ok)
      #expect(headers[.contentType] == "audio/mp4")
      // An MP4 file: its first box is `ftyp`.
      #expect(body.count > 8 && Array(body[4..<8]) == Array("ftyp".utf8))
      // Made once, kept beside the original.
      if TestStore.kind == .sqlite {
        let file = try #require(row.file)
        #expect(
          FileManager.default.fileExists(
            atPath: setup.directory.appendingPathComponent(file + ".m4a").path))
      } else {
        // From a copy of the stored bytes, named by their hash, in this instance's cache.
        let sha = try #require(row.sha256)
        #expect(
          FileManager.default.fileExists(
            atPath: setup.directory.appendingPathComponent("renditions/\(sha).ogg.m4a").path))
      }
    }
  }
}
