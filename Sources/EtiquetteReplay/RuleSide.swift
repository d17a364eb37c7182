import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteEngine
import EtiquetteMatcher
import EtiquetteSyntax

/// One of the two rule sets compared by `etiquette diff`, with what attribution needs to read
/// it: names instead of ids, locations and the written text of clauses.
public struct RuleSide: Sendable {
  /// `old` or `new`, as printed.
  public let name: String
  public let engine: Engine
  public let sources: SourceMap

  public init(name: String, engine: Engine, sources: SourceMap) {
    self.name = name
    self.engine = engine
    self.sources = sources
  }

  public var ruleSet: RuleSet { engine.ruleSet }

  public func describe(_ span: SourceSpan) -> String { sources.describe(span) }

  /// A clause as written, white space collapsed so that re-wrapped lists compare equal.
  func clauseText(_ span: SourceSpan) -> String {
    guard let file = sources[span.file] else { return "" }
    let raw = file.text(of: span)
    let words = raw.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
    return words.joined(separator: " ")
      .replacingOccurrences(of: "[ ", with: "[")
      .replacingOccurrences(of: ", ]", with: "]")
      .replacingOccurrences(of: " ]", with: "]")
  }

  func labelNames(_ labels: Set<LabelID>) -> Set<String> {
    Set(labels.map { ruleSet[$0].name })
  }

  /// The ids of the labels of another side, by name; labels this side lacks are dropped.
  func labelIDs(named names: Set<String>) -> Set<LabelID> {
    Set(names.compactMap { ruleSet.label(named: $0)?.id })
  }

  /// The highest level `member` has on a conversation with these labels, and the grant that
  /// gives it.
  func access(_ member: String, labels: Set<LabelID>) -> (AccessLevel?, GrantReference?) {
    for level in AccessLevel.allCases.reversed() {
      let answer = engine.can(member, level, labels: labels)
      if answer.allowed { return (level, answer.grant) }
    }
    return (nil, nil)
  }

  /// The triggers of one kind of a label.
  func triggers(of label: LabelDefinition, removing: Bool) -> [LabelTrigger] {
    removing ? label.removeTriggers : label.addTriggers
  }

  /// Every phrase (normalised) and pattern (`/source/flags`) of a label's triggers of one kind.
  func textAtoms(of label: LabelDefinition, removing: Bool) -> (Set<String>, Set<String>) {
    var phrases = Set<String>()
    var patterns = Set<String>()
    for trigger in triggers(of: label, removing: removing) {
      for atom in trigger.condition.atoms {
        switch atom.kind {
        case .contains(_, let list): phrases.formUnion(list.map(\.normalized))
        case .matches(let pattern): patterns.insert("/\(pattern.source)/\(pattern.flagText)")
        case .comparison, .event, .label, .mode, .during: break
        }
      }
    }
    return (phrases, patterns)
  }

  /// What a piece of match evidence refers to in this side's trigger: a phrase (normalised,
  /// with its written text) or a pattern.
  func evidenceAtom(_ evidence: MatchEvidence, in trigger: LabelTrigger) -> EvidenceAtom? {
    for atom in trigger.condition.atoms {
      switch atom.kind {
      case .contains(_, let list):
        if let phrase = list.first(where: { $0.span == evidence.atomSpan }) {
          return .phrase(normalized: phrase.normalized, text: phrase.text, span: phrase.span)
        }
      case .matches(let pattern):
        if pattern.span == evidence.atomSpan || pattern.patternSpan == evidence.atomSpan
          || atom.span == evidence.atomSpan
        {
          return .pattern("/\(pattern.source)/\(pattern.flagText)", span: evidence.atomSpan)
        }
      case .comparison, .event, .label, .mode, .during: break
      }
    }
    return nil
  }

  /// How a routing outcome reads, without locations so that both sides compare.
  func routeText(_ routing: RoutingOutcome) -> String {
    switch routing {
    case .unchanged: return "unchanged"
    case .defaultMode(let mode): return "\(mode.rawValue) (default)"
    case .rule(_, let target): return targetText(target)
    case .held(_, let target, let member):
      return "\(targetText(target)) held by \(member)"
    }
  }

  func targetText(_ target: RoutingTarget) -> String {
    var text = target.mode.rawValue
    if let team = target.team { text += " team \"\(ruleSet[team].name)\"" }
    if let priority = target.priority { text += " priority \(priority.rawValue)" }
    return text
  }

  /// The index of the routing rule that decided a step, if one did.
  func routingRule(_ routing: RoutingOutcome) -> Int? {
    switch routing {
    case .unchanged, .defaultMode: nil
    case .rule(let index, _), .held(let index, _, _): index
    }
  }
}

/// A phrase or pattern that matched, as found in a rule set.
enum EvidenceAtom: Sendable {
  case phrase(normalized: String, text: String, span: SourceSpan)
  case pattern(String, span: SourceSpan)
}
