import EtiquetteDiagnostics

/// W014: conversations with this label are covered by no grant except `manage all`, so only
/// managers of everything would ever see them.
enum LabelInvisibleLint: Lint {
  static func check(_ ruleSet: RuleSet, _ ctx: CheckContext) -> [Diagnostic] {
    var coversEverything = false
    var named = Set<LabelID>()
    // A label escapes every `all except` grant only if each of them excludes it.
    var excludedByAll: Set<LabelID>?
    for team in ruleSet.teams {
      for grant in team.grants {
        switch grant.scope {
        case .all:
          if grant.level != .manage { coversEverything = true }
        case .labels(let ids):
          named.formUnion(ids)
        case .allExcept(let ids):
          excludedByAll = excludedByAll.map { $0.intersection(ids) } ?? Set(ids)
        }
      }
    }
    guard !coversEverything else { return [] }
    return ruleSet.labels.compactMap { label in
      if named.contains(label.id) { return nil }
      if let excluded = excludedByAll, !excluded.contains(label.id) { return nil }
      return CheckerCatalogue.labelInvisible(label.name, at: label.nameSpan)
    }
  }
}
