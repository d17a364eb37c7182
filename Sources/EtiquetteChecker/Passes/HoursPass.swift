import EtiquetteDiagnostics
import EtiquetteSyntax
import Foundation

/// Resolves `hours` blocks: the zone against the system tz database, day names, times and ranges,
/// into minute ranges per weekday.
enum HoursPass {
  static func run(_ decls: [(HoursDecl, HoursID?)], _ ctx: inout CheckContext) -> [HoursDefinition]
  {
    // INVARIANT: one definition per declared id, in id order, so `ruleSet[hoursID]` is valid
    // even in the partial rule set the lints see when there are errors.
    var result: [HoursDefinition] = []
    for (decl, id) in decls {
      let definition = resolve(decl, id: id ?? HoursID(-1), &ctx)
      if id != nil { result.append(definition) }
    }
    return result
  }

  /// The definition as far as it is valid; errors are reported (the rule set is then not
  /// produced, so a partial definition never reaches the engine).
  private static func resolve(_ decl: HoursDecl, id: HoursID, _ ctx: inout CheckContext)
    -> HoursDefinition
  {
    var zone: StringLiteral?
    var zoneSpan: SourceSpan?
    var openings: [HoursOpening] = []
    for entry in decl.entries {
      switch entry {
      case .zone(let name, let span):
        if let zoneSpan {
          ctx.report(CheckerCatalogue.duplicateZone(at: span.wrappedValue, first: zoneSpan))
          continue
        }
        zone = name
        zoneSpan = span.wrappedValue
        if !TimeZoneDatabase.isKnown(name.value) {
          ctx.report(
            CheckerCatalogue.unknownTimeZone(
              name.value, at: name.span,
              suggestion: NameMatching.closest(to: name.value, among: TimeZoneDatabase.identifiers)
                .map { NameSuggestion(name: $0, location: nil) }))
        }
      case .schedule(let schedule):
        var days: [(Weekday, SourceSpan)] = []
        for dayRange in schedule.days {
          guard let expanded = expand(dayRange, &ctx) else { continue }
          days += expanded.map { ($0, dayRange.span) }
        }
        for time in schedule.times {
          guard let range = minuteRange(time, &ctx) else { continue }
          for (day, daySpan) in days {
            openings.append(
              HoursOpening(day: day, range: range, daySpan: daySpan, timeSpan: time.span))
          }
        }
      }
    }
    if zone == nil {
      ctx.report(CheckerCatalogue.missingZone(decl.name.value, at: decl.name.span))
    }
    var weekly: [Weekday: [MinuteRange]] = [:]
    for opening in openings { weekly[opening.day, default: []].append(opening.range) }
    for (day, ranges) in weekly { weekly[day] = merge(ranges) }
    return HoursDefinition(
      id: id, name: decl.name.value, zone: zone?.value ?? "", weekly: weekly, openings: openings,
      nameSpan: decl.name.span, span: decl.span)
  }

  private static func weekday(_ id: Identifier, _ ctx: inout CheckContext) -> Weekday? {
    if let day = Weekday(shortName: id.name) { return day }
    // Full names and other casings are common; suggest the short form.
    let lower = id.name.lowercased()
    let byPrefix = Weekday.allCases.first {
      lower.count >= 3 && (lower.hasPrefix($0.shortName) || $0.shortName == lower)
    }
    let suggestion =
      byPrefix.map { NameSuggestion(name: $0.shortName, quoted: false) }
      ?? ctx.suggestion(for: id.name, among: Weekday.allCases.map(\.shortName))
    ctx.report(CheckerCatalogue.unknownDay(id.name, at: id.span, suggestion: suggestion))
    return nil
  }

  /// `mon-fri` → five days; a range such as `fri-mon` wraps over the weekend.
  private static func expand(_ range: DayRange, _ ctx: inout CheckContext) -> [Weekday]? {
    let first = weekday(range.first, &ctx)
    guard let lastID = range.last else { return first.map { [$0] } }
    let last = weekday(lastID, &ctx)
    guard let first, let last else { return nil }
    var days = [first]
    var day = first
    while day != last {
      day = Weekday(rawValue: day.rawValue % 7 + 1) ?? .monday
      days.append(day)
    }
    return days
  }

  private static func minuteRange(_ time: TimeRange, _ ctx: inout CheckContext) -> MinuteRange? {
    let startOK = isValid(time.start, isEnd: false, &ctx)
    let endOK = isValid(time.end, isEnd: true, &ctx)
    guard startOK, endOK else { return nil }
    guard time.start.minutes < time.end.minutes else {
      let text = ctx.sources[time.span.file]?.text(of: time.span) ?? ""
      ctx.report(CheckerCatalogue.emptyTimeRange(text, at: time.span))
      return nil
    }
    return MinuteRange(start: time.start.minutes, end: time.end.minutes)
  }

  private static func isValid(_ time: TimeOfDay, isEnd: Bool, _ ctx: inout CheckContext) -> Bool {
    let ok =
      (0...23).contains(time.hour) && (0...59).contains(time.minute)
      || (isEnd && time.hour == 24 && time.minute == 0)
    if !ok {
      let text = ctx.sources[time.span.file]?.text(of: time.span) ?? ""
      ctx.report(CheckerCatalogue.invalidTime(text, at: time.span))
    }
    return ok
  }

  /// Sorted, with overlapping or touching ranges joined.
  static func merge(_ ranges: [MinuteRange]) -> [MinuteRange] {
    var out: [MinuteRange] = []
    for range in ranges.sorted() {
      if let last = out.last, range.start <= last.end {
        out[out.count - 1].end = max(last.end, range.end)
      } else {
        out.append(range)
      }
    }
    return out
  }
}

/// The system's tz database, as Foundation sees it.
enum TimeZoneDatabase {
  static let identifiers: [String] = TimeZone.knownTimeZoneIdentifiers

  private static let known: Set<String> = Set(identifiers)

  static func isKnown(_ name: String) -> Bool {
    // Foundation also accepts abbreviations and offsets such as "GMT+1"; only real zone
    // identifiers are allowed, since abbreviations hide daylight-saving changes.
    if known.contains(name) { return true }
    // The identifier list comes from ICU or /usr/share/zoneinfo depending on the platform; a
    // zone Foundation can load by its Area/City name is real on any of them.
    return (name == "UTC" || name.contains("/")) && TimeZone(identifier: name) != nil
  }
}
