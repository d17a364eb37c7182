import EtiquetteDiagnostics

// Every diagnostic the checker emits: codes, messages, labels, help lines and the explanations
// printed by `etiquette explain`. Wording is reviewed here and nowhere else.
// Style: message lowercase, no final period; string names in double quotes, identifiers and
// syntax in backticks; a short label under the caret; a help line saying what to do.

/// A close name offered in a "did you mean" help line, with where it is defined (if anywhere).
struct NameSuggestion: Sendable, Hashable {
  var name: String
  /// "rules/labels.etq:2:7", or nil for built-in names (message types, days, zones).
  var location: String?
  /// Whether to quote the name with double quotes (string names) or backticks (keywords).
  var quoted: Bool = true

  var helpText: String {
    let shown = quoted ? "\"\(name)\"" : "`\(name)`"
    if let location { return "did you mean \(shown)? (defined at \(location))" }
    return "did you mean \(shown)?"
  }
}

/// The checker's codes, messages and explanations.
public enum CheckerCatalogue {
  // MARK: Codes

  static let unknownLabelCode: DiagnosticCode = "E030"
  static let unknownTeamCode: DiagnosticCode = "E031"
  static let unknownMemberCode: DiagnosticCode = "E032"
  static let unknownEventCode: DiagnosticCode = "E033"
  static let unknownHoursCode: DiagnosticCode = "E034"
  static let unknownContactAttributeCode: DiagnosticCode = "E035"
  static let unknownMessageFieldCode: DiagnosticCode = "E036"
  static let duplicateLabelCode: DiagnosticCode = "E037"
  static let duplicateTeamCode: DiagnosticCode = "E038"
  static let duplicateEventCode: DiagnosticCode = "E039"
  static let duplicateHoursCode: DiagnosticCode = "E040"
  static let duplicateAttributeCode: DiagnosticCode = "E041"
  static let unknownTypeNameCode: DiagnosticCode = "E042"
  static let valueNotInSetCode: DiagnosticCode = "E043"
  static let unknownMessageTypeCode: DiagnosticCode = "E044"
  static let typeMismatchCode: DiagnosticCode = "E045"
  static let operatorNotApplicableCode: DiagnosticCode = "E046"
  static let unknownEventFieldCode: DiagnosticCode = "E047"
  static let duringNotHoursCode: DiagnosticCode = "E048"
  static let unknownDayCode: DiagnosticCode = "E049"
  static let invalidTimeCode: DiagnosticCode = "E050"
  static let unknownTimeZoneCode: DiagnosticCode = "E051"
  static let emptyTimeRangeCode: DiagnosticCode = "E052"
  static let missingZoneCode: DiagnosticCode = "E053"
  static let duplicateZoneCode: DiagnosticCode = "E054"
  static let regexSyntaxCode: DiagnosticCode = "E055"
  static let invalidRegexFlagCode: DiagnosticCode = "E056"
  static let emptyPhraseCode: DiagnosticCode = "E057"
  static let labelCycleCode: DiagnosticCode = "E058"
  static let missingDefaultCode: DiagnosticCode = "E059"
  static let duplicateDefaultCode: DiagnosticCode = "E060"
  static let invalidInstantCode: DiagnosticCode = "E061"
  static let listOperandCode: DiagnosticCode = "E062"
  static let duplicateRoutingCode: DiagnosticCode = "E063"
  static let conflictingLanguageCode: DiagnosticCode = "E067"
  static let formerNameInUseCode: DiagnosticCode = "E069"
  static let formerNameClaimedTwiceCode: DiagnosticCode = "E070"

  static let phraseInTwoLabelsCode: DiagnosticCode = "W010"
  static let phraseLooksLikeTwoCode: DiagnosticCode = "W011"
  static let duplicatePhraseCode: DiagnosticCode = "W012"
  static let regexHazardCode: DiagnosticCode = "W013"
  static let labelInvisibleCode: DiagnosticCode = "W014"
  static let overlappingHoursCode: DiagnosticCode = "W015"
  static let shadowedRuleCode: DiagnosticCode = "W016"
  static let routedTeamCannotSeeCode: DiagnosticCode = "W017"
  static let teamWithoutMembersCode: DiagnosticCode = "W018"
  static let duplicateGrantLabelCode: DiagnosticCode = "W019"
  static let impossibleExpectationCode: DiagnosticCode = "W020"
  static let duplicateMemberCode: DiagnosticCode = "W021"
  static let teamWithoutGrantsCode: DiagnosticCode = "W022"
  static let loosePhraseOverlapCode: DiagnosticCode = "W023"
  static let shortTypoPhraseCode: DiagnosticCode = "W024"
  static let unusedSynonymCode: DiagnosticCode = "W025"

  // MARK: Names

  static func unknownName(
    code: DiagnosticCode, kind: String, name: String, at span: SourceSpan, label: String,
    suggestion: NameSuggestion?, otherwise: String
  ) -> Diagnostic {
    Diagnostic(
      code, "unknown \(kind) \"\(name)\"", at: span, label: label,
      help: suggestion?.helpText ?? otherwise)
  }

