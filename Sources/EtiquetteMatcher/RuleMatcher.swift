import EtiquetteChecker
import EtiquetteSyntax
import EtiquetteText

/// The numbering of a compiled rule set's distinct phrases and patterns, shared by the matcher
/// and every `TextScan` it produces.
final class MatcherTables: Sendable {
  /// Distinct normalised phrases, in first-appearance order.
  let phrases: [String]
  let phraseIndex: [String: Int]
  /// Distinct patterns (equal source and flags), in first-appearance order, with the span of
  /// their first appearance.
  let patterns: [Pattern]
  let patternIndex: [Pattern: Int]

  init(phrases: [String], patterns: [Pattern]) {
    self.phrases = phrases
    self.patterns = patterns
    var phraseIndex: [String: Int] = [:]
    for (index, phrase) in phrases.enumerated() { phraseIndex[phrase] = index }
    var patternIndex: [Pattern: Int] = [:]
    for (index, pattern) in patterns.enumerated() { patternIndex[pattern] = index }
    self.phraseIndex = phraseIndex
    self.patternIndex = patternIndex
  }
}

/// Sizes of a compiled matcher, for `etiquette check` statistics and the benchmark.
public struct MatcherStatistics: Sendable, Hashable {
  /// Distinct normalised phrases.
  public var phraseCount: Int
  /// Distinct patterns.
  public var patternCount: Int
  /// Distinct prefilter atoms of the patterns.
  public var atomCount: Int
  /// Patterns without a prefilter, which run on every message.
  public var unfilteredPatternCount: Int
  public var automatonStates: Int
  public var byteClasses: Int
  /// Bytes held by the automaton's tables.
  public var automatonBytes: Int
}

/// The rule set compiled for matching: immutable, `Sendable`, shared by every thread.
///
/// One scan of a message normalises it once, runs one Aho-Corasick DFA over it that finds every
/// phrase of every trigger and every prefilter atom of every regex, checks word boundaries on
/// the original characters for phrase hits only, and runs PCRE2 (on the original text) only for
/// regexes whose prefilter fired or that have none. `evaluate` then answers a trigger's
/// condition from the scan, skipping conditions that cannot hold without text when none of
/// their text atoms fired.
public final class RuleMatcher: Sendable {
  public let ruleSet: RuleSet
  let tables: MatcherTables
  let automaton: PhraseAutomaton
  /// Per keyword of the automaton: the phrase index, or -1.
  let keywordPhrase: [Int32]
  /// Per keyword: the patterns it is a prefilter atom of (usually zero or one).
  let keywordPatterns: [[Int32]]
  /// Per pattern: the compiled regex, or the reason it did not compile.
  let regexes: [Result<CompiledRegex, RegexCompileError>]
  /// Per pattern: its prefilter atoms, or nil when it runs on every message.
  let patternAtoms: [[String]?]
  /// Patterns with no prefilter, in index order.
  let unfilteredPatterns: [Int32]
  let addPrograms: [[ConditionProgram]]
  let removePrograms: [[ConditionProgram]]
  let routePrograms: [ConditionProgram]
  /// Per phrase / per pattern: the triggers mentioning it; and the triggers that may hold
  /// without any text atom firing.
  let phraseTriggers: [[TriggerID]]
  let patternTriggers: [[TriggerID]]
  let textFreeTriggers: [TriggerID]

