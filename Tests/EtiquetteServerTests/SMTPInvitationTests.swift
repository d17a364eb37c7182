import EtiquetteTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOPosix
import Testing

@testable import EtiquetteServer

/// A real SMTP server on 127.0.0.1 for the tests: it greets, answers EHLO (multi-line), MAIL,
/// RCPT, DATA and QUIT, and keeps each message as it came over the wire and un-stuffed. It
/// can refuse every recipient, or accept connections and never say a word.
final class LoopbackSMTPServer: Sendable {
  enum Behaviour: Sendable {
    case accept
    /// The whole reply line given to every RCPT TO.
    case rejectRecipient(String)
    /// Accepts the connection, never answers.
    case silent
  }

  struct Received: Sendable {
    var from: String
    var recipients: [String]
    /// The DATA lines as sent, dot-stuffing included, joined by CRLF.
    var wire: String
    /// The message once the stuffing is undone.
    var message: String

    /// The header's value, unfolded.
    func header(_ name: String) -> String? {
      let head = message.components(separatedBy: "\r\n\r\n").first ?? ""
      let unfolded = head.replacingOccurrences(of: "\r\n ", with: " ")
      return unfolded.components(separatedBy: "\r\n").first {
        $0.lowercased().hasPrefix(name.lowercased() + ": ")
      }.map { String($0.dropFirst(name.count + 2)) }
    }

    var body: String {
      message.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
    }
  }

  actor Mailbox {
    var messages: [Received] = []
    func add(_ message: Received) { messages.append(message) }
  }

  let port: Int
  let mailbox: Mailbox
  private let listener: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
  private let accepting: Task<Void, Never>

  init(_ behaviour: Behaviour) async throws {
    let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .bind(host: "127.0.0.1", port: 0) { channel in
        channel.eventLoop.makeCompletedFuture {
          try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
        }
      }
    let mailbox = Mailbox()
    self.listener = listener
    self.mailbox = mailbox
    port = listener.channel.localAddress?.port ?? 0
    accepting = Task {
      try? await listener.executeThenClose { connections in
        await withDiscardingTaskGroup { group in
          do {
            for try await connection in connections {
              group.addTask {
                try? await LoopbackSMTPServer.serve(connection, behaviour, mailbox)
              }
            }
          } catch {}
        }
      }
    }
  }

  var messages: [Received] { get async { await mailbox.messages } }

  func stop() async {
    listener.channel.close(promise: nil)
    accepting.cancel()
  }

  static func serve(
    _ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, _ behaviour: Behaviour,
    _ mailbox: Mailbox
  ) async throws {
    try await connection.executeThenClose { inbound, outbound in
      func say(_ lines: String...) async throws {
        try await outbound.write(ByteBuffer(string: lines.map { $0 + "\r\n" }.joined()))
      }
      if case .silent = behaviour {
        for try await _ in inbound {}
        return
      }
      try await say("220-loopback.test ESMTP", "220 ready")
      var pending: [UInt8] = []
      var from = ""
      var recipients: [String] = []
      var data: [String]?
      func address(_ line: String) -> String {
        guard let open = line.firstIndex(of: "<"), let close = line.lastIndex(of: ">") else {
          return ""
        }
        return String(line[line.index(after: open)..<close])
      }
      for try await buffer in inbound {
        pending += buffer.readableBytesView
        while let end = pending.firstIndex(of: 10) {
          var bytes = Array(pending[..<end])
          pending.removeSubrange(...end)
          if bytes.last == 13 { bytes.removeLast() }
          let line = String(decoding: bytes, as: UTF8.self)
          if var lines = data {
            if line == "." {
              await mailbox.add(
                Received(
                  from: from, recipients: recipients, wire: lines.joined(separator: "\r\n"),
                  message: lines.map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 }
                    .joined(separator: "\r\n")))
              data = nil
              try await say("250 2.0.0 Ok: queued")
            } else {
              lines.append(line)
              data = lines
            }
            continue
          }
          switch line.prefix(4).uppercased() {
          case "EHLO": try await say("250-loopback.test", "250-PIPELINING", "250 8BITMIME")
          case "MAIL":
            from = address(line)
            try await say("250 2.1.0 Ok")
          case "RCPT":
            if case .rejectRecipient(let reply) = behaviour {
              try await say(reply)
            } else {
              recipients.append(address(line))
              try await say("250 2.1.5 Ok")
            }
          case "DATA":
            data = []
            try await say("354 End data with <CR><LF>.<CR><LF>")
          case "QUIT":
            try await say("221 2.0.0 Bye")
            return
          default: try await say("502 5.5.2 Error: command not recognized")
          }
        }
      }
    }
  }
}

