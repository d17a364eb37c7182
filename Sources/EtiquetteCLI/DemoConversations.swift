import AsyncHTTPClient
import EtiquetteChecker
import EtiquetteEngine
import EtiquetteServer
import Foundation
import NIOCore
import NIOHTTP1

/// The demo data of `etiquette serve --dev` (what `make run` starts): a few days of a small
/// shop's WhatsApp traffic — bookings, orders, a sales question, a support case, a VIP, a
/// human handoff with a note — so the web inbox has something to show on a fresh clone.
///
/// Everything goes through the server's real front doors on loopback, as production traffic
/// would: WhatsApp webhooks signed with the run's app secret, a Calendly booking on
/// `/v1/events` with the integration key, and the agent's actions on the REST API with the
/// member's token. Nothing is written to the store directly, so the rules decide every label,
/// route and notification. Only in development mode, and only into a store where no member
/// sees any conversation yet (a restart does not add the demo twice).
struct DemoConversations {
  let base: String
  let appSecret: String
  let integrationKey: String
  let tokens: [(email: String, token: String)]
  let engine: Engine
  /// The demo's story is told relative to this instant (messages hours and days ago).
  let now: Date
  /// The server's clock: a line of the story that happens "now" (after an agent's action)
  /// takes its time when it is sent, so that it comes after the action in the transcript.
  let clock: @Sendable () -> Date

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// Replays the demo; returns how many conversations it wrote to, or 0 when the store
  /// already holds conversations.
  func replay() async throws -> Int {
    for (_, token) in tokens {
      let page = try await get("/v1/conversations?limit=1", token: token)
      if let list = page["conversations"] as? [Any], !list.isEmpty { return 0 }
    }
    var phones: Set<String> = []
    for line in Self.story {
      phones.insert(line.phone)
      switch line.kind {
      case .message(let text):
        try await message(
          line, text: text, at: line.ago == 0 ? clock() : now.addingTimeInterval(-line.ago))
      case .booking(let start):
        try await booking(line, start: now.addingTimeInterval(start))
      case .takeOverAndReply(let text):
        guard let (id, member) = try await conversation(line.phone) else { continue }
        try await post("/v1/conversations/\(id)/handoff", ["action": "take_over"], token: member)
        try await post("/v1/conversations/\(id)/messages", ["text": text], token: member)
      case .keepHumanAndLeave:
        guard let (id, member) = try await conversation(line.phone) else { continue }
        try await post(
          "/v1/conversations/\(id)/handoff", ["action": "keep_human_and_leave"], token: member)
      case .note(let text):
        guard let (id, holder) = try await conversation(line.phone),
          let author = try await noteAuthor(conversation: id, besides: holder)
        else { continue }
        let holderEmail = tokens.first { $0.token == holder }?.email ?? ""
        try await post(
          "/v1/conversations/\(id)/notes",
          ["text": text.replacingOccurrences(of: "{holder}", with: holderEmail)], token: author)
      }
    }
    return phones.count
  }

  // MARK: - The story

  struct Line {
    enum Kind {
      case message(String)
      /// A Calendly booking through the integration API, `start` from now.
      case booking(start: TimeInterval)
      case takeOverAndReply(String)
      case keepHumanAndLeave
      /// `{holder}` stands for the member who holds the conversation.
      case note(String)
    }
    var phone: String
    var name: String
    var ago: TimeInterval = 0
    var tier: String?
    var kind: Kind
  }

  static let minute: TimeInterval = 60
  static let hour: TimeInterval = 3600
  static let day: TimeInterval = 86400

  /// Oldest first: the intake applies each conversation's lines in order.
  static let story: [Line] = [
    Line(
      phone: "15555550199", name: "Olivia Smith", ago: 6 * day,
      kind: .message("Hi, do you ship to the US?")),
    Line(
      phone: "33612345601", name: "Camille Martin", ago: 2 * day + 3 * hour,
      kind: .message("Bonjour ! J’ai réservé un créneau pour jeudi 14h, c’est bien noté ?")),
    Line(
      phone: "33612345604", name: "Lucas Petit", ago: day + 2 * hour,
      kind: .message("je n'ai pas recu de numero de suivi pour ma livraison ??")),
    Line(
      phone: "33612345607", name: "Léa Fontaine", ago: day, tier: "vip",
      kind: .booking(start: 2 * day)),
    Line(
      phone: "33612345603", name: "Sophie Bernard", ago: 5 * hour,
      kind: .message(
        "Bonjour, où en est ma commande CMD-104233 ? Le colis n’est toujours pas arrivé 😕")),
    Line(
      phone: "33612345602", name: "Julien Robert", ago: 3 * hour,
      kind: .booking(start: day + 20 * hour)),
    Line(
      phone: "33612345602", name: "Julien Robert", ago: 2 * hour,
      kind: .message("Rendez-vous confirmé, merci ! À jeudi")),
    Line(
      phone: "33612345605", name: "Emma Durand", ago: 40 * minute,
      kind: .message(
        "Quel est le prix de la formule annuelle ? Il me faudrait un devis pour 3 boutiques")),
    Line(
      phone: "33612345606", name: "Hugo Moreau", ago: 25 * minute,
      kind: .message("L'application plante à chaque ouverture, erreur 503 depuis ce matin")),
    Line(
      phone: "33612345607", name: "Léa Fontaine", ago: 15 * minute, tier: "vip",
      kind: .message("Bonjour, pouvez-vous me rappeler avant mon rendez-vous de jeudi ?")),
    Line(
      phone: "33612345608", name: "Nathan Girard", ago: 4 * minute,
      kind: .message(
        "Ma commande est arrivée abîmée… je voudrais parler à un humain s’il vous plaît")),
    Line(
      phone: "33612345608", name: "Nathan Girard",
      kind: .takeOverAndReply(
        "Bonjour Nathan, je suis désolé ! Pouvez-vous m’envoyer une photo du colis ?")),
    Line(phone: "33612345608", name: "Nathan Girard", kind: .keepHumanAndLeave),
    Line(
      phone: "33612345608", name: "Nathan Girard",
      kind: .note("@{holder} c’est le 2e colis abîmé ce mois-ci : propose un avoir.")),
    Line(
      phone: "33612345608", name: "Nathan Girard",
      kind: .message("Voici la photo, le carton est complètement déchiré")),
  ]

