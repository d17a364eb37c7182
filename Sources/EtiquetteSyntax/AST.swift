import EtiquetteDiagnostics

// The abstract syntax tree of one rule file.
//
// Every node carries the `SourceSpan` it was parsed from, but AST equality ignores spans (as in
// Cedar): `parse(fmt(x)) == parse(x)` compares meaning, not layout. Parentheses the admin wrote are
// kept (`Condition.parenthesized`) so the formatter never has to decide where they go.

/// Wraps a value that takes no part in `==` or hashing: spans and comments.
@propertyWrapper
public struct IgnoredInEquality<Value: Sendable>: Sendable, Hashable {
  public var wrappedValue: Value
  public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }
  public static func == (lhs: Self, rhs: Self) -> Bool { true }
  public func hash(into hasher: inout Hasher) {}
}

/// A parsed `.etq` file.
public struct RuleFile: Sendable, Hashable {
  @IgnoredInEquality public var file: SourceFileID
  public var items: [Item]
  /// Every `#` comment in source order, for the formatter. Not part of the file's meaning.
  @IgnoredInEquality public var comments: [Comment]

  public init(file: SourceFileID, items: [Item], comments: [Comment]) {
    self.file = file
    self.items = items
    self.comments = comments
  }
}

/// A `#` comment, kept so the formatter can put it back.
public struct Comment: Sendable, Hashable {
  /// The text including the leading `#`, without the line terminator.
  public var text: String
  public var span: SourceSpan
  /// True when nothing but white space precedes it on its line; false for a trailing comment.
  public var isOnOwnLine: Bool
  public init(text: String, span: SourceSpan, isOnOwnLine: Bool) {
    self.text = text
    self.span = span
    self.isOnOwnLine = isOnOwnLine
  }
}

// MARK: - Leaves

/// A bare word such as an attribute name (`tier`), a day (`mon`) or a message type (`image`).
public struct Identifier: Sendable, Hashable, CustomStringConvertible {
  public var name: String
  @IgnoredInEquality public var span: SourceSpan
  public init(_ name: String, span: SourceSpan) {
    self.name = name
    self.span = span
  }
  public var description: String { name }
}

/// A double-quoted string; `value` has its escapes decoded.
public struct StringLiteral: Sendable, Hashable, CustomStringConvertible {
  public var value: String
  @IgnoredInEquality public var span: SourceSpan
  public init(_ value: String, span: SourceSpan) {
    self.value = value
    self.span = span
  }
  public var description: String { value }
}

/// A number such as `18` or `4.5`; `text` is the source spelling, kept for the formatter.
public struct NumberLiteral: Sendable, Hashable {
  public var value: Double
  @IgnoredInEquality public var text: String
  @IgnoredInEquality public var span: SourceSpan
  public init(value: Double, text: String, span: SourceSpan) {
    self.value = value
    self.text = text
    self.span = span
  }
}

/// A `/pattern/flags` literal. `pattern` is the source text between the slashes, unchanged
/// (an escaped `\/` stays `\/`, which PCRE2 reads as `/`), so a PCRE2 error offset maps to
/// `patternSpan.start + offset` in the file.
public struct RegexLiteral: Sendable, Hashable {
  public var pattern: String
  public var flags: String
  @IgnoredInEquality public var span: SourceSpan
  /// The bytes of the pattern alone, between the slashes.
  @IgnoredInEquality public var patternSpan: SourceSpan
  /// The bytes of the flags after the closing slash (empty span when there are none).
  @IgnoredInEquality public var flagsSpan: SourceSpan
  public init(
    pattern: String, flags: String, span: SourceSpan, patternSpan: SourceSpan,
    flagsSpan: SourceSpan
  ) {
    self.pattern = pattern
    self.flags = flags
    self.span = span
    self.patternSpan = patternSpan
    self.flagsSpan = flagsSpan
  }
}

