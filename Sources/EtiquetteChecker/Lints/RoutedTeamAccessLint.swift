import EtiquetteDiagnostics

/// W017: a rule routes conversations to a human team whose grants do not let it reply to them:
/// a `labels […]` grant needs the rule to require one of those labels, and an `all except`
/// grant must not exclude a label the rule requires.
enum RoutedTeamAccessLint: Lint {
  static func check(_ ruleSet: RuleSet, _ ctx: CheckContext) -> [Diagnostic] {
    var out: [Diagnostic] = []
    for rule in ruleSet.routing.rules {
      guard rule.target.mode == .human, let teamID = rule.target.team else { continue }
      let team = ruleSet[teamID]
      let required = rule.condition.requiredLabels
      let covered = team.grants.contains { grant in
        guard grant.allows(.reply) else { return false }
        switch grant.scope {
        case .all: return true
        case .labels(let ids): return ids.contains { required.contains($0) }
        case .allExcept(let ids): return !ids.contains { required.contains($0) }
        }
      }
      guard !covered else { continue }
      let missing: String
      if let label = required.sorted().first {
        missing = "can reply labels [\"\(ruleSet[label].name)\"]"
      } else {
        missing = "can reply all"
      }
      out.append(
        CheckerCatalogue.routedTeamCannotSee(
          team: team.name, missing: missing, at: rule.target.span, teamSpan: team.nameSpan))
    }
    return out
  }
}
