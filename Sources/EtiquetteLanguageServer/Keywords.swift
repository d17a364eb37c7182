import EtiquetteSyntax

/// The language's keywords with a one-line explanation each, for hover, completion and
/// highlighting. Keywords are contextual (the lexer returns identifiers), so a word is treated as
/// a keyword only where it is not a name the admin chose (attribute names, day names).
enum Keywords {
  static let meaning: [String: String] = [
    "contact": "declares the contact attributes rules may test, or sets them in a test",
    "event":
      "an integration event: declared at the top level, tested in a condition or sent in a test",
    "hours": "declares opening hours, for `during`",
    "label": "declares a label, or tests that a conversation has it",
    "team": "declares a team of members and what they may see, or routes to it",
    "routing": "the routing block: the default mode and the rules that pick AI or human",
    "test": "a scripted conversation and what must hold after it",
    "color": "the label's colour in the inbox",
    "description": "a sentence describing the label",
    "was": "the label's former name: conversations stored with it carry this label",
    "when": "a trigger: fires when the condition becomes true",
    "remove": "`remove when`: removes the label when the condition becomes true",
    "message": "the message of the current step",
    "contains": "the message has the phrase (whole words; case, accents and spacing ignored)",
    "any": "at least one of the phrases",
    "all": "every phrase, or every conversation in a grant",
    "matches": "the PCRE2 pattern matches the message",
    "forms": "the phrases also match every form of their words (Snowball stemming)",
    "typos": "the phrases tolerate a typo per word of 5–8 letters, two from 9",
    "synonyms": "what customers write and what it means, applied before phrases match",
    "language": "the language of the phrases (fr or en), for word forms",
    "mode": "who answers now: `ai` or `human`",
    "during": "the step's time is within the named hours",
    "and": "both conditions hold",
    "or": "at least one condition holds",
    "not": "the condition does not hold",
    "members": "the emails of the team's members",
    "can": "a grant: what the team may do with which conversations",
    "view": "may read the conversation",
    "reply": "may answer (includes view)",
    "manage": "may label and hand off (includes view and reply)",
    "except": "`all except labels [...]`: conversations with none of these labels",
    "labels": "a list of labels",
    "default": "the mode when no routing rule fires",
    "ai": "the AI agent answers",
    "human": "a human agent answers",
    "priority": "the urgency given to a routed conversation",
    "zone": "the IANA time zone of the hours",
    "at": "the time of the following steps (ISO 8601)",
    "customer": "a customer message step",
    "says": "a text message from the customer",
    "sends": "a message of another type from the customer",
    "agent": "an action by a team member",
    "expect": "what must hold after the steps so far",
    "route": "the routing outcome of the last step",
    "notify": "the member was notified",
    "cannot": "the member may not do this",
    "unchanged": "no routing rule fired at the last step",
    "is": "equality on an enumerated value",
    "in": "one of a list of values",
    "starts": "`starts with`: a string prefix",
  ]

  static let topLevel = [
    "contact", "event", "hours", "label", "team", "routing", "test", "synonyms", "language",
  ]
  static let label = ["color", "description", "when", "remove when", "was"]
  static let team = ["members", "can view", "can reply", "can manage"]
  static let routing = ["default", "when"]
  static let hours = ["zone", "mon-fri", "sat", "sun"]
  static let test = [
    "contact", "at", "customer says", "customer sends", "event", "agent", "expect labels",
    "expect label", "expect no label", "expect route", "expect mode", "expect notify",
  ]
  static let conditionStart = [
    "message contains", "message contains any", "message contains all", "message matches",
    "message.type is", "message.type in", "contact.", "event", "event.", "label", "mode is",
    "during", "not",
  ]
  static let conditionContinuation = ["and", "or"]
}