/// A time of day as written, `09:00`. Range checks belong to the checker.
public struct TimeOfDay: Sendable, Hashable {
  public var hour: Int
  public var minute: Int
  @IgnoredInEquality public var span: SourceSpan
  public init(hour: Int, minute: Int, span: SourceSpan) {
    self.hour = hour
    self.minute = minute
    self.span = span
  }
  /// Minutes since midnight.
  public var minutes: Int { hour * 60 + minute }
}

/// A fixed keyword choice with the span it was written at.
public struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
  public var value: Value
  @IgnoredInEquality public var span: SourceSpan
  public init(_ value: Value, span: SourceSpan) {
    self.value = value
    self.span = span
  }
}

/// Who answers a conversation.
public enum Mode: String, Sendable, Hashable, CaseIterable { case ai, human }

/// Priority given by a routing rule.
public enum Priority: String, Sendable, Hashable, CaseIterable, Comparable {
  case low, normal, high, urgent
  private var rank: Int { Priority.allCases.firstIndex(of: self)! }
  public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rank < rhs.rank }
}

/// What a grant allows. `reply` implies `view`; `manage` implies both.
public enum AccessLevel: String, Sendable, Hashable, CaseIterable, Comparable {
  case view, reply, manage
  private var rank: Int { AccessLevel.allCases.firstIndex(of: self)! }
  public static func < (lhs: AccessLevel, rhs: AccessLevel) -> Bool { lhs.rank < rhs.rank }
}

// MARK: - Items

/// A top-level declaration.
public enum Item: Sendable, Hashable {
  case contact(ContactDecl)
  case event(EventDecl)
  case hours(HoursDecl)
  case label(LabelDecl)
  case team(TeamDecl)
  case routing(RoutingDecl)
  case test(TestDecl)
  /// `synonyms { "rdv" = "rendez-vous" }`.
  case synonyms(SynonymsDecl)
  /// `language fr`.
  case language(LanguageDecl)

  public var span: SourceSpan {
    switch self {
    case .contact(let d): d.span
    case .event(let d): d.span
    case .hours(let d): d.span
    case .label(let d): d.span
    case .team(let d): d.span
    case .routing(let d): d.span
    case .test(let d): d.span
    case .synonyms(let d): d.span
    case .language(let d): d.span
    }
  }

  /// The keyword that opens the declaration.
  public var keyword: String {
    switch self {
    case .contact: "contact"
    case .event: "event"
    case .hours: "hours"
    case .label: "label"
    case .team: "team"
    case .routing: "routing"
    case .test: "test"
    case .synonyms: "synonyms"
    case .language: "language"
    }
  }
}

/// `synonyms { "rdv" = "rendez-vous" ... }`: words customers abbreviate, replaced in messages
/// by what they stand for before phrases are matched (issue 19).
public struct SynonymsDecl: Sendable, Hashable {
  public var pairs: [SynonymPair]
  @IgnoredInEquality public var span: SourceSpan
  public init(pairs: [SynonymPair], span: SourceSpan) {
    self.pairs = pairs
    self.span = span
  }
}

/// `"rdv" = "rendez-vous"`: what customers write, and what it means.
public struct SynonymPair: Sendable, Hashable {
  public var written: StringLiteral
  public var meaning: StringLiteral
  @IgnoredInEquality public var span: SourceSpan
  public init(written: StringLiteral, meaning: StringLiteral, span: SourceSpan) {
    self.written = written
    self.meaning = meaning
    self.span = span
  }
}

/// The languages a rule set may declare: word forms (`forms`) follow their grammar.
public enum RuleLanguage: String, Sendable, Hashable, CaseIterable {
  case fr, en
}

/// `language fr`: the language of the rule set's phrases and messages (French when absent).
public struct LanguageDecl: Sendable, Hashable {
  public var language: Located<RuleLanguage>
  @IgnoredInEquality public var span: SourceSpan
  public init(language: Located<RuleLanguage>, span: SourceSpan) {
    self.language = language
    self.span = span
  }
}

