import EtiquetteDiagnostics

/// W016: a routing rule that can never decide, because an earlier rule has the same condition
/// (it fires at the same steps, and the first rule wins) or an always-true one.
enum ShadowedRoutingRuleLint: Lint {
  static func check(_ ruleSet: RuleSet, _ ctx: CheckContext) -> [Diagnostic] {
    var out: [Diagnostic] = []
    var firstWith: [ConditionTree: SourceSpan] = [:]
    var alwaysTrue: SourceSpan?
    for rule in ruleSet.routing.rules {
      if let earlier = alwaysTrue {
        out.append(
          CheckerCatalogue.shadowedRule(
            line: ctx.line(of: earlier), reason: "this rule's condition is always true",
            at: rule.span, by: earlier))
      } else if let earlier = firstWith[rule.condition] {
        out.append(
          CheckerCatalogue.shadowedRule(
            line: ctx.line(of: earlier), reason: "same condition, fires first",
            at: rule.span, by: earlier))
      } else {
        firstWith[rule.condition] = rule.span
        if rule.condition.isTautology { alwaysTrue = rule.span }
      }
    }
    return out
  }
}
