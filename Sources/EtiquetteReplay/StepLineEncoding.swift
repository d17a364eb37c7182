import EtiquetteChecker
import EtiquetteEngine
import Foundation

extension StepLine {
  /// The step as an `etiquette run` line that `StepLine.decode` reads back to the same step
  /// (labels by name, the instant in UTC with milliseconds): what the server keeps of every
  /// step, so the console's impact replay feeds stored traffic to the code of `etiquette diff`.
  ///
  /// Without `at` (`withInstant: false`) for a store that keeps the instant beside the line
  /// (see `RuleDiff.feed(_:number:at:)`).
  public static func encode(
    _ step: Step, conversation: String, contact: ContactUpdate?, ruleSet: RuleSet,
    withInstant: Bool = true
  ) -> String {
    var o: [String: JSONValue] = ["conversation": .string(conversation)]
    if withInstant { o["at"] = .string(Instant.formatWithMilliseconds(step.at)) }
    switch step.kind {
    case .message(let message):
      o["type"] = .string(message.type.rawValue)
      if let text = message.text { o["text"] = .string(text) }
      if let caption = message.caption { o["caption"] = .string(caption) }
      if let filename = message.filename { o["filename"] = .string(filename) }
      if !message.attachments.isEmpty {
        o["attachments"] = .array(
          message.attachments.map { attachment in
            var a: [String: JSONValue] = ["url": .string(attachment.url)]
            if let type = attachment.type { a["type"] = .string(type) }
            if let size = attachment.size { a["size"] = .number(Double(size)) }
            return .object(a)
          })
      }
    case .event(let event):
      o["event"] = .string(event.name)
      if !event.fields.isEmpty { o["fields"] = .object(event.fields.mapValues(\.json)) }
    case .agent(let member, let action):
      o["agent"] = .string(member)
      o["action"] = .string(action.name)
      switch action {
      case .addLabel(let label), .removeLabel(let label):
        o["label"] = .string(ruleSet[label].name)
      case .reply(let text), .note(let text): o["text"] = .string(text)
      case .takeOver, .transferToAI, .keepHumanAndLeave: break
      }
    case .tick: o["tick"] = .bool(true)
    case .aiReply(let text, let version):
      o["ai_reply"] = .string(text)
      o["version"] = .number(Double(version))
    }
    if let contact {
      var c: [String: JSONValue] = [:]
      if let id = contact.id { c["id"] = .string(id) }
      if let phone = contact.phone { c["phone"] = .string(phone) }
      if let name = contact.name { c["name"] = .string(name) }
      if !contact.attributes.isEmpty {
        c["attributes"] = .object(contact.attributes.mapValues(\.json))
      }
      if !c.isEmpty { o["contact"] = .object(c) }
    }
    return JSONLine.encode(JSONValue.object(o))
  }
}
