// The console's impact replay (issue 17): stored steps per second through both rule sets.
//
//   swift run -c release --package-path Benchmarks etiquette-impact-bench [--steps 100000]
//
// 100,000 steps are generated with a seeded generator (20,000 conversations of five customer
// messages, a tenth of them mentioning "combien"), written in the format the server stores
// them in (`StepLine.encode`, the table `step_inputs`), and replayed through the repository's
// rules (`rules/`) and a draft of them where "combien" joins "Demandes de Vente" — the code
// the console runs (`RuleDiff`, then `RuleDiffReport`'s grouping). A replay through the
// published rules alone (`Replay`) is the baseline. The best of three rounds.
import EtiquetteChecker
import EtiquetteCompiler
import EtiquetteEngine
import EtiquetteReplay
import Foundation

var steps = 100_000
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
  if argument == "--steps", let value = arguments.popFirst().flatMap(Int.init) { steps = value }
}

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let rulesPath = root.appendingPathComponent("rules").path
let labels = root.appendingPathComponent("rules/labels.etq").path

func side(_ name: String, drafts: [String: String]) throws -> RuleSide {
  let compiled = RuleCompiler.compile(try RuleCompiler.read(paths: [rulesPath], drafts: drafts))
  guard let matcher = compiled.matcher, !compiled.hasErrors else {
    fatalError("the \(name) rules have errors")
  }
  return RuleSide(name: name, engine: Engine(matcher: matcher), sources: compiled.sources.sources)
}

let text = try String(contentsOfFile: labels, encoding: .utf8)
let draftText = text.replacingOccurrences(
  of: #"["devis", "tarif", "prix"]"#, with: #"["devis", "tarif", "prix", "combien"]"#)
precondition(draftText != text, "the phrase list of \"Demandes de Vente\" moved")
let old = try side("old", drafts: [:])
let new = try side("new", drafts: [labels: draftText])

/// SplitMix64: the same steps on every run.
struct Seeded: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

let phrases = [
  "Bonjour, je voudrais un devis pour 3 cartons", "combien pour la livraison ?",
  "Ma commande CMD-123456 n'est pas arrivée", "J'ai réservé un créneau pour jeudi",
  "L'application plante au démarrage", "Merci beaucoup !", "Quel est le tarif ?",
  "Je voudrais parler à un conseiller", "Où en est mon colis ?", "ok", "Combien ça coûte ?",
  "rendez-vous confirmé pour demain", "le site ne marche pas", "super, merci",
]
var generator = Seeded(state: 17)
let start = Date(timeIntervalSince1970: 1_764_000_000)
// As the server stores them: the line without its instant, the instant in a column.
var lines: [String] = []
var instants: [Date] = []
lines.reserveCapacity(steps)
let perConversation = 5
for index in 0..<steps {
  let conversation = index / perConversation
  let number = index % perConversation
  let message = phrases[Int(generator.next() % UInt64(phrases.count))]
  let contact =
    number == 0
    ? ContactUpdate(
      id: "+336\(10_000_000 + conversation)", phone: "+336\(10_000_000 + conversation)")
    : nil
  let step = Step(
    .message(CustomerMessage(text: message)),
    at: start.addingTimeInterval(Double(conversation) * 30 + Double(number) * 600))
  lines.append(
    StepLine.encode(
      step, conversation: "c\(conversation)", contact: contact, ruleSet: old.ruleSet,
      withInstant: false))
  instants.append(step.at)
}

func best(_ rounds: Int, _ body: () -> Void) -> Double {
  var times: [Double] = []
  for _ in 0..<rounds {
    let t0 = DispatchTime.now().uptimeNanoseconds
    body()
    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
  }
  return times.min() ?? 0
}

var changed = 0
var groups = 0
let both = best(3) {
  var diff = RuleDiff(old: old, new: new)
  for (index, line) in lines.enumerated() {
    diff.feed(line, number: index + 1, at: instants[index])
  }
  let report = RuleDiffReport(diff: diff, oldPaths: [], newPaths: [])
  changed = report.changedConversations
  groups = report.groups.count
}
let one = best(3) {
  var replay = Replay(engine: old.engine)
  for (index, line) in lines.enumerated() {
    if case .success(var step) = StepLine.decode(line, ruleSet: old.ruleSet) {
      step.at = instants[index]
      _ = replay.apply(step)
    }
  }
}

let count = steps
func rate(_ seconds: Double) -> String {
  String(format: "%10.0f steps/s  (%.2f s)", Double(count) / seconds, seconds)
}
print("impact replay of \(steps) stored steps, \(steps / perConversation) conversations")
print("  both rule sets, grouped (the console)  \(rate(both))")
print("  published rules only (baseline)        \(rate(one))")
print("  \(changed) conversations changed, \(groups) rule change(s)")
