import EtiquetteSyntax

/// The access policy in plain sentences, for `etiquette check --explain-access`: for each member
/// (sorted by email), what they can view, reply to and manage.
public enum AccessExplanation {
  public static func sentences(for ruleSet: RuleSet) -> String {
    var out = ""
    for member in ruleSet.members {
      let teamNames = member.teams.map { "\"\(ruleSet[$0].name)\"" }
      let grants = member.teams.flatMap { ruleSet[$0].grants }
      let scopes = AccessLevel.allCases.map { level in
        ScopeUnion(grants.filter { $0.allows(level) }.map(\.scope))
      }
      let teamsText = teamNames.count == 1 ? "team \(teamNames[0])" : "teams \(list(teamNames))"
      var clauses: [String] = []
      var index = 0
      // Levels with the same coverage share one clause: "can view and reply to …".
      while index < scopes.count {
        var end = index
        while end + 1 < scopes.count, scopes[end + 1] == scopes[index] { end += 1 }
        let verbs = AccessLevel.allCases[index...end].map(verb)
        let verbText = verbs.count == 1 ? verbs[0] : list(verbs)
        if let what = scopes[index].describe(ruleSet) {
          clauses.append("can \(verbText) \(what)")
        } else {
          clauses.append("cannot \(list(verbs, conjunction: "or")) any conversation")
        }
        index = end + 1
      }
      out += "\(member.email) (\(teamsText)) \(list(clauses)).\n"
    }
    if ruleSet.members.isEmpty {
      out = "No team has members, so nobody can see any conversation.\n"
    }
    return out
  }

  private static func verb(_ level: AccessLevel) -> String {
    switch level {
    case .view: "view"
    case .reply: "reply to"
    case .manage: "manage"
    }
  }

  static func list(_ items: [String], conjunction: String = "and") -> String {
    guard items.count > 1, let last = items.last else { return items.first ?? "" }
    return items.dropLast().joined(separator: ", ") + " \(conjunction) " + last
  }

  /// The union of several scopes, in a canonical form so equal coverage compares equal:
  /// everything, or (conversations with any of `included`) ∪ (conversations with none of
  /// `excluded`) when some `all except` applies.
  struct ScopeUnion: Equatable {
    var everything = false
    var included = Set<LabelID>()
    /// nil when no `all except` grant applies; else labels excluded by every such grant.
    var excluded: Set<LabelID>?

    init(_ scopes: [AccessScope]) {
      for scope in scopes {
        switch scope {
        case .all: everything = true
        case .labels(let ids): included.formUnion(ids)
        case .allExcept(let ids): excluded = excluded.map { $0.intersection(ids) } ?? Set(ids)
        }
      }
      // A conversation with an included label is covered anyway, so an excluded label that is
      // also included excludes nothing.
      excluded?.subtract(included)
      if excluded?.isEmpty == true { everything = true }
      if everything {
        included = []
        excluded = nil
      }
    }

    /// Nil when nothing is covered.
    func describe(_ ruleSet: RuleSet) -> String? {
      func names(_ ids: Set<LabelID>) -> String {
        let quoted = ids.sorted().map { "\"\(ruleSet[$0].name)\"" }
        return AccessExplanation.list(quoted, conjunction: "or")
      }
      if everything { return "every conversation" }
      switch (included.isEmpty, excluded) {
      case (true, nil): return nil
      case (false, nil): return "conversations labelled \(names(included))"
      case (true, let ex?): return "every conversation except those labelled \(names(ex))"
      case (false, let ex?):
        return "every conversation except those labelled \(names(ex)), unless also labelled "
          + names(included)
      }
    }
  }
}