/// `contact { tier: "standard" | "vip" ... }`: the contact attributes rules may test.
public struct ContactDecl: Sendable, Hashable {
  public var attributes: [AttributeDecl]
  @IgnoredInEquality public var span: SourceSpan
  public init(attributes: [AttributeDecl], span: SourceSpan) {
    self.attributes = attributes
    self.span = span
  }
}

/// `name: type`, in a `contact` or `event` declaration.
public struct AttributeDecl: Sendable, Hashable {
  public var name: Identifier
  public var type: TypeExpr
  @IgnoredInEquality public var span: SourceSpan
  public init(name: Identifier, type: TypeExpr, span: SourceSpan) {
    self.name = name
    self.type = type
    self.span = span
  }
}

/// The type of an attribute: a named type (`string`, `number`, `bool`; others are rejected by the
/// checker) or a closed set of strings (`"standard" | "vip"`).
public enum TypeExpr: Sendable, Hashable {
  case named(Identifier)
  case oneOf([StringLiteral])

  public var span: SourceSpan {
    switch self {
    case .named(let id): id.span
    case .oneOf(let values):
      values.dropFirst().reduce(values.first?.span ?? .unknown) { $0.merged(with: $1.span) }
    }
  }
}

/// `event "calendly.booking.confirmed" { invitee: string ... }`: an integration event and its fields.
public struct EventDecl: Sendable, Hashable {
  public var name: StringLiteral
  public var fields: [AttributeDecl]
  @IgnoredInEquality public var span: SourceSpan
  public init(name: StringLiteral, fields: [AttributeDecl], span: SourceSpan) {
    self.name = name
    self.fields = fields
    self.span = span
  }
}

/// `hours "bureau" { zone "Europe/Paris"  mon-fri 09:00-18:00 }`: opening hours for `during`.
public struct HoursDecl: Sendable, Hashable {
  public var name: StringLiteral
  public var entries: [HoursEntry]
  @IgnoredInEquality public var span: SourceSpan
  public init(name: StringLiteral, entries: [HoursEntry], span: SourceSpan) {
    self.name = name
    self.entries = entries
    self.span = span
  }
}

public enum HoursEntry: Sendable, Hashable {
  /// `zone "Europe/Paris"`.
  case zone(StringLiteral, span: IgnoredInEquality<SourceSpan>)
  /// `mon-fri, sat 09:00-12:00, 14:00-18:00`.
  case schedule(HoursSchedule)

  public var span: SourceSpan {
    switch self {
    case .zone(_, let span): span.wrappedValue
    case .schedule(let s): s.span
    }
  }
}

/// Days and the time ranges open on them.
public struct HoursSchedule: Sendable, Hashable {
  public var days: [DayRange]
  public var times: [TimeRange]
  @IgnoredInEquality public var span: SourceSpan
  public init(days: [DayRange], times: [TimeRange], span: SourceSpan) {
    self.days = days
    self.times = times
    self.span = span
  }
}

/// `mon` or `mon-fri`; day names are checked by the checker.
public struct DayRange: Sendable, Hashable {
  public var first: Identifier
  public var last: Identifier?
  @IgnoredInEquality public var span: SourceSpan
  public init(first: Identifier, last: Identifier?, span: SourceSpan) {
    self.first = first
    self.last = last
    self.span = span
  }
}

/// `09:00-18:00`.
public struct TimeRange: Sendable, Hashable {
  public var start: TimeOfDay
  public var end: TimeOfDay
  @IgnoredInEquality public var span: SourceSpan
  public init(start: TimeOfDay, end: TimeOfDay, span: SourceSpan) {
    self.start = start
    self.end = end
    self.span = span
  }
}

/// `label "Name" { color …  when …  remove when … }`.
public struct LabelDecl: Sendable, Hashable {
  public var name: StringLiteral
  public var clauses: [LabelClause]
  @IgnoredInEquality public var span: SourceSpan
  public init(name: StringLiteral, clauses: [LabelClause], span: SourceSpan) {
    self.name = name
    self.clauses = clauses
    self.span = span
  }
}

