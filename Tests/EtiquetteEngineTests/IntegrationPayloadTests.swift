import EtiquetteChecker
import EtiquetteEngine
import EtiquetteTestSupport
import Foundation
import Testing

/// The webhook document and its versioned schema in schemas/.
@Suite struct IntegrationPayloadTests {
  static let schemaPath =
    GoldenFile.repositoryRoot(from: #filePath) + "/schemas/integration-payload.v1.json"

  func conversation() throws -> (CompiledRules, Conversation) {
    let rules = try CompiledRules.exampleRules()
    var script = Script(rules, contact: ["tier": .string("vip")])
    script.conversation.contact.phone = "+33612345678"
    script.conversation.contact.name = "Léa"
    script.run([
      .at("2026-11-24T10:00:00+01:00"), .says("Bonjour, ma commande CMD-123456 n'est pas arrivée"),
      .agent("manon@exemple.fr", .takeOver), .agent("manon@exemple.fr", .reply("Je regarde")),
      .agent("manon@exemple.fr", .note("client important")),
    ])
    var photo = CustomerMessage(type: .image, caption: "voici la photo")
    photo.attachments = [
      Attachment(url: "https://cdn.example/1.jpg", type: "image/jpeg", size: 2048)
    ]
    let (next, _) = rules.engine.apply(
      Step(.message(photo), at: script.time), to: script.conversation)
    return (rules, next)
  }

  @Test func carriesWhatTheWebhookNeeds() throws {
    let (rules, conversation) = try conversation()
    let payload = IntegrationPayload(conversation, ruleSet: rules.ruleSet, sources: rules.sources)
    #expect(payload.schema == "etiquette/integration-payload/v1")
    #expect(payload.user.phone == "+33612345678")
    #expect(payload.user.id == "u1")
    #expect(payload.user.name == "Léa")
    #expect(payload.lastUserMessage?.text == "voici la photo")
    #expect(payload.messageType == "image")
    #expect(payload.lastSentMessage?.text == "Je regarde")
    #expect(payload.labels.map(\.name) == ["Demandes de Commande", "VIP"])
    #expect(payload.labels.first?.reason.rule == "rules/labels.etq:28:3")
    #expect(payload.notes.map(\.text) == ["client important"])
    #expect(payload.attachments.map(\.size) == [2048])
    #expect(payload.mode == "human")
    #expect(payload.assignee == "manon@exemple.fr")
    #expect(payload.priority == "urgent")
    #expect(
      payload.transcript == """
        [2026-11-24T09:00:00Z] customer: Bonjour, ma commande CMD-123456 n'est pas arrivée
        [2026-11-24T09:00:00Z] agent manon@exemple.fr: Je regarde
        [2026-11-24T09:00:00Z] customer: voici la photo
        """)
  }

  @Test func validatesAgainstTheSchema() throws {
    let (rules, conversation) = try conversation()
    let empty = rules.engine.newConversation(id: "c0", contact: Contact(id: "wa-only"))
    let dir = NSTemporaryDirectory() + "etiquette-payload-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var paths: [String] = []
    for (index, c) in [conversation, empty].enumerated() {
      let path = "\(dir)/payload\(index).json"
      try IntegrationPayload(c, ruleSet: rules.ruleSet, sources: rules.sources).json()
        .write(toFile: path, atomically: true, encoding: .utf8)
      paths.append(path)
    }
    let script = """
      import json, sys, jsonschema
      schema = json.load(open(sys.argv[1]))
      jsonschema.Draft202012Validator.check_schema(schema)
      for path in sys.argv[2:]:
          jsonschema.validate(json.load(open(path)), schema,
                              cls=jsonschema.Draft202012Validator)
      print("valid", len(sys.argv) - 2)
      """
    let (status, output) = try PythonScript.run(script, arguments: [Self.schemaPath] + paths)
    #expect(status == 0, "\(output)")
    #expect(output.contains("valid 2"))
  }
}
