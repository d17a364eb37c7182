import EtiquetteChecker
import EtiquetteEngine
import Foundation

/// A WhatsApp Cloud API webhook body, read into what the store needs: customer messages,
/// delivery statuses and echoes of messages the business sent from its own app.
///
/// Lenient on purpose: Meta adds fields and types over time, so anything unknown is kept (an
/// unknown message type becomes `unsupported` with its raw JSON) instead of being dropped.
public struct WhatsAppPayload: Sendable {
  public var messages: [InboundMessage] = []
  public var statuses: [StatusUpdate] = []
  public var echoes: [EchoMessage] = []
  /// Messages that cannot become a step (no id, no sender), with why: kept as failed with
  /// their reason rather than dropped behind a 200.
  public var unusable: [(description: String, reason: String)] = []

  /// The customer as the `contacts` array describes them; the phone (`wa_id`) may be missing
  /// for users known only by their business-scoped user id.
  public struct Contact: Sendable, Hashable {
    public var phone: String?
    public var userID: String?
    public var name: String?
  }

  public struct InboundMessage: Sendable {
    /// `wamid.…`: the key that makes redeliveries harmless.
    public var id: String
    public var contact: Contact
    public var at: Date
    public var message: CustomerMessage
    /// The type as WhatsApp named it (`system`, `edit`, `revoke` … are stored as unsupported).
    public var wireType: String
    /// The message this one answers (`context.id`), when any.
    public var contextID: String?
    /// The media an image, audio, video, document or sticker carries, by Meta's media id.
    public var media: MediaReference?
    public var raw: JSONValue
    /// The body's timestamp was unusable (not a number, not finite, before 2009 or in the
    /// future): `at` is the time the body was received instead.
    public var timestampReplaced = false
  }

  /// A media id announced by a webhook, with what the webhook claims about the file; the file
  /// itself is fetched later through the Graph API (see `MediaDownloads`).
  public struct MediaReference: Sendable, Hashable {
    public var id: String
    /// The wire type (`image`, `audio`, `video`, `document`, `sticker`).
    public var kind: String
    public var mimeType: String?
    /// As the webhook spells it (base64 in practice).
    public var sha256: String?
  }

  public struct StatusUpdate: Sendable {
    public var messageID: String
    public var status: String
    public var at: Date
    public var recipient: String?
    /// Meta's error codes and titles for `failed`.
    public var errors: [JSONValue]
  }

  public struct EchoMessage: Sendable {
    public var id: String
    public var contact: Contact
    public var at: Date
    public var type: String
    public var text: String
    public var raw: JSONValue
  }

  /// Why a body was refused before anything was stored.
  public struct ParseError: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// `receivedAt` stands in for a missing timestamp: the time the body was received, so a
  /// body parsed again after a crash gets the same times.
  public static func parse(_ body: [UInt8], receivedAt: Date) throws(ParseError)
    -> WhatsAppPayload
  {
    let json: JSONValue
    do {
      // Every NUL becomes U+FFFD before anything reads the JSON: SQLite's C interface ends a
      // string at its first NUL, so "wamid.a\0x" and "wamid.a\0y" would be stored as one id
      // (the second message skipped as a redelivery) and a text would be cut short.
      json = try JSONValue.parse(bytes: body, replacingNUL: true)
    } catch {
      throw ParseError(description: "the body is not valid JSON")
    }
    guard case .object(let root) = json else {
      throw ParseError(description: "the body must be a JSON object")
    }
    guard case .array(let entries)? = root["entry"] else {
      throw ParseError(description: "the body has no \"entry\" array")
    }
    var payload = WhatsAppPayload()
    for entry in entries {
      for change in entry["changes"]?.arrayValue ?? [] {
        guard let value = change["value"], case .object = value else { continue }
        payload.read(value, receivedAt: receivedAt)
      }
    }
    return payload
  }

