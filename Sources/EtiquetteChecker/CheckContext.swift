import EtiquetteDiagnostics
import EtiquetteSyntax

/// The names of one kind (labels, teams, …) declared in the rule set, first declaration winning,
/// with folded spellings ready for "did you mean".
struct NameIndex<ID: Hashable & Sendable>: Sendable {
  private(set) var ids: [String: ID] = [:]
  private(set) var spans: [String: SourceSpan] = [:]
  private var folded: [(String, [Character])] = []

  /// Registers a name; returns the span of the earlier declaration when it is a duplicate.
  mutating func declare(_ name: String, id: ID, span: SourceSpan) -> SourceSpan? {
    if let first = spans[name] { return first }
    ids[name] = id
    spans[name] = span
    folded.append((name, Array(NameMatching.fold(name))))
    return nil
  }

  subscript(name: String) -> ID? { ids[name] }

  var names: [String] { folded.map(\.0) }
  var count: Int { folded.count }

  func closest(to name: String) -> String? {
    NameMatching.closest(to: name, amongFolded: folded)
  }

  func closest(to name: String, budget: inout Int) -> String? {
    NameMatching.closest(to: name, amongFolded: folded, budget: &budget)
  }
}

/// State shared by the passes of one check: the sources, the diagnostics found so far and the
/// declarations every pass resolves names against.
struct CheckContext {
  let sources: SourceMap
  private(set) var diagnostics: [Diagnostic] = []

  var labels = NameIndex<LabelID>()
  var teams = NameIndex<TeamID>()
  var events = NameIndex<EventID>()
  var hours = NameIndex<HoursID>()
  var members = NameIndex<String>()
  var contactAttributes: [String: AttributeSchema] = [:]
  var contactAttributeOrder: [String] = []
  var eventDefinitions: [EventDefinition] = []

  init(sources: SourceMap) {
    self.sources = sources
  }

  mutating func report(_ diagnostic: Diagnostic) {
    diagnostics.append(diagnostic)
  }

  mutating func report(_ more: [Diagnostic]) {
    diagnostics.append(contentsOf: more)
  }

  /// "path:line:column".
  func describe(_ span: SourceSpan) -> String { sources.describe(span) }

  /// 1-based line of a span's start.
  func line(of span: SourceSpan) -> Int {
    sources[span.file]?.line(ofOffset: span.start) ?? 0
  }

  /// Edit distances "did you mean" may still compute in this check. A search compares the name
  /// with every declared name of its kind: 20,000 unknown names among 20,000 labels would
  /// cost 400 million comparisons (minutes). Past the budget, ample for the diagnostics a file
  /// shows in any ordinary rule set, the help line is the plain one.
  private var suggestionComparisonsLeft = 300_000
  /// Searches already made, by kind and name: a name misspelled the same way many times costs
  /// one.
  private var suggestionsFound: [String: String?] = [:]

  mutating func suggestion<ID>(for name: String, in index: NameIndex<ID>) -> NameSuggestion? {
    let key = "\(ID.self)|\(name)"
    let close: String?
    if let found = suggestionsFound[key] {
      close = found
    } else {
      guard suggestionComparisonsLeft > 0 else { return nil }
      close = index.closest(to: name, budget: &suggestionComparisonsLeft)
      suggestionsFound[key] = close
    }
    guard let close, let span = index.spans[close] else { return nil }
    return NameSuggestion(name: close, location: describe(span))
  }

  /// A suggestion among built-in words (days, types), shown in backticks.
  func suggestion(for name: String, among words: [String], quoted: Bool = false)
    -> NameSuggestion?
  {
    guard let close = NameMatching.closest(to: name, among: words) else { return nil }
    return NameSuggestion(name: close, location: nil, quoted: quoted)
  }

  // MARK: Name lookups that report

  mutating func resolveLabel(_ name: StringLiteral) -> LabelID? {
    if let id = labels[name.value] { return id }
    let suggestion = suggestion(for: name.value, in: labels)
    report(CheckerCatalogue.unknownLabel(name.value, at: name.span, suggestion: suggestion))
    return nil
  }

  mutating func resolveTeam(_ name: StringLiteral) -> TeamID? {
    if let id = teams[name.value] { return id }
    let suggestion = suggestion(for: name.value, in: teams)
    report(CheckerCatalogue.unknownTeam(name.value, at: name.span, suggestion: suggestion))
    return nil
  }

  mutating func resolveMember(_ email: StringLiteral) -> String? {
    if members[email.value] != nil { return email.value }
    let suggestion = suggestion(for: email.value, in: members)
    report(CheckerCatalogue.unknownMember(email.value, at: email.span, suggestion: suggestion))
    return nil
  }

  mutating func resolveEvent(_ name: StringLiteral) -> EventID? {
    if let id = events[name.value] { return id }
    let suggestion = suggestion(for: name.value, in: events)
    report(CheckerCatalogue.unknownEvent(name.value, at: name.span, suggestion: suggestion))
    return nil
  }
}
