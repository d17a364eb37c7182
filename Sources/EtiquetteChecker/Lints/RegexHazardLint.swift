import EtiquetteDiagnostics

/// W013: a pattern shape that can backtrack catastrophically (nested quantifiers, overlapping
/// repeated alternatives), found by EtiquetteText's analyser.
enum RegexHazardLint: Lint {
  static func check(_ ruleSet: RuleSet, _ ctx: CheckContext) -> [Diagnostic] {
    var out: [Diagnostic] = []
    var conditions = ruleSet.labels.flatMap {
      ($0.addTriggers + $0.removeTriggers).map(\.condition)
    }
    conditions += ruleSet.routing.rules.map(\.condition)
    for condition in conditions {
      for atom in condition.atoms {
        guard case .matches(let pattern) = atom.kind else { continue }
        for (description, span) in TextChecks.hazards(pattern) {
          out.append(CheckerCatalogue.regexHazard(description, at: span))
        }
      }
    }
    return out
  }
}