/// The members page e-mails invitations when the configuration has an `smtp` section
/// (issue 17, part 6), through a real SMTP conversation with a loopback server.
@Suite("Invitations by e-mail (SMTP)")
struct SMTPInvitationTests {
  static let sender = "etiquette@exemple.fr"

  /// The relay's timeout is generous unless a test is about it: the suite runs in parallel on
  /// two cores, where a loopback reply can wait seconds for a thread (a 5-s timeout expired in
  /// CI and read as the server closing the connection).
  static func harness(port: Int, timeout: Double = 120) async throws -> ServerHarness {
    try await ServerHarness { configuration in
      configuration.smtp = ServerConfiguration.SMTPRelay(
        host: "127.0.0.1", port: port, from: sender, timeout: timeout)
    }
  }

  /// Invites chloe from the members page as manon; the page as a reader sees it.
  static func invite(_ harness: ServerHarness) async throws -> (HTTPResponse.Status, String) {
    let manon = try await WebInboxTests.session(WebInboxTests.signIn(harness), "manon@exemple.fr")
    return try await harness.server.makeApplication().test(.router) { client in
      let (status, html) = try await ConsoleAccessTests.post(
        client, "/app/members/invite", session: manon, email: "chloe@exemple.fr")
      return (status, ConsoleAccessTests.unescaped(html))
    }
  }

  static func link(in html: String) throws -> String {
    try #require(
      try ConsoleAccessTests.matches(#"href="([^"]*/invitation/[^"]+)""#, in: html).first?[0])
  }

  /// RFC 2045 quoted-printable, undone.
  static func decodedQuotedPrintable(_ text: String) -> String {
    let joined = text.replacingOccurrences(of: "=\r\n", with: "")
    var bytes: [UInt8] = []
    var utf8 = Array(joined.utf8)[...]
    while let byte = utf8.popFirst() {
      if byte == UInt8(ascii: "="), utf8.count >= 2,
        let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
      {
        bytes.append(value)
        utf8 = utf8.dropFirst(2)
      } else {
        bytes.append(byte)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// RFC 2047 `=?UTF-8?B?…?=` words, undone.
  static func decodedWords(_ text: String) -> String {
    text.split(separator: " ").map { word -> String in
      guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?="),
        let data = Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))
      else { return String(word) }
      return String(decoding: data, as: UTF8.self)
    }.joined()
  }

  @Test(
    "« Inviter » e-mails the one-time link to the member, in French, and the link signs in once")
  func invitationIsMailed() async throws {
    let smtp = try await LoopbackSMTPServer(.accept)
    defer { Task { await smtp.stop() } }
    let harness = try await Self.harness(port: smtp.port)
    let (status, html) = try await Self.invite(harness)
    #expect(status == .ok)
    #expect(html.contains("Invitation envoyée à chloe@exemple.fr."))
    #expect(!html.contains("pas de configuration SMTP"))
    let link = try Self.link(in: html)

    // The send is awaited by the page: the message is already in the mailbox.
    let messages = await smtp.messages
    #expect(messages.count == 1)
    let mail = try #require(messages.first)
    #expect(mail.from == Self.sender && mail.recipients == ["chloe@exemple.fr"])
    #expect(mail.header("From") == "<\(Self.sender)>")
    #expect(mail.header("To") == "<chloe@exemple.fr>")
    let subject = try #require(mail.header("Subject"))
    #expect(subject.hasPrefix("=?UTF-8?B?"))
    #expect(Self.decodedWords(subject) == "Invitation à la boîte de réception Etiquette")
    // The server's clock, not the machine's: the test clock starts on a known day.
    let day = String(MailMessage.rfc5322(TestClock.start).prefix(16))
    #expect(mail.header("Date")?.hasPrefix(day) == true)
    #expect(mail.header("Message-ID")?.hasSuffix("@exemple.fr>") == true)
    #expect(mail.header("MIME-Version") == "1.0")
    #expect(mail.header("Content-Type") == "text/plain; charset=utf-8")
    #expect(mail.header("Content-Transfer-Encoding") == "quoted-printable")
    // Every line of the wire is 7-bit and short.
    #expect(mail.wire.utf8.allSatisfy { $0 < 128 })
    #expect(mail.wire.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 998 })
    let body = Self.decodedQuotedPrintable(mail.body)
    #expect(body.contains("manon@exemple.fr vous invite à rejoindre la boîte de réception"))
    #expect(body.contains("\n\(link)\n") || body.contains("\r\n\(link)\r\n"))
    #expect(body.contains("valable 7 jours"))

    // The e-mailed link is the page's, and it signs chloe in once.
    let token = try #require(link.components(separatedBy: "/invitation/").last)
    let signIn = WebInboxTests.signIn(harness)
    guard
      case .signedIn = try await signIn.acceptInvitation(
        token: token, password: WebInboxTests.password)
    else {
      Issue.record("the e-mailed invitation did not sign chloe in")
      return
    }
    #expect(
      try await signIn.acceptInvitation(token: token, password: WebInboxTests.password)
        == .invitationInvalid)
  }

  @Test("a line starting with \".\" is dot-stuffed on the wire and arrives unchanged")
  func dotStuffing() async throws {
    let smtp = try await LoopbackSMTPServer(.accept)
    defer { Task { await smtp.stop() } }
    let body = "Première ligne\n.seule\n..deux\n."
    let message = try MailMessage(
      from: Self.sender, to: "chloe@exemple.fr", subject: "Points", body: body,
      date: TestClock.start, messageID: "test@exemple.fr")
    try await SMTPMailer(
      relay: .init(host: "127.0.0.1", port: smtp.port, from: Self.sender, timeout: 120)
    ).send(message)
    let mail = try #require(await smtp.messages.first)
    #expect(mail.wire.contains("\r\n..seule\r\n...deux\r\n.."))
    #expect(mail.wire.hasSuffix("\r\n.."))
    #expect(
      Self.decodedQuotedPrintable(mail.body) == body.replacingOccurrences(of: "\n", with: "\r\n"))
    #expect(mail.header("Subject") == "Points")
  }