  static func unknownLabel(_ name: String, at span: SourceSpan, suggestion: NameSuggestion?)
    -> Diagnostic
  {
    unknownName(
      code: unknownLabelCode, kind: "label", name: name, at: span, label: "no label has this name",
      suggestion: suggestion, otherwise: "declare it with `label \"\(name)\" { … }`")
  }

  static func unknownTeam(_ name: String, at span: SourceSpan, suggestion: NameSuggestion?)
    -> Diagnostic
  {
    unknownName(
      code: unknownTeamCode, kind: "team", name: name, at: span, label: "no team has this name",
      suggestion: suggestion, otherwise: "declare it with `team \"\(name)\" { … }`")
  }

  static func unknownMember(_ email: String, at span: SourceSpan, suggestion: NameSuggestion?)
    -> Diagnostic
  {
    unknownName(
      code: unknownMemberCode, kind: "member", name: email, at: span,
      label: "no team lists this member", suggestion: suggestion,
      otherwise: "add \"\(email)\" to the `members` of a team")
  }

  static func unknownEvent(_ name: String, at span: SourceSpan, suggestion: NameSuggestion?)
    -> Diagnostic
  {
    unknownName(
      code: unknownEventCode, kind: "event", name: name, at: span, label: "no event has this name",
      suggestion: suggestion, otherwise: "declare it with `event \"\(name)\" { … }`")
  }

  static func unknownHours(_ name: String, at span: SourceSpan, suggestion: NameSuggestion?)
    -> Diagnostic
  {
    unknownName(
      code: unknownHoursCode, kind: "hours", name: name, at: span, label: "no hours have this name",
      suggestion: suggestion, otherwise: "declare them with `hours \"\(name)\" { zone … }`")
  }

  static func unknownContactAttribute(
    _ name: String, at span: SourceSpan, suggestion: NameSuggestion?
  ) -> Diagnostic {
    Diagnostic(
      unknownContactAttributeCode, "undeclared contact attribute `\(name)`", at: span,
      label: "not declared in `contact { … }`",
      help: suggestion?.helpText ?? "declare it in `contact { \(name): string }`")
  }

