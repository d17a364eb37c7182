import EtiquetteDiagnostics
import EtiquetteSyntax

/// Resolves teams: members and grants over label ids. Repetitions inside one list are reported
/// here, where the list is still as written.
enum AccessPass {
  static func run(_ decls: [(TeamDecl, TeamID?)], _ ctx: inout CheckContext)
    -> (teams: [TeamDefinition], members: [MemberDefinition])
  {
    var teams: [TeamDefinition] = []
    var memberTeams: [String: (teams: [TeamID], span: SourceSpan)] = [:]
    for (decl, id) in decls {
      var members: [String] = []
      var firstListing: [String: SourceSpan] = [:]
      var grants: [AccessGrant] = []
      for clause in decl.clauses {
        switch clause.kind {
        case .members(let emails):
          for email in emails {
            if let first = firstListing[email.value] {
              ctx.report(
                CheckerCatalogue.duplicateMember(
                  email.value, team: decl.name.value, at: email.span, first: first))
              continue
            }
            firstListing[email.value] = email.span
            members.append(email.value)
          }
        case .grant(let level, let scope):
          if let resolved = resolveScope(scope, &ctx) {
            grants.append(AccessGrant(level: level.value, scope: resolved, span: clause.span))
          }
        }
      }
      guard let id else { continue }
      for email in members {
        memberTeams[email, default: ([], firstListing[email] ?? decl.span)].teams.append(id)
      }
      teams.append(
        TeamDefinition(
          id: id, name: decl.name.value, members: members, grants: grants,
          nameSpan: decl.name.span, span: decl.span))
    }
    let members = memberTeams.keys.sorted().compactMap { email in
      memberTeams[email].map {
        MemberDefinition(email: email, teams: $0.teams.sorted(), span: $0.span)
      }
    }
    return (teams, members)
  }

  private static func resolveScope(_ scope: GrantScope, _ ctx: inout CheckContext)
    -> AccessScope?
  {
    switch scope {
    case .all: return .all
    case .allExcept(let names): return .allExcept(labelList(names, &ctx))
    case .labels(let names): return .labels(labelList(names, &ctx))
    }
  }

  private static func labelList(_ names: [StringLiteral], _ ctx: inout CheckContext)
    -> [LabelID]
  {
    var ids: [LabelID] = []
    var first: [String: SourceSpan] = [:]
    for name in names {
      if let earlier = first[name.value] {
        ctx.report(CheckerCatalogue.duplicateGrantLabel(name.value, at: name.span, first: earlier))
        continue
      }
      first[name.value] = name.span
      if let id = ctx.resolveLabel(name) { ids.append(id) }
    }
    // On an unknown label the grant keeps the labels that resolved: the rule set is not
    // produced (there is an error), but lints must not also call the team "granted nothing".
    return Array(Set(ids)).sorted()
  }
}