  @Test("a 5xx reply is shown on the page with the server's code and text; the link still is")
  func rejectionIsShown() async throws {
    let smtp = try await LoopbackSMTPServer(
      .rejectRecipient("550 5.1.1 <chloe@exemple.fr>: Recipient address rejected"))
    defer { Task { await smtp.stop() } }
    let harness = try await Self.harness(port: smtp.port)
    let (status, html) = try await Self.invite(harness)
    #expect(status == .ok)
    #expect(html.contains("l’e-mail n’a pas pu être envoyé"))
    #expect(
      html.contains(
        "RCPT TO:<chloe@exemple.fr>: 550 5.1.1 <chloe@exemple.fr>: Recipient address rejected"))
    #expect(html.contains("Transmettez ce lien au membre vous-même"))
    #expect(!html.contains("Invitation envoyée"))
    _ = try Self.link(in: html)
    #expect(await smtp.messages.isEmpty)
  }

  @Test("a server that never answers times out, and the page says so")
  func silentServerTimesOut() async throws {
    let smtp = try await LoopbackSMTPServer(.silent)
    defer { Task { await smtp.stop() } }
    let harness = try await Self.harness(port: smtp.port, timeout: 0.3)
    let (status, html) = try await Self.invite(harness)
    #expect(status == .ok)
    #expect(html.contains("no answer from the SMTP server to the greeting within 0.3 s"))
    _ = try Self.link(in: html)
  }

  @Test("a server that refuses the connection is named on the page")
  func refusedConnection() async throws {
    // A port bound but not listening: refused, and held, so no other test's server takes it
    // (a port merely "just free" once went to another test's HTTP server, which both tests
    // then failed on).
    let reserved = try ReservedPort()
    defer { reserved.release() }
    let port = reserved.port
    let harness = try await Self.harness(port: port)
    let (_, html) = try await Self.invite(harness)
    #expect(html.contains("cannot connect to 127.0.0.1:\(port)"))
    _ = try Self.link(in: html)
  }

  @Test("header injection is impossible: line breaks in an address or the subject are refused")
  func headerInjection() throws {
    func message(to: String = "chloe@exemple.fr", subject: String = "Bonjour") throws
      -> MailMessage
    {
      try MailMessage(
        from: Self.sender, to: to, subject: subject, body: "x", date: TestClock.start,
        messageID: "id@exemple.fr")
    }
    #expect(throws: MailMessage.Refusal.self) {
      try message(to: "chloe@exemple.fr\r\nBcc: tous@exemple.fr")
    }
    #expect(throws: MailMessage.Refusal.self) { try message(to: "chloe@exemple.fr>") }
    #expect(throws: MailMessage.Refusal.self) { try message(subject: "Bonjour\r\nBcc: x@y.fr") }
    #expect(throws: MailMessage.Refusal.self) { try message(subject: "Bonjour\nBcc: x@y.fr") }
    // A long French subject: encoded words of at most 75 characters, decoding to the subject.
    let subject = String(repeating: "Invitation à la boîte « Équipe » ", count: 4)
    let rendered = try message(subject: subject).rendered()
    let header = try #require(
      rendered.components(separatedBy: "\r\n\r\n").first?.components(separatedBy: "Subject: ")
        .last?.components(separatedBy: "\r\nDate:").first)
    let words = header.components(separatedBy: "\r\n ")
    #expect(words.count > 1)
    #expect(words.allSatisfy { $0.count <= 75 && $0.hasPrefix("=?UTF-8?B?") })
    #expect(Self.decodedWords(words.joined(separator: " ")) == subject)
  }

  static func configuration(_ json: String) throws -> ServerConfiguration {
    var configuration = ServerConfiguration()
    try configuration.apply(file: try ConfigurationTests.write(json))
    return configuration
  }

  @Test("configuration errors: from missing, starttls, credentials without TLS, a misspelt key")
  func configurationErrors() throws {
    let missingFrom = try Self.configuration(#"{"smtp": {"host": "mail.exemple.fr"}}"#)
    #expect(
      missingFrom.problems().contains {
        $0.hasPrefix("smtp.from is required when smtp.host is set")
      })
    #expect(throws: ConfigurationError.self) {
      try InboxServer(configuration: missingFrom)
    }
    let starttls = try Self.configuration(
      #"{"smtp": {"host": "mail.exemple.fr", "from": "e@exemple.fr", "starttls": true}}"#)
    #expect(starttls.problems().contains { $0.contains("STARTTLS is not supported yet") })
    var credentials = try Self.configuration(
      #"{"smtp": {"host": "mail.exemple.fr", "from": "e@exemple.fr", "username": "e"}}"#)
    credentials.apply(environment: ["ETIQUETTE_SMTP_PASSWORD": "tres-secret"])
    #expect(credentials.smtp?.password == "tres-secret")
    #expect(credentials.problems().contains { $0.contains("the password would travel in clear") })
    // The password is never shown.
    #expect(!credentials.description.contains("tres-secret"))
    #expect(credentials.description.contains("smtp=mail.exemple.fr:25"))
    let encoded = try JSONEncoder().encode(credentials.smtp)
    #expect(!String(decoding: encoded, as: UTF8.self).contains("tres-secret"))
    let badFrom = try Self.configuration(
      #"{"smtp": {"host": "mail.exemple.fr", "from": "e@exemple.fr\nBcc: x@y.fr", "port": 0}}"#)
    #expect(badFrom.problems().contains { $0.hasPrefix("smtp.from must be one e-mail address") })
    #expect(badFrom.problems().contains { $0.hasPrefix("smtp.port must be between 1 and 65535") })
    let good = try Self.configuration(
      #"{"smtp": {"host": "mail.exemple.fr", "from": "e@exemple.fr", "port": 2525, "timeout_seconds": 3}}"#
    )
    #expect(good.problems().isEmpty)
    #expect(good.smtp?.port == 2525 && good.smtp?.timeout == 3 && good.smtp?.startTLS == false)

    var noHost = ServerConfiguration()
    do {
      try noHost.apply(file: try ConfigurationTests.write(#"{"smtp": {"from": "e@exemple.fr"}}"#))
      Issue.record("an smtp section without host was accepted")
    } catch {
      #expect("\(error)".hasSuffix("smtp.host is required"))
    }
    var misspelt = ServerConfiguration()
    do {
      try misspelt.apply(
        file: try ConfigurationTests.write(#"{"smtp": {"host": "h", "start_tls": true}}"#))
      Issue.record("a misspelt smtp key was accepted")
    } catch {
      #expect("\(error)".contains(#"unknown key "smtp.start_tls" (did you mean "starttls"?)"#))
    }
  }
}
