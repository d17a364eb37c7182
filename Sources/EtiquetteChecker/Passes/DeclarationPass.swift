import EtiquetteDiagnostics
import EtiquetteSyntax

/// The top-level items of all files, grouped by kind, in file order. A duplicate declaration has
/// no id: it is still checked for errors but takes no part in the rule set.
struct DeclarationGroups {
  var contacts: [ContactDecl] = []
  var events: [(EventDecl, EventID?)] = []
  var hours: [(HoursDecl, HoursID?)] = []
  var labels: [(LabelDecl, LabelID?)] = []
  var teams: [(TeamDecl, TeamID?)] = []
  var routings: [RoutingDecl] = []
  var tests: [TestDecl] = []
  var synonyms: [SynonymsDecl] = []
  var languages: [LanguageDecl] = []
}

/// First pass: registers every declared name (so later passes resolve across files), reports
/// names defined twice with both locations, and types contact attributes and event fields.
enum DeclarationPass {
  static func run(_ files: [RuleFile], _ ctx: inout CheckContext) -> DeclarationGroups {
    var groups = DeclarationGroups()
    for file in files {
      for item in file.items {
        switch item {
        case .contact(let d): groups.contacts.append(d)
        case .event(let d):
          let id = EventID(ctx.events.count)
          let first = ctx.events.declare(d.name.value, id: id, span: d.name.span)
          report(first, code: CheckerCatalogue.duplicateEventCode, kind: "event", d.name, &ctx)
          groups.events.append((d, first == nil ? id : nil))
        case .hours(let d):
          let id = HoursID(ctx.hours.count)
          let first = ctx.hours.declare(d.name.value, id: id, span: d.name.span)
          report(first, code: CheckerCatalogue.duplicateHoursCode, kind: "hours", d.name, &ctx)
          groups.hours.append((d, first == nil ? id : nil))
        case .label(let d):
          let id = LabelID(ctx.labels.count)
          let first = ctx.labels.declare(d.name.value, id: id, span: d.name.span)
          report(first, code: CheckerCatalogue.duplicateLabelCode, kind: "label", d.name, &ctx)
          groups.labels.append((d, first == nil ? id : nil))
        case .team(let d):
          let id = TeamID(ctx.teams.count)
          let first = ctx.teams.declare(d.name.value, id: id, span: d.name.span)
          report(first, code: CheckerCatalogue.duplicateTeamCode, kind: "team", d.name, &ctx)
          groups.teams.append((d, first == nil ? id : nil))
          registerMembers(of: d, &ctx)
        case .routing(let d): groups.routings.append(d)
        case .test(let d): groups.tests.append(d)
        case .synonyms(let d): groups.synonyms.append(d)
        case .language(let d): groups.languages.append(d)
        }
      }
    }
    for decl in groups.contacts {
      for attribute in decl.attributes {
        guard let type = attributeType(attribute.type, &ctx) else { continue }
        let name = attribute.name.name
        if let first = ctx.contactAttributes[name] {
          ctx.report(
            CheckerCatalogue.duplicateAttribute(
              name, owner: "`contact`", at: attribute.name.span, first: first.span))
          continue
        }
        ctx.contactAttributes[name] = AttributeSchema(
          name: name, type: type, span: attribute.name.span)
        ctx.contactAttributeOrder.append(name)
      }
    }
    for (decl, id) in groups.events {
      var fields: [AttributeSchema] = []
      var seen: [String: SourceSpan] = [:]
      for field in decl.fields {
        guard let type = attributeType(field.type, &ctx) else { continue }
        if let first = seen[field.name.name] {
          ctx.report(
            CheckerCatalogue.duplicateAttribute(
              field.name.name, owner: "event \"\(decl.name.value)\"", at: field.name.span,
              first: first))
          continue
        }
        seen[field.name.name] = field.name.span
        fields.append(AttributeSchema(name: field.name.name, type: type, span: field.name.span))
      }
      if let id {
        ctx.eventDefinitions.append(
          EventDefinition(
            id: id, name: decl.name.value, fields: fields, nameSpan: decl.name.span,
            span: decl.span))
      }
    }
    return groups
  }

  private static func report(
    _ first: SourceSpan?, code: DiagnosticCode, kind: String, _ name: StringLiteral,
    _ ctx: inout CheckContext
  ) {
    guard let first else { return }
    ctx.report(
      CheckerCatalogue.duplicateDefinition(
        code: code, kind: kind, name: name.value, at: name.span, first: first))
  }

  /// Members exist through teams; the first listing is their location.
  private static func registerMembers(of team: TeamDecl, _ ctx: inout CheckContext) {
    for clause in team.clauses {
      guard case .members(let emails) = clause.kind else { continue }
      for email in emails {
        _ = ctx.members.declare(email.value, id: email.value, span: email.span)
      }
    }
  }

  static let typeNames: [String: AttributeType] = [
    "string": .string, "number": .number, "bool": .bool,
  ]
  /// Spellings from other languages that mean one of ours, for a better suggestion.
  static let typeSynonyms: [String: String] = [
    "int": "number", "integer": "number", "float": "number", "double": "number",
    "decimal": "number", "boolean": "bool", "str": "string", "text": "string",
  ]

  static func attributeType(_ type: TypeExpr, _ ctx: inout CheckContext) -> AttributeType? {
    switch type {
    case .named(let id):
      if let t = typeNames[id.name] { return t }
      let suggestion =
        typeSynonyms[id.name.lowercased()].map { NameSuggestion(name: $0, quoted: false) }
        ?? ctx.suggestion(for: id.name, among: ["string", "number", "bool"])
      ctx.report(CheckerCatalogue.unknownTypeName(id.name, at: id.span, suggestion: suggestion))
      return nil
    case .oneOf(let values):
      var unique: [String] = []
      var seen = Set<String>()
      for v in values where seen.insert(v.value).inserted { unique.append(v.value) }
      return .oneOf(unique)
    }
  }
}