public struct LabelClause: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    /// `color "#2e7d32"`.
    case color(StringLiteral)
    /// `description "…"`.
    case description(StringLiteral)
    /// `when CONDITION`: adds the label when the condition becomes true.
    case when(Condition)
    /// `remove when CONDITION`: removes the label when the condition becomes true.
    case removeWhen(Condition)
    /// `was "Old name"`: the label was renamed; conversations stored with the old name carry
    /// this label (the server migrates them on reload).
    case was(StringLiteral)
  }
  public var kind: Kind
  @IgnoredInEquality public var span: SourceSpan
  public init(_ kind: Kind, span: SourceSpan) {
    self.kind = kind
    self.span = span
  }
}

/// `team "Name" { members [...]  can reply labels [...] }`.
public struct TeamDecl: Sendable, Hashable {
  public var name: StringLiteral
  public var clauses: [TeamClause]
  @IgnoredInEquality public var span: SourceSpan
  public init(name: StringLiteral, clauses: [TeamClause], span: SourceSpan) {
    self.name = name
    self.clauses = clauses
    self.span = span
  }
}

public struct TeamClause: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    /// `members ["a@x.fr", ...]`.
    case members([StringLiteral])
    /// `can LEVEL SCOPE`.
    case grant(level: Located<AccessLevel>, scope: GrantScope)
  }
  public var kind: Kind
  @IgnoredInEquality public var span: SourceSpan
  public init(_ kind: Kind, span: SourceSpan) {
    self.kind = kind
    self.span = span
  }
}

/// Which conversations a grant covers.
public enum GrantScope: Sendable, Hashable {
  /// `all`.
  case all
  /// `all except labels [...]`: conversations that have none of these labels.
  case allExcept([StringLiteral])
  /// `labels [...]`: conversations that have at least one of these labels.
  case labels([StringLiteral])
}

/// `routing { default ai  when COND -> TARGET ... }`.
public struct RoutingDecl: Sendable, Hashable {
  public var entries: [RoutingEntry]
  @IgnoredInEquality public var span: SourceSpan
  public init(entries: [RoutingEntry], span: SourceSpan) {
    self.entries = entries
    self.span = span
  }
}

public struct RoutingEntry: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    /// `default ai|human`.
    case defaultMode(Located<Mode>)
    /// `when CONDITION -> TARGET`.
    case rule(condition: Condition, target: RouteTarget)
  }
  public var kind: Kind
  @IgnoredInEquality public var span: SourceSpan
  public init(_ kind: Kind, span: SourceSpan) {
    self.kind = kind
    self.span = span
  }
}

/// `human team "Support" priority high`.
public struct RouteTarget: Sendable, Hashable {
  public var mode: Located<Mode>
  public var team: StringLiteral?
  public var priority: Located<Priority>?
  @IgnoredInEquality public var span: SourceSpan
  public init(
    mode: Located<Mode>, team: StringLiteral?, priority: Located<Priority>?, span: SourceSpan
  ) {
    self.mode = mode
    self.team = team
    self.priority = priority
    self.span = span
  }
}

// MARK: - Conditions

/// A boolean condition: atoms combined with `and`, `or`, `not` and parentheses
/// (`not` binds tightest, then `and`, then `or`; `and`/`or` associate to the left).
public indirect enum Condition: Sendable, Hashable {
  case and(Condition, Condition, span: IgnoredInEquality<SourceSpan>)
  case or(Condition, Condition, span: IgnoredInEquality<SourceSpan>)
  case not(Condition, span: IgnoredInEquality<SourceSpan>)
  /// `( … )` as written.
  case parenthesized(Condition, span: IgnoredInEquality<SourceSpan>)
  case atom(Atom)

  public var span: SourceSpan {
    switch self {
    case .and(_, _, let s), .or(_, _, let s), .not(_, let s), .parenthesized(_, let s):
      s.wrappedValue
    case .atom(let a): a.span
    }
  }
}

