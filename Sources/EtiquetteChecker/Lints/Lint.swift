import EtiquetteDiagnostics

/// A warning-level analysis of the resolved rule set. Lints never fail compilation (except under
/// `--strict`), so each one may assume names resolved; one lint per file.
protocol Lint {
  static func check(_ ruleSet: RuleSet, _ ctx: CheckContext) -> [Diagnostic]
}

/// Every lint, run in this order after the passes.
enum Lints {
  static var all: [any Lint.Type] {
    [
      PhraseInTwoLabelsLint.self,
      PhraseLooksLikeTwoLint.self,
      DuplicatePhraseLint.self,
      RegexHazardLint.self,
      LabelInvisibleLint.self,
      OverlappingHoursLint.self,
      ShadowedRoutingRuleLint.self,
      RoutedTeamAccessLint.self,
      TeamWithoutMembersLint.self,
      TeamWithoutGrantsLint.self,
      ImpossibleExpectationLint.self,
      LoosePhraseOverlapLint.self,
      ShortTypoPhraseLint.self,
      UnusedSynonymLint.self,
    ]
  }
}

extension ConditionTree {
  /// Phrases that trigger on their own: in `contains "…"` or `contains any […]` atoms that are
  /// not under a `not` (a phrase inside `contains all` only counts with the others).
  var triggeringPhrases: [Phrase] {
    var out: [Phrase] = []
    var stack: [(ConditionTree, Bool)] = [(self, false)]
    while let (node, negated) = stack.popLast() {
      switch node {
      case .and(let l, let r), .or(let l, let r):
        stack.append((r, negated))
        stack.append((l, negated))
      case .not(let c): stack.append((c, !negated))
      case .atom(let atom):
        guard !negated, case .contains(let quantifier, let phrases) = atom.kind else { continue }
        switch quantifier {
        case .one, .any: out += phrases
        case .all: break
        }
      }
    }
    return out
  }

  /// Labels every conversation satisfying the condition must have (`label "X"` atoms required
  /// by every alternative).
  var requiredLabels: Set<LabelID> {
    switch self {
    case .and(let l, let r): l.requiredLabels.union(r.requiredLabels)
    case .or(let l, let r): l.requiredLabels.intersection(r.requiredLabels)
    case .not: []
    case .atom(let atom):
      if case .label(let id) = atom.kind { [id] } else { [] }
    }
  }

  /// True for `X or not X` shapes: the rule fires on every step where it can.
  var isTautology: Bool {
    var disjuncts: [ConditionTree] = []
    var stack = [self]
    while let node = stack.popLast() {
      if case .or(let l, let r) = node {
        stack += [l, r]
      } else {
        disjuncts.append(node)
      }
    }
    let set = Set(disjuncts)
    return disjuncts.contains { set.contains(.not($0)) }
  }
}
