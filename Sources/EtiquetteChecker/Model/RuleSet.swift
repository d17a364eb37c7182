import EtiquetteDiagnostics
import EtiquetteSyntax

// The resolved, typed rule set: the checker's output and the only input of the matcher and the
// engine. Every name is resolved to an id, every value is typed, and every element keeps the
// span it was written at so later stages can report locations. Equality ignores spans, as in
// the AST, so two rule sets that mean the same thing compare equal.

/// Identifies a label: its index in `RuleSet.labels` (declaration order over the files as given).
public struct LabelID: Sendable, Hashable, Comparable, CustomStringConvertible {
  public let rawValue: Int
  public init(_ rawValue: Int) { self.rawValue = rawValue }
  /// A label stored on a conversation that the current rules do not define (renamed or
  /// removed since). Never an index into `RuleSet.labels`: it only narrows access — no
  /// `labels [...]` grant names it, and it counts as excluded by every `all except` grant — so
  /// a rename never shows a conversation to a team that could not see it before.
  public static let unknownStored = LabelID(-1)
  public static func < (lhs: LabelID, rhs: LabelID) -> Bool { lhs.rawValue < rhs.rawValue }
  public var description: String { "label#\(rawValue)" }
}

/// Identifies a team: its index in `RuleSet.teams`.
public struct TeamID: Sendable, Hashable, Comparable, CustomStringConvertible {
  public let rawValue: Int
  public init(_ rawValue: Int) { self.rawValue = rawValue }
  public static func < (lhs: TeamID, rhs: TeamID) -> Bool { lhs.rawValue < rhs.rawValue }
  public var description: String { "team#\(rawValue)" }
}

/// Identifies an `hours` declaration: its index in `RuleSet.hours`.
public struct HoursID: Sendable, Hashable, Comparable, CustomStringConvertible {
  public let rawValue: Int
  public init(_ rawValue: Int) { self.rawValue = rawValue }
  public static func < (lhs: HoursID, rhs: HoursID) -> Bool { lhs.rawValue < rhs.rawValue }
  public var description: String { "hours#\(rawValue)" }
}

/// Identifies an integration event: its index in `RuleSet.events`.
public struct EventID: Sendable, Hashable, Comparable, CustomStringConvertible {
  public let rawValue: Int
  public init(_ rawValue: Int) { self.rawValue = rawValue }
  public static func < (lhs: EventID, rhs: EventID) -> Bool { lhs.rawValue < rhs.rawValue }
  public var description: String { "event#\(rawValue)" }
}

/// A checked rule set: declarations, labels, teams, members, routing and tests, all resolved.
public struct RuleSet: Sendable, Hashable {
  /// Declared contact attributes, in declaration order.
  public var contactAttributes: [AttributeSchema]
  /// Declared integration events; `events[id.rawValue].id == id`.
  public var events: [EventDefinition]
  /// Opening hours; `hours[id.rawValue].id == id`.
  public var hours: [HoursDefinition]
  /// Labels in declaration order; `labels[id.rawValue].id == id`.
  public var labels: [LabelDefinition]
  /// Every label once, each after the labels its triggers refer to (`label "X"`), so the engine
  /// can evaluate a step's triggers in this order. Ties keep declaration order.
  public var labelEvaluationOrder: [LabelID]
  /// Teams in declaration order; `teams[id.rawValue].id == id`.
  public var teams: [TeamDefinition]
  /// Every member named in a team, sorted by email.
  public var members: [MemberDefinition]
  public var routing: RoutingPolicy
  /// `test` blocks in declaration order.
  public var tests: [RuleTest]
  /// The language of phrases and messages (`language fr`, French when undeclared): the
  /// grammar `forms` follows.
  public var language: RuleLanguage = .fr
  /// `synonyms` pairs of every file, in file order.
  public var synonyms: [Synonym] = []

  public init(
    contactAttributes: [AttributeSchema], events: [EventDefinition], hours: [HoursDefinition],
    labels: [LabelDefinition], labelEvaluationOrder: [LabelID], teams: [TeamDefinition],
    members: [MemberDefinition], routing: RoutingPolicy, tests: [RuleTest]
  ) {
    self.contactAttributes = contactAttributes
    self.events = events
    self.hours = hours
    self.labels = labels
    self.labelEvaluationOrder = labelEvaluationOrder
    self.teams = teams
    self.members = members
    self.routing = routing
    self.tests = tests
  }