  // MARK: - Front doors

  /// A WhatsApp Cloud API webhook with one text message, signed as Meta signs it.
  func message(_ line: Line, text: String, at: Date) async throws {
    let id = "wamid.demo-\(line.phone)-\(Int(at.timeIntervalSince1970))"
    let body: [String: Any] = [
      "object": "whatsapp_business_account",
      "entry": [
        [
          "id": "demo",
          "changes": [
            [
              "field": "messages",
              "value": [
                "messaging_product": "whatsapp",
                "contacts": [["profile": ["name": line.name], "wa_id": line.phone]],
                "messages": [
                  [
                    "from": line.phone, "id": id,
                    "timestamp": String(Int(at.timeIntervalSince1970)), "type": "text",
                    "text": ["body": text],
                  ]
                ],
              ] as [String: Any],
            ]
          ],
        ] as [String: Any]
      ],
    ]
    let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
    let signature = WebhookSignature.header(body: Array(data), secret: appSecret)
    _ = try await send(
      .POST, "/webhooks/whatsapp", body: data, headers: [("X-Hub-Signature-256", signature)])
  }

  /// A Calendly booking through Zapier or Make, as `/v1/events` takes it.
  func booking(_ line: Line, start: Date) async throws {
    var contact: [String: Any] = ["phone": "+" + line.phone, "name": line.name]
    if let tier = line.tier { contact["attributes"] = ["tier": tier] }
    let body: [String: Any] = [
      "event": "calendly.booking.confirmed", "contact": contact,
      "fields": ["invitee": line.name, "start": Instant.format(start)],
    ]
    let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
    _ = try await send(
      .POST, "/v1/events", body: data,
      headers: [
        ("Authorization", "Bearer " + integrationKey),
        ("Idempotency-Key", "demo-booking-\(line.phone)"),
      ])
  }

  /// The conversation of `phone` and the token of the first member who may reply to it.
  func conversation(_ phone: String) async throws -> (String, String)? {
    for (_, token) in tokens {
      let page = try await get("/v1/conversations?limit=200", token: token)
      for case let summary as [String: Any] in page["conversations"] as? [Any] ?? [] {
        guard let contact = summary["contact"] as? [String: Any],
          (contact["phone"] as? String).map({ $0.hasSuffix(phone) }) == true,
          let id = summary["id"] as? String
        else { continue }
        let labels = Set(
          (summary["labels"] as? [String] ?? []).compactMap { engine.ruleSet.label(named: $0)?.id })
        let replier = tokens.first { engine.can($0.email, .reply, labels: labels).allowed }
        return replier.map { (id, $0.token) }
      }
    }
    return nil
  }

  /// A member other than the holder who may view the conversation, a supervisor (`can
  /// manage`) first.
  func noteAuthor(conversation id: String, besides holder: String) async throws -> String? {
    let others = tokens.filter { $0.token != holder }
    let supervisors = others.filter { engine.can($0.email, .manage, labels: []).allowed }
    for (_, token) in supervisors + others {
      if (try? await get("/v1/conversations/\(id)", token: token))?["id"] != nil { return token }
    }
    return nil
  }

  func get(_ path: String, token: String) async throws -> [String: Any] {
    let data = try await send(.GET, path, headers: [("Authorization", "Bearer " + token)])
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
  }

  func post(_ path: String, _ body: [String: String], token: String) async throws {
    let data = try JSONSerialization.data(withJSONObject: body)
    _ = try await send(.POST, path, body: data, headers: [("Authorization", "Bearer " + token)])
  }

  func send(
    _ method: HTTPMethod, _ path: String, body: Data? = nil, headers: [(String, String)] = []
  ) async throws -> Data {
    var request = HTTPClientRequest(url: base + path)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body {
      request.headers.add(name: "Content-Type", value: "application/json")
      request.body = .bytes(ByteBuffer(bytes: body))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let answer = try await response.body.collect(upTo: 4 * 1024 * 1024)
    guard (200..<300).contains(Int(response.status.code)) else {
      throw Failure(
        description:
          "the demo's \(method) \(path) was answered \(response.status.code): "
          + String(buffer: answer).prefix(300))
    }
    return Data(buffer: answer)
  }
}
