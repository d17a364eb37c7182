import CHyperscan
import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteMatcher
import EtiquetteSyntax
import EtiquetteText
import Foundation

/// One workload: N phrases and 100 regexes.
struct Workload {
  let phrases: [String]
  let regexes: [(String, String)]

  /// The rule set Etiquette compiles: the phrases in `groups` labels (`contains any`, with
  /// `modes`; phrase `i` in label `i % groups`), each regex in a label of its own.
  func ruleSet(modes: PhraseModes = [], groups: Int = 100) -> RuleSet {
    var labels: [LabelDefinition] = []
    func addLabel(_ condition: ConditionTree) {
      let id = LabelID(labels.count)
      labels.append(
        LabelDefinition(
          id: id, name: "label \(labels.count)", color: nil, description: nil,
          addTriggers: [LabelTrigger(condition: condition, span: .unknown)], removeTriggers: [],
          dependencies: [], nameSpan: .unknown, span: .unknown))
    }
    for group in 0..<groups {
      let members = stride(from: group, to: phrases.count, by: groups).map { index in
        Phrase(
          text: phrases[index], normalized: Normalizer.normalize(phrases[index]).string,
          span: .unknown, modes: modes)
      }
      guard !members.isEmpty else { continue }
      addLabel(.atom(ConditionAtom(.contains(.any, members), span: .unknown)))
    }
    for (source, flags) in regexes {
      let pattern = Pattern(
        source: source, flagText: flags, flags: flags.compactMap { RegexFlag(rawValue: $0) },
        span: .unknown, patternSpan: .unknown)
      addLabel(.atom(ConditionAtom(.matches(pattern), span: .unknown)))
    }
    return RuleSet(
      contactAttributes: [], events: [], hours: [], labels: labels,
      labelEvaluationOrder: labels.map(\.id), teams: [], members: [],
      routing: RoutingPolicy(defaultMode: .ai, rules: [], defaultSpan: .unknown), tests: [])
  }

  /// A phrase as a regex with word boundaries.
  static func phraseRegex(_ phrase: String) -> String {
    var escaped = ""
    for character in phrase {
      if "\\^$.|?*+()[]{}/".contains(character) { escaped.append("\\") }
      escaped.append(character)
    }
    return #"\b"# + escaped + #"\b"#
  }
}

/// The labelling work of one engine on one message: returns how many labels fired.
protocol LabellingEngine {
  func label(_ index: Int) -> Int
  /// (message, phrase) pairs where a phrase matched, for the cross-check.
  func phraseMatches(_ index: Int) -> [Int]
}

/// Etiquette: scan, then evaluate the triggers the scan made candidates.
struct EtiquetteEngineRun: LabellingEngine {
  let matcher: RuleMatcher
  let messages: [String]
  let phraseIndex: [String: Int]

  func label(_ index: Int) -> Int {
    let scan = matcher.scan(messages[index])
    return matcher.evaluateCandidates(scan: scan, facts: { _ in false }).count
  }

  func phraseMatches(_ index: Int) -> [Int] {
    let scan = matcher.scan(messages[index])
    return Array(Set(scan.allPhraseHits.compactMap { phraseIndex[$0.phrase] })).sorted()
  }
}

/// The obvious loop: every phrase and every regex as its own PCRE2 JIT pattern, one search
/// each per message (phrases on the normalised text, regexes on the original).
struct NaivePCRE2Run: LabellingEngine {
  let phraseRegexes: [CompiledRegex]
  let regexes: [CompiledRegex]
  let messages: [String]

  init(workload: Workload, messages: [String]) {
    phraseRegexes = workload.phrases.compactMap {
      try? CompiledRegex(pattern: Workload.phraseRegex(Normalizer.normalize($0).string))
    }
    regexes = workload.regexes.compactMap { source, flags in
      try? CompiledRegex(pattern: source, options: RegexOptions.options(fromFlags: flags).0)
    }
    self.messages = messages
  }