  public subscript(id: LabelID) -> LabelDefinition { labels[id.rawValue] }
  public subscript(id: TeamID) -> TeamDefinition { teams[id.rawValue] }
  public subscript(id: HoursID) -> HoursDefinition { hours[id.rawValue] }
  public subscript(id: EventID) -> EventDefinition { events[id.rawValue] }

  public func label(named name: String) -> LabelDefinition? { labels.first { $0.name == name } }
  /// The label that declares `was "name"`: where conversations stored with that name go.
  public func label(formerlyNamed name: String) -> LabelDefinition? {
    labels.first { $0.formerNames.contains(name) }
  }
  public func team(named name: String) -> TeamDefinition? { teams.first { $0.name == name } }
  public func member(_ email: String) -> MemberDefinition? { members.first { $0.email == email } }
  public func hours(named name: String) -> HoursDefinition? { hours.first { $0.name == name } }
  public func event(named name: String) -> EventDefinition? { events.first { $0.name == name } }
  public func contactAttribute(named name: String) -> AttributeSchema? {
    contactAttributes.first { $0.name == name }
  }
}

// MARK: - Declarations

/// The type of a contact attribute or event field.
public enum AttributeType: Sendable, Hashable, CustomStringConvertible {
  case string
  case number
  case bool
  /// A closed set of strings, in declaration order (`"standard" | "vip"`).
  case oneOf([String])

  public var description: String {
    switch self {
    case .string: "string"
    case .number: "number"
    case .bool: "bool"
    case .oneOf(let values): values.map { "\"\($0)\"" }.joined(separator: " | ")
    }
  }
}

/// A declared contact attribute or event field.
public struct AttributeSchema: Sendable, Hashable {
  public var name: String
  public var type: AttributeType
  @IgnoredInEquality public var span: SourceSpan
  public init(name: String, type: AttributeType, span: SourceSpan) {
    self.name = name
    self.type = type
    self.span = span
  }
}

/// `event "name" { fields }`.
public struct EventDefinition: Sendable, Hashable {
  public var id: EventID
  public var name: String
  public var fields: [AttributeSchema]
  @IgnoredInEquality public var nameSpan: SourceSpan
  @IgnoredInEquality public var span: SourceSpan
  public init(
    id: EventID, name: String, fields: [AttributeSchema], nameSpan: SourceSpan, span: SourceSpan
  ) {
    self.id = id
    self.name = name
    self.fields = fields
    self.nameSpan = nameSpan
    self.span = span
  }
  public func field(named name: String) -> AttributeSchema? { fields.first { $0.name == name } }
}

/// A day of the week, ISO numbering (Monday is 1).
public enum Weekday: Int, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
  case monday = 1
  case tuesday, wednesday, thursday, friday, saturday, sunday

  /// The spelling used in rule files: `mon` … `sun`.
  public var shortName: String {
    switch self {
    case .monday: "mon"
    case .tuesday: "tue"
    case .wednesday: "wed"
    case .thursday: "thu"
    case .friday: "fri"
    case .saturday: "sat"
    case .sunday: "sun"
    }
  }
  public init?(shortName: String) {
    guard let day = Weekday.allCases.first(where: { $0.shortName == shortName }) else { return nil }
    self = day
  }
  public var description: String { shortName }
  public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A half-open range of minutes since midnight, `start..<end`, with `0 <= start < end <= 1440`.
public struct MinuteRange: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var start: Int
  public var end: Int
  public init(start: Int, end: Int) {
    self.start = start
    self.end = end
  }
  public func contains(minute: Int) -> Bool { start <= minute && minute < end }
  public func overlaps(_ other: MinuteRange) -> Bool { start < other.end && other.start < end }
  public static func < (lhs: MinuteRange, rhs: MinuteRange) -> Bool {
    (lhs.start, lhs.end) < (rhs.start, rhs.end)
  }
  public var description: String {
    func hhmm(_ m: Int) -> String {
      let h = m / 60
      let mm = m % 60
      return (h < 10 ? "0" : "") + "\(h):" + (mm < 10 ? "0" : "") + "\(mm)"
    }
    return "\(hhmm(start))-\(hhmm(end))"
  }
}

