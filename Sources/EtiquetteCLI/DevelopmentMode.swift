import EtiquetteChecker
import EtiquetteEngine
import EtiquetteServer
import Foundation

/// `etiquette serve --dev`: a server that works on its own on a developer's machine.
///
/// The secrets production reads from its configuration are generated for the run, every member
/// the rules name gets a fresh token, and the next steps are printed with those values filled
/// in, so each command works when pasted. Refused when `public_url` is https: a server reachable
/// as a real inbox must never print its secrets.
struct DevelopmentMode {
  /// What was generated for this run (never stored by the server: a restart generates anew).
  var appSecret: String
  var integrationKey: String

  /// Fills in what the configuration lacks, or says why development mode is refused.
  static func prepare(_ configuration: inout ServerConfiguration) throws -> DevelopmentMode {
    if let url = configuration.publicURL, url.lowercased().hasPrefix("https:") {
      throw UsageError(
        description:
          "--dev prints secrets and tokens, so it is refused for a public server (public_url "
          + "is \(url)); run without --dev and configure the secrets (see etiquette serve --help)")
    }
    let secret = configuration.whatsappAppSecret ?? "dev-" + MemberToken.generate()
    let key = configuration.integrationKeys.first ?? "dev-" + MemberToken.generate()
    configuration.whatsappAppSecret = secret
    if configuration.integrationKeys.isEmpty { configuration.integrationKeys = [key] }
    return DevelopmentMode(appSecret: secret, integrationKey: key)
  }

  /// A fresh token for every member the rules name, in the rules' order.
  static func issueTokens(_ server: InboxServer) async throws -> [(email: String, token: String)] {
    var tokens: [(email: String, token: String)] = []
    for member in server.rules.current.ruleSet.members {
      tokens.append((member.email, try await server.members.addMember(member.email)))
    }
    return tokens
  }

  /// The text printed once the server listens: where it is, the generated values, and commands
  /// to paste (a signed webhook, then the conversations as a member who may see it).
  func guide(
    server: InboxServer, port: Int, tokens: [(email: String, token: String)], now: Date,
    invitations: [(email: String, token: String)] = [], demo: Int? = nil
  ) -> String {
    let base = "http://\(server.configuration.host):\(port)"
    let sample = Self.sampleMessage(server.rules.current.engine, tokens: tokens, now: now)
    let body = Self.webhookBody(text: sample.text, at: now)
    let signature = WebhookSignature.header(body: Array(body.utf8), secret: appSecret)
    var lines = [
      "",
      "Etiquette is running in DEVELOPMENT MODE on \(base)",
      "  rules: \(server.configuration.rulesDirectory)   database: "
        + server.configuration.databasePath,
      "  generated for this run: a WhatsApp app secret, an integration key and a token for each",
      "  member named in the rules (printed below; never do this on a public server).",
      "",
      "Next steps (paste them into another terminal):",
      "",
      "  # 1. A customer writes \(Self.quoted(sample.text)): a webhook signed as Meta signs it",
      "  curl -s \(base)/webhooks/whatsapp -H 'Content-Type: application/json' \\",
      "    -H \(Shell.quote("X-Hub-Signature-256: " + signature)) \\",
      "    --data-binary \(Shell.quote(body))",
      "",
    ]
    if let member = sample.member {
      lines += [
        "  # 2. \(member.email) may see it\(sample.labels.isEmpty ? "" : " (labels: \(sample.labels.joined(separator: ", ")))"):"
          + " the conversations they may see",
        "  curl -s \(base)/v1/conversations -H \(Shell.quote("Authorization: Bearer " + member.token))",
        "",
      ]
    }
    lines += [
      "  Members' tokens (Authorization: Bearer TOKEN):"
    ]
    let width = tokens.map(\.email.count).max() ?? 0
    for (email, token) in tokens {
      lines.append(
        "    " + email.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + token)
    }
    if let demo, demo > 0 {
      lines += [
        "",
        "  Demo data: \(demo) conversations replayed through the intake (signed WhatsApp webhooks,",
        "  a Calendly booking on /v1/events, an agent's handoff and a note on the API).",
      ]
    }
    // The member to try first: one who sees every conversation.
    let engine = server.rules.current.engine
    if let example = invitations.first(where: { engine.can($0.email, .manage, labels: []).allowed })
      ?? invitations.first
    {
      lines += [
        "",
        "  Try the web inbox: sign in as \(example.email) (choose a password, 12 characters or more):",
        "    \(base)/invitation/\(example.token)",
      ]
    }
    if !invitations.isEmpty {
      lines += [
        "", "  The web inbox: open a member's link, choose a password (12 characters or more):",
      ]
      for (email, token) in invitations {
        lines.append(
          "    " + email.padding(toLength: width, withPad: " ", startingAt: 0)
            + "  \(base)/invitation/"
            + token)
      }
    }
    lines += [
      "",
      "  WhatsApp app secret: \(appSecret)",
      "  Integration key:     \(integrationKey)",
      "  The API: \(base)/openapi.json (README: \"A walk-through with curl\")   Stop: Ctrl-C",
      "",
    ]
    return lines.joined(separator: "\n") + "\n"
  }

