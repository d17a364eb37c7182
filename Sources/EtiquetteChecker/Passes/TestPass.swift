import EtiquetteDiagnostics
import EtiquetteSyntax
import Foundation

/// Resolves `test` blocks: members, labels, teams and events they name, typed object fields and
/// instants.
enum TestPass {
  static func run(_ decls: [TestDecl], _ ctx: inout CheckContext) -> [RuleTest] {
    decls.compactMap { resolve($0, &ctx) }
  }

  private static func resolve(_ decl: TestDecl, _ ctx: inout CheckContext) -> RuleTest? {
    var entries: [RuleTestEntry] = []
    var ok = true
    for entry in decl.entries {
      switch entry {
      case .step(let step):
        if let kind = stepKind(step.kind, &ctx) {
          entries.append(.step(RuleTestStep(kind, span: step.span)))
        } else {
          ok = false
        }
      case .expectation(let expectation):
        if let kind = expectationKind(expectation.kind, &ctx) {
          entries.append(.expectation(RuleTestExpectation(kind, span: expectation.span)))
        } else {
          ok = false
        }
      }
    }
    guard ok else { return nil }
    return RuleTest(
      name: decl.name.value, entries: entries, nameSpan: decl.name.span, span: decl.span)
  }

  private static func stepKind(_ kind: TestStep.Kind, _ ctx: inout CheckContext)
    -> RuleTestStep.Kind?
  {
    switch kind {
    case .contact(let object):
      var values: [String: TypedValue] = [:]
      var ok = true
      for field in object.fields {
        guard let attribute = FieldResolution.contactAttribute(field.key, &ctx),
          let value = FieldResolution.scalar(
            field.value, for: .contact(name: attribute.name, type: attribute.type), &ctx)
        else {
          ok = false
          continue
        }
        values[attribute.name] = value
      }
      return ok ? .contact(values) : nil
    case .at(let text):
      guard let date = InstantLiteral.parse(text.value) else {
        ctx.report(CheckerCatalogue.invalidInstant(text.value, at: text.span))
        return nil
      }
      return .at(date, text: text.value)
    case .customerSays(let text):
      return .customerSays(text.value)
    case .customerSends(let type, let caption):
      return FieldResolution.messageType(type.name, at: type.span, &ctx).map {
        .customerSends($0, caption: caption?.value)
      }
    case .event(let name, let object):
      guard let id = ctx.resolveEvent(name) else { return nil }
      let definition =
        ctx.eventDefinitions.indices.contains(id.rawValue) ? ctx.eventDefinitions[id.rawValue] : nil
      var values: [String: TypedValue] = [:]
      var ok = true
      for field in object?.fields ?? [] {
        guard let schema = definition?.field(named: field.key.name) else {
          ctx.report(
            CheckerCatalogue.unknownEventField(
              field.key.name, events: [name.value], at: field.key.span,
              suggestion: ctx.suggestion(
                for: field.key.name, among: definition?.fields.map(\.name) ?? [])))
          ok = false
          continue
        }
        let reference = FieldReference.event(name: schema.name, type: schema.type, events: [id])
        guard let value = FieldResolution.scalar(field.value, for: reference, &ctx) else {
          ok = false
          continue
        }
        values[schema.name] = value
      }
      return ok ? .event(id, fields: values) : nil
    case .agent(let member, let action):
      let email = ctx.resolveMember(member)
      let resolved: RuleTestAgentAction?
      switch action {
      case .takesOver: resolved = .takesOver
      case .transfersToAI: resolved = .transfersToAI
      case .keepsHumanAndLeaves: resolved = .keepsHumanAndLeaves
      case .addsLabel(let name): resolved = ctx.resolveLabel(name).map { .addsLabel($0) }
      case .removesLabel(let name): resolved = ctx.resolveLabel(name).map { .removesLabel($0) }
      case .replies(let text): resolved = .replies(text.value)
      case .notes(let text): resolved = .notes(text.value)
      }
      guard let email, let resolved else { return nil }
      return .agent(member: email, action: resolved)
    }
  }

  private static func expectationKind(_ kind: Expectation.Kind, _ ctx: inout CheckContext)
    -> RuleTestExpectation.Kind?
  {
    switch kind {
    case .labels(let names):
      let ids = names.map { ctx.resolveLabel($0) }
      let valid = ids.compactMap { $0 }
      return valid.count == ids.count ? .labels(Array(Set(valid)).sorted()) : nil
    case .label(let name):
      return ctx.resolveLabel(name).map { .label($0) }
    case .noLabel(let name):
      return ctx.resolveLabel(name).map { .noLabel($0) }
    case .route(let route):
      var team: TeamID?
      if let name = route.team {
        guard let id = ctx.resolveTeam(name) else { return nil }
        team = id
      }
      let mode: Mode? =
        switch route.outcome.value {
        case .mode(let m): m
        case .unchanged: nil
        }
      return .route(mode: mode, team: team, priority: route.priority?.value)
    case .mode(let mode):
      return .mode(mode.value)
    case .notify(let member):
      return ctx.resolveMember(member).map { .notify(member: $0) }
    case .access(let member, let allowed, let level):
      return ctx.resolveMember(member).map {
        .access(member: $0, allowed: allowed, level: level.value)
      }
    }
  }
}
