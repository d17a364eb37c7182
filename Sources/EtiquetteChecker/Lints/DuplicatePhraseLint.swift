import EtiquetteDiagnostics

/// W012: a phrase repeated (once normalised) in one label's `when` triggers, or in its
/// `remove when` triggers.
enum DuplicatePhraseLint: Lint {
  static func check(_ ruleSet: RuleSet, _ ctx: CheckContext) -> [Diagnostic] {
    var out: [Diagnostic] = []
    for label in ruleSet.labels {
      for triggers in [label.addTriggers, label.removeTriggers] {
        var first: [String: SourceSpan] = [:]
        for trigger in triggers {
          for phrase in trigger.condition.triggeringPhrases {
            if let earlier = first[phrase.normalized] {
              out.append(
                CheckerCatalogue.duplicatePhrase(
                  phrase.text, label: label.name, at: phrase.span, first: earlier))
            } else {
              first[phrase.normalized] = phrase.span
            }
          }
        }
      }
    }
    return out
  }
}