  /// Compiles the rule set. Never fails: the checker validated every phrase and regex; a
  /// pattern that still does not compile answers `.failed` on every message.
  public init(_ ruleSet: RuleSet) {
    self.ruleSet = ruleSet

    // Every trigger's condition, in a fixed order.
    var triggers: [(TriggerID, ConditionTree)] = []
    for label in ruleSet.labels {
      for (index, trigger) in label.addTriggers.enumerated() {
        triggers.append((.add(label.id, index), trigger.condition))
      }
      for (index, trigger) in label.removeTriggers.enumerated() {
        triggers.append((.remove(label.id, index), trigger.condition))
      }
    }
    for (index, rule) in ruleSet.routing.rules.enumerated() {
      triggers.append((.route(index), rule.condition))
    }

    // Distinct phrases and patterns.
    var phrases: [String] = []
    var seenPhrases: Set<String> = []
    var patterns: [Pattern] = []
    var seenPatterns: Set<Pattern> = []
    for (_, condition) in triggers {
      for atom in condition.atoms {
        switch atom.kind {
        case .contains(_, let list):
          for phrase in list where !phrase.normalized.isEmpty {
            if seenPhrases.insert(phrase.normalized).inserted { phrases.append(phrase.normalized) }
          }
        case .matches(let pattern):
          if seenPatterns.insert(pattern).inserted { patterns.append(pattern) }
        case .comparison, .event, .label, .mode, .during:
          break
        }
      }
    }
    let tables = MatcherTables(phrases: phrases, patterns: patterns)
    self.tables = tables

    // Regexes and their prefilter atoms.
    regexes = patterns.map { pattern in
      let (options, _) = RegexOptions.options(fromFlags: pattern.flagText)
      return Result { () throws(RegexCompileError) in
        try CompiledRegex(pattern: pattern.source, options: options)
      }
    }
    let patternAtoms = patterns.map {
      LiteralPrefilter.atoms(source: $0.source, flags: $0.flags)
    }
    self.patternAtoms = patternAtoms
    unfilteredPatterns = patternAtoms.indices.compactMap {
      patternAtoms[$0] == nil ? Int32($0) : nil
    }

    // Keywords: phrases first, then atoms that are not also phrases.
    var keywords: [String] = phrases
    var keywordIndex = tables.phraseIndex
    var keywordPhrase = phrases.indices.map { Int32($0) }
    var keywordPatterns = [[Int32]](repeating: [], count: phrases.count)
    for (pattern, atoms) in patternAtoms.enumerated() {
      for atom in atoms ?? [] {
        if let existing = keywordIndex[atom] {
          keywordPatterns[existing].append(Int32(pattern))
        } else {
          keywordIndex[atom] = keywords.count
          keywords.append(atom)
          keywordPhrase.append(-1)
          keywordPatterns.append([Int32(pattern)])
        }
      }
    }
    automaton = PhraseAutomaton(keywords: keywords.map { Array($0.utf8) })
    self.keywordPhrase = keywordPhrase
    self.keywordPatterns = keywordPatterns

    // Conditions.
    func program(_ tree: ConditionTree) -> ConditionProgram {
      ConditionProgram(
        tree, phraseIndex: tables.phraseIndex, patternIndex: tables.patternIndex)
    }
    addPrograms = ruleSet.labels.map { $0.addTriggers.map { program($0.condition) } }
    removePrograms = ruleSet.labels.map { $0.removeTriggers.map { program($0.condition) } }
    routePrograms = ruleSet.routing.rules.map { program($0.condition) }

    var phraseTriggers = [[TriggerID]](repeating: [], count: phrases.count)
    var patternTriggers = [[TriggerID]](repeating: [], count: patterns.count)
    var textFree: [TriggerID] = []
    func register(_ id: TriggerID, _ program: ConditionProgram) {
      for phrase in program.phraseIDs { phraseTriggers[Int(phrase)].append(id) }
      for pattern in Set(program.patterns.map(\.id)).sorted() {
        patternTriggers[Int(pattern)].append(id)
      }
      if !program.requiresText { textFree.append(id) }
    }
    for label in ruleSet.labels {
      for (index, program) in addPrograms[label.id.rawValue].enumerated() {
        register(.add(label.id, index), program)
      }
      for (index, program) in removePrograms[label.id.rawValue].enumerated() {
        register(.remove(label.id, index), program)
      }
    }
    for (index, program) in routePrograms.enumerated() { register(.route(index), program) }
    self.phraseTriggers = phraseTriggers
    self.patternTriggers = patternTriggers
    textFreeTriggers = textFree
  }

  // MARK: - Introspection

  /// Patterns that have no literal to prefilter on and so run on every message (the first
  /// appearance of each distinct pattern, with its span): `etiquette check` warns about them.
  public var patternsWithoutPrefilter: [Pattern] {
    unfilteredPatterns.map { tables.patterns[Int($0)] }
  }

  /// The prefilter atoms of a pattern of the rule set (lowercase; one of them occurs in the
  /// normalised text of every message the pattern matches), or nil when it has none or is not
  /// in the rule set.
  public func prefilterAtoms(of pattern: Pattern) -> [String]? {
    guard let index = tables.patternIndex[pattern] else { return nil }
    return patternAtoms[index]
  }

