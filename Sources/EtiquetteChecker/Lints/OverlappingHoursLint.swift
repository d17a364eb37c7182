import EtiquetteDiagnostics

/// W015: two ranges of the same `hours` overlap on the same day. One warning per pair of ranges
/// as written, listing the days.
enum OverlappingHoursLint: Lint {
  static func check(_ ruleSet: RuleSet, _ ctx: CheckContext) -> [Diagnostic] {
    var out: [Diagnostic] = []
    for hours in ruleSet.hours {
      var byDay: [Weekday: [HoursOpening]] = [:]
      for opening in hours.openings { byDay[opening.day, default: []].append(opening) }
      // Pairs keyed by the two time spans, in order of the later one.
      var pairs: [[Int]: (later: HoursOpening, earlier: HoursOpening, days: [Weekday])] = [:]
      var order: [[Int]] = []
      for day in Weekday.allCases {
        let sorted = (byDay[day] ?? []).sorted { $0.range < $1.range }
        var widest: HoursOpening?
        for opening in sorted {
          if let w = widest, opening.range.overlaps(w.range), opening.timeSpan != w.timeSpan {
            let (later, earlier) =
              opening.timeSpan.start > w.timeSpan.start ? (opening, w) : (w, opening)
            let key = [later.timeSpan.start, earlier.timeSpan.start, later.timeSpan.file.rawValue]
            if pairs[key] == nil {
              order.append(key)
              pairs[key] = (later, earlier, [])
            }
            pairs[key]?.days.append(day)
          }
          if widest == nil || opening.range.end > (widest?.range.end ?? 0) { widest = opening }
        }
      }
      for key in order {
        guard let pair = pairs[key] else { continue }
        out.append(
          CheckerCatalogue.overlappingHours(
            days: pair.days, range: pair.later.range.description,
            otherRange: pair.earlier.range.description, at: pair.later.timeSpan,
            other: pair.earlier.timeSpan))
      }
    }
    return out
  }
}