  func label(_ index: Int) -> Int {
    let normalized = Normalizer.normalize(messages[index])
    var fired = 0
    for regex in phraseRegexes {
      if case .match = regex.firstMatch(in: normalized) { fired += 1 }
    }
    for regex in regexes {
      if case .match = regex.firstMatch(in: messages[index]) { fired += 1 }
    }
    return fired
  }

  func phraseMatches(_ index: Int) -> [Int] {
    let normalized = Normalizer.normalize(messages[index])
    return phraseRegexes.indices.filter {
      if case .match = phraseRegexes[$0].firstMatch(in: normalized) { return true }
      return false
    }
  }
}

/// Hyperscan: one block-mode database for the phrases (scanned over the normalised text) and
/// one for the regexes (over the original text). `label` normalises the message first, as
/// Etiquette does — finding the same matches needs the same normalisation, so it is part of the
/// job; `labelPrenormalized` uses text normalised in advance (not timed), a head start.
final class HyperscanRun: LabellingEngine {
  let phraseDatabase: OpaquePointer
  let regexDatabase: OpaquePointer
  let scratch: OpaquePointer
  let normalized: [[UInt8]]
  let originals: [[UInt8]]
  let messages: [String]
  let compileError: String?

  init?(workload: Workload, messages: [String]) {
    func compile(_ patterns: [String], flags: [UInt32]) -> (OpaquePointer?, String?) {
      var database: OpaquePointer?
      var error: UnsafeMutablePointer<hs_compile_error_t>?
      let cStrings = patterns.map { strdup($0) }
      defer { for cString in cStrings { free(cString) } }
      let pointers: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) }
      let ids = (0..<patterns.count).map { UInt32($0) }
      let status = pointers.withUnsafeBufferPointer { expressions in
        flags.withUnsafeBufferPointer { flagBuffer in
          ids.withUnsafeBufferPointer { idBuffer in
            hs_compile_multi(
              expressions.baseAddress, flagBuffer.baseAddress, idBuffer.baseAddress,
              UInt32(patterns.count), UInt32(HS_MODE_BLOCK), nil, &database, &error)
          }
        }
      }
      guard status == HS_SUCCESS else {
        let message = error.flatMap { String(cString: $0.pointee.message) } ?? "error \(status)"
        if let error { hs_free_compile_error(error) }
        return (nil, message)
      }
      return (database, nil)
    }
    let phrasePatterns = workload.phrases.map {
      Workload.phraseRegex(Normalizer.normalize($0).string)
    }
    let (phrases, phraseError) = compile(
      phrasePatterns,
      flags: Array(
        repeating: UInt32(HS_FLAG_SINGLEMATCH | HS_FLAG_UTF8), count: phrasePatterns.count))
    let regexFlags = workload.regexes.map { _, flags -> UInt32 in
      var bits = UInt32(HS_FLAG_SINGLEMATCH | HS_FLAG_UTF8)
      if flags.contains("i") { bits |= UInt32(HS_FLAG_CASELESS) }
      return bits
    }
    let (regexes, regexError) = compile(workload.regexes.map(\.0), flags: regexFlags)
    guard let phrases, let regexes else {
      print("  hyperscan: compile failed: \(phraseError ?? regexError ?? "?")")
      return nil
    }
    phraseDatabase = phrases
    regexDatabase = regexes
    var scratch: OpaquePointer?
    hs_alloc_scratch(phrases, &scratch)
    hs_alloc_scratch(regexes, &scratch)
    guard let scratch else { return nil }
    self.scratch = scratch
    normalized = messages.map { Normalizer.normalize($0).bytes }
    originals = messages.map { Array($0.utf8) }
    self.messages = messages
    compileError = nil
  }

  deinit {
    hs_free_scratch(scratch)
    hs_free_database(phraseDatabase)
    hs_free_database(regexDatabase)
  }

  var databaseBytes: Int {
    var phraseSize = 0
    var regexSize = 0
    var scratchSize = 0
    hs_database_size(phraseDatabase, &phraseSize)
    hs_database_size(regexDatabase, &regexSize)
    hs_scratch_size(scratch, &scratchSize)
    return phraseSize + regexSize + scratchSize
  }

  private func scan(_ database: OpaquePointer, _ bytes: [UInt8], into ids: inout [UInt32]) {
    bytes.withUnsafeBufferPointer { scan(database, $0, into: &ids) }
  }

  private func scan(
    _ database: OpaquePointer, _ buffer: UnsafeBufferPointer<UInt8>, into ids: inout [UInt32]
  ) {
    withUnsafeMutablePointer(to: &ids) { idsPointer in
      _ = hs_scan(
        database,
        buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
        UInt32(buffer.count), 0, scratch,
        { id, _, _, _, context in
          context?.assumingMemoryBound(to: [UInt32].self).pointee.append(id)
          return 0
        }, idsPointer)
    }
  }

  /// Match ids of the message being labelled; reused (the runs are single-threaded), so that
  /// Hyperscan's rows allocate nothing per message either.
  private var ids: [UInt32] = {
    var ids: [UInt32] = []
    ids.reserveCapacity(256)
    return ids
  }()

  func label(_ index: Int) -> Int {
    ids.removeAll(keepingCapacity: true)
    // The same scratch-memory normalisation the Etiquette matcher uses.
    Normalizer.withNormalized(messages[index]) { bytes, _ in
      scan(phraseDatabase, bytes, into: &ids)
    }
    scan(regexDatabase, originals[index], into: &ids)
    return ids.count
  }

  func labelPrenormalized(_ index: Int) -> Int {
    ids.removeAll(keepingCapacity: true)
    scan(phraseDatabase, normalized[index], into: &ids)
    scan(regexDatabase, originals[index], into: &ids)
    return ids.count
  }

  func phraseMatches(_ index: Int) -> [Int] {
    var ids: [UInt32] = []
    scan(phraseDatabase, normalized[index], into: &ids)
    return Array(Set(ids.map { Int($0) })).sorted()
  }
}

