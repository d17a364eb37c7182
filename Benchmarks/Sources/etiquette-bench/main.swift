import EtiquetteChecker
import EtiquetteEngine
import EtiquetteMatcher
import EtiquetteSyntax
import EtiquetteText
import Foundation

// The matcher and engine benchmark (issues 5, 19 and 20): Etiquette's matcher and its full
// engine step against Hyperscan set up as an expert would (literals over the same normalised
// text, boundaries checked in the callback, regexes in a second database) and, for reference,
// Hyperscan with one `\bphrase\b` regex per phrase; on the current corpus and a French-rich
// one. Every row of a table is measured in the same rounds, taking turns (A B C A B C …); a
// figure is the median of the rounds and a ratio the median of the ratios taken round by round.
//
//   make bench    (swift run -c release --package-path Benchmarks -Xswiftc -Xcc -Xswiftc -mpopcnt
//                  etiquette-bench on x86-64: the matcher's flags from Package.swift)
//   etiquette-bench [--sizes 100,5000,50000] [--current-sizes 5000] [--rounds 5]
//     [--seconds 0.25] [--regex-setup-max 5000] [--modes-only] [--no-modes]
//     [--profile-mode plain|forms|typos|"forms typos"]  (that mode alone, `--rounds` × `--seconds`)
//     [--profile-compile N]  (the matcher of N French-rich phrases + 100 regexes compiled
//                             `--rounds` times, each time printed: for `perf record`)
//     [--profile-step N]     (the engine-step row alone at N French-rich phrases + 100
//                             regexes, then the matcher row alone, `--rounds` × `--seconds`
//                             each: for `perf record`)

struct Options {
  /// Sizes measured on the French-rich corpus; the current corpus at `currentSizes`.
  var sizes = [100, 5_000, 50_000]
  var currentSizes = [5_000]
  var secondsPerMeasure = 0.25
  /// Rounds of every table (the median is kept; at least 5 for the issue's figures).
  var rounds = 5
  /// The `\b`-regex Hyperscan set-up only up to this N: it compiles 50,000 phrases in over a
  /// minute.
  var regexSetupMaximum = 5_000
  /// Only the matching modes (issue 19), at the largest French-rich size up to 5,000.
  var modesOnly = false
  var modes = true
  /// One matching mode alone, for a profiler (`perf record`): its rows only, no others.
  var profileMode: String?
  /// Only compiles, at this N, for a profiler: `rounds` compiles, each time printed.
  var profileCompile: Int?
  /// Only the engine step, then the matcher, at this N, for a profiler.
  var profileStep: Int?

  static func parse() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    func sizes(_ text: String?) -> [Int] {
      (text ?? "").split(separator: ",").compactMap { Int($0) }
    }
    while let argument = arguments.popFirst() {
      switch argument {
      case "--sizes": options.sizes = sizes(arguments.popFirst())
      case "--current-sizes": options.currentSizes = sizes(arguments.popFirst())
      case "--seconds": options.secondsPerMeasure = Double(arguments.popFirst() ?? "") ?? 0.25
      case "--rounds": options.rounds = max(Int(arguments.popFirst() ?? "") ?? 5, 1)
      case "--regex-setup-max", "--hyperscan-max":
        options.regexSetupMaximum = Int(arguments.popFirst() ?? "") ?? 5_000
      case "--modes-only": options.modesOnly = true
      case "--no-modes": options.modes = false
      case "--profile-mode":
        let mode = arguments.popFirst() ?? ""
        guard ["plain", "forms", "typos", "forms typos"].contains(mode) else {
          print("--profile-mode: plain, forms, typos or \"forms typos\", not \"\(mode)\"")
          exit(2)
        }
        options.profileMode = mode
        options.modesOnly = true
      case "--profile-compile":
        guard let size = Int(arguments.popFirst() ?? ""), size > 0 else {
          print("--profile-compile: a number of phrases, such as 50000")
          exit(2)
        }
        options.profileCompile = size
      case "--profile-step":
        guard let size = Int(arguments.popFirst() ?? ""), size > 0 else {
          print("--profile-step: a number of phrases, such as 5000")
          exit(2)
        }
        options.profileStep = size
      default:
        print("unknown argument \(argument)")
        exit(2)
      }
    }
    return options
  }
}