public struct Atom: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    /// `message contains "…"` (`.one`), `message contains any [...]`, `message contains all [...]`,
    /// with `forms` and `typos` after the quantifier when written.
    case messageContains(PhraseQuantifier, [StringLiteral], modes: PhraseModes = [])
    /// `message matches /re/flags`.
    case messageMatches(RegexLiteral)
    /// `SUBJECT.FIELD OP VALUE`: `message.type is image`, `message.type in [image, video]`,
    /// `contact.tier == "vip"`, `contact.name starts with "A"`, `event.amount > 100`.
    case comparison(FieldPath, Located<ComparisonOperator>, Value)
    /// `event "name"`: the step is this integration event.
    case event(StringLiteral)
    /// `label "X"`: the conversation has label X.
    case label(StringLiteral)
    /// `mode is ai|human`.
    case modeIs(Located<Mode>)
    /// `during "hours-name"`.
    case during(StringLiteral)
  }
  public var kind: Kind
  @IgnoredInEquality public var span: SourceSpan
  public init(_ kind: Kind, span: SourceSpan) {
    self.kind = kind
    self.span = span
  }
}

public enum PhraseQuantifier: String, Sendable, Hashable {
  /// `contains "…"`.
  case one
  /// `contains any [...]`.
  case any
  /// `contains all [...]`.
  case all
}

/// How loosely the phrases of a `contains` match (issue 19): `forms` matches every inflection
/// of each word (Snowball stemming), `typos` tolerates a spelling mistake per long word. Written
/// after `any` / `all`, in this order: `contains any forms typos [...]`.
public struct PhraseModes: OptionSet, Sendable, Hashable {
  public let rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }
  public static let forms = PhraseModes(rawValue: 1)
  public static let typos = PhraseModes(rawValue: 2)

  /// The keywords, in the order the formatter writes them.
  public static let keywords: [(String, PhraseModes)] = [("forms", .forms), ("typos", .typos)]

  /// The keywords of the modes that are set, in order.
  public var keywords: [String] {
    Self.keywords.compactMap { contains($0.1) ? $0.0 : nil }
  }
}

/// `message.type`, `contact.tier`, `event.start`.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
  public enum Subject: String, Sendable, Hashable { case message, contact, event }
  public var subject: Located<Subject>
  public var field: Identifier
  @IgnoredInEquality public var span: SourceSpan
  public init(subject: Located<Subject>, field: Identifier, span: SourceSpan) {
    self.subject = subject
    self.field = field
    self.span = span
  }
  public var description: String { "\(subject.value.rawValue).\(field.name)" }
}

public enum ComparisonOperator: String, Sendable, Hashable, CaseIterable {
  case equal = "=="
  case notEqual = "!="
  case less = "<"
  case lessOrEqual = "<="
  case greater = ">"
  case greaterOrEqual = ">="
  /// `is`: equality on enumerated values such as message types.
  case `is` = "is"
  /// `in [...]`.
  case `in` = "in"
  /// `starts with`.
  case startsWith = "starts with"
}

/// A literal on the right of a comparison, or a field value in a test's object.
public indirect enum Value: Sendable, Hashable {
  case string(StringLiteral)
  case number(NumberLiteral)
  case bool(Located<Bool>)
  /// A bare word: `image` in `message.type is image`.
  case identifier(Identifier)
  case list([Value], span: IgnoredInEquality<SourceSpan>)

  public var span: SourceSpan {
    switch self {
    case .string(let s): s.span
    case .number(let n): n.span
    case .bool(let b): b.span
    case .identifier(let i): i.span
    case .list(_, let s): s.wrappedValue
    }
  }
}

// MARK: - Tests

/// `test "name" { steps and expectations }`: a scripted conversation and what must hold.
public struct TestDecl: Sendable, Hashable {
  public var name: StringLiteral
  public var entries: [TestEntry]
  @IgnoredInEquality public var span: SourceSpan
  public init(name: StringLiteral, entries: [TestEntry], span: SourceSpan) {
    self.name = name
    self.entries = entries
    self.span = span
  }
}

