import Foundation
import NIOCore
import NIOPosix

/// An e-mail address as the envelope and the headers carry it: `name@domain`, printable ASCII,
/// none of the characters that would end a header or an angle-bracketed path.
enum MailAddress {
  static func isValid(_ text: String) -> Bool {
    let parts = text.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, text.utf8.count <= 254 else {
      return false
    }
    let forbidden = Set("<>()[]\\,;:\"".unicodeScalars)
    // INVARIANT: no byte below 33 passes, so neither CR nor LF can reach a header or command.
    return text.unicodeScalars.allSatisfy {
      $0.value > 32 && $0.value < 127 && !forbidden.contains($0)
    }
  }

  /// The part after `@`: the EHLO name and the `Message-ID`'s right-hand side.
  static func domain(of address: String) -> String {
    address.split(separator: "@").last.map(String.init) ?? "localhost"
  }
}

/// A plain-text message in UTF-8: headers that cannot be injected into (addresses are checked,
/// a subject with a line break is refused, a non-ASCII subject is RFC 2047 encoded), and a
/// quoted-printable body, so every line stays 7-bit and short whatever the relay supports.
struct MailMessage: Sendable {
  var from: String
  var to: String
  var subject: String
  var body: String
  var date: Date
  /// Without the angle brackets.
  var messageID: String

  enum Refusal: Error, Sendable, CustomStringConvertible {
    case address(String)
    case subject

    var description: String {
      switch self {
      case .address(let address): "\"\(address)\" is not an e-mail address"
      case .subject: "a subject must be one line"
      }
    }
  }

  init(
    from: String, to: String, subject: String, body: String, date: Date, messageID: String
  ) throws(Refusal) {
    for address in [from, to] where !MailAddress.isValid(address) {
      throw .address(address)
    }
    guard !subject.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
    else { throw .subject }
    guard MailAddress.isValid(messageID) else { throw .address(messageID) }
    self.from = from
    self.to = to
    self.subject = subject
    self.body = body
    self.date = date
    self.messageID = messageID
  }

  /// The message as DATA sends it, before dot-stuffing: CRLF line ends, no final CRLF.
  func rendered() -> String {
    [
      "From: <\(from)>",
      "To: <\(to)>",
      "Subject: \(Self.encodedWords(subject))",
      "Date: \(Self.rfc5322(date))",
      "Message-ID: <\(messageID)>",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      Self.quotedPrintable(body),
    ].joined(separator: "\r\n")
  }

  /// RFC 2047 `=?UTF-8?B?…?=` words when the text is not plain ASCII, each under 75
  /// characters and never cutting a character, folded onto continuation lines.
  static func encodedWords(_ text: String) -> String {
    if text.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value < 127 }) { return text }
    var chunks: [String] = []
    var chunk = ""
    for character in text {
      if chunk.utf8.count + character.utf8.count > 39 {
        chunks.append(chunk)
        chunk = ""
      }
      chunk.append(character)
    }
    if !chunk.isEmpty { chunks.append(chunk) }
    return chunks.map { "=?UTF-8?B?" + Data($0.utf8).base64EncodedString() + "?=" }
      .joined(separator: "\r\n ")
  }

  /// RFC 2045 quoted-printable, lines of at most 76 characters, CRLF line ends.
  static func quotedPrintable(_ text: String) -> String {
    var lines: [String] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      var bytes = Array(line.utf8)
      if bytes.last == 13 { bytes.removeLast() }
      var encoded = ""
      var current = ""
      for (index, byte) in bytes.enumerated() {
        let literal =
          (33...126).contains(byte) && byte != UInt8(ascii: "=")
          || ((byte == 32 || byte == 9) && index != bytes.count - 1)
        let piece = literal ? String(UnicodeScalar(byte)) : String(format: "=%02X", byte)
        if current.utf8.count + piece.utf8.count > 75 {
          encoded += current + "=\r\n"
          current = ""
        }
        current += piece
      }
      lines.append(encoded + current)
    }
    return lines.joined(separator: "\r\n")
  }

  static func rfc5322(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
    return formatter.string(from: date)
  }

  /// SMTP's transparency (RFC 5321 §4.5.2): a line that starts with "." gets a second one,
  /// so no line of the message can end DATA early.
  static func dotStuffed(_ text: String) -> String {
    text.components(separatedBy: "\r\n").map { $0.hasPrefix(".") ? "." + $0 : $0 }
      .joined(separator: "\r\n")
  }
}

/// Why a message was not sent, with the server's own reply when it gave one.
enum SMTPError: Error, Sendable, CustomStringConvertible {
  case connection(server: String, reason: String)
  /// No (complete) reply within the timeout.
  case timeout(waitingFor: String, seconds: Double)
  case closed(waitingFor: String)
  case rejected(command: String, code: Int, text: String)
  case unreadable(String)

  var description: String {
    switch self {
    case .connection(let server, let reason): "cannot connect to \(server): \(reason)"
    case .timeout(let command, let seconds):
      "no answer from the SMTP server to \(command) within \(Self.seconds(seconds))"
    case .closed(let command): "the SMTP server closed the connection after \(command)"
    case .rejected(let command, let code, let text): "\(command): \(code) \(text)"
    case .unreadable(let line): "unreadable SMTP reply \"\(line.prefix(80))\""
    }
  }

