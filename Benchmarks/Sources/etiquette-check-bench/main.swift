// Checker benchmark (issue 4): a rule set of 5,000 labels and 50,000 phrases must check in well
// under a second. Prints lexing (the baseline: reading every byte once), parsing and checking
// times from the same process, best of several runs, with ratios to the baseline.
import BenchmarkWorkspace
import Dispatch
import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteSyntax

let words = phraseWords

/// `labels` labels of `phrasesPerLabel` distinct phrases each, some `label "X"` dependencies,
/// a few regexes, teams covering every label, and a routing block.
func generateRuleSet(labels: Int, phrasesPerLabel: Int) -> String {
  var random = SplitMix64(state: 42)
  var text = "contact {\n  tier: \"standard\" | \"vip\"\n}\n\n"
  for l in 0..<labels {
    text += "label \"Étiquette \(l)\" {\n  when message contains any [\n"
    var phrases: [String] = []
    for p in 0..<phrasesPerLabel {
      phrases.append("\"\(random.pick(words)) \(l)-\(p)\"")
    }
    text += "    " + phrases.joined(separator: ", ") + "\n  ]\n"
    if l % 10 == 1 { text += "  when label \"Étiquette \(l - 1)\" and contact.tier == \"vip\"\n" }
    if l % 50 == 0 { text += "  when message matches /\\b(?:CMD|ORD)-\\d{6}\\b/\n" }
    text += "}\n\n"
  }
  let all = (0..<labels).map { "\"Étiquette \($0)\"" }
  for t in 0..<10 {
    let slice = all[(t * labels / 10)..<((t + 1) * labels / 10)]
    text += "team \"Équipe \(t)\" {\n  members [\"agent\(t)@exemple.fr\"]\n"
    text += "  can reply labels [\(slice.joined(separator: ", "))]\n}\n\n"
  }
  text += "routing {\n  default ai\n  when label \"Étiquette 0\" -> human team \"Équipe 0\"\n}\n"
  return text
}

func seconds(_ body: () -> Void) -> Double {
  let start = DispatchTime.now().uptimeNanoseconds
  body()
  return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func best(of runs: Int, _ body: () -> Void) -> Double {
  (0..<runs).map { _ in seconds(body) }.min() ?? 0
}

print("Etiquette checker benchmark — release build, one thread, best of 5 runs")
for (labels, perLabel) in [(500, 10), (5_000, 10)] {
  let source = generateRuleSet(labels: labels, phrasesPerLabel: perLabel)
  var sources = SourceMap()
  let file = sources.add(path: "generated.etq", text: source)
  var parsed = Parser.parse(file)
  var result = Checker.check([parsed.ruleFile], sources: sources)
  let lex = best(of: 5) { _ = Lexer.tokenize(file) }
  let parse = best(of: 5) { parsed = Parser.parse(file) }
  let check = best(of: 5) { result = Checker.check([parsed.ruleFile], sources: sources) }
  let megabytes = Double(file.bytes.count) / 1_048_576
  print(
    "\n\(labels) labels, \(labels * perLabel) phrases, \(String(format: "%.1f", megabytes)) MB")
  print(
    "  parse diagnostics: \(parsed.diagnostics.count), check diagnostics: \(result.diagnostics.count)"
  )
  for (name, time) in [
    ("lex (baseline)", lex), ("parse", parse), ("check", check), ("parse + check", parse + check),
  ] {
    let ratio = time / max(lex, 1e-9)
    print(
      "  \(name.padding(toLength: 15, withPad: " ", startingAt: 0))"
        + " \(String(format: "%8.1f", time * 1000)) ms   \(String(format: "%5.1f", ratio))× lex")
  }
  if labels == 5_000 {
    let verdict = parse + check < 1.0 ? "met" : "NOT met"
    print("  target: parse + check of 5,000 labels / 50,000 phrases under 1 s — \(verdict)")
  }
}
