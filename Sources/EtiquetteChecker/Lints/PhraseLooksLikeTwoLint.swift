import EtiquetteDiagnostics

/// W011: a phrase with a comma or a quote inside, which the admin may have meant as two phrases
/// (`"devis, tarif"` instead of `any ["devis", "tarif"]`).
enum PhraseLooksLikeTwoLint: Lint {
  static let separators: Set<Character> = [",", "\"", "“", "”", "«", "»", ";"]

  static func check(_ ruleSet: RuleSet, _ ctx: CheckContext) -> [Diagnostic] {
    var out: [Diagnostic] = []
    for label in ruleSet.labels {
      for trigger in label.addTriggers + label.removeTriggers {
        for atom in trigger.condition.atoms {
          guard case .contains(_, let phrases) = atom.kind else { continue }
          for phrase in phrases where phrase.text.contains(where: separators.contains) {
            let parts = phrase.text.split(whereSeparator: separators.contains)
              .map { $0.trimmingCharacters(in: .whitespaces) }
              .filter { !$0.isEmpty }
            out.append(
              CheckerCatalogue.phraseLooksLikeTwo(phrase.text, parts: parts, at: phrase.span))
          }
        }
      }
    }
    return out
  }
}
