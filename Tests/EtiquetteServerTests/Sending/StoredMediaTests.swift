import Foundation
import HTTPTypes
import Hummingbird
import Testing

@testable import EtiquetteServer

/// A media whose bytes the store holds (PostgreSQL's `media_chunks`) is served from them, with
/// the headers of a file; missing bytes are 410 and there is no AAC rendition of it.
@Suite struct StoredMediaTests {
  static func row(_ kind: String = "image") -> StoredMedia {
    StoredMedia(
      status: "stored", mimeType: "image/jpeg", size: 3, sha256: "abc", content: nil,
      error: nil, kind: kind)
  }

  @Test func theStoredBytesAreServedWithTheHeadersOfAFile() async throws {
    let response = try await InboxServer.storedMedia(
      Self.row(), load: { Data([1, 2, 3]) }, aac: false, cache: NSTemporaryDirectory())
    #expect(response.status == .ok)
    #expect(response.headers[.contentType] == "image/jpeg")
    #expect(response.headers[.contentLength] == "3")
    #expect(response.headers[.eTag] == "\"abc\"")
    #expect(response.headers[.contentDisposition] == "inline")
    let document = try await InboxServer.storedMedia(
      Self.row("document"), load: { Data([1]) }, aac: false, cache: NSTemporaryDirectory())
    #expect(document.headers[.contentDisposition] == "attachment")
    #expect(document.headers[.contentLength] == "1")
  }

  @Test func missingBytesAreGoneAndOnlyOggAudioHasAnAACRendition() async throws {
    do {
      _ = try await InboxServer.storedMedia(
        Self.row(), load: { nil }, aac: false, cache: NSTemporaryDirectory())
      Issue.record("missing bytes were served")
    } catch let error as APIError {
      #expect(error.status == .gone)
    }
    do {
      // Audio, but not Ogg: nothing to render.
      _ = try await InboxServer.storedMedia(
        Self.row("audio"), load: { Data([1]) }, aac: true, cache: NSTemporaryDirectory())
      Issue.record("an AAC rendition was served")
    } catch let error as APIError {
      #expect(error.status == .notFound)
    }
  }
}