  public var statistics: MatcherStatistics {
    MatcherStatistics(
      phraseCount: tables.phrases.count, patternCount: tables.patterns.count,
      atomCount: keywordPatterns.reduce(0) { $0 + ($1.isEmpty ? 0 : 1) },
      unfilteredPatternCount: unfilteredPatterns.count,
      automatonStates: automaton.stateCount, byteClasses: automaton.classCount,
      automatonBytes: automaton.memoryBytes)
  }

  // MARK: - Scanning

  /// Normalises the text once, runs the phrase automaton and the prefiltered regexes.
  public func scan(_ text: String, limits: MatchLimits = .default) -> TextScan {
    var hits: [PhraseHit] = []
    var candidates = [UInt64](repeating: 0, count: (tables.patterns.count + 63) / 64)
    if !text.isEmpty {
      let normalized = Normalizer.normalize(text)
      var original = text
      original.withUTF8 { originalBytes in
        normalized.bytes.withUnsafeBufferPointer { normalizedBytes in
          normalized.originalOffsets.withUnsafeBufferPointer { offsets in
            keywordPhrase.withUnsafeBufferPointer { keywordPhrase in
              automaton.scan(normalizedBytes) { keyword, end in
                let phrase = keywordPhrase[Int(keyword)]
                if phrase >= 0 {
                  let start = end - Int(automaton.keywordLength[Int(keyword)])
                  if let range = WordBoundary.originalSpan(
                    start: start, end: end, offsets: offsets, original: originalBytes)
                  {
                    hits.append(PhraseHit(phrase: phrase, range: range))
                  }
                }
                for pattern in keywordPatterns[Int(keyword)] {
                  candidates[Int(pattern) >> 6] |= 1 << UInt64(pattern & 63)
                }
              }
            }
          }
        }
      }
      if hits.count > 1 {
        hits.sort {
          ($0.phrase, $0.range.lowerBound, $0.range.upperBound)
            < ($1.phrase, $1.range.lowerBound, $1.range.upperBound)
        }
      }
    }
    for pattern in unfilteredPatterns {
      candidates[Int(pattern) >> 6] |= 1 << UInt64(pattern & 63)
    }
    var outcomes: [(pattern: Int32, outcome: RegexMatchOutcome)] = []
    for (word, bits) in candidates.enumerated() where bits != 0 {
      var remaining = bits
      while remaining != 0 {
        let bit = remaining.trailingZeroBitCount
        remaining &= remaining - 1
        let pattern = word * 64 + bit
        let outcome: RegexMatchOutcome
        switch regexes[pattern] {
        case .success(let regex): outcome = regex.firstMatch(in: text, limits: limits)
        case .failure(let error): outcome = .failed(error.message)
        }
        if outcome != .noMatch { outcomes.append((Int32(pattern), outcome)) }
      }
    }
    return TextScan(text: text, tables: tables, hits: hits, outcomes: outcomes)
  }

  // MARK: - Evaluation

  func program(for trigger: TriggerID) -> ConditionProgram? {
    switch trigger {
    case .add(let label, let index):
      guard addPrograms.indices.contains(label.rawValue),
        addPrograms[label.rawValue].indices.contains(index)
      else { return nil }
      return addPrograms[label.rawValue][index]
    case .remove(let label, let index):
      guard removePrograms.indices.contains(label.rawValue),
        removePrograms[label.rawValue].indices.contains(index)
      else { return nil }
      return removePrograms[label.rawValue][index]
    case .route(let index):
      guard routePrograms.indices.contains(index) else { return nil }
      return routePrograms[index]
    }
  }

  /// The triggers whose condition may hold on this scan: those with a text atom that fired
  /// (a phrase hit, a regex match or a regex error) and those that can hold without text.
  /// Every other trigger is certainly false on this text; in rule-set order, no duplicates.
  public func candidateTriggers(for scan: TextScan) -> [TriggerID] {
    let scan = ownScan(scan)
    var fired: Set<TriggerID> = []
    var previous: Int32 = -1
    for hit in scan.hits where hit.phrase != previous {
      previous = hit.phrase
      fired.formUnion(phraseTriggers[Int(hit.phrase)])
    }
    for entry in scan.outcomes { fired.formUnion(patternTriggers[Int(entry.pattern)]) }
    fired.formUnion(textFreeTriggers)
    return allTriggers.filter { fired.contains($0) }
  }