  private mutating func read(_ value: JSONValue, receivedAt: Date) {
    let contacts = (value["contacts"]?.arrayValue ?? []).map { c in
      Contact(
        phone: c["wa_id"]?.stringValue, userID: c["user_id"]?.stringValue,
        name: c["profile"]?["name"]?.stringValue)
    }
    func contact(phone: String?, userID: String?) -> Contact {
      let known =
        contacts.first { c in
          (phone != nil && c.phone == phone) || (userID != nil && c.userID == userID)
        }
        // A lone contact without the sender's ids is the sender only when nothing contradicts.
        ?? (contacts.count == 1 && (phone == nil || contacts[0].phone == nil)
          && (userID == nil || contacts[0].userID == nil) ? contacts[0] : nil)
      var result = known ?? Contact(phone: nil, userID: nil, name: nil)
      if result.phone == nil { result.phone = phone }
      if result.userID == nil { result.userID = userID }
      return result
    }
    for (position, m) in (value["messages"]?.arrayValue ?? []).enumerated() {
      guard let id = m["id"]?.stringValue, !id.isEmpty else {
        unusable.append(("message \(position + 1) of its change", "the message has no \"id\""))
        continue
      }
      let from = m["from"]?.stringValue
      let sender = contact(phone: from, userID: m["from_user_id"]?.stringValue)
      guard sender.phone != nil || sender.userID != nil else {
        unusable.append((id, "the message has no sender (\"from\" or \"from_user_id\")"))
        continue
      }
      let wireType = m["type"]?.stringValue ?? "unsupported"
      let at = Self.time(m["timestamp"], receivedAt: receivedAt)
      messages.append(
        InboundMessage(
          id: id, contact: sender, at: at,
          message: Self.customerMessage(m, wireType: wireType), wireType: wireType,
          contextID: m["context"]?["id"]?.stringValue, media: Self.media(m, wireType: wireType),
          raw: m, timestampReplaced: !Self.isUsable(m["timestamp"], receivedAt: receivedAt)))
    }
    for s in value["statuses"]?.arrayValue ?? [] {
      guard let id = s["id"]?.stringValue, let status = s["status"]?.stringValue else {
        continue
      }
      statuses.append(
        StatusUpdate(
          messageID: id, status: status, at: Self.time(s["timestamp"], receivedAt: receivedAt),
          recipient: s["recipient_id"]?.stringValue, errors: s["errors"]?.arrayValue ?? []))
    }
    for e in value["message_echoes"]?.arrayValue ?? [] {
      guard let id = e["id"]?.stringValue else { continue }
      let to = contact(phone: e["to"]?.stringValue, userID: e["to_user_id"]?.stringValue)
      let type = e["type"]?.stringValue ?? "unsupported"
      let text = e["text"]?["body"]?.stringValue ?? e[type]?["caption"]?.stringValue ?? ""
      echoes.append(
        EchoMessage(
          id: id, contact: to, at: Self.time(e["timestamp"], receivedAt: receivedAt), type: type,
          text: text,
          raw: e))
    }
  }

  /// The instant a timestamp names when it is usable, else the receive time: a body's
  /// timestamp is the sender's word, and `nan`, `1e300` or next year must not reach the store
  /// (a non-finite time fails its constraint) nor the rules (`during` would read any hour).
  static func time(_ value: JSONValue?, receivedAt: Date) -> Date {
    guard let seconds = seconds(value), isUsable(seconds, receivedAt: receivedAt) else {
      return receivedAt
    }
    return Date(timeIntervalSince1970: seconds)
  }

  static func isUsable(_ value: JSONValue?, receivedAt: Date) -> Bool {
    seconds(value).map { isUsable($0, receivedAt: receivedAt) } ?? false
  }

  /// Finite, after WhatsApp existed (2009) and at most a day ahead of the receive time (clocks
  /// drift; a day is far more than they do).
  private static func isUsable(_ seconds: Double, receivedAt: Date) -> Bool {
    seconds.isFinite && seconds >= 1_230_768_000
      && seconds <= receivedAt.timeIntervalSince1970 + 86_400
  }

