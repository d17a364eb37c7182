import EtiquetteDiagnostics

/// W010: the same phrase (once normalised) triggers two different labels. Linear: one
/// dictionary from normalised phrase to its first label.
enum PhraseInTwoLabelsLint: Lint {
  static func check(_ ruleSet: RuleSet, _ ctx: CheckContext) -> [Diagnostic] {
    var owner: [String: (label: LabelID, span: SourceSpan)] = [:]
    var reported = Set<[Int]>()
    var out: [Diagnostic] = []
    var phraseKeys: [String: Int] = [:]
    for label in ruleSet.labels {
      for trigger in label.addTriggers {
        for phrase in trigger.condition.triggeringPhrases {
          guard let first = owner[phrase.normalized] else {
            owner[phrase.normalized] = (label.id, phrase.span)
            continue
          }
          guard first.label != label.id else { continue }
          // One warning per phrase and label pair.
          let key = phraseKeys[phrase.normalized] ?? phraseKeys.count
          phraseKeys[phrase.normalized] = key
          guard reported.insert([key, label.id.rawValue]).inserted else { continue }
          out.append(
            CheckerCatalogue.phraseInTwoLabels(
              phrase.text, label: label.name, otherLabel: ruleSet[first.label].name,
              at: phrase.span, other: first.span))
        }
      }
    }
    return out
  }
}
