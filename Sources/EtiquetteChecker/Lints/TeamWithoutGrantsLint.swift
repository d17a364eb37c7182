import EtiquetteDiagnostics

/// W022: a team with members but no `can` line gives them no access at all.
enum TeamWithoutGrantsLint: Lint {
  static func check(_ ruleSet: RuleSet, _ ctx: CheckContext) -> [Diagnostic] {
    ruleSet.teams.filter { $0.grants.isEmpty && !$0.members.isEmpty }.map {
      CheckerCatalogue.teamWithoutGrants($0.name, at: $0.nameSpan)
    }
  }
}