  static func unknownMessageField(_ name: String, at span: SourceSpan, suggestion: NameSuggestion?)
    -> Diagnostic
  {
    let fields = MessageField.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", ")
    return Diagnostic(
      unknownMessageFieldCode, "unknown message field `\(name)`", at: span,
      label: "messages have no such field",
      help: suggestion?.helpText ?? "use one of the message fields below",
      notes: ["message fields are \(fields)"])
  }

  static func duplicateDefinition(
    code: DiagnosticCode, kind: String, name: String, at span: SourceSpan,
    first: SourceSpan
  ) -> Diagnostic {
    Diagnostic(
      code, "\(kind) \"\(name)\" is defined twice", at: span, label: "defined again here",
      secondary: [DiagnosticLabel(first, "first defined here")],
      help: "rename one of them, or merge them into one `\(kind)` block")
  }

  static func duplicateAttribute(
    _ name: String, owner: String, at span: SourceSpan, first: SourceSpan
  ) -> Diagnostic {
    Diagnostic(
      duplicateAttributeCode, "\(owner) declares `\(name)` twice", at: span,
      label: "declared again here", secondary: [DiagnosticLabel(first, "first declared here")],
      help: "remove one of the two declarations")
  }

  // MARK: Types

  static func unknownTypeName(_ name: String, at span: SourceSpan, suggestion: NameSuggestion?)
    -> Diagnostic
  {
    Diagnostic(
      unknownTypeNameCode, "unknown type `\(name)`", at: span, label: "not a type",
      help: suggestion?.helpText
        ?? "use `string`, `number`, `bool`, or a set of strings such as `\"a\" | \"b\"`")
  }

  static func valueNotInSet(
    _ value: String, field: String, allowed: [String], at span: SourceSpan,
    suggestion: NameSuggestion?
  ) -> Diagnostic {
    let list = allowed.map { "\"\($0)\"" }.joined(separator: " | ")
    return Diagnostic(
      valueNotInSetCode, "\"\(value)\" is not a value of `\(field)`", at: span,
      label: "expected one of \(list)",
      help: suggestion?.helpText ?? "use one of the declared values, or add it to the type")
  }

  static func unknownMessageType(_ name: String, at span: SourceSpan, suggestion: NameSuggestion?)
    -> Diagnostic
  {
    let all = MessageType.allCases.map(\.rawValue).joined(separator: " ")
    return Diagnostic(
      unknownMessageTypeCode, "unknown message type `\(name)`", at: span,
      label: "not a message type",
      help: suggestion?.helpText ?? "use one of the message types below",
      notes: ["message types are: \(all)"])
  }

  static func typeMismatch(
    field: String, fieldType: String, valueKind: String, at span: SourceSpan, help: String
  ) -> Diagnostic {
    Diagnostic(
      typeMismatchCode, "cannot compare `\(field)` (\(fieldType)) with \(valueKind)", at: span,
      label: "this is \(valueKind)", help: help)
  }

  static func operatorNotApplicable(
    op: String, field: String, fieldType: String, at span: SourceSpan, help: String
  ) -> Diagnostic {
    Diagnostic(
      operatorNotApplicableCode, "`\(op)` cannot be used on `\(field)`, which is \(fieldType)",
      at: span, label: "not applicable to \(fieldType)", help: help)
  }

  static func unknownEventField(
    _ name: String, events: [String], at span: SourceSpan, suggestion: NameSuggestion?
  ) -> Diagnostic {
    let owners = events.map { "\"\($0)\"" }.joined(separator: ", ")
    let message =
      events.isEmpty
      ? "no event declares field `\(name)`"
      : "event \(owners) does not declare field `\(name)`"
    return Diagnostic(
      unknownEventFieldCode, message, at: span, label: "undeclared event field",
      help: suggestion?.helpText ?? "declare it in the event: `\(name): string`")
  }

  static func duringNotHours(
    _ name: String, isA kind: String, at span: SourceSpan, defined: SourceSpan
  )
    -> Diagnostic
  {
    Diagnostic(
      duringNotHoursCode, "\"\(name)\" is \(kind), not hours", at: span,
      label: "`during` needs an `hours` name",
      secondary: [DiagnosticLabel(defined, "defined here")],
      help: "declare opening hours with `hours \"…\" { zone … }` and name them here")
  }

  // MARK: Hours

  static func unknownDay(_ name: String, at span: SourceSpan, suggestion: NameSuggestion?)
    -> Diagnostic
  {
    Diagnostic(
      unknownDayCode, "unknown day `\(name)`", at: span, label: "not a day",
      help: suggestion?.helpText ?? "days are written mon tue wed thu fri sat sun")
  }

  static func invalidTime(_ text: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      invalidTimeCode, "invalid time \(text)", at: span, label: "not a time of day",
      help: "write hours 00 to 23 and minutes 00 to 59; 24:00 may only end a range")
  }

  static func unknownTimeZone(_ name: String, at span: SourceSpan, suggestion: NameSuggestion?)
    -> Diagnostic
  {
    Diagnostic(
      unknownTimeZoneCode, "unknown time zone \"\(name)\"", at: span,
      label: "not in the tz database",
      help: suggestion?.helpText ?? "use an IANA zone name such as \"Europe/Paris\"")
  }

  static func emptyTimeRange(_ text: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      emptyTimeRangeCode, "empty or inverted time range \(text)", at: span,
      label: "ends before or when it starts",
      help: "for hours past midnight write two ranges, up to 24:00 and from 00:00 the next day")
  }

  static func missingZone(_ name: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      missingZoneCode, "hours \"\(name)\" have no time zone", at: span, label: "no `zone` inside",
      help: "add a line such as `zone \"Europe/Paris\"`")
  }

  static func duplicateZone(at span: SourceSpan, first: SourceSpan) -> Diagnostic {
    Diagnostic(
      duplicateZoneCode, "hours have two time zones", at: span, label: "second zone",
      secondary: [DiagnosticLabel(first, "first zone")], help: "keep one `zone` line")
  }

  // MARK: Patterns and phrases

  static func regexSyntax(_ message: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      regexSyntaxCode, "invalid regular expression: \(message.lowercasedFirst)", at: span,
      label: "here",
      help:
        "fix the pattern (PCRE2 syntax); escape the character with `\\` if it is meant literally")
  }

  static func invalidRegexFlag(_ flag: Character, at span: SourceSpan) -> Diagnostic {
    var notes: [String] = []
    if flag == "g" { notes.append("every match is found anyway; `g` is not needed") }
    return Diagnostic(
      invalidRegexFlagCode, "unknown regex flag `\(flag)`", at: span, label: "not a flag",
      help: "flags are i (ignore case), m (multi-line), s (dot matches newline), x (extended), "
        + "u (Unicode)", notes: notes)
  }

  static func formerNameInUse(_ name: String, owner: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      formerNameInUseCode, "label \"\(owner)\" was \"\(name)\", but a label \"\(name)\" exists",
      at: span, label: "still the name of a label",
      help: name == owner
        ? "a label's former name differs from its name: remove `was \"\(name)\"`"
        : "conversations stored with \"\(name)\" keep that label: remove `was \"\(name)\"`, "
          + "or rename label \"\(name)\" first")
  }

  static func formerNameClaimedTwice(_ name: String, at span: SourceSpan, first: SourceSpan)
    -> Diagnostic
  {
    Diagnostic(
      formerNameClaimedTwiceCode, "two labels were \"\(name)\"", at: span,
      label: "claimed again here", secondary: [DiagnosticLabel(first, "first claimed here")],
      help: "the conversations stored with \"\(name)\" can go to one label only: keep one `was`")
  }

  static func conflictingLanguage(
    _ language: String, first: String, at span: SourceSpan, firstSpan: SourceSpan
  ) -> Diagnostic {
    Diagnostic(
      conflictingLanguageCode, "language `\(language)` after `language \(first)`", at: span,
      label: "another language",
      secondary: [DiagnosticLabel(firstSpan, "declared here first")],
      help: "a rule set has one language: keep one `language` declaration")
  }

  static func loosePhraseOverlap(
    _ text: String, modes: String, label: String, otherPhrase: String, otherLabel: String,
    example: String, at span: SourceSpan, other: SourceSpan
  ) -> Diagnostic {
    Diagnostic(
      loosePhraseOverlapCode,
      "phrase \"\(text)\" with `\(modes)` also matches \"\(otherPhrase)\" of \"\(otherLabel)\"",
      at: span, label: "reads \"\(example)\" as its own word",
      secondary: [DiagnosticLabel(other, "a phrase of \"\(otherLabel)\"")],
      help: "a message with \"\(otherPhrase)\" gets \"\(label)\" too; if that is not meant, "
        + "remove `\(modes)` or write the forms wanted as separate phrases")
  }

  static func shortTypoPhrase(_ text: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      shortTypoPhraseCode, "phrase \"\(text)\" is too short to take typos", at: span,
      label: "no word of 5 letters or more",
      help: "`typos` tolerates mistakes only in words of 5 letters or more (not numbers or "
        + "codes); list the misspellings wanted, or remove `typos`")
  }

  static func unusedSynonym(_ written: String, _ meaning: String, at span: SourceSpan)
    -> Diagnostic
  {
    Diagnostic(
      unusedSynonymCode, "synonym \"\(written)\" stands for \"\(meaning)\", which no phrase has",
      at: span, label: "changes no match",
      help: "write \"\(meaning)\" in a phrase as it is spelt here, or remove the synonym")
  }

  static func emptyPhrase(_ text: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      emptyPhraseCode, "phrase \"\(text.escapingInvisibles)\" is empty once normalised", at: span,
      label: "matches nothing",
      help: "remove it, or write the words it should match")
  }

  static func phraseInTwoLabels(
    _ text: String, label: String, otherLabel: String, at span: SourceSpan, other: SourceSpan
  ) -> Diagnostic {
    Diagnostic(
      phraseInTwoLabelsCode,
      "phrase \"\(text)\" triggers both \"\(otherLabel)\" and \"\(label)\"", at: span,
      label: "also triggers \"\(label)\"",
      secondary: [DiagnosticLabel(other, "triggers \"\(otherLabel)\"")],
      help: "if both labels are meant, this is fine; otherwise remove the phrase from one of them")
  }

  static func phraseLooksLikeTwo(_ text: String, parts: [String], at span: SourceSpan)
    -> Diagnostic
  {
    let list = parts.map { "\"\($0)\"" }.joined(separator: ", ")
    return Diagnostic(
      phraseLooksLikeTwoCode, "phrase \"\(text)\" contains a comma or a quote", at: span,
      label: "matched as one phrase, punctuation included",
      help: "did you mean two phrases? write `any [\(list)]`")
  }

  static func duplicatePhrase(_ text: String, label: String, at span: SourceSpan, first: SourceSpan)
    -> Diagnostic
  {
    Diagnostic(
      duplicatePhraseCode, "phrase \"\(text)\" appears twice in label \"\(label)\"", at: span,
      label: "same phrase once normalised", secondary: [DiagnosticLabel(first, "first here")],
      help: "remove the repetition")
  }

  static func regexHazard(_ description: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      regexHazardCode, "regex may backtrack catastrophically: \(description.lowercasedFirst)",
      at: span, label: "risky construct",
      help: "make the repeated parts unambiguous, or use possessive `*+` / atomic `(?>…)` groups",
      notes: ["the engine stops such a match at PCRE2's match limit and the trigger does not fire"])
  }

  // MARK: Labels

  static func labelCycle(_ names: [String], at span: SourceSpan, links: [DiagnosticLabel])
    -> Diagnostic
  {
    let cycle = names.map { "\"\($0)\"" }.joined(separator: " → ")
    return Diagnostic(
      labelCycleCode, "labels depend on each other in a cycle: \(cycle)", at: span,
      label: "refers back to \"\(names.first ?? "")\" through the cycle", secondary: links,
      help: "remove one of the `label \"…\"` conditions so the labels can be evaluated in order")
  }

  static func labelInvisible(_ name: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      labelInvisibleCode, "no team can see conversations labelled \"\(name)\"", at: span,
      label: "only managers of all conversations would see these",
      help: "grant a team access, e.g. `can reply labels [\"\(name)\"]`")
  }

  // MARK: Hours lint

  static func overlappingHours(
    days: [Weekday], range: String, otherRange: String, at span: SourceSpan, other: SourceSpan
  ) -> Diagnostic {
    let dayList = days.map(\.shortName).joined(separator: ", ")
    return Diagnostic(
      overlappingHoursCode, "\(range) overlaps \(otherRange) on \(dayList)", at: span,
      label: "overlaps", secondary: [DiagnosticLabel(other, "with this range")],
      help: "merge the two ranges or correct one of them")
  }

  // MARK: Routing

  static func missingDefault(at span: SourceSpan, hasRouting: Bool) -> Diagnostic {
    Diagnostic(
      missingDefaultCode,
      hasRouting ? "routing has no `default` mode" : "the rule set has no `routing` block",
      at: span, label: hasRouting ? "no `default` line" : "no file has a `routing` block",
      help: hasRouting
        ? "add `default ai` or `default human`"
        : "add `routing { default ai }` (or `default human`)")
  }

  static func duplicateDefault(at span: SourceSpan, first: SourceSpan) -> Diagnostic {
    Diagnostic(
      duplicateDefaultCode, "routing has two `default` modes", at: span, label: "second default",
      secondary: [DiagnosticLabel(first, "first default")], help: "keep one `default` line")
  }

  static func duplicateRouting(at span: SourceSpan, first: SourceSpan) -> Diagnostic {
    Diagnostic(
      duplicateRoutingCode, "`routing` is declared twice", at: span, label: "second block",
      secondary: [DiagnosticLabel(first, "first block")],
      help: "put all routing rules in one block: their order decides which fires")
  }

  static func shadowedRule(line: Int, reason: String, at span: SourceSpan, by other: SourceSpan)
    -> Diagnostic
  {
    Diagnostic(
      shadowedRuleCode, "routing rule can never fire: shadowed by line \(line)", at: span,
      label: "never decides", secondary: [DiagnosticLabel(other, reason)],
      help: "remove this rule, or move it above line \(line)")
  }

  static func routedTeamCannotSee(
    team: String, missing: String, at span: SourceSpan, teamSpan: SourceSpan
  ) -> Diagnostic {
    Diagnostic(
      routedTeamCannotSeeCode, "team \"\(team)\" may not see conversations routed here",
      at: span, label: "routed to \"\(team)\"",
      secondary: [DiagnosticLabel(teamSpan, "team declared here")],
      help: "grant it `\(missing)`, or route only conversations it can reply to")
  }

  // MARK: Access

  static func teamWithoutMembers(_ name: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      teamWithoutMembersCode, "team \"\(name)\" has no members", at: span, label: "empty team",
      help: "add `members [\"…\"]`, or remove the team")
  }

  static func teamWithoutGrants(_ name: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      teamWithoutGrantsCode, "team \"\(name)\" is granted nothing", at: span,
      label: "its members can see no conversation",
      help: "add a grant such as `can reply labels [\"…\"]`")
  }

  static func duplicateGrantLabel(_ name: String, at span: SourceSpan, first: SourceSpan)
    -> Diagnostic
  {
    Diagnostic(
      duplicateGrantLabelCode, "label \"\(name)\" is named twice in this grant", at: span,
      label: "named again", secondary: [DiagnosticLabel(first, "first named here")],
      help: "remove the repetition")
  }

  static func duplicateMember(_ email: String, team: String, at span: SourceSpan, first: SourceSpan)
    -> Diagnostic
  {
    Diagnostic(
      duplicateMemberCode, "\"\(email)\" is listed twice in team \"\(team)\"", at: span,
      label: "listed again", secondary: [DiagnosticLabel(first, "first listed here")],
      help: "remove the repetition")
  }

  // MARK: Tests

  static func invalidInstant(_ text: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      invalidInstantCode, "invalid instant \"\(text)\"", at: span, label: "not ISO-8601",
      help: "write a date, time and offset, such as \"2026-11-24T10:00:00+01:00\"")
  }

  static func listOperand(expected: Bool, at span: SourceSpan) -> Diagnostic {
    expected
      ? Diagnostic(
        listOperandCode, "`in` needs a list of values", at: span, label: "not a list",
        help: "write the values in brackets, such as `[image, video]`")
      : Diagnostic(
        listOperandCode, "a list can only follow `in`", at: span, label: "unexpected list",
        help: "use `in [...]`, or compare with one value")
  }

  static func impossibleExpectation(_ label: String, at span: SourceSpan) -> Diagnostic {
    Diagnostic(
      impossibleExpectationCode,
      "expectation can never hold: nothing before it can add \"\(label)\"",
      at: span, label: "no trigger of \"\(label)\" can fire on the steps above",
      help: "add a step that triggers \"\(label)\" (or `agent \"…\" adds label \"\(label)\"`)")
  }

  // MARK: Explanations

  /// The explanation of every code above, for `etiquette explain` and the README table.
  public static let explanations: [CodeExplanation] = [
    CodeExplanation(
      unknownLabelCode, title: "unknown label",
      explanation: "A condition, grant, routing rule or test names a label that no `label` block "
        + "declares. A misspelt label would silently never match, so it is an error. Names are "
        + "compared exactly; the help suggests a close name, ignoring case and accents.",
      example: "when label \"Suport technique\" -> human"),
    CodeExplanation(
      unknownTeamCode, title: "unknown team",
      explanation: "A routing rule or a test names a team that no `team` block declares.",
      example: "when label \"VIP\" -> human team \"Superviseur\""),
    CodeExplanation(
      unknownMemberCode, title: "unknown member",
      explanation: "A test names a member who is in no team's `members` list. Members exist only "
        + "through teams, so such a person could do nothing.",
      example: "agent \"manon@exemple.com\" takes over"),
    CodeExplanation(
      unknownEventCode, title: "undeclared event",
      explanation: "An `event \"…\"` condition or test step names an integration event that no "
        + "`event` block declares. Declaring events documents what integrations send.",
      example: "when event \"calendly.booking.confirmd\""),
    CodeExplanation(
      unknownHoursCode, title: "unknown hours",
      explanation: "`during \"…\"` names opening hours that no `hours` block declares.",
      example: "when not during \"bureaux\" -> ai"),
    CodeExplanation(
      unknownContactAttributeCode, title: "undeclared contact attribute",
      explanation: "`contact.NAME` is used, or set in a test, but the `contact { … }` block does "
        + "not declare NAME. Declaring it gives it a type, which the checker then enforces.",
      example: "when contact.tiers == \"vip\""),
    CodeExplanation(
      unknownMessageFieldCode, title: "unknown message field",
      explanation: "Messages have the fields `type`, `text`, `caption` and `filename`.",
      example: "when message.kind is image"),
    CodeExplanation(
      formerNameInUseCode, title: "former name still in use",
      explanation: "`was \"Old\"` says a label was renamed: the server moves the labels stored "
        + "on conversations under the old name, with their reasons, to the label that declares "
        + "it. A former name that is still the name of a label would take that label's "
        + "conversations, so it is an error.",
      example: "label \"Support Produit\" { was \"Support Produit\" }"),
    CodeExplanation(
      formerNameClaimedTwiceCode, title: "former name claimed twice",
      explanation: "Two labels declare the same `was \"Old\"`: the conversations stored with the "
        + "old name can move to one label only.",
      example: "label \"Support\" { was \"SAV\" }\nlabel \"Service\" { was \"SAV\" }"),
    CodeExplanation(
      conflictingLanguageCode, title: "two languages",
      explanation: "Two `language` declarations, possibly in different files, name different "
        + "languages. The language decides how `forms` finds word forms, for every phrase of "
        + "the rule set at once, so there is one.",
      example: "language fr\nlanguage en"),
    CodeExplanation(
      duplicateLabelCode, title: "label defined twice",
      explanation: "Two `label` blocks, possibly in different files, have the same name. Every "
        + "name must be unique across the rule set.",
      example: "label \"VIP\" { … }\nlabel \"VIP\" { … }"),
    CodeExplanation(
      duplicateTeamCode, title: "team defined twice",
      explanation: "Two `team` blocks have the same name.",
      example: "team \"Support\" { … }\nteam \"Support\" { … }"),
    CodeExplanation(
      duplicateEventCode, title: "event defined twice",
      explanation: "Two `event` blocks have the same name.",
      example: "event \"order.paid\" { … }\nevent \"order.paid\" { … }"),
    CodeExplanation(
      duplicateHoursCode, title: "hours defined twice",
      explanation: "Two `hours` blocks have the same name.",
      example: "hours \"bureau\" { … }\nhours \"bureau\" { … }"),
    CodeExplanation(
      duplicateAttributeCode, title: "attribute declared twice",
      explanation: "A contact attribute or an event field is declared twice, so its type would "
        + "be ambiguous.",
      example: "contact {\n  tier: string\n  tier: number\n}"),
    CodeExplanation(
      unknownTypeNameCode, title: "unknown type",
      explanation: "Attribute types are `string`, `number`, `bool`, or a closed set of strings "
        + "written `\"a\" | \"b\"`.",
      example: "contact { age: int }"),
    CodeExplanation(
      valueNotInSetCode, title: "value not in the attribute's set",
      explanation: "The attribute is declared as a closed set of strings and the value compared "
        + "with it is not one of them, so the comparison could never be true.",
      example: "when contact.tier == \"vpi\""),
    CodeExplanation(
      unknownMessageTypeCode, title: "unknown message type",
      explanation: "`message.type` takes one of: text image video document audio voice sticker "
        + "location contacts interactive button reaction order unsupported.",
      example: "when message.type is imag"),
    CodeExplanation(
      typeMismatchCode, title: "type mismatch",
      explanation: "A field is compared with a value of another type: a number with a string, a "
        + "string with a number, a bool with anything but `true` or `false`.",
      example: "when event.amount > \"100\""),
    CodeExplanation(
      operatorNotApplicableCode, title: "operator not applicable",
      explanation: "`starts with` applies to strings only; `<`, `<=`, `>`, `>=` apply to "
        + "numbers only.",
      example: "when contact.language < \"fr\""),
    CodeExplanation(
      unknownEventFieldCode, title: "undeclared event field",
      explanation: "`event.FIELD` names a field that the event (or, when the condition names no "
        + "event, every declared event) does not declare.",
      example: "when event \"calendly.booking.confirmed\" and event.email == \"x\""),
    CodeExplanation(
      duringNotHoursCode, title: "`during` on something that is not hours",
      explanation: "`during` takes the name of an `hours` block; the name given is a label, a "
        + "team or an event.",
      example: "when during \"VIP\" -> human"),
    CodeExplanation(
      unknownDayCode, title: "unknown day",
      explanation: "Days in `hours` are written mon tue wed thu fri sat sun; a range such as "
        + "`fri-mon` wraps over the weekend.",
      example: "monday-friday 09:00-18:00"),
    CodeExplanation(
      invalidTimeCode, title: "invalid time",
      explanation: "Times are HH:MM with hours 00–23 and minutes 00–59; 24:00 may end a range.",
      example: "mon 09:00-25:00"),
    CodeExplanation(
      unknownTimeZoneCode, title: "unknown time zone",
      explanation: "The zone must be an identifier of the system's tz database (IANA), such as "
        + "\"Europe/Paris\"; abbreviations like \"CET\" change meaning with daylight saving.",
      example: "zone \"Europe/Pariss\""),
    CodeExplanation(
      emptyTimeRangeCode, title: "empty or inverted time range",
      explanation: "A range must end after it starts. Hours that pass midnight are two ranges.",
      example: "mon 18:00-09:00"),
    CodeExplanation(
      missingZoneCode, title: "hours without a time zone",
      explanation: "Opening hours mean nothing without a zone: the server's zone is not used.",
      example: "hours \"bureau\" { mon-fri 09:00-18:00 }"),
    CodeExplanation(
      duplicateZoneCode, title: "hours with two time zones",
      explanation: "An `hours` block has one `zone` line.",
      example: "hours \"bureau\" { zone \"Europe/Paris\" zone \"UTC\" }"),
    CodeExplanation(
      regexSyntaxCode, title: "invalid regular expression",
      explanation: "Every pattern is compiled by PCRE2 (UTF and UCP mode) when the rules are "
        + "checked; the error is shown at the exact character where PCRE2 stopped.",
      example: "when message matches /(CMD-\\d{6}/"),
    CodeExplanation(
      invalidRegexFlagCode, title: "unknown regex flag",
      explanation: "Flags after the closing slash are i, m, s, x and u.",
      example: "when message matches /prix/g"),
    CodeExplanation(
      emptyPhraseCode, title: "phrase empty once normalised",
      explanation: "Phrases are matched after normalisation (case and accents folded, white "
        + "space unified, invisible characters dropped). A phrase with nothing left would "
        + "match nothing, or everything.",
      example: "when message contains \"  \""),
    CodeExplanation(
      labelCycleCode, title: "cycle between labels",
      explanation: "Labels whose triggers refer to each other (`label \"A\"` in B and `label "
        + "\"B\"` in A) cannot be evaluated in order. The whole cycle is shown.",
      example: "label \"A\" { when label \"B\" }\nlabel \"B\" { when label \"A\" }"),
    CodeExplanation(
      missingDefaultCode, title: "no default routing mode",
      explanation: "The rule set needs one `routing` block with a `default ai` or `default human` "
        + "line: it decides who answers a new conversation that no rule routes.",
      example: "routing { when label \"VIP\" -> human }"),
    CodeExplanation(
      duplicateDefaultCode, title: "two default routing modes",
      explanation: "A `routing` block has one `default` line.",
      example: "routing { default ai  default human }"),
    CodeExplanation(
      invalidInstantCode, title: "invalid instant",
      explanation: "A test's `at` takes an ISO-8601 date and time with its offset.",
      example: "at \"24/11/2026 10h\""),
    CodeExplanation(
      listOperandCode, title: "list operand misplaced",
      explanation: "`in` compares with a list of values, and only `in` takes a list.",
      example: "when message.type in image"),
    CodeExplanation(
      duplicateRoutingCode, title: "routing declared twice",
      explanation: "Routing rules fire in file order, so they must live in one `routing` block.",
      example: "routing { default ai }\nrouting { default human }"),
    CodeExplanation(
      phraseInTwoLabelsCode, title: "phrase triggers two labels",
      explanation: "The same phrase (once normalised) adds two different labels. This is often a "
        + "copy-paste mistake; if it is meant, ignore the warning.",
      example: "label \"Vente\" { when message contains \"prix\" }\n"
        + "label \"Commande\" { when message contains \"prix\" }"),
    CodeExplanation(
      loosePhraseOverlapCode, title: "loose phrase matches another label's phrase",
      explanation: "A phrase marked `forms` (every form of its words) or `typos` (spelling "
        + "mistakes) also matches a phrase of another label, so messages about that label get "
        + "this one too. The warning names the word taken for the phrase's own.",
      example: "label \"Annulation\" { when message contains forms \"annuler\" }\n"
        + "label \"Facture\" { when message contains \"annulation de facture\" }"),
    CodeExplanation(
      shortTypoPhraseCode, title: "phrase too short for typos",
      explanation: "`typos` tolerates one mistake in words of 5 to 8 letters and two from 9 "
        + "letters, none in shorter words, numbers or codes. No word of this phrase is long "
        + "enough, so `typos` changes nothing.",
      example: "label \"RDV\" { when message contains typos \"rdv\" }"),
    CodeExplanation(
      unusedSynonymCode, title: "synonym used by no phrase",
      explanation: "A synonym makes every phrase containing its meaning also match what "
        + "customers write instead. No phrase of the rule set contains this meaning, so the "
        + "synonym changes nothing: often the phrases spell it another way.",
      example: "synonyms {\n  \"cmd\" = \"commande\"\n}"),
    CodeExplanation(
      phraseLooksLikeTwoCode, title: "phrase may be meant as two",
      explanation: "A phrase containing a comma or a quote is matched as a whole, punctuation "
        + "included. `\"devis, tarif\"` is one phrase; `any [\"devis\", \"tarif\"]` is two.",
      example: "when message contains \"devis, tarif\""),
    CodeExplanation(
      duplicatePhraseCode, title: "phrase repeated in a label",
      explanation: "The same phrase (once normalised) appears twice in one label's triggers.",
      example: "when message contains any [\"prix\", \"Prix\"]"),
    CodeExplanation(
      regexHazardCode, title: "regex may backtrack catastrophically",
      explanation: "Nested quantifiers and similar shapes can take exponential time on some "
        + "inputs. The engine runs every regex under PCRE2 match and depth limits, so such a "
        + "match is abandoned and the trigger does not fire.",
      example: "when message matches /(a+)+$/"),
    CodeExplanation(
      labelInvisibleCode, title: "label no team can see",
      explanation: "No grant other than `manage all` covers conversations with this label, so "
        + "only managers of all conversations would see them.",
      example: "label \"Litiges\" { … }   # and no team has `labels [\"Litiges\"]` or `all`"),
    CodeExplanation(
      overlappingHoursCode, title: "overlapping opening ranges",
      explanation: "Two ranges of the same `hours` overlap on the same day; one is probably a "
        + "typo.",
      example: "mon-fri 09:00-18:00\nfri 17:00-20:00"),
    CodeExplanation(
      shadowedRuleCode, title: "routing rule shadowed",
      explanation: "The first rule that fires decides. A rule after one whose condition is "
        + "identical, or always true, can never decide.",
      example: "when label \"VIP\" -> human\nwhen label \"VIP\" -> ai"),
    CodeExplanation(
      routedTeamCannotSeeCode, title: "routed team may not see the conversation",
      explanation: "A rule routes conversations to a team whose grants do not let it reply to "
        + "them: for example routing on a phrase to a team that may only see one label.",
      example: "when message contains \"bug\" -> human team \"Support\"   # Support: labels [...]"),
    CodeExplanation(
      teamWithoutMembersCode, title: "team with no members",
      explanation: "A team with no members grants nothing to anyone.",
      example: "team \"Nuit\" { can reply all }"),
    CodeExplanation(
      duplicateGrantLabelCode, title: "label named twice in a grant",
      explanation: "A grant's `labels [...]` or `all except labels [...]` names a label twice.",
      example: "can reply all except labels [\"VIP\", \"VIP\"]"),
    CodeExplanation(
      impossibleExpectationCode, title: "expectation that can never hold",
      explanation: "A test expects a label that no step before the expectation can add: none of "
        + "the label's triggers can fire on those steps, and no agent adds it.",
      example: "test \"t\" { at \"2026-01-01T10:00:00Z\"  expect label \"VIP\" }"),
    CodeExplanation(
      duplicateMemberCode, title: "member listed twice in a team",
      explanation: "A team's `members` list names the same person twice.",
      example: "members [\"a@x.fr\", \"a@x.fr\"]"),
    CodeExplanation(
      teamWithoutGrantsCode, title: "team granted nothing",
      explanation: "A team without `can` lines gives its members no access at all.",
      example: "team \"Stagiaires\" { members [\"s@x.fr\"] }"),
  ]
}

extension String {
  /// Invisible characters spelled as escapes, so a message shows what the phrase holds.
  var escapingInvisibles: String {
    var out = ""
    for scalar in unicodeScalars {
      switch scalar.properties.generalCategory {
      case .format, .control, .lineSeparator, .paragraphSeparator:
        out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
      default:
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  /// PCRE2 messages start lowercase already; hazard descriptions may not.
  var lowercasedFirst: String {
    guard let first else { return self }
    return first.lowercased() + dropFirst()
  }
}
