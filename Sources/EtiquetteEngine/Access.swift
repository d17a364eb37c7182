import EtiquetteChecker
import EtiquetteSyntax

/// A grant of a team, identified for reports.
public struct GrantReference: Sendable, Hashable {
  public var team: TeamID
  /// Index into the team's `grants`.
  public var index: Int
  public var grant: AccessGrant
}

/// Why access was denied.
public enum AccessDenial: Sendable, Hashable {
  /// The email is not listed in any team.
  case unknownMember
  /// None of the member's teams grants this level (or a higher one) at all.
  case noGrant(AccessLevel)
  /// The member has grants at this level, but none covers the conversation's labels: these
  /// are the grants that would decide if the labels were different.
  case notCovered([GrantReference])
}

/// The answer to "may this member do this here?", with the grant (or missing grant) deciding it.
public struct AccessAnswer: Sendable, Hashable {
  public var member: String
  public var level: AccessLevel
  public var allowed: Bool
  /// The first grant (teams and grants in declaration order) that allows it.
  public var grant: GrantReference?
  public var denial: AccessDenial?
}

/// A member's visibility as a predicate over label sets, built from the same grants as
/// `Engine.can`: a store turns it into one query (`everything OR labels && anyOf OR NOT labels
/// && noneOf[0] OR …`).
public struct VisibilityFilter: Sendable, Hashable {
  /// Every conversation is visible.
  public var everything: Bool
  /// Visible when the conversation has at least one of these labels.
  public var anyOf: Set<LabelID>
  /// Visible when the conversation has none of the labels of one of these lists (unlabelled
  /// conversations included) and no label the rules do not define (`LabelID.unknownStored`).
  /// Sorted, unique lists.
  public var noneOf: [[LabelID]]

  public static let nothing = VisibilityFilter(everything: false, anyOf: [], noneOf: [])

  public func matches(_ labels: Set<LabelID>) -> Bool {
    if everything { return true }
    if !anyOf.isDisjoint(with: labels) { return true }
    if labels.contains(.unknownStored) { return false }
    return noneOf.contains { list in !list.contains { labels.contains($0) } }
  }
}

/// Deny by default; a member's rights are the union over their teams' grants.
struct AccessPolicy: Sendable {
  let ruleSet: RuleSet

  func grants(of member: String) -> [GrantReference]? {
    guard let definition = ruleSet.member(member) else { return nil }
    return definition.teams.flatMap { team in
      ruleSet[team].grants.enumerated().map {
        GrantReference(team: team, index: $0.offset, grant: $0.element)
      }
    }
  }

  func can(_ member: String, _ level: AccessLevel, _ labels: Set<LabelID>) -> AccessAnswer {
    var answer = AccessAnswer(member: member, level: level, allowed: false, grant: nil, denial: nil)
    guard let grants = grants(of: member) else {
      answer.denial = .unknownMember
      return answer
    }
    let strongEnough = grants.filter { $0.grant.allows(level) }
    if let deciding = strongEnough.first(where: { $0.grant.scope.covers(labels) }) {
      answer.allowed = true
      answer.grant = deciding
    } else {
      answer.denial = strongEnough.isEmpty ? .noGrant(level) : .notCovered(strongEnough)
    }
    return answer
  }

  func visibleFilter(_ member: String) -> VisibilityFilter {
    var filter = VisibilityFilter.nothing
    // Every grant allows view (reply and manage imply it).
    for reference in grants(of: member) ?? [] {
      switch reference.grant.scope {
      case .all: filter.everything = true
      case .labels(let labels): filter.anyOf.formUnion(labels)
      case .allExcept(let labels):
        let list = Array(Set(labels)).sorted()
        if !filter.noneOf.contains(list) { filter.noneOf.append(list) }
      }
    }
    if filter.everything { return VisibilityFilter(everything: true, anyOf: [], noneOf: []) }
    return filter
  }
}
