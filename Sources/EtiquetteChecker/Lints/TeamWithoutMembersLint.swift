import EtiquetteDiagnostics

/// W018: a team with no members grants nothing to anyone.
enum TeamWithoutMembersLint: Lint {
  static func check(_ ruleSet: RuleSet, _ ctx: CheckContext) -> [Diagnostic] {
    ruleSet.teams.filter(\.members.isEmpty).map {
      CheckerCatalogue.teamWithoutMembers($0.name, at: $0.nameSpan)
    }
  }
}
