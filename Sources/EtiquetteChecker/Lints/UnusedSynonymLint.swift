import EtiquetteDiagnostics
import EtiquetteText

/// W025: a synonym whose meaning is in no phrase. Synonyms make phrases containing their
/// meaning match the abbreviation too; one whose meaning no phrase has does nothing (often
/// the meaning is spelt differently from the phrases: "rendez vous" against "rdv-vous").
enum UnusedSynonymLint: Lint {
  static func check(_ ruleSet: RuleSet, _ ctx: CheckContext) -> [Diagnostic] {
    guard !ruleSet.synonyms.isEmpty else { return [] }
    var phraseWords: [[[UInt8]]] = []
    for tree in ruleSet.allConditions {
      for atom in tree.atoms {
        guard case .contains(_, let phrases) = atom.kind else { continue }
        phraseWords += phrases.map { LoosePhraseOverlapLint.words($0.normalized) }
      }
    }
    return ruleSet.synonyms.compactMap { synonym in
      let meaning = LoosePhraseOverlapLint.words(synonym.meaningNormalized)
      let used = phraseWords.contains { words in
        guard !meaning.isEmpty, meaning.count <= words.count else { return false }
        return (0...(words.count - meaning.count)).contains { start in
          Array(words[start..<start + meaning.count]) == meaning
        }
      }
      return used
        ? nil : CheckerCatalogue.unusedSynonym(synonym.written, synonym.meaning, at: synonym.span)
    }
  }
}