public enum TestEntry: Sendable, Hashable {
  case step(TestStep)
  case expectation(Expectation)

  public var span: SourceSpan {
    switch self {
    case .step(let s): s.span
    case .expectation(let e): e.span
    }
  }
}

/// `{ key: value, ... }` in a test's `contact` or `event` step.
public struct ObjectLiteral: Sendable, Hashable {
  public struct Field: Sendable, Hashable {
    /// An identifier, or a string for keys that are not identifiers (`"order-id": …`).
    public var key: Identifier
    public var value: Value
    @IgnoredInEquality public var span: SourceSpan
    public init(key: Identifier, value: Value, span: SourceSpan) {
      self.key = key
      self.value = value
      self.span = span
    }
  }
  public var fields: [Field]
  @IgnoredInEquality public var span: SourceSpan
  public init(fields: [Field], span: SourceSpan) {
    self.fields = fields
    self.span = span
  }
}

public struct TestStep: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    /// `contact { tier: "vip" }`: sets contact attributes for the following steps.
    case contact(ObjectLiteral)
    /// `at "2026-11-24T10:00:00+01:00"`: the time of the following steps.
    case at(StringLiteral)
    /// `customer says "…"`: a text message.
    case customerSays(StringLiteral)
    /// `customer sends image ["caption"]`: a message of another type.
    case customerSends(type: Identifier, caption: StringLiteral?)
    /// `event "name" [{ fields }]`.
    case event(name: StringLiteral, fields: ObjectLiteral?)
    /// `agent "m@x.fr" ACTION`.
    case agent(member: StringLiteral, action: AgentAction)
  }
  public var kind: Kind
  @IgnoredInEquality public var span: SourceSpan
  public init(_ kind: Kind, span: SourceSpan) {
    self.kind = kind
    self.span = span
  }
}

public enum AgentAction: Sendable, Hashable {
  /// `takes over`.
  case takesOver
  /// `transfers to ai` (transfer to AI and leave).
  case transfersToAI
  /// `keeps human and leaves` (keep human mode and leave).
  case keepsHumanAndLeaves
  /// `adds label "X"`.
  case addsLabel(StringLiteral)
  /// `removes label "X"`.
  case removesLabel(StringLiteral)
  /// `replies "…"`.
  case replies(StringLiteral)
  /// `notes "…"`.
  case notes(StringLiteral)
}

public struct Expectation: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    /// `expect labels [...]`: exactly this set.
    case labels([StringLiteral])
    /// `expect label "X"`.
    case label(StringLiteral)
    /// `expect no label "X"`.
    case noLabel(StringLiteral)
    /// `expect route ai|human|unchanged [team "X"] [priority P]`.
    case route(RouteExpectation)
    /// `expect mode ai|human`.
    case mode(Located<Mode>)
    /// `expect notify "m"`.
    case notify(StringLiteral)
    /// `expect "m" can|cannot view|reply|manage`.
    case access(member: StringLiteral, allowed: Bool, level: Located<AccessLevel>)
  }
  public var kind: Kind
  @IgnoredInEquality public var span: SourceSpan
  public init(_ kind: Kind, span: SourceSpan) {
    self.kind = kind
    self.span = span
  }
}

/// What `expect route` checks: the outcome of the routing at the last step.
public struct RouteExpectation: Sendable, Hashable {
  public enum Outcome: Sendable, Hashable {
    case mode(Mode)
    /// No routing rule fired at the last step.
    case unchanged
  }
  public var outcome: Located<Outcome>
  public var team: StringLiteral?
  public var priority: Located<Priority>?
  @IgnoredInEquality public var span: SourceSpan
  public init(
    outcome: Located<Outcome>, team: StringLiteral?, priority: Located<Priority>?,
    span: SourceSpan
  ) {
    self.outcome = outcome
    self.team = team
    self.priority = priority
    self.span = span
  }
}
