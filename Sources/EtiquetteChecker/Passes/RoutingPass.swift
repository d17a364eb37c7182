import EtiquetteDiagnostics
import EtiquetteSyntax

/// Resolves the `routing` block: exactly one block, exactly one `default`, rules in order.
enum RoutingPass {
  static func run(
    _ decls: [RoutingDecl], files: [RuleFile], resolver: ConditionResolver,
    _ ctx: inout CheckContext
  ) -> RoutingPolicy? {
    for extra in decls.dropFirst() {
      if let first = decls.first {
        ctx.report(
          CheckerCatalogue.duplicateRouting(
            at: keywordSpan(extra.span), first: keywordSpan(first.span)))
      }
    }
    guard let decl = decls.first else {
      let file = files.first?.file ?? SourceFileID(0)
      ctx.report(
        CheckerCatalogue.missingDefault(
          at: SourceSpan(file: file, start: 0, end: 0), hasRouting: false))
      return nil
    }
    var defaultMode: Located<Mode>?
    var defaultSpan: SourceSpan?
    var rules: [RoutingRule] = []
    var ok = true
    for entry in decl.entries {
      switch entry.kind {
      case .defaultMode(let mode):
        if let defaultSpan {
          ctx.report(CheckerCatalogue.duplicateDefault(at: entry.span, first: defaultSpan))
          ok = false
        } else {
          defaultMode = mode
          defaultSpan = entry.span
        }
      case .rule(let condition, let target):
        let tree = resolver.resolve(condition, &ctx)
        var team: TeamID?
        if let name = target.team {
          team = ctx.resolveTeam(name)
          if team == nil { continue }
        }
        guard let tree else { continue }
        rules.append(
          RoutingRule(
            condition: tree,
            target: RoutingTarget(
              mode: target.mode.value, team: team, priority: target.priority?.value,
              span: target.span),
            span: entry.span, canonicalText: ClauseText.canonical(entry.span, in: ctx.sources)))
      }
    }
    guard let defaultMode, let defaultSpan else {
      ctx.report(CheckerCatalogue.missingDefault(at: keywordSpan(decl.span), hasRouting: true))
      return nil
    }
    guard ok else { return nil }
    return RoutingPolicy(defaultMode: defaultMode.value, rules: rules, defaultSpan: defaultSpan)
  }

  /// The `routing` keyword: a whole block would underline many lines.
  private static func keywordSpan(_ span: SourceSpan) -> SourceSpan {
    SourceSpan(file: span.file, start: span.start, end: min(span.end, span.start + 7))
  }
}
