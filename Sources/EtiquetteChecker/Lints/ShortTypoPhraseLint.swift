import EtiquetteDiagnostics
import EtiquetteText

/// W024: a phrase marked `typos` none of whose words takes a typo (all under 5 letters, or
/// numbers and codes): `typos` changes nothing there, which the admin probably did not expect.
enum ShortTypoPhraseLint: Lint {
  static func check(_ ruleSet: RuleSet, _ ctx: CheckContext) -> [Diagnostic] {
    var out: [Diagnostic] = []
    var seen: Set<SourceSpan> = []
    for tree in ruleSet.allConditions {
      for atom in tree.atoms {
        guard case .contains(_, let phrases) = atom.kind else { continue }
        for phrase in phrases where phrase.modes.contains(.typos) {
          let words = LoosePhraseOverlapLint.words(phrase.normalized)
          guard words.allSatisfy({ TypoBudget.edits(for: $0) == 0 }),
            seen.insert(phrase.span).inserted
          else { continue }
          out.append(CheckerCatalogue.shortTypoPhrase(phrase.text, at: phrase.span))
        }
      }
    }
    return out
  }
}

extension RuleSet {
  /// Every trigger's condition: labels' `when`s and `remove when`s, then routing rules.
  var allConditions: [ConditionTree] {
    labels.flatMap { $0.addTriggers.map(\.condition) + $0.removeTriggers.map(\.condition) }
      + routing.rules.map(\.condition)
  }
}