/// One open range on one day, as written (a `mon-fri 09:00-18:00` line gives five of them).
public struct HoursOpening: Sendable, Hashable {
  public var day: Weekday
  public var range: MinuteRange
  /// The day range and the time range it came from.
  @IgnoredInEquality public var daySpan: SourceSpan
  @IgnoredInEquality public var timeSpan: SourceSpan
  public init(day: Weekday, range: MinuteRange, daySpan: SourceSpan, timeSpan: SourceSpan) {
    self.day = day
    self.range = range
    self.daySpan = daySpan
    self.timeSpan = timeSpan
  }
}

/// `hours "name" { zone "…"  mon-fri 09:00-18:00 }`, resolved to minute ranges per weekday.
public struct HoursDefinition: Sendable, Hashable {
  public var id: HoursID
  public var name: String
  /// An IANA time zone identifier known to the system tz database (`Europe/Paris`).
  public var zone: String
  /// Each day's open ranges, sorted and merged; a day that is absent is closed all day.
  public var weekly: [Weekday: [MinuteRange]]
  /// The ranges as written, for locations.
  public var openings: [HoursOpening]
  @IgnoredInEquality public var nameSpan: SourceSpan
  @IgnoredInEquality public var span: SourceSpan
  public init(
    id: HoursID, name: String, zone: String, weekly: [Weekday: [MinuteRange]],
    openings: [HoursOpening], nameSpan: SourceSpan, span: SourceSpan
  ) {
    self.id = id
    self.name = name
    self.zone = zone
    self.weekly = weekly
    self.openings = openings
    self.nameSpan = nameSpan
    self.span = span
  }

  /// Whether the hours are open on `day` at `minute` (minutes since local midnight).
  public func isOpen(on day: Weekday, atMinute minute: Int) -> Bool {
    (weekly[day] ?? []).contains { $0.contains(minute: minute) }
  }
}

// MARK: - Labels

/// A `label` declaration with its resolved triggers.
public struct LabelDefinition: Sendable, Hashable {
  public var id: LabelID
  public var name: String
  public var color: String?
  public var description: String?
  /// `when` triggers: the label is added when one of them fires.
  public var addTriggers: [LabelTrigger]
  /// `remove when` triggers: the label is removed when one fires (remove wins over add).
  public var removeTriggers: [LabelTrigger]
  /// Labels that the triggers refer to with `label "X"`, sorted, without duplicates.
  public var dependencies: [LabelID]
  /// `was "…"`: names the label had before, which no label of the rule set has now.
  public var formerNames: [String] = []
  @IgnoredInEquality public var nameSpan: SourceSpan
  @IgnoredInEquality public var span: SourceSpan
  public init(
    id: LabelID, name: String, color: String?, description: String?,
    addTriggers: [LabelTrigger], removeTriggers: [LabelTrigger], dependencies: [LabelID],
    nameSpan: SourceSpan, span: SourceSpan
  ) {
    self.id = id
    self.name = name
    self.color = color
    self.description = description
    self.addTriggers = addTriggers
    self.removeTriggers = removeTriggers
    self.dependencies = dependencies
    self.nameSpan = nameSpan
    self.span = span
  }
}

/// One `when` or `remove when` clause of a label.
public struct LabelTrigger: Sendable, Hashable {
  public var condition: ConditionTree
  /// The whole clause (`when …`), for "added by rules/labels.etq:14:8".
  @IgnoredInEquality public var span: SourceSpan
  /// The clause as `ClauseText.canonical` spells it: what names the clause's held state across
  /// reloads, so that moving the clause does not move its state onto another one.
  @IgnoredInEquality public var canonicalText: String
  public init(condition: ConditionTree, span: SourceSpan, canonicalText: String = "") {
    self.condition = condition
    self.span = span
    self.canonicalText = canonicalText
  }
}

// MARK: - Access

/// Which conversations a grant covers, over label ids.
public enum AccessScope: Sendable, Hashable {
  /// Every conversation.
  case all
  /// Conversations that have none of these labels (unlabelled ones included); sorted, unique.
  case allExcept([LabelID])
  /// Conversations that have at least one of these labels; sorted, unique.
  case labels([LabelID])

