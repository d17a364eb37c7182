import EtiquetteChecker
import EtiquetteEngine
import Foundation
import Testing

/// The JSON-lines step format of `etiquette run`.
@Suite struct StepLineTests {
  static let rules = """
    label "A" {
      when message contains "aaa"
    }
    team "T" {
      members ["a@x.fr"]
      can reply all
    }
    routing {
      default ai
    }
    """

  struct Case: Sendable, CustomStringConvertible {
    var line: String
    /// A short rendering of the step, or "error: …".
    var expected: String
    var description: String { line }
  }

  static let cases: [Case] = [
    Case(
      line:
        #"{"conversation": "c1", "type": "text", "text": "hé", "at": "2026-11-24T10:00:00+01:00"}"#,
      expected: "c1 message text \"hé\" at 2026-11-24T09:00:00Z"),
    Case(line: #"{"conversation": "c1", "text": "salut"}"#, expected: "c1 message text \"salut\""),
    Case(
      line: #"{"conversation": "c1", "type": "image", "caption": "écran"}"#,
      expected: "c1 message image \"écran\""),
    Case(
      line: #"{"conversation": "c1", "type": "document", "filename": "devis.pdf"}"#,
      expected: "c1 message document \"devis.pdf\""),
    Case(
      line: #"{"conversation": "c2", "event": "calendly", "fields": {"n": 2, "ok": true}}"#,
      expected: "c2 event calendly n=2 ok=true"),
    Case(
      line: #"{"conversation": "c3", "agent": "a@x.fr", "action": "take_over"}"#,
      expected: "c3 agent a@x.fr take_over"),
    Case(
      line: #"{"conversation": "c3", "agent": "a@x.fr", "action": "remove_label", "label": "A"}"#,
      expected: "c3 agent a@x.fr remove_label"),
    Case(line: #"{"conversation": "c3", "tick": true}"#, expected: "c3 tick"),
    Case(
      line: #"{"conversation": "c3", "ai_reply": "Bonjour !", "version": 2}"#,
      expected: "c3 ai reply \"Bonjour !\" for 2"),
    Case(
      line: #"{"conversation": "c3", "ai_reply": "Bonjour !"}"#,
      expected:
        "error: an AI reply needs \"version\": the conversation version its decision was made for"),
    Case(
      line: #"{"conversation": "c3", "ai_reply": "", "version": 1}"#,
      expected: "error: \"ai_reply\" must be the reply's text"),
    Case(line: "not json", expected: "error: not valid JSON"),
    Case(line: "[1, 2]", expected: "error: a step must be a JSON object"),
    Case(
      line: #"{"text": "x"}"#, expected: "error: missing \"conversation\" (a non-empty string)"),
    Case(
      line: #"{"conversation": "c", "text": "x", "at": "yesterday"}"#,
      expected: "error: \"at\" must be an ISO-8601 instant such as 2026-11-24T10:00:00+01:00"),
    Case(
      line: #"{"conversation": "c", "type": "fax"}"#,
      expected: "error: unknown message type \"fax\" (one of text, image, video, document, "
        + "audio, voice, sticker, location, contacts, interactive, button, reaction, order, "
        + "unsupported)"),
    Case(
      line: #"{"conversation": "c", "agent": "a@x.fr", "action": "add_label", "label": "Z"}"#,
      expected: "error: unknown label \"Z\""),
    Case(
      line: #"{"conversation": "c", "agent": "a@x.fr", "action": "reply"}"#,
      expected: "error: \"reply\" needs \"text\""),
    Case(
      line: #"{"conversation": "c", "text": 42}"#, expected: "error: \"text\" must be a string"),
    Case(
      line: #"{"conversation": "c"}"#,
      expected:
        "error: a step needs \"text\" or \"type\" (a message), \"event\", \"agent\", "
        + "\"ai_reply\" or \"tick\""),
  ]

  @Test(arguments: cases)
  func decodes(_ c: Case) throws {
    let rules = try CompiledRules.compile(Self.rules)
    switch StepLine.decode(c.line, ruleSet: rules.ruleSet) {
    case .failure(let error):
      #expect("error: \(error.message)" == c.expected)
    case .success(let step):
      var text = step.conversation
      switch step.kind {
      case .message(let m):
        text += " message \(m.type.rawValue) \"\(m.scannedText ?? "")\""
      case .event(let e):
        text += " event \(e.name)"
        for key in e.fields.keys.sorted() {
          let value = e.fields[key].map { v -> String in
            if case .number(let n) = v { return String(Int(n)) }
            return v.description
          }
          text += " \(key)=\(value ?? "")"
        }
      case .agent(let member, let action): text += " agent \(member) \(action.name)"
      case .tick: text += " tick"
      case .aiReply(let reply, let version): text += " ai reply \"\(reply)\" for \(version)"
      }
      if let at = step.at { text += " at \(Instant.format(at))" }
      #expect(text == c.expected)
    }
  }

  @Test func contactKeysBecomeAttributes() throws {
    let rules = try CompiledRules.compile(Self.rules)
    let line =
      #"{"conversation": "c", "text": "x", "contact": {"id": "wa1", "phone": "+33612345678", "name": "Léa", "tier": "vip", "attributes": {"language": "fr"}}}"#
    let step = try StepLine.decode(line, ruleSet: rules.ruleSet).get()
    let contact = try #require(step.contact)
    #expect(contact.id == "wa1")
    #expect(contact.phone == "+33612345678")
    #expect(contact.name == "Léa")
    #expect(contact.attributes == ["tier": .string("vip"), "language": .string("fr")])
  }

  @Test func replayKeepsConversationsApartAndTimeMovesOn() throws {
    let rules = try CompiledRules.compile(Self.rules)
    var replay = Replay(engine: rules.engine)
    let lines = [
      #"{"conversation": "c1", "text": "aaa", "at": "2026-11-24T10:00:00+01:00"}"#,
      #"{"conversation": "c2", "text": "bonjour"}"#,
      #"{"conversation": "c1", "text": "re"}"#,
    ]
    var decisions: [Decision] = []
    for line in lines {
      decisions.append(replay.apply(try StepLine.decode(line, ruleSet: rules.ruleSet).get()).1)
    }
    #expect(decisions.map(\.step) == [1, 1, 2])
    #expect(replay.conversations["c1"]?.labelSet == [rules.label("A")])
    #expect(replay.conversations["c2"]?.labelSet == [])
    #expect(replay.conversations["c1"]?.lastStepTime == Instant.parse("2026-11-24T09:00:00Z"))
    #expect(replay.conversations["c2"]?.lastStepTime == Engine.defaultInstant)
  }
}