  static func seconds(_ value: Double) -> String {
    value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
  }
}

/// A small SMTP client for the invitation e-mails (issue 17): EHLO, MAIL FROM, RCPT TO, DATA,
/// QUIT on SwiftNIO, a timeout on the connection and on every reply. No STARTTLS nor AUTH:
/// the configuration refuses both (`ServerConfiguration.problems(of:)`), so no password can
/// leave in clear.
struct SMTPMailer: Sendable {
  let relay: ServerConfiguration.SMTPRelay

  /// Sends one message; throws `SMTPError` with the server's reply when it refuses.
  func send(_ message: MailMessage) async throws {
    let server = "\(relay.host):\(relay.port)"
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    do {
      channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connectTimeout(.nanoseconds(Int64(relay.timeout * 1e9)))
        .connect(host: relay.host, port: relay.port) { channel in
          channel.eventLoop.makeCompletedFuture {
            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
          }
        }
    } catch let error as NIOConnectionError {
      // Each address tried, with why it failed; the first says enough ("Connection refused").
      let reason = error.connectionErrors.first.map { "\($0.error)" } ?? "no address found"
      throw SMTPError.connection(server: server, reason: reason)
    } catch ChannelError.connectTimeout {
      throw SMTPError.connection(
        server: server, reason: "no connection within \(SMTPError.seconds(relay.timeout))")
    } catch {
      throw SMTPError.connection(server: server, reason: "\(error)")
    }
    let timeout = relay.timeout
    let helo = MailAddress.domain(of: message.from)
    try await channel.executeThenClose { inbound, outbound in
      var session = SMTPSession(
        replies: inbound.makeAsyncIterator(), outbound: outbound, channel: channel.channel,
        timeout: timeout)
      try await session.expect(220, after: "the greeting")
      try await session.command("EHLO \(helo)", expecting: 250)
      try await session.command("MAIL FROM:<\(message.from)>", expecting: 250)
      try await session.command("RCPT TO:<\(message.to)>", expecting: 250, 251)
      try await session.command("DATA", expecting: 354)
      try await session.send(MailMessage.dotStuffed(message.rendered()) + "\r\n.\r\n")
      try await session.expect(250, after: "the message (end of DATA)")
      // The message is accepted: a relay that fumbles QUIT changes nothing.
      try? await session.command("QUIT", expecting: 221)
    }
  }
}

/// One SMTP conversation: writes commands, reads (multi-line) replies, each within `timeout`.
struct SMTPSession {
  var replies: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
  let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
  let channel: any Channel
  let timeout: Double
  var pending: [UInt8] = []

  /// A reply line longer than this is not SMTP (RFC 5321 allows 512 octets).
  static let maxLine = 4_096

  mutating func command(_ line: String, expecting codes: Int...) async throws {
    try await send(line + "\r\n")
    // The command's verb names it in errors; MAIL and RCPT keep their argument (no secret).
    try await expect(codes, after: line)
  }

  func send(_ text: String) async throws {
    try await outbound.write(ByteBuffer(string: text))
  }

  mutating func expect(_ codes: Int..., after command: String) async throws {
    try await expect(codes, after: command)
  }

  mutating func expect(_ codes: [Int], after command: String) async throws {
    let (code, text) = try await reply(after: command)
    guard codes.contains(code) else {
      throw SMTPError.rejected(command: command, code: code, text: text)
    }
  }

  /// The next reply: its code and its lines' texts joined by spaces.
  mutating func reply(after command: String) async throws -> (Int, String) {
    // A reply that does not come closes the channel, which ends the read below.
    let channel = self.channel
    let seconds = timeout
    let watchdog = Task {
      try await Task.sleep(for: .seconds(seconds))
      channel.close(promise: nil)
    }
    defer { watchdog.cancel() }
    func ended() async -> SMTPError {
      watchdog.cancel()
      let timedOut = (try? await watchdog.value) != nil
      return timedOut
        ? .timeout(waitingFor: command, seconds: seconds) : .closed(waitingFor: command)
    }
    var texts: [String] = []
    while true {
      let line: String?
      do {
        line = try await nextLine()
      } catch let error as SMTPError {
        throw error
      } catch {
        throw await ended()
      }
      guard let line else { throw await ended() }
      let characters = Array(line)
      guard characters.count >= 3, let code = Int(String(characters[0..<3])),
        characters.count == 3 || characters[3] == " " || characters[3] == "-"
      else { throw SMTPError.unreadable(line) }
      texts.append(characters.count > 4 ? String(characters[4...]) : "")
      if characters.count == 3 || characters[3] == " " {
        return (code, texts.joined(separator: " "))
      }
    }
  }

  mutating func nextLine() async throws -> String? {
    while true {
      if let end = pending.firstIndex(of: 10) {
        var line = Array(pending[..<end])
        pending.removeSubrange(...end)
        if line.last == 13 { line.removeLast() }
        return String(decoding: line, as: UTF8.self)
      }
      guard pending.count <= Self.maxLine else {
        throw SMTPError.unreadable(String(decoding: pending.prefix(80), as: UTF8.self))
      }
      guard let buffer = try await replies.next() else { return nil }
      pending += buffer.readableBytesView
    }
  }
}
