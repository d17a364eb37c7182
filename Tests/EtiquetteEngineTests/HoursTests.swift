import EtiquetteChecker
import EtiquetteEngine
import Foundation
import Testing

/// `during` uses the step's time in the hours' zone, across daylight-saving changes.
@Suite struct HoursTests {
  static let rules = """
    hours "bureau" {
      zone "Europe/Paris"
      mon-fri 09:00-18:00
    }
    hours "new york" {
      zone "America/New_York"
      mon-fri 09:00-17:00
    }
    label "Ouvert" {
      when message contains "allo" and during "bureau"
    }
    routing {
      default ai
      when not during "bureau" -> human
    }
    """

  struct Case: Sendable, CustomStringConvertible {
    var instant: String
    var hours: String
    var open: Bool
    var description: String { "\(hours) \(instant) → \(open)" }
  }

  static let cases: [Case] = [
    // Paris leaves CET (+01:00) for CEST (+02:00) on Sunday 2026-03-29.
    Case(instant: "2026-03-27T07:30:00Z", hours: "bureau", open: false),  // Fri 08:30 CET
    Case(instant: "2026-03-27T08:00:00Z", hours: "bureau", open: true),  // Fri 09:00 CET
    Case(instant: "2026-03-27T16:59:00Z", hours: "bureau", open: true),  // Fri 17:59 CET
    Case(instant: "2026-03-30T07:00:00Z", hours: "bureau", open: true),  // Mon 09:00 CEST
    Case(instant: "2026-03-30T06:59:00Z", hours: "bureau", open: false),  // Mon 08:59 CEST
    Case(instant: "2026-03-30T16:00:00Z", hours: "bureau", open: false),  // Mon 18:00 CEST
    Case(instant: "2026-03-30T15:59:00Z", hours: "bureau", open: true),  // Mon 17:59 CEST
    // And back on Sunday 2026-10-25.
    Case(instant: "2026-10-23T07:00:00Z", hours: "bureau", open: true),  // Fri 09:00 CEST
    Case(instant: "2026-10-26T07:00:00Z", hours: "bureau", open: false),  // Mon 08:00 CET
    Case(instant: "2026-10-26T08:00:00Z", hours: "bureau", open: true),  // Mon 09:00 CET
    Case(instant: "2026-03-28T10:00:00Z", hours: "bureau", open: false),  // Saturday
    // New York changes on 2026-03-08, three weeks before Paris.
    Case(instant: "2026-03-06T14:00:00Z", hours: "new york", open: true),  // Fri 09:00 EST
    Case(instant: "2026-03-09T13:00:00Z", hours: "new york", open: true),  // Mon 09:00 EDT
    Case(instant: "2026-03-09T12:59:00Z", hours: "new york", open: false),  // Mon 08:59 EDT
    Case(instant: "2026-03-09T21:00:00Z", hours: "new york", open: false),  // Mon 17:00 EDT
  ]

  @Test(arguments: cases)
  func duringAcrossDaylightSaving(_ c: Case) throws {
    let rules = try CompiledRules.compile(Self.rules)
    let hours = try #require(rules.ruleSet.hours(named: c.hours))
    let instant = try #require(Instant.parse(c.instant))
    #expect(HoursClock.isOpen(hours, at: instant) == c.open)
    if c.hours == "bureau" {
      // The same answer through a rule, at the step's time.
      var script = Script(rules)
      script.run([.at(c.instant), .says("allo")])
      #expect(script.labels == (c.open ? ["Ouvert"] : []))
    }
  }

  @Test func closingFiresOnceAtTheFirstStepAfterIt() throws {
    var script = Script(try CompiledRules.compile(Self.rules))
    script.run([
      .at("2026-03-30T15:00:00Z"), .says("bonjour"), .at("2026-03-30T16:30:00Z"), .tick,
      .says("re"),
    ])
    #expect(
      script.decisions.map(\.routing) == [
        .defaultMode(.ai), .rule(0, script.rules.ruleSet.routing.rules[0].target), .unchanged,
      ])
  }

  @Test func defaultInstantIsAFixedMondayMorning() throws {
    #expect(Instant.format(Engine.defaultInstant) == "2026-01-05T10:00:00Z")
    let rules = try CompiledRules.compile(Self.rules)
    let hours = try #require(rules.ruleSet.hours(named: "bureau"))
    #expect(HoursClock.localTime(Engine.defaultInstant, zone: "Europe/Paris")?.0 == .monday)
    #expect(HoursClock.isOpen(hours, at: Engine.defaultInstant))
  }
}
