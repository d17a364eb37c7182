/// Every text of the console's impact replay, one catalogue per language (French first), and
/// the sentences a manager reads: « +12 conversations étiquetées "Demandes de Vente" à cause
/// de la nouvelle phrase "combien" ». Placeholders: `{n}`, `{label}`, `{member}`, `{old}`,
/// `{new}`, `{subject}`, `{done}`, `{total}`, `{available}`, `{steps}`, `{conversations}`,
/// `{from}`, `{to}`.
struct ImpactText: Sendable {
  var title: String
  var period: String
  var running: String
  var counting: String
  var cancel: String
  var cancelled: String
  var failed: String
  var capped: String
  var summary: String
  var nothingChanged: String
  var examples: String
  var hidden: (one: String, many: String)
  var backToEditor: String
  var draftHasErrors: String
  var badPeriod: String
  var because: String
  /// One conversation, several: `conversation` / `conversations`.
  var conversation: (one: String, many: String)
  /// Effects by field, with `{label}`, `{member}`, `{old}`, `{new}`; each has a singular and a
  /// plural form (French agrees the participle).
  var effects: [String: (one: String, many: String)]
  /// The rule changes by kind (`ChangeCause.Kind`'s raw value), with `{subject}`.
  var causes: [String: String]

  static let french = ImpactText(
    title: "Impact du brouillon",
    period: "Conversations du {from} au {to}",
    running: "Rejeu en cours : {done} étapes sur {total}",
    counting: "Rejeu en cours : comptage des étapes…",
    cancel: "Annuler",
    cancelled: "Rejeu annulé après {done} étapes sur {total}.",
    failed: "Le rejeu a échoué :",
    capped:
      "Seules les {total} premières étapes sur {available} ont été rejouées "
      + "(console.impact_max_steps).",
    summary: "{steps} étapes rejouées sur {conversations} conversations ; {n} changeraient.",
    nothingChanged: "Aucune décision ne changerait.",
    examples: "Exemples :",
    hidden: ("{n} autre que vous ne pouvez pas voir", "{n} autres que vous ne pouvez pas voir"),
    backToEditor: "Retour à l’éditeur",
    draftHasErrors: "Le brouillon a des erreurs : rien n’a été rejoué.",
    badPeriod: "La période doit être deux dates AAAA-MM-JJ, la première avant la seconde.",
    because: "à cause de",
    conversation: ("conversation", "conversations"),
    effects: [
      "labels+": ("étiquetée \"{label}\"", "étiquetées \"{label}\""),
      "labels-": ("n’est plus étiquetée \"{label}\"", "ne sont plus étiquetées \"{label}\""),
      "added-later": ("étiquetée \"{label}\" plus tard", "étiquetées \"{label}\" plus tard"),
      "added-earlier": ("étiquetée \"{label}\" plus tôt", "étiquetées \"{label}\" plus tôt"),
      "removed+": ("perd \"{label}\"", "perdent \"{label}\""),
      "removed-": ("garde \"{label}\"", "gardent \"{label}\""),
      "route": ("routée {new} au lieu de {old}", "routées {new} au lieu de {old}"),
      "mode": ("en mode {new} au lieu de {old}", "en mode {new} au lieu de {old}"),
      "priority": ("en priorité {new} au lieu de {old}", "en priorité {new} au lieu de {old}"),
      "ai": ("avec l’action IA {new} au lieu de {old}", "avec l’action IA {new} au lieu de {old}"),
      "notify+": ("notifiant {member}", "notifiant {member}"),
      "notify-": ("ne notifiant plus {member}", "ne notifiant plus {member}"),
      "access": (
        "où l’accès de {member} passe de {old} à {new}",
        "où l’accès de {member} passe de {old} à {new}"
      ),
      "refused": (
        "où l’action de {member} est {new} au lieu de {old}",
        "où l’action de {member} est {new} au lieu de {old}"
      ),
    ],
    causes: [
      "new_phrase": "la nouvelle phrase \"{subject}\"",
      "removed_phrase": "la phrase retirée \"{subject}\"",
      "new_pattern": "le nouveau motif {subject}",
      "removed_pattern": "le motif retiré {subject}",
      "new_trigger": "la nouvelle condition « {subject} »",
      "removed_trigger": "la condition retirée « {subject} »",
      "changed_trigger": "la condition modifiée « {subject} »",
      "new_label": "la nouvelle étiquette \"{subject}\"",
      "removed_label": "l’étiquette retirée \"{subject}\"",
      "new_routing_rule": "la nouvelle règle de routage « {subject} »",
      "removed_routing_rule": "la règle de routage retirée « {subject} »",
      "changed_routing_rule": "la règle de routage modifiée « {subject} »",
      "changed_routing_default": "le routage par défaut modifié ({subject})",
      "access": "l’accès modifié de {subject}",
      "other": "d’autres changements",
    ])

