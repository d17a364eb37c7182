import EtiquetteDiagnostics
import EtiquetteSyntax

/// Resolves a condition's names (labels, events, hours, fields) and checks its types, phrases and
/// patterns. Returns nil when anything in it is wrong; every problem is reported, not just the
/// first.
struct ConditionResolver {
  var hours: NameIndex<HoursID>

  func resolve(_ condition: Condition, _ ctx: inout CheckContext) -> ConditionTree? {
    resolve(condition, eventsInScope: [], &ctx)
  }

  /// `eventsInScope`: the events named by `event "…"` atoms joined with `and` around this node,
  /// which decide the declarations `event.FIELD` is resolved against.
  private func resolve(
    _ condition: Condition, eventsInScope: [EventID], _ ctx: inout CheckContext
  ) -> ConditionTree? {
    switch condition {
    case .and(let l, let r, _):
      let scope = eventsInScope + conjunctiveEvents(condition, ctx)
      let left = resolve(l, eventsInScope: scope, &ctx)
      let right = resolve(r, eventsInScope: scope, &ctx)
      guard let left, let right else { return nil }
      return .and(left, right)
    case .or(let l, let r, _):
      // Long `or` chains are left-nested: resolve the left spine iteratively-ish by recursion
      // on the left only (depth is bounded by the parser's nesting limit).
      let left = resolve(l, eventsInScope: eventsInScope, &ctx)
      let right = resolve(r, eventsInScope: eventsInScope, &ctx)
      guard let left, let right else { return nil }
      return .or(left, right)
    case .not(let c, _):
      return resolve(c, eventsInScope: eventsInScope, &ctx).map { .not($0) }
    case .parenthesized(let c, _):
      return resolve(c, eventsInScope: eventsInScope, &ctx)
    case .atom(let atom):
      return resolveAtom(atom, eventsInScope: eventsInScope, &ctx).map { .atom($0) }
    }
  }

  /// Events named by `event "…"` atoms in an `and` chain (through parentheses, not through
  /// `not` or `or`).
  private func conjunctiveEvents(_ condition: Condition, _ ctx: CheckContext) -> [EventID] {
    switch condition {
    case .and(let l, let r, _): conjunctiveEvents(l, ctx) + conjunctiveEvents(r, ctx)
    case .parenthesized(let c, _): conjunctiveEvents(c, ctx)
    case .atom(let atom):
      if case .event(let name) = atom.kind, let id = ctx.events[name.value] { [id] } else { [] }
    case .or, .not: []
    }
  }

  private func resolveAtom(_ atom: Atom, eventsInScope: [EventID], _ ctx: inout CheckContext)
    -> ConditionAtom?
  {
    let kind: ConditionAtom.Kind?
    switch atom.kind {
    case .messageContains(let quantifier, let literals, let modes):
      let phrases = literals.map { TextChecks.phrase($0, modes: modes, &ctx) }
      let valid = phrases.compactMap { $0 }
      kind = valid.count == phrases.count ? .contains(quantifier, valid) : nil
    case .messageMatches(let regex):
      kind = TextChecks.pattern(regex, &ctx).map { .matches($0) }
    case .comparison(let path, let op, let value):
      kind = comparison(path, op, value, eventsInScope: eventsInScope, &ctx)
    case .event(let name):
      kind = ctx.resolveEvent(name).map { .event($0) }
    case .label(let name):
      kind = ctx.resolveLabel(name).map { .label($0) }
    case .modeIs(let mode):
      kind = .mode(mode.value)
    case .during(let name):
      kind = during(name, &ctx).map { .during($0) }
    }
    return kind.map { ConditionAtom($0, span: atom.span) }
  }

  private func during(_ name: StringLiteral, _ ctx: inout CheckContext) -> HoursID? {
    if let id = hours[name.value] { return id }
    // A name that exists as something else gets a more precise message.
    let others: [(String, SourceSpan?)] = [
      ("a label", ctx.labels.spans[name.value]), ("a team", ctx.teams.spans[name.value]),
      ("an event", ctx.events.spans[name.value]),
    ]
    if let (kind, span) = others.first(where: { $0.1 != nil }), let span {
      ctx.report(
        CheckerCatalogue.duringNotHours(name.value, isA: kind, at: name.span, defined: span))
      return nil
    }
    let suggestion = ctx.suggestion(for: name.value, in: hours)
    ctx.report(CheckerCatalogue.unknownHours(name.value, at: name.span, suggestion: suggestion))
    return nil
  }