  /// Every trigger of the rule set, in order: each label's `when`s then `remove when`s, labels
  /// in declaration order, then routing rules.
  public var allTriggers: [TriggerID] {
    var out: [TriggerID] = []
    for label in ruleSet.labels {
      out += addPrograms[label.id.rawValue].indices.map { .add(label.id, $0) }
      out += removePrograms[label.id.rawValue].indices.map { .remove(label.id, $0) }
    }
    out += routePrograms.indices.map { .route($0) }
    return out
  }

  /// A scan from another matcher is redone with this one, whose numbering it must use.
  private func ownScan(_ scan: TextScan) -> TextScan {
    guard let other = scan.tables, other !== tables else { return scan }
    return self.scan(scan.text)
  }

  /// Evaluates one trigger's condition. Atoms about the message text (`contains`, `matches`)
  /// are answered by `scan`; every other atom (label, mode, during, event, comparisons) by
  /// `facts`, which is asked only when the answer can change the result.
  public func evaluate(
    _ trigger: TriggerID, scan: TextScan, facts: (ConditionAtom) -> Bool
  ) -> ConditionEvaluation {
    guard let program = program(for: trigger) else { return ConditionEvaluation(holds: false) }
    let scan = ownScan(scan)
    var errors: [MatchError] = []
    var anyFired = false
    for (pattern, id) in program.patterns {
      switch scan.outcome(ofPattern: id) {
      case .noMatch: break
      case .match: anyFired = true
      case .limitExceeded(let reason):
        anyFired = true
        errors.append(
          MatchError(
            atomSpan: pattern.span,
            message: "pattern \(Self.spelling(pattern)) hit a match limit on this message "
              + "(\(reason))"))
      case .failed(let reason):
        anyFired = true
        errors.append(
          MatchError(
            atomSpan: pattern.span,
            message: "pattern \(Self.spelling(pattern)) failed on this message (\(reason))"))
      }
    }
    if program.requiresText && !anyFired {
      anyFired = program.phraseIDs.contains { !scan.hits(ofPhrase: $0).isEmpty }
      if !anyFired { return ConditionEvaluation(holds: false, errors: errors) }
    }
    var evidence: [MatchEvidence] = []
    let holds = evaluate(program.root, scan: scan, facts: facts, evidence: &evidence)
    if !holds { evidence.removeAll() }
    var seen: Set<MatchEvidence> = []
    evidence = evidence.filter { seen.insert($0).inserted }
    return ConditionEvaluation(holds: holds, evidence: evidence, errors: errors)
  }

  /// `/source/flags`, as the pattern is written in a rule file.
  static func spelling(_ pattern: Pattern) -> String { "/\(pattern.source)/\(pattern.flagText)" }

  // INVARIANT: a node that returns false leaves `evidence` as it found it.
  private func evaluate(
    _ node: ConditionProgram.Node, scan: TextScan, facts: (ConditionAtom) -> Bool,
    evidence: inout [MatchEvidence]
  ) -> Bool {
    switch node {
    case .all(let children):
      let mark = evidence.count
      for child in children where !evaluate(child, scan: scan, facts: facts, evidence: &evidence)
      {
        evidence.removeSubrange(mark...)
        return false
      }
      return true
    case .any(let children):
      var holds = false
      for child in children where evaluate(child, scan: scan, facts: facts, evidence: &evidence) {
        holds = true
      }
      return holds
    case .not(let child):
      let mark = evidence.count
      let childHolds = evaluate(child, scan: scan, facts: facts, evidence: &evidence)
      evidence.removeSubrange(mark...)
      return !childHolds
    case .phrases(let quantifier, let operands):
      let mark = evidence.count
      var hitCount = 0
      for operand in operands {
        guard let first = scan.hits(ofPhrase: operand.id).first else {
          if quantifier == .all {
            evidence.removeSubrange(mark...)
            return false
          }
          continue
        }
        hitCount += 1
        evidence.append(
          MatchEvidence(
            atomSpan: operand.phrase.span, trigger: operand.phrase.text, range: first.range,
            matchedText: scan.substring(first.range)))
      }
      switch quantifier {
      case .one, .any: return hitCount > 0
      case .all: return hitCount == operands.count
      }
    case .pattern(let pattern, let id):
      guard case .match(let range) = scan.outcome(ofPattern: id) else { return false }
      evidence.append(
        MatchEvidence(
          atomSpan: pattern.span, trigger: Self.spelling(pattern), range: range,
          matchedText: scan.substring(range)))
      return true
    case .fact(let atom):
      return facts(atom)
    }
  }
}
