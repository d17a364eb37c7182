import EtiquetteDiagnostics
import EtiquetteSyntax

/// Options of one check.
public struct CheckOptions: Sendable {
  /// Warnings count as failures: no rule set is produced when there is any.
  public var strict: Bool = false
  public init(strict: Bool = false) { self.strict = strict }
}

/// What checking a rule set produced.
public struct CheckResult: Sendable {
  /// The resolved rule set; nil when there are errors (or warnings under `strict`).
  public var ruleSet: RuleSet?
  /// Every problem found, sorted by position (`sortedByPosition()`).
  public var diagnostics: [Diagnostic]

  public init(ruleSet: RuleSet?, diagnostics: [Diagnostic]) {
    self.ruleSet = ruleSet
    self.diagnostics = diagnostics
  }
}

/// The checker: resolves names across all files, checks types, patterns and phrases, analyses
/// the policy, and produces the `RuleSet` the matcher and engine consume.
public enum Checker {
  /// Checks all files of one rule set together (names resolve across files). Files that did
  /// not parse should be left out by the caller (their errors are already reported).
  public static func check(
    _ files: [RuleFile], sources: SourceMap, options: CheckOptions = .init()
  ) -> CheckResult {
    var ctx = CheckContext(sources: sources)

    // Names first, so every later pass resolves across files regardless of order.
    let groups = DeclarationPass.run(files, &ctx)
    let hours = HoursPass.run(groups.hours, &ctx)
    let resolver = ConditionResolver(hours: ctx.hours)
    let (labels, order) = LabelPass.run(groups.labels, resolver: resolver, &ctx)
    let (teams, members) = AccessPass.run(groups.teams, &ctx)
    let routing = RoutingPass.run(groups.routings, files: files, resolver: resolver, &ctx)
    let tests = TestPass.run(groups.tests, &ctx)

    var ruleSet = RuleSet(
      contactAttributes: ctx.contactAttributeOrder.compactMap { ctx.contactAttributes[$0] },
      events: ctx.eventDefinitions, hours: hours, labels: labels, labelEvaluationOrder: order,
      teams: teams, members: members,
      // Lints still run without a valid routing block; the rule set is not returned then.
      routing: routing ?? RoutingPolicy(defaultMode: .ai, rules: [], defaultSpan: .unknown),
      tests: tests)
    ruleSet.language = MatchingPass.language(groups.languages, &ctx)
    ruleSet.synonyms = MatchingPass.synonyms(groups.synonyms, &ctx)

    for lint in Lints.all {
      ctx.report(lint.check(ruleSet, ctx))
    }

    let diagnostics = ctx.diagnostics.sortedByPosition()
    let failed = diagnostics.hasErrors || (options.strict && diagnostics.warningCount > 0)
    return CheckResult(ruleSet: failed ? nil : ruleSet, diagnostics: diagnostics)
  }
}