  // MARK: Comparisons

  private func comparison(
    _ path: FieldPath, _ op: Located<ComparisonOperator>, _ value: Value,
    eventsInScope: [EventID], _ ctx: inout CheckContext
  ) -> ConditionAtom.Kind? {
    guard let field = FieldResolution.resolve(path, eventsInScope: eventsInScope, &ctx) else {
      // Still look at the value's shape so a list misuse is not hidden by the unknown field.
      return nil
    }
    guard let typed = FieldResolution.typeCheck(field, op, value, &ctx) else { return nil }
    return .comparison(field, op.value, typed)
  }
}

/// Field references and the typing of the values compared with them, shared by conditions and
/// by tests' `contact { … }` and `event "…" { … }` objects.
enum FieldResolution {
  static func resolve(_ path: FieldPath, eventsInScope: [EventID], _ ctx: inout CheckContext)
    -> FieldReference?
  {
    let name = path.field.name
    switch path.subject.value {
    case .message:
      if let field = MessageField(rawValue: name) { return .message(field) }
      ctx.report(
        CheckerCatalogue.unknownMessageField(
          name, at: path.field.span,
          suggestion: ctx.suggestion(for: name, among: MessageField.allCases.map(\.rawValue))))
      return nil
    case .contact:
      return contactAttribute(path.field, &ctx).map { .contact(name: name, type: $0.type) }
    case .event:
      // Events named with `event "…"` beside the field must all declare it; with none named,
      // one declared event having it is enough.
      var seen = Set<EventID>()
      let named = eventsInScope.filter { seen.insert($0).inserted }.compactMap { id in
        ctx.eventDefinitions.indices.contains(id.rawValue) ? ctx.eventDefinitions[id.rawValue] : nil
      }
      let candidates = named.isEmpty ? ctx.eventDefinitions : named
      let having = candidates.filter { $0.field(named: name) != nil }
      let missing = named.filter { $0.field(named: name) == nil }
      guard let first = having.first?.field(named: name), missing.isEmpty else {
        let allFields = Array(Set(candidates.flatMap { $0.fields.map(\.name) })).sorted()
        ctx.report(
          CheckerCatalogue.unknownEventField(
            name, events: missing.map(\.name), at: path.field.span,
            suggestion: ctx.suggestion(for: name, among: allFields)))
        return nil
      }
      return .event(name: name, type: first.type, events: having.map(\.id))
    }
  }

  static func contactAttribute(_ id: Identifier, _ ctx: inout CheckContext) -> AttributeSchema? {
    if let attribute = ctx.contactAttributes[id.name] { return attribute }
    ctx.report(
      CheckerCatalogue.unknownContactAttribute(
        id.name, at: id.span,
        suggestion: NameMatching.closest(to: id.name, among: ctx.contactAttributeOrder).map {
          NameSuggestion(
            name: $0, location: ctx.contactAttributes[$0].map { ctx.describe($0.span) },
            quoted: false)
        }))
    return nil
  }