let options = Options.parse()
let rounds = options.rounds

let dataDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Data").path
let corpus = try Corpus(directory: dataDirectory)
let french = FrenchRichCorpus(base: corpus)

func seconds(_ duration: Duration) -> Double {
  Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// CPU time of the calling thread: other processes on the machine do not count against the
/// engine being measured (the machine has two cores, often shared).
func threadCPUSeconds() -> Double {
  var time = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
  return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Labels messages `0..<count` round-robin, starting where the previous measurement of the
/// same engine stopped, for about `seconds` of the thread's CPU time; messages/s.
func throughput(
  _ engine: some LabellingEngine, count: Int, seconds: Double = options.secondsPerMeasure,
  from start: inout Int
) -> Double {
  let begin = threadCPUSeconds()
  var processed = 0
  var sink = 0
  var index = start
  while true {
    sink &+= engine.label(index)
    index += 1
    if index == count { index = 0 }
    processed += 1
    if processed % 64 == 0 {
      let elapsed = threadCPUSeconds() - begin
      if elapsed >= seconds {
        if sink == -1 { print("") }  // keeps the work observable
        start = index
        return Double(processed) / elapsed
      }
    }
  }
}

/// Rates of several engines measured in the same rounds, taking turns: `rates[row][round]`.
struct InterleavedRates {
  var names: [String]
  var rates: [[Double]]

  init(_ rows: [(String, any LabellingEngine)], count: Int, rounds: Int) {
    names = rows.map(\.0)
    rates = Array(repeating: [], count: rows.count)
    var positions = Array(repeating: 0, count: rows.count)
    for _ in 0..<rounds {
      for (index, row) in rows.enumerated() {
        rates[index].append(throughput(row.1, count: count, from: &positions[index]))
      }
    }
  }

  func median(_ name: String) -> Double { Self.median(rates[names.firstIndex(of: name)!]) }

  /// The ratio `a / b` round by round: its median, lowest and highest.
  func ratio(_ a: String, _ b: String) -> (median: Double, low: Double, high: Double) {
    let x = rates[names.firstIndex(of: a)!]
    let y = rates[names.firstIndex(of: b)!]
    let ratios = zip(x, y).map { $0 / $1 }
    return (Self.median(ratios), ratios.min() ?? 0, ratios.max() ?? 0)
  }

  static func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  }
}

/// The machine's load average (1, 5 and 15 minutes), as /proc/loadavg gives it.
func loadAverage() -> String {
  guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else {
    return "unknown"
  }
  return text.split(separator: " ").prefix(3).joined(separator: " ")
}

func format(_ value: Double, decimals: Int = 0) -> String {
  guard value.isFinite else { return "-" }
  let fixed = String(format: "%.\(decimals)f", abs(value))
  let parts = fixed.split(separator: ".", maxSplits: 1)
  var whole = ""
  for (index, digit) in parts[0].reversed().enumerated() {
    if index > 0 && index % 3 == 0 { whole.insert(",", at: whole.startIndex) }
    whole.insert(digit, at: whole.startIndex)
  }
  let sign = value < 0 ? "-" : ""
  return parts.count > 1 ? sign + whole + "." + parts[1] : sign + whole
}

func pad(_ text: String, _ width: Int) -> String {
  text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}

func ratioText(_ ratio: (median: Double, low: Double, high: Double)) -> String {
  "\(format(ratio.median, decimals: 2))× (rounds \(format(ratio.low, decimals: 2))–"
    + "\(format(ratio.high, decimals: 2)))"
}

func verdict(_ ok: Bool) -> String { ok ? "met" : "NOT met" }

/// The best of three compiles, in seconds: other jobs on the machine can only slow one down.
func bestCompile<T>(_ make: () -> T) -> (T, Double) {
  let clock = ContinuousClock()
  var best = Double.infinity
  var result: T?
  for _ in 0..<3 {
    let start = clock.now
    let made = make()
    best = min(best, seconds(clock.now - start))
    result = made
  }
  return (result!, best)
}

/// A message's cost on each row, in seconds (medians of the interleaved rounds).
struct StepBudget {
  var hyperscan: Double
  var step: Double
  var matcher: Double
  var normalise: Double

  /// What `target`× hyperscan-literal leaves a whole step, how much of that normalising alone
  /// (timed on both sides) already takes, and what the rest is against Hyperscan's own search
  /// (its time less normalising): the search, the regexes and the step would have to cost that
  /// share of Hyperscan's search alone.
  func text(target: Double) -> String {
    let allowed = hyperscan / target
    let theirs = hyperscan - normalise
    let ours = allowed - normalise
    func microseconds(_ seconds: Double) -> String { format(seconds * 1e6, decimals: 2) + " µs" }
    return "a message: hyperscan-literal \(microseconds(hyperscan)), engine step "
      + "\(microseconds(step)) (the matcher \(microseconds(matcher))), normalising alone "
      + "\(microseconds(normalise)); \(format(target, decimals: 1))× leaves a step "
      + "\(microseconds(allowed)): after normalising, \(microseconds(ours)) for the search, the "
      + "regexes and the step, \(format(ours / theirs, decimals: 2))× the time of Hyperscan's "
      + "own search (\(microseconds(theirs)))"
  }
}

/// Figures kept for the targets.
struct Summary {
  /// What a step may cost at each N (French-rich), for the targets' lines.
  var budgets: [Int: StepBudget] = [:]
  /// Engine step / hyperscan-literal and matcher / hyperscan-literal, French-rich, by N.
  var stepVersusLiteral: [Int: (median: Double, low: Double, high: Double)] = [:]
  var matcherVersusLiteral: [Int: (median: Double, low: Double, high: Double)] = [:]
  /// Etiquette's compile against Hyperscan's (both databases; literals alone), by N.
  var compileVersusLiteral: [Int: (ours: Double, theirs: Double, literals: Double)] = [:]
  var matchers: [Int: RuleMatcher] = [:]
  var nothingMatches: (median: Double, low: Double, high: Double)?
  var threads: (wall: Double, cpu: Double, rounds: [String])?
}
var summary = Summary()

/// The first `size` French-rich phrases and the 100 regexes, as the profiling modes use them.
func frenchWorkload(size: Int) -> Workload {
  Workload(phrases: Array(french.phrasePool.prefix(size)), regexes: corpus.regexes())
}

if let size = options.profileCompile {
  let workload = frenchWorkload(size: size)
  let ruleSet = workload.ruleSetWithRouting()
  let clock = ContinuousClock()
  for round in 1...rounds {
    let start = clock.now
    let matcher = RuleMatcher(ruleSet)
    let elapsed = seconds(clock.now - start)
    print(
      "compile \(round): \(format(elapsed * 1000, decimals: 1)) ms, "
        + "\(matcher.statistics.phraseCount) phrases")
  }
  exit(0)
}

if let size = options.profileStep {
  let workload = frenchWorkload(size: size)
  let matcher = RuleMatcher(workload.ruleSetWithRouting())
  let runs: [(String, any LabellingEngine)] = [
    ("engine-step", EngineStepRun(engine: Engine(matcher: matcher), messages: french.messages)),
    (
      "etiquette",
      EtiquetteEngineRun(matcher: matcher, messages: french.messages, phraseIndex: [:])
    ),
  ]
  for (name, run) in runs {
    var position = 0
    let rates = (0..<rounds).map { _ in
      throughput(run, count: french.messages.count, from: &position)
    }
    print("\(name): \(rates.map { format($0) }.joined(separator: ", ")) messages/s")
  }
  exit(0)
}

print("Etiquette matcher and engine benchmark — one thread unless stated; release build")
let frenchShare = Double(french.frenchCount) / Double(french.messages.count)
print(
  """
  current corpus: \(corpus.messages.count) messages (Banking77 + CLINC150 + 50 French), \
  average \(format(Double(corpus.messages.reduce(0) { $0 + $1.utf8.count }) / Double(corpus.messages.count), decimals: 1)) bytes
  French-rich corpus: \(french.messages.count) messages, \(format(frenchShare * 100)) % French \
  (\(french.frenchCount)), average \(format(Double(french.messages.reduce(0) { $0 + $1.utf8.count }) / Double(french.messages.count), decimals: 1)) bytes, \
  \(format(Double(french.messages.filter { $0.contains(where: { !$0.isASCII }) }.count) * 100 / Double(french.messages.count))) % with non-ASCII; \
  vocabulary from \(french.vocabularySource)
  rows:
    etiquette          = normalise + scan + evaluate every trigger that may hold (the matcher)
    engine-step        = Engine.apply of the message on a new conversation: transcript, scan,
                         the labels the index chooses, routing (3 rules), the AI decision
    hyperscan-literal  = normalise (timed), the phrases as literals over the normalised text,
                         boundaries checked in the callback, the regexes in a second database
                         over the original text; labels counted from a bit set
    hyperscan-regex    = the same with one \\bphrase\\b regex per phrase (reference; N ≤ \(options.regexSetupMaximum))
    normalise-only     = Normalizer.withNormalized alone, which both sides time: the floor
  every table's rows take turns in \(rounds) rounds of \(options.secondsPerMeasure) s of the thread's CPU
  time; messages/s is the median round, a ratio the median of the ratios round by round
  """)
print("load average at start: \(loadAverage())")
print("")

/// One table: a corpus at N phrases + 100 regexes.
@MainActor
func table(corpusName: String, messages: [String], pool: [String], size: Int) {
  let workload = Workload(phrases: Array(pool.prefix(size)), regexes: corpus.regexes())
  let ruleSet = workload.ruleSetWithRouting()
  print(
    "\(corpusName), N = \(format(Double(workload.phrases.count))) phrases + "
      + "\(workload.regexes.count) regexes (load average \(loadAverage()))")
  let (matcher, compile) = bestCompile { RuleMatcher(ruleSet) }
  let engine = Engine(matcher: matcher)
  let literal = HyperscanLiteralRun(workload: workload, messages: messages)
  var regex: HyperscanRun?
  var regexCompile = 0.0
  if size <= options.regexSetupMaximum {
    let clock = ContinuousClock()
    let start = clock.now
    regex = HyperscanRun(workload: workload, messages: messages)
    regexCompile = seconds(clock.now - start)
  }
  let scans = messages.map { matcher.scan($0) }
  let hits = scans.reduce(0) { $0 + $1.allPhraseHitCount }
  let regexRuns = scans.reduce(0) { $0 + $1.patternsRun }
  print(
    "  per message: \(format(Double(hits) / Double(messages.count), decimals: 2)) phrase hits, "
      + "\(format(Double(regexRuns) / Double(messages.count), decimals: 2)) regexes run by "
      + "PCRE2 (of \(workload.regexes.count))")

  var rows: [(String, any LabellingEngine)] = [
    ("etiquette", EtiquetteEngineRun(matcher: matcher, messages: messages, phraseIndex: [:])),
    ("engine-step", EngineStepRun(engine: engine, messages: messages)),
  ]
  if let literal { rows.append(("hyperscan-literal", literal)) }
  if let regex { rows.append(("hyperscan-regex", regex)) }
  rows.append(("normalise-only", NormalizeOnlyRun(messages: messages)))
  let rates = InterleavedRates(rows, count: messages.count, rounds: rounds)

  let automaton = matcher.statistics.automatonBytes
  print(
    "  row                   compile      memory   messages/s   etiquette × (round by round)")
  for (index, name) in rates.names.enumerated() {
    let (compileText, memory): (String, Int?) =
      switch name {
      case "normalise-only": ("-", nil)
      case "hyperscan-literal":
        (
          format(
            ((literal?.literalCompileSeconds ?? 0) + (literal?.regexCompileSeconds ?? 0)) * 1000,
            decimals: 1),
          literal?.databaseBytes ?? 0
        )
      case "hyperscan-regex": (format(regexCompile * 1000, decimals: 1), regex?.databaseBytes ?? 0)
      default: (format(compile * 1000, decimals: 1), automaton)
      }
    let versus = index == 0 ? "1.00×" : ratioText(rates.ratio("etiquette", name))
    print(
      "  " + name.padding(toLength: 18, withPad: " ", startingAt: 0)
        + pad(compileText == "-" ? "-" : compileText + " ms", 12)
        + pad(memory.map { format(Double($0) / 1_048_576, decimals: 1) + " MB" } ?? "-", 12)
        + pad(format(InterleavedRates.median(rates.rates[index])), 13) + "   " + versus)
  }
  print(
    "  memory: Etiquette's automaton (statistics.automatonBytes); Hyperscan's hs_database_size "
      + "of its databases")
  if let literal {
    print(
      "  hyperscan-literal compile: literals \(format(literal.literalCompileSeconds * 1000, decimals: 1)) ms, "
        + "regexes \(format(literal.regexCompileSeconds * 1000, decimals: 1)) ms"
        + (literal.regexUCP
          ? " (UTF-8 + UCP)" : " (UTF-8, without UCP: \(literal.ucpFailure ?? "?"))")
        + "; each the best of 3")
    let step = rates.ratio("engine-step", "hyperscan-literal")
    let alone = rates.ratio("etiquette", "hyperscan-literal")
    print("  engine-step / hyperscan-literal: \(ratioText(step))")
    // What 1.5× would leave a step, per message, against what normalising alone costs.
    let budget = StepBudget(
      hyperscan: 1 / rates.median("hyperscan-literal"), step: 1 / rates.median("engine-step"),
      matcher: 1 / rates.median("etiquette"), normalise: 1 / rates.median("normalise-only"))
    // The issue's target at this size: 1.0× at 50,000 phrases, 1.5× below.
    print("  \(budget.text(target: size >= 50_000 ? 1.0 : 1.5))")
    if corpusName.hasPrefix("French") {
      summary.budgets[size] = budget
      summary.stepVersusLiteral[size] = step
      summary.matcherVersusLiteral[size] = alone
      summary.compileVersusLiteral[size] = (
        compile, literal.literalCompileSeconds + literal.regexCompileSeconds,
        literal.literalCompileSeconds
      )
      summary.matchers[size] = matcher
    }
  }

  // Cross-check, every message: phrases (distinct normalised phrases matched) and regexes.
  var phraseIDs: [String: Int] = [:]
  for (index, phrase) in workload.phrases.enumerated() {
    phraseIDs[Normalizer.normalize(phrase).string] =
      phraseIDs[Normalizer.normalize(phrase).string] ?? index
  }
  // Phrases that normalise alike are one phrase to Etiquette: the other engines' ids too.
  let canonical = workload.phrases.map { phraseIDs[Normalizer.normalize($0).string] ?? -1 }
  func canonicalIDs(_ ids: [Int]) -> [Int] { Array(Set(ids.map { canonical[$0] })).sorted() }
  let patterns = workload.regexes.map { source, flags in
    Pattern(
      source: source, flagText: flags, flags: flags.compactMap { RegexFlag(rawValue: $0) },
      span: .unknown, patternSpan: .unknown)
  }
  let etiquettePhrases = scans.map { scan in
    Array(Set(scan.allPhraseHits.compactMap { phraseIDs[$0.phrase] })).sorted()
  }
  let etiquetteRegexes = scans.map { scan in
    patterns.indices.filter {
      if case .match = scan.patternOutcome(patterns[$0]) { return true }
      return false
    }
  }
  let phrasePairs = etiquettePhrases.reduce(0) { $0 + $1.count }
  let regexPairs = etiquetteRegexes.reduce(0) { $0 + $1.count }
  func report(
    _ name: String, _ what: String, _ theirs: (Int) -> [Int], _ ours: [[Int]],
    _ names: (Int) -> String
  ) {
    var differing = 0
    var ascii = 0
    var example = ""
    for index in messages.indices {
      let other = theirs(index)
      guard other != ours[index] else { continue }
      differing += 1
      if messages[index].utf8.allSatisfy({ $0 < 0x80 }) { ascii += 1 }
      if example.isEmpty {
        let extra = Set(other).subtracting(ours[index]).map(names)
        let missing = Set(ours[index]).subtracting(other).map(names)
        example = "; e.g. \(messages[index].debugDescription): +\(extra) -\(missing)"
      }
    }
    print(
      "  cross-check etiquette vs \(name), \(what), every message (\(messages.count)): "
        + (differing == 0
          ? "identical" : "\(differing) messages differ (\(ascii) of them ASCII-only)\(example)"))
  }
  print("  matches: \(phrasePairs) message×phrase, \(regexPairs) message×regex (Etiquette)")
  if let literal {
    report(
      "hyperscan-literal", "phrases", { canonicalIDs(literal.phraseMatches($0)) }, etiquettePhrases
    ) {
      workload.phrases[$0]
    }
    report("hyperscan-literal", "regexes", literal.regexMatches, etiquetteRegexes) {
      workload.regexes[$0].0
    }
  }
  if let regex {
    report(
      "hyperscan-regex", "phrases", { canonicalIDs(regex.phraseMatches($0)) }, etiquettePhrases
    ) {
      workload.phrases[$0]
    }
  }
  print("")
}

if !options.modesOnly {
  for size in options.sizes {
    table(
      corpusName: "French-rich corpus", messages: french.messages, pool: french.phrasePool,
      size: size)
  }
  for size in options.currentSizes {
    table(
      corpusName: "Current corpus", messages: corpus.messages, pool: corpus.phrasePool, size: size)
  }

  // The engine step where nothing matches: 5,000 labels against 1.
  do {
    let many = Workload.neverMatching(
      count: 5_000, vocabulary: corpus.vocabulary, messages: french.messages)
    let one = Workload.neverMatching(
      count: 1, vocabulary: corpus.vocabulary, messages: french.messages)
    let oneEngine = Engine(ruleSet: one)
    let manyEngine = Engine(ruleSet: many)
    let rates = InterleavedRates(
      [
        ("1 label", EngineStepRun(engine: oneEngine, messages: french.messages)),
        ("5,000 labels", EngineStepRun(engine: manyEngine, messages: french.messages)),
        (
          "matcher, 1",
          EtiquetteEngineRun(
            matcher: oneEngine.matcher, messages: french.messages, phraseIndex: [:])
        ),
        (
          "matcher, 5,000",
          EtiquetteEngineRun(
            matcher: manyEngine.matcher, messages: french.messages, phraseIndex: [:])
        ),
      ], count: french.messages.count, rounds: rounds)
    let cost = rates.ratio("1 label", "5,000 labels")
    print(
      "Engine step where nothing matches (French-rich corpus; each label one phrase of two "
        + "corpus words that occurs in no message; load average \(loadAverage())):")
    print(
      "  engine step: 1 label \(format(rates.median("1 label"))) steps/s, 5,000 labels "
        + "\(format(rates.median("5,000 labels"))) steps/s; cost of a step, 5,000 / 1: "
        + ratioText(cost))
    print(
      "  the matcher alone: 1 label \(format(rates.median("matcher, 1"))) messages/s, 5,000 "
        + "labels \(format(rates.median("matcher, 5,000"))); 5,000 / 1: "
        + ratioText(rates.ratio("matcher, 1", "matcher, 5,000")))
    summary.nothingMatches = cost
    print("")
  }

  // Two threads against one, the matcher at 5,000 phrases on the French-rich corpus.
  if let matcher = summary.matchers[5_000] ?? summary.matchers.values.first {
    var one = (wall: [Double](), cpu: [Double]())
    var two = (wall: [Double](), cpu: [Double]())
    var roundRatios: [String] = []
    for _ in 0..<rounds {
      let single = parallelThroughput(matcher, messages: french.messages, threads: 1)
      let pair = parallelThroughput(matcher, messages: french.messages, threads: 2)
      one.wall.append(single.wall)
      one.cpu.append(single.cpu)
      two.wall.append(pair.wall)
      two.cpu.append(pair.cpu)
      roundRatios.append(format(pair.wall / single.wall, decimals: 2) + "×")
    }
    let wall = InterleavedRates.median(zip(two.wall, one.wall).map { $0 / $1 })
    let cpu = InterleavedRates.median(zip(two.cpu, one.cpu).map { 2 * $0 / $1 })
    print(
      "Threads (matcher, French-rich corpus, N = 5,000): 1 → \(format(InterleavedRates.median(one.wall))) "
        + "messages/s, 2 → \(format(InterleavedRates.median(two.wall))) wall clock "
        + "(\(format(wall, decimals: 2))×; rounds \(roundRatios.joined(separator: ", "))); "
        + "per CPU-second of each thread 1 → \(format(InterleavedRates.median(one.cpu))), 2 → "
        + "\(format(InterleavedRates.median(two.cpu))) (two free cores: \(format(cpu, decimals: 2))×); "
        + "load average \(loadAverage())")
    summary.threads = (wall, cpu, roundRatios)
    print("")
  }
}

/// Etiquette on `threads` threads at once, each going round its share of the messages: wall
/// clock messages/s, and messages per second of CPU time summed over the threads (which other
/// jobs on the machine do not disturb; with no contention between the threads it stays that of
/// one thread, so two free cores would give twice the one-thread rate).
func parallelThroughput(_ matcher: RuleMatcher, messages: [String], threads: Int) -> (
  wall: Double, cpu: Double
) {
  final class Counter: @unchecked Sendable {
    let lock = NSLock()
    var total = 0
    var cpuSeconds = 0.0
  }
  let counter = Counter()
  let deadline = ContinuousClock.now + .milliseconds(Int(options.secondsPerMeasure * 1000))
  let clock = ContinuousClock()
  let start = clock.now
  let group = DispatchGroup()
  for thread in 0..<threads {
    group.enter()
    Thread {
      let cpuStart = threadCPUSeconds()
      var processed = 0
      var index = thread
      var sink = 0
      while true {
        let scan = matcher.scan(messages[index])
        sink &+= matcher.evaluateCandidates(scan: scan) { _ in false }.count
        processed += 1
        index = (index + threads) % messages.count
        if processed % 64 == 0 && ContinuousClock.now >= deadline { break }
      }
      let cpu = threadCPUSeconds() - cpuStart
      if sink == -1 { print("") }
      counter.lock.lock()
      counter.total += processed
      counter.cpuSeconds += cpu
      counter.lock.unlock()
      group.leave()
    }.start()
  }
  group.wait()
  let wall = seconds(clock.now - start)
  return (Double(counter.total) / wall, Double(counter.total) / counter.cpuSeconds)
}

// Matching modes (issue 19): the same workload with every phrase plain, `forms`, `typos`, and
// both, taking turns round after round, at the largest French-rich size up to 5,000.
var modeFigures: (forms: Double, typos: Double, compile: Double)?
if options.modes || options.modesOnly,
  let modeSize = (options.sizes + [5_000]).filter({ $0 <= 5_000 }).max()
{
  let workload = Workload(
    phrases: Array(corpus.phrasePool.prefix(modeSize)), regexes: corpus.regexes())
  print(
    "Matching modes (issue 19), current corpus, N = \(format(Double(modeSize))) phrases + 100 regexes:"
  )
  let modeRows: [(String, PhraseModes)] = [
    ("plain", []), ("forms", .forms), ("typos", .typos), ("forms typos", [.forms, .typos]),
  ].filter { options.profileMode == nil || $0.0 == options.profileMode }
  var compiles: [String: Double] = [:]
  var rows: [(String, any LabellingEngine)] = []
  for (name, modes) in modeRows {
    let ruleSet = workload.ruleSet(modes: modes)
    let (matcher, compile) = bestCompile { RuleMatcher(ruleSet) }
    compiles[name] = compile
    rows.append(
      (name, EtiquetteEngineRun(matcher: matcher, messages: corpus.messages, phraseIndex: [:])))
  }
  let rates = InterleavedRates(rows, count: corpus.messages.count, rounds: max(rounds, 5))
  if let name = options.profileMode {
    print("  \(name): \(format(rates.median(name))) messages/s (median of the rounds)")
    exit(0)
  }
  print("  mode            compile    messages/s   × plain (round by round)")
  for (name, _) in modeRows {
    print(
      "  \(pad(name, 14)) \(pad(format((compiles[name] ?? 0) * 1000, decimals: 1) + " ms", 9)) "
        + "\(pad(format(rates.median(name)), 12))   "
        + (name == "plain" ? "1.00×" : ratioText(rates.ratio(name, "plain"))))
  }
  modeFigures = (
    rates.ratio("forms", "plain").median, rates.ratio("typos", "plain").median,
    compiles.values.max() ?? 0
  )
  print("")
}

print("Targets, this run:")
if let step = summary.stepVersusLiteral[5_000], let alone = summary.matcherVersusLiteral[5_000] {
  print(
    "  issue 20: matcher + engine step ≥ 1.5× hyperscan-literal at N = 5,000, French-rich: "
      + "\(ratioText(step)) — \(verdict(step.median >= 1.5)) (matcher alone: \(ratioText(alone)))")
  if let budget = summary.budgets[5_000] { print("    \(budget.text(target: 1.5))") }
}
if let step = summary.stepVersusLiteral[50_000], let alone = summary.matcherVersusLiteral[50_000] {
  print(
    "  issue 20: matcher + engine step ≥ 1.0× hyperscan-literal at N = 50,000, French-rich: "
      + "\(ratioText(step)) — \(verdict(step.median >= 1.0)) (matcher alone: \(ratioText(alone)))")
  if let budget = summary.budgets[50_000] { print("    \(budget.text(target: 1.0))") }
}
for size in summary.compileVersusLiteral.keys.sorted() where size >= 5_000 {
  let (ours, theirs, literalsOnly) = summary.compileVersusLiteral[size]!
  let ratio = theirs / ours
  print(
    "  issue 20: compile ≥ 20× faster than hyperscan-literal at N = \(format(Double(size))): "
      + "\(format(ours * 1000, decimals: 1)) ms against \(format(theirs * 1000, decimals: 1)) ms, "
      + "\(format(ratio, decimals: 1))× — \(verdict(ratio >= 20)) (against the literals alone: "
      + "\(format(literalsOnly / ours, decimals: 1))×)")
}
if let small = summary.matchers[100], let large = summary.matchers[50_000] {
  // Measured side by side: the two tables are minutes apart.
  let rates = InterleavedRates(
    [
      ("100", EtiquetteEngineRun(matcher: small, messages: french.messages, phraseIndex: [:])),
      ("50,000", EtiquetteEngineRun(matcher: large, messages: french.messages, phraseIndex: [:])),
    ], count: french.messages.count, rounds: rounds)
  let ratio = rates.ratio("50,000", "100")
  print(
    "  issue 20: throughput at N = 50,000 ≥ ½ of N = 100 (French-rich, side by side): "
      + "\(ratioText(ratio)) — \(verdict(ratio.median >= 0.5))")
}
print(
  "  issue 20: webhook intake ≥ 50 % of wrk on /healthz, p99 < 20 ms — measured by "
    + "Benchmarks/webhook-load.py, which `make bench` runs next (its last line)")
if let threads = summary.threads {
  // By CPU time two threads can give at most twice one: above 2.0 the figure says more about
  // the other jobs on the machine than about the matcher, and is not counted as met.
  let cpuVerdict =
    threads.cpu > 2.0
    ? "NOT met (over 2.0: the measurement is wrong, the machine was busy)"
    : verdict(threads.cpu >= 1.8)
  print(
    "  issue 20: two threads ≥ 1.8× one: \(format(threads.wall, decimals: 2))× wall clock — "
      + "\(verdict(threads.wall >= 1.8)); \(format(threads.cpu, decimals: 2))× by CPU time — "
      + cpuVerdict)
}
if let cost = summary.nothingMatches {
  print(
    "  issue 20: an engine step on 5,000 labels where nothing matches ≤ 2× one on 1 label: "
      + "\(ratioText(cost)) — \(verdict(cost.median <= 2))")
}
if let modes = modeFigures {
  print(
    "  issue 19: forms ≥ 60 % of plain: \(format(modes.forms * 100)) % — \(verdict(modes.forms >= 0.6))"
  )
  print(
    "  issue 19: typos ≥ 25 % of plain: \(format(modes.typos * 100)) % — \(verdict(modes.typos >= 0.25))"
  )
  print(
    "  issue 19: compile ≤ 100 ms with every mode: \(format(modes.compile * 1000, decimals: 1)) ms — "
      + verdict(modes.compile <= 0.1))
}
print("load average at end: \(loadAverage())")