  static let english = ImpactText(
    title: "Impact of the draft",
    period: "Conversations from {from} to {to}",
    running: "Replaying: {done} of {total} steps",
    counting: "Replaying: counting the steps…",
    cancel: "Cancel",
    cancelled: "Replay cancelled after {done} of {total} steps.",
    failed: "The replay failed:",
    capped: "Only the first {total} of {available} steps were replayed (console.impact_max_steps).",
    summary: "{steps} steps replayed over {conversations} conversations; {n} would change.",
    nothingChanged: "No decision would change.",
    examples: "Examples:",
    hidden: ("{n} more you may not view", "{n} more you may not view"),
    backToEditor: "Back to the editor",
    draftHasErrors: "The draft has errors: nothing was replayed.",
    badPeriod: "The period must be two dates YYYY-MM-DD, the first before the second.",
    because: "because of",
    conversation: ("conversation", "conversations"),
    effects: [
      "labels+": ("labelled \"{label}\"", "labelled \"{label}\""),
      "labels-": ("no longer labelled \"{label}\"", "no longer labelled \"{label}\""),
      "added-later": ("labelled \"{label}\" later", "labelled \"{label}\" later"),
      "added-earlier": ("labelled \"{label}\" earlier", "labelled \"{label}\" earlier"),
      "removed+": ("now losing \"{label}\"", "now losing \"{label}\""),
      "removed-": ("keeping \"{label}\"", "keeping \"{label}\""),
      "route": ("routed {new} instead of {old}", "routed {new} instead of {old}"),
      "mode": ("in mode {new} instead of {old}", "in mode {new} instead of {old}"),
      "priority": ("at priority {new} instead of {old}", "at priority {new} instead of {old}"),
      "ai": ("with AI action {new} instead of {old}", "with AI action {new} instead of {old}"),
      "notify+": ("notifying {member}", "notifying {member}"),
      "notify-": ("no longer notifying {member}", "no longer notifying {member}"),
      "access": (
        "where {member}'s access goes {old} → {new}", "where {member}'s access goes {old} → {new}"
      ),
      "refused": (
        "where {member}'s action is {new} instead of {old}",
        "where {member}'s action is {new} instead of {old}"
      ),
    ],
    causes: [
      "new_phrase": "the new phrase \"{subject}\"",
      "removed_phrase": "the removed phrase \"{subject}\"",
      "new_pattern": "the new pattern {subject}",
      "removed_pattern": "the removed pattern {subject}",
      "new_trigger": "the new condition “{subject}”",
      "removed_trigger": "the removed condition “{subject}”",
      "changed_trigger": "the changed condition “{subject}”",
      "new_label": "the new label \"{subject}\"",
      "removed_label": "the removed label \"{subject}\"",
      "new_routing_rule": "the new routing rule “{subject}”",
      "removed_routing_rule": "the removed routing rule “{subject}”",
      "changed_routing_rule": "the changed routing rule “{subject}”",
      "changed_routing_default": "the changed routing default ({subject})",
      "access": "the changed access of {subject}",
      "other": "other changes",
    ])

  static func forLanguage(_ language: String) -> ImpactText {
    language == "en" ? english : french
  }

  /// `{name}` replaced by each value.
  static func fill(_ template: String, _ values: [String: String]) -> String {
    var text = template
    for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
    return text
  }

  /// The rule change, as a manager reads it: `la nouvelle phrase "combien"`.
  func cause(_ cause: ImpactResult.Cause) -> String {
    Self.fill(causes[cause.kind] ?? causes["other"] ?? "", ["subject": cause.subject])
  }

  /// `+12 conversations étiquetées "Demandes de Vente"`.
  func effect(_ effect: ImpactResult.Effect) -> String {
    let key: String
    switch effect.field {
    case "added" where !effect.sign.isEmpty: key = "labels" + effect.sign
    case "added": key = effect.new == "yes" ? "added-later" : "added-earlier"
    case "removed": key = effect.new == "yes" ? "removed+" : "removed-"
    case "notify": key = "notify" + effect.sign
    default: key = effect.field
    }
    let one = effect.conversations == 1
    let forms = effects[key]
    let wording =
      forms.map {
        Self.fill(
          one ? $0.one : $0.many,
          [
            "label": effect.subject ?? "", "member": effect.subject ?? "", "old": effect.old,
            "new": effect.new,
          ])
      } ?? effect.effect
    let noun = one ? conversation.one : conversation.many
    return "\(effect.sign)\(effect.conversations) \(noun) \(wording)"
  }

  /// The whole sentence: the effect, `à cause de`, the rule change.
  func sentence(_ effect: ImpactResult.Effect, cause: ImpactResult.Cause) -> String {
    "\(self.effect(effect)) \(because) \(self.cause(cause))"
  }
}