  /// Checks the operator against the field's type and the value (or list) against both.
  static func typeCheck(
    _ field: FieldReference, _ op: Located<ComparisonOperator>, _ value: Value,
    _ ctx: inout CheckContext
  ) -> TypedValue? {
    let type = field.type
    // Operators first: they decide what the value must look like.
    switch op.value {
    case .less, .lessOrEqual, .greater, .greaterOrEqual:
      guard type == .attribute(.number) else {
        ctx.report(
          CheckerCatalogue.operatorNotApplicable(
            op: op.value.rawValue, field: field.description, fieldType: article(type),
            at: op.span, help: "ordering compares numbers; use `==`, `!=` or `in` here"))
        return nil
      }
    case .startsWith:
      guard type == .attribute(.string) else {
        ctx.report(
          CheckerCatalogue.operatorNotApplicable(
            op: op.value.rawValue, field: field.description, fieldType: article(type),
            at: op.span, help: "`starts with` applies to strings; use `==` or `in` here"))
        return nil
      }
    case .equal, .notEqual, .is, .in:
      break
    }
    if op.value == .in {
      guard case .list(let items, _) = value else {
        ctx.report(CheckerCatalogue.listOperand(expected: true, at: value.span))
        return nil
      }
      let typed = items.map { scalar($0, for: field, &ctx) }
      let valid = typed.compactMap { $0 }
      return valid.count == typed.count ? .list(valid) : nil
    }
    if case .list = value {
      ctx.report(CheckerCatalogue.listOperand(expected: false, at: value.span))
      return nil
    }
    return scalar(value, for: field, &ctx)
  }

  /// One value against the field's type.
  static func scalar(_ value: Value, for field: FieldReference, _ ctx: inout CheckContext)
    -> TypedValue?
  {
    let type = field.type
    func mismatch(_ kind: String, _ help: String) -> TypedValue? {
      ctx.report(
        CheckerCatalogue.typeMismatch(
          field: field.description, fieldType: type.description, valueKind: kind,
          at: value.span, help: help))
      return nil
    }
    switch (type, value) {
    case (.messageType, .identifier(let id)):
      return messageType(id.name, at: id.span, &ctx).map { .messageType($0) }
    case (.messageType, .string(let s)):
      return messageType(s.value, at: s.span, &ctx).map { .messageType($0) }
    case (.messageType, _):
      return mismatch(kind(of: value), "write a message type such as `image`")
    case (.attribute(.string), .string(let s)):
      return .string(s.value)
    case (.attribute(.string), _):
      return mismatch(kind(of: value), "write the text in double quotes")
    case (.attribute(.number), .number(let n)):
      return .number(n.value)
    case (.attribute(.number), _):
      return mismatch(kind(of: value), "write a number, such as `100`, without quotes")
    case (.attribute(.bool), .bool(let b)):
      return .bool(b.value)
    case (.attribute(.bool), _):
      return mismatch(kind(of: value), "write `true` or `false`")
    case (.attribute(.oneOf(let allowed)), .string(let s)):
      return member(s.value, of: allowed, field: field, at: s.span, &ctx)
    case (.attribute(.oneOf(let allowed)), .identifier(let id)):
      // A bare word is accepted for a closed set, as for message types.
      return member(id.name, of: allowed, field: field, at: id.span, &ctx)
    case (.attribute(.oneOf), _):
      return mismatch(kind(of: value), "write one of the declared values in double quotes")
    }
  }

  private static func member(
    _ text: String, of allowed: [String], field: FieldReference, at span: SourceSpan,
    _ ctx: inout CheckContext
  ) -> TypedValue? {
    if allowed.contains(text) { return .string(text) }
    ctx.report(
      CheckerCatalogue.valueNotInSet(
        text, field: field.description, allowed: allowed, at: span,
        suggestion: ctx.suggestion(for: text, among: allowed, quoted: true)))
    return nil
  }

  static func messageType(_ name: String, at span: SourceSpan, _ ctx: inout CheckContext)
    -> MessageType?
  {
    if let type = MessageType(rawValue: name) { return type }
    ctx.report(
      CheckerCatalogue.unknownMessageType(
        name, at: span,
        suggestion: ctx.suggestion(for: name, among: MessageType.allCases.map(\.rawValue))))
    return nil
  }

  static func kind(of value: Value) -> String {
    switch value {
    case .string: "a string"
    case .number: "a number"
    case .bool: "a bool"
    case .identifier: "a bare word"
    case .list: "a list"
    }
  }

  private static func article(_ type: FieldType) -> String {
    switch type {
    case .attribute(.string): "a string"
    case .attribute(.number): "a number"
    case .attribute(.bool): "a bool"
    case .attribute(.oneOf): "a set of strings"
    case .messageType: "a message type"
    }
  }
}