/// Hyperscan on text normalised in advance (normalisation not timed).
struct HyperscanPrenormalizedRun: LabellingEngine {
  let run: HyperscanRun
  func label(_ index: Int) -> Int { run.labelPrenormalized(index) }
  func phraseMatches(_ index: Int) -> [Int] { run.phraseMatches(index) }
}

/// Etiquette, then every label's evidence read as the engine reads it for a trigger that
/// fires: the `MatchEvidence` values and each matched text (what `etiquette` records but
/// builds only when read).
struct EtiquetteEvidenceRun: LabellingEngine {
  let matcher: RuleMatcher
  let messages: [String]

  func label(_ index: Int) -> Int {
    let scan = matcher.scan(messages[index])
    var bytes = 0
    for (_, evaluation) in matcher.evaluateCandidates(scan: scan, facts: { _ in false }) {
      for evidence in evaluation.evidence { bytes &+= evidence.matchedText.utf8.count }
    }
    return bytes
  }

  func phraseMatches(_ index: Int) -> [Int] { [] }
}

/// Etiquette's scan without evaluating any trigger, to see where the time goes.
struct ScanOnlyRun: LabellingEngine {
  let matcher: RuleMatcher
  let messages: [String]
  func label(_ index: Int) -> Int { matcher.scan(messages[index]).allPhraseHitCount }
  func phraseMatches(_ index: Int) -> [Int] { [] }
}

/// The normaliser alone, as the hyperscan-literal row calls it (`Normalizer.withNormalized`):
/// the part of a message's cost that both sides pay and no search can take back, so the targets
/// can say how much of their budget it leaves.
struct NormalizeOnlyRun: LabellingEngine {
  let messages: [String]
  func label(_ index: Int) -> Int {
    var count = 0
    Normalizer.withNormalized(messages[index]) { bytes, _ in count = bytes.count }
    return count
  }
  func phraseMatches(_ index: Int) -> [Int] { [] }
}