  /// The first trigger phrase that labels a new conversation and that a member may then view
  /// (and reply to, if anyone may), so step 2 shows the message; "Bonjour" when no phrase does.
  static func sampleMessage(
    _ engine: Engine, tokens: [(email: String, token: String)], now: Date
  ) -> (text: String, labels: [String], member: (email: String, token: String)?) {
    var phrases: [String] = []
    for label in engine.ruleSet.labels {
      for trigger in label.addTriggers {
        for atom in trigger.condition.atoms {
          if case .contains(_, let list) = atom.kind { phrases += list.map(\.text) }
        }
      }
    }
    var fallback: (text: String, labels: [String], member: (email: String, token: String)?)?
    for text in phrases + ["Bonjour"] {
      let conversation = engine.newConversation(
        id: "sample", contact: Contact(id: "33612345678", phone: "+33612345678"))
      let (after, _) = engine.apply(
        Step(.message(CustomerMessage(text: text)), at: now), to: conversation)
      let labels = after.labelSet.map { engine.ruleSet.labels[$0.rawValue].name }.sorted()
      let viewer = tokens.first { engine.can($0.email, .view, after).allowed }
      let replier = tokens.first { engine.can($0.email, .reply, after).allowed }
      if !labels.isEmpty, let member = replier ?? viewer {
        return (text, labels, member)
      }
      if fallback == nil, viewer != nil { fallback = (text, labels, replier ?? viewer) }
    }
    return fallback ?? ("Bonjour", [], nil)
  }

  /// A WhatsApp Cloud API webhook with one text message, as Meta sends it (compact JSON).
  static func webhookBody(text: String, at now: Date) -> String {
    let message: [String: Any] = [
      "from": "33612345678", "id": "wamid.dev-\(Int(now.timeIntervalSince1970))",
      "timestamp": String(Int(now.timeIntervalSince1970)), "type": "text",
      "text": ["body": text],
    ]
    let value: [String: Any] = [
      "messaging_product": "whatsapp",
      "contacts": [["profile": ["name": "Client Test"], "wa_id": "33612345678"]],
      "messages": [message],
    ]
    let root: [String: Any] = [
      "object": "whatsapp_business_account",
      "entry": [["id": "1", "changes": [["field": "messages", "value": value]]]],
    ]
    let data =
      (try? JSONSerialization.data(
        withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    return String(decoding: data, as: UTF8.self)
  }

  static func quoted(_ text: String) -> String {
    let data =
      (try? JSONSerialization.data(withJSONObject: [text], options: .withoutEscapingSlashes))
      ?? Data()
    return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
  }
}

/// POSIX shell quoting: a word that pastes into sh, bash or zsh as exactly `text`.
enum Shell {
  static func quote(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}