  /// Whether a conversation carrying exactly `labels` is covered.
  public func covers(_ labels: Set<LabelID>) -> Bool {
    switch self {
    case .all: true
    case .allExcept(let excluded):
      !labels.contains(.unknownStored) && !excluded.contains { labels.contains($0) }
    case .labels(let included): included.contains { labels.contains($0) }
    }
  }
}

/// `can LEVEL SCOPE` in a team.
public struct AccessGrant: Sendable, Hashable {
  public var level: AccessLevel
  public var scope: AccessScope
  @IgnoredInEquality public var span: SourceSpan
  public init(level: AccessLevel, scope: AccessScope, span: SourceSpan) {
    self.level = level
    self.scope = scope
    self.span = span
  }
  /// Whether this grant allows `level` (reply implies view, manage implies both).
  public func allows(_ wanted: AccessLevel) -> Bool { level >= wanted }
}

/// A `team` declaration.
public struct TeamDefinition: Sendable, Hashable {
  public var id: TeamID
  public var name: String
  /// Member emails, in the order written, without duplicates.
  public var members: [String]
  public var grants: [AccessGrant]
  @IgnoredInEquality public var nameSpan: SourceSpan
  @IgnoredInEquality public var span: SourceSpan
  public init(
    id: TeamID, name: String, members: [String], grants: [AccessGrant], nameSpan: SourceSpan,
    span: SourceSpan
  ) {
    self.id = id
    self.name = name
    self.members = members
    self.grants = grants
    self.nameSpan = nameSpan
    self.span = span
  }
}

/// A person named in at least one team; their rights are the union of their teams' grants.
public struct MemberDefinition: Sendable, Hashable {
  public var email: String
  /// Teams listing this member, sorted.
  public var teams: [TeamID]
  /// Where the member is first listed.
  @IgnoredInEquality public var span: SourceSpan
  public init(email: String, teams: [TeamID], span: SourceSpan) {
    self.email = email
    self.teams = teams
    self.span = span
  }
}

// MARK: - Routing

/// The `routing` block: the default mode and the rules in file order.
public struct RoutingPolicy: Sendable, Hashable {
  public var defaultMode: Mode
  public var rules: [RoutingRule]
  @IgnoredInEquality public var defaultSpan: SourceSpan
  public init(defaultMode: Mode, rules: [RoutingRule], defaultSpan: SourceSpan) {
    self.defaultMode = defaultMode
    self.rules = rules
    self.defaultSpan = defaultSpan
  }
}

/// `when CONDITION -> TARGET`; of the rules that fire at a step, the first in file order decides.
public struct RoutingRule: Sendable, Hashable {
  public var condition: ConditionTree
  public var target: RoutingTarget
  @IgnoredInEquality public var span: SourceSpan
  /// The rule (`when … -> human`) as `ClauseText.canonical` spells it: names its held state
  /// across reloads, like `LabelTrigger.canonicalText`.
  @IgnoredInEquality public var canonicalText: String
  public init(
    condition: ConditionTree, target: RoutingTarget, span: SourceSpan, canonicalText: String = ""
  ) {
    self.condition = condition
    self.target = target
    self.span = span
    self.canonicalText = canonicalText
  }
}

/// Where a routing rule sends a conversation.
public struct RoutingTarget: Sendable, Hashable {
  public var mode: Mode
  public var team: TeamID?
  public var priority: Priority?
  @IgnoredInEquality public var span: SourceSpan
  public init(mode: Mode, team: TeamID?, priority: Priority?, span: SourceSpan) {
    self.mode = mode
    self.team = team
    self.priority = priority
    self.span = span
  }
}

/// `"rdv" = "rendez-vous"`: a word customers write, replaced in messages by what it stands for
/// before phrases are matched.
public struct Synonym: Sendable, Hashable {
  /// As written in the rule file.
  @IgnoredInEquality public var written: String
  @IgnoredInEquality public var meaning: String
  /// Normalised: what is looked for in the normalised message and what replaces it.
  public var writtenNormalized: String
  public var meaningNormalized: String
  @IgnoredInEquality public var span: SourceSpan
  public init(
    written: String, meaning: String, writtenNormalized: String, meaningNormalized: String,
    span: SourceSpan
  ) {
    self.written = written
    self.meaning = meaning
    self.writtenNormalized = writtenNormalized
    self.meaningNormalized = meaningNormalized
    self.span = span
  }
}