  private static func seconds(_ value: JSONValue?) -> Double? {
    if let text = value?.stringValue { return Double(text) }
    if case .number(let seconds)? = value { return seconds }
    return nil
  }

  static let mediaTypes: Set<String> = ["image", "audio", "video", "document", "sticker", "voice"]

  static func media(_ m: JSONValue, wireType: String) -> MediaReference? {
    guard mediaTypes.contains(wireType), let body = m[wireType],
      let id = body["id"]?.stringValue, !id.isEmpty
    else { return nil }
    return MediaReference(
      id: id, kind: wireType == "voice" ? "audio" : wireType,
      mimeType: body["mime_type"]?.stringValue, sha256: body["sha256"]?.stringValue)
  }

  /// The placeholder URL of a media id until intake knows the server's own address.
  static func placeholderURL(mediaID: String) -> String { "whatsapp-media:\(mediaID)" }

  /// The message as the engine sees it: its type, the text the rules scan and attachments.
  static func customerMessage(_ m: JSONValue, wireType: String) -> CustomerMessage {
    func media(_ type: MessageType) -> CustomerMessage {
      let body = m[wireType]
      // The media id wins over a `url` some webhooks carry: Meta's links expire within minutes,
      // so intake replaces the placeholder with the server's own download route.
      let url =
        body?["id"]?.stringValue.map { placeholderURL(mediaID: $0) } ?? body?["url"]?.stringValue
      let attachments = url.map { [Attachment(url: $0, type: body?["mime_type"]?.stringValue)] }
      return CustomerMessage(
        type: type, caption: body?["caption"]?.stringValue,
        filename: body?["filename"]?.stringValue, attachments: attachments ?? [])
    }
    switch wireType {
    case "text":
      return CustomerMessage(type: .text, text: m["text"]?["body"]?.stringValue ?? "")
    case "image": return media(.image)
    case "video": return media(.video)
    case "document": return media(.document)
    case "sticker": return media(.sticker)
    case "audio":
      return media(m["audio"]?["voice"] == .bool(true) ? .voice : .audio)
    case "voice": return media(.voice)
    case "location":
      let l = m["location"]
      let parts = [l?["name"]?.stringValue, l?["address"]?.stringValue].compactMap { $0 }
      return CustomerMessage(type: .location, text: parts.joined(separator: ", "))
    case "contacts":
      let names = (m["contacts"]?.arrayValue ?? []).compactMap {
        $0["name"]?["formatted_name"]?.stringValue
      }
      return CustomerMessage(type: .contacts, text: names.joined(separator: ", "))
    case "interactive":
      let i = m["interactive"]
      let reply = i?["button_reply"] ?? i?["list_reply"] ?? i?["nfm_reply"]
      let text = [reply?["title"]?.stringValue, reply?["description"]?.stringValue]
        .compactMap { $0 }.joined(separator: " — ")
      return CustomerMessage(type: .interactive, text: text)
    case "button":
      return CustomerMessage(type: .button, text: m["button"]?["text"]?.stringValue ?? "")
    case "reaction":
      return CustomerMessage(type: .reaction, text: m["reaction"]?["emoji"]?.stringValue ?? "")
    case "order":
      let items = m["order"]?["product_items"]?.arrayValue?.count ?? 0
      let note = m["order"]?["text"]?.stringValue
      return CustomerMessage(type: .order, text: note ?? "order with \(items) item(s)")
    default:
      // `unsupported`, `system`, `edit`, `revoke`, and types Meta adds later: kept, never
      // dropped, with a readable text when the payload has one.
      let text = m["system"]?["body"]?.stringValue ?? m[wireType]?["text"]?["body"]?.stringValue
      return CustomerMessage(type: .unsupported, text: text ?? "")
    }
  }
}

extension JSONValue {
  subscript(key: String) -> JSONValue? {
    if case .object(let o) = self { return o[key] }
    return nil
  }
  var stringValue: String? { if case .string(let s) = self { s } else { nil } }
  var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
  var objectValue: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
}
