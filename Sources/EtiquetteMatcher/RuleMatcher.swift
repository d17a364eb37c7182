import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteSyntax
import EtiquetteText

/// The numbering of a compiled rule set's distinct phrases and patterns, shared by the matcher
/// and every `TextScan` it produces.
final class MatcherTables: Sendable {
  /// Distinct phrases (equal normalised text and modes), in first-appearance order: their
  /// normalised text.
  let phrases: [String]
  /// Each phrase by its key (`key(of:)`).
  let phraseIndex: [String: Int]
  /// Distinct patterns (equal source and flags), in first-appearance order, with the span of
  /// their first appearance.
  let patterns: [Pattern]
  let patternIndex: [Pattern: Int]
  /// The operands of the simple triggers (see `RuleMatcher.phraseEdges`): here, not in the
  /// matcher, so that a scan's evidence can be built when it is read, from the scan alone.
  let operands: [SimpleOperand]

  init(
    phrases: [String], phraseIndex: [String: Int], patterns: [Pattern],
    patternIndex: [Pattern: Int], operands: [SimpleOperand]
  ) {
    self.phrases = phrases
    self.patterns = patterns
    self.phraseIndex = phraseIndex
    self.patternIndex = patternIndex
    self.operands = operands
  }

  /// What tells two phrases apart: the normalised text, and the modes when there are any (a
  /// plain phrase's key is its normalised text, so `TextScan.phraseHits(_:)` finds it by that).
  static func key(of phrase: Phrase) -> String {
    key(normalized: phrase.normalized, modes: phrase.modes)
  }

  static func key(normalized: String, modes: PhraseModes) -> String {
    modes.isEmpty ? normalized : modes.keywords.joined(separator: " ") + "\u{1}" + normalized
  }
}

/// A trie of phrase spellings and the phrase each spells.
struct PhraseKeywords: Sendable {
  let trie: PhraseTrie
  /// Per trie keyword: the phrase it spells, or `-(k + 1)` when it spells several — then they
  /// are `shared` list `k` (two phrases such as "jai" and "j'ai" share spellings).
  let keywordPhrase: [Int32]
  let shared: FlatLists

  /// `spellings`: each phrase with its spellings; each spelling becomes one keyword.
  init(_ spellings: [(phrase: Int32, spellings: [String])], interleave: Bool?) {
    // Every spelling, sorted: equal ones are neighbours, in the order of their phrases (a
    // dictionary of spellings cost a string hash and a probe each). A keyword per run of
    // equal spellings; the run's first phrase owns it, and the few spelt by several phrases
    // list the others too.
    var entries: [UInt8] = []
    var entryStart: [Int] = [0]
    var entryPhrase: [Int32] = []
    for (phrase, list) in spellings {
      for spelling in list where !spelling.isEmpty {
        entries.append(contentsOf: spelling.utf8)
        entryStart.append(entries.count)
        entryPhrase.append(phrase)
      }
    }
    let sorted = SortedKeywords(
      sorting: entries, start: entryStart, ids: entryPhrase.indices.map(Int32.init))
    var bytes: [UInt8] = []
    bytes.reserveCapacity(sorted.bytes.count)
    var start: [Int] = [0]
    var keywordPhrase: [Int32] = []
    var shared: [[Int32]] = []
    var position = 0
    while position < sorted.count {
      var next = position + 1
      while next < sorted.count && sorted.equal(position, next) { next += 1 }
      let owner = entryPhrase[Int(sorted.ids[position])]
      var owners: [Int32]? = nil
      for other in position + 1..<next {
        let phrase = entryPhrase[Int(sorted.ids[other])]
        if phrase != owner && owners?.contains(phrase) != true {
          owners = (owners ?? [owner]) + [phrase]
        }
      }
      if let owners {
        keywordPhrase.append(-Int32(shared.count) - 1)
        shared.append(owners)
      } else {
        keywordPhrase.append(owner)
      }
      bytes.append(contentsOf: sorted.bytes[sorted.start[position]..<sorted.start[position + 1]])
      start.append(bytes.count)
      position = next
    }
    let keywords = SortedKeywords(
      bytes: bytes, start: start, ids: keywordPhrase.indices.map(Int32.init))
    trie = PhraseTrie(sorted: keywords, interleave: interleave)
    self.keywordPhrase = keywordPhrase
    self.shared = FlatLists(shared)
  }

  var stateCount: Int { trie.stateCount }
  var memoryBytes: Int { trie.memoryBytes + keywordPhrase.count * 4 }
}

/// A phrase of a simple trigger as written and its span, together: evidence reads both.
struct SimpleOperand: Sendable {
  var text: String
  var span: SourceSpan
}

/// Lists of ordinals by index, in two flat arrays: reading list `i` touches no inner array's
/// reference count (with nested arrays every read retains and releases the inner buffer, an
/// atomic operation on memory shared by every thread using the matcher — or the engine, whose
/// trigger index uses them too).
package struct FlatLists: Sendable {
  /// List `i` is `items[start[i] ..< start[i + 1]]`.
  let start: [Int32]
  let items: [Int32]

  package var count: Int { start.count - 1 }

  package init(_ lists: [[Int32]]) {
    var start: [Int32] = [0]
    start.reserveCapacity(lists.count + 1)
    for list in lists { start.append(start[start.count - 1] + Int32(list.count)) }
    self.start = start
    items = lists.flatMap { $0 }
  }

  @inline(__always)
  package func forEach(of index: Int, _ body: (Int32) -> Void) {
    start.withUnsafeBufferPointer { start in
      items.withUnsafeBufferPointer { items in
        var next = Int(start[index])
        let end = Int(start[index + 1])
        while next < end {
          body(items[next])
          next += 1
        }
      }
    }
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
  /// Every spelling of every phrase without `forms`, walked over the normalised text.
  let plain: PhraseKeywords
  /// Every spelling of every phrase with `forms`, its words stemmed, walked over the normalised
  /// text with its words stemmed; nil when no phrase has `forms`, and then no word is stemmed.
  let forms: PhraseKeywords?
  /// Phrases with `typos`: over the normalised words, and (with `forms` too) over the stems.
  let typos: TypoIndex?
  let formTypos: TypoIndex?
  let stemmer: Stemmer
  /// The stems of the `forms` phrases' words, and (without `forms typos` phrases, whose typos
  /// may be anywhere in a word) which other words can stem to a phrase word; nil without
  /// `forms`.
  let knownStems: KnownStems?
  /// Every prefilter atom, found anywhere in the text (atoms need no word boundary).
  let atomAutomaton: PhraseAutomaton
  /// Per atom `k`: the patterns it is a prefilter atom of are
  /// `keywordPatternList[keywordPatternStart[k]..<keywordPatternStart[k + 1]]` (flat arrays,
  /// so the scan loop reads them without retaining anything).
  let keywordPatternStart: [Int32]
  let keywordPatternList: [Int32]
  /// Patterns whose prefilter also accepts any digit.
  let digitPatterns: [Int32]
  /// Per pattern: the compiled regex, or the reason it did not compile.
  let regexes: [Result<CompiledRegex, RegexCompileError>]
  /// The same regexes without ownership (kept alive by `regexes`), so that running one does
  /// not retain and release it: a shared instance's reference count is an atomic that every
  /// thread scanning with this matcher would write to.
  let unownedRegexes: [Unmanaged<CompiledRegex>?]
  /// Per pattern: `/source/flags`, as evidence names it (built once, not per match).
  let patternSpellings: [String]
  /// Per pattern: its prefilter, or nil when it runs on every message.
  let patternRequirements: [PrefilterRequirement?]
  /// Patterns with no prefilter, in index order.
  let unfilteredPatterns: [Int32]
  /// Every trigger's program, by ordinal (the position in `allTriggers`).
  let programs: [ConditionProgram]
  /// Every trigger, in rule-set order: each label's `when`s then `remove when`s, labels in
  /// declaration order, then routing rules.
  public let allTriggers: [TriggerID]
  /// Ordinal of a label's first `when` and first `remove when`; of the first routing rule.
  let addBase: [Int]
  let removeBase: [Int]
  let routeBase: Int
  /// Per phrase / per pattern: the ordinals of the triggers mentioning it; and the ordinals of
  /// the triggers that may hold without any text atom firing.
  let phraseTriggers: FlatLists
  let patternTriggers: FlatLists
  let textFreeTriggers: [Int32]
  /// Parallel to `phraseTriggers.items`: each (phrase, trigger) edge with, for a trigger
  /// whose whole condition is one `contains any` / `contains one` over distinct phrases (a
  /// "simple" trigger, by far the commonest), that phrase's operand in `operands`; -1 for any
  /// other trigger. Evaluating a simple trigger then needs no tree walk and no search: its
  /// evidence is its hits in operand order. One array of pairs, so that a hit reads one
  /// cache line for both.
  let phraseEdges: [PhraseEdge]
  /// Per trigger ordinal: whether it is simple (see `phraseEdges`).
  let isSimpleTrigger: [Bool]
  // The operands of the simple triggers (each trigger's contiguous, in order) are
  // `tables.operands`, where a scan's recorded evidence finds them.

  struct PhraseEdge: Sendable {
    var trigger: Int32
    var operand: Int32
  }

  /// Compiles the rule set. Never fails: the checker validated every phrase and regex; a
  /// pattern that still does not compile answers `.failed` on every message.
  public convenience init(_ ruleSet: RuleSet) {
    self.init(ruleSet, interleavedWalks: nil)
  }

  /// `interleavedWalks` forces how the trie is walked (for tests; by default, two walks at a
  /// time only when the trie outgrows the caches — see `PhraseTrie.interleaved`).
  init(_ ruleSet: RuleSet, interleavedWalks: Bool?) {
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

    // Distinct phrases and patterns, each numbered in the pass that finds it.
    var phrases: [String] = []
    var phraseModes: [PhraseModes] = []
    var phraseIndex: [String: Int] = [:]
    var patterns: [Pattern] = []
    var patternIndex: [Pattern: Int] = [:]
    let triggerAtoms = triggers.map(\.1.atoms)
    // Room for every phrase written (growing the table rehashed it as many times as it doubled).
    phraseIndex.reserveCapacity(
      triggerAtoms.joined().reduce(0) { count, atom in
        guard case .contains(_, let list) = atom.kind else { return count }
        return count + list.count
      })
    for atoms in triggerAtoms {
      for atom in atoms {
        switch atom.kind {
        case .contains(_, let list):
          for phrase in list where !phrase.normalized.isEmpty {
            let key = MatcherTables.key(of: phrase)
            if phraseIndex[key] == nil {
              phraseIndex[key] = phrases.count
              phrases.append(phrase.normalized)
              phraseModes.append(phrase.modes)
            }
          }
        case .matches(let pattern):
          if patternIndex[pattern] == nil {
            patternIndex[pattern] = patterns.count
            patterns.append(pattern)
          }
        case .comparison, .event, .label, .mode, .during:
          break
        }
      }
    }

    // Regexes and their prefilter atoms.
    regexes = patterns.map { pattern in
      let (options, _) = RegexOptions.options(fromFlags: pattern.flagText)
      return Result { () throws(RegexCompileError) in
        try CompiledRegex(pattern: pattern.source, options: options)
      }
    }
    unownedRegexes = regexes.map { result in
      guard case .success(let regex) = result else { return nil }
      return Unmanaged.passUnretained(regex)
    }
    patternSpellings = patterns.map(Self.spelling)
    let requirements = patterns.map {
      LiteralPrefilter.requirement(source: $0.source, flags: $0.flags)
    }
    patternRequirements = requirements
    unfilteredPatterns = requirements.indices.compactMap {
      requirements[$0] == nil ? Int32($0) : nil
    }
    digitPatterns = requirements.indices.compactMap {
      requirements[$0]?.digit == true ? Int32($0) : nil
    }

    // Phrases in the trie; atoms, each with the patterns it serves, in the atom automaton.
    stemmer = Stemmer(ruleSet.language == .en ? .english : .french)
    let synonyms = ruleSet.synonyms.map { ($0.writtenNormalized, $0.meaningNormalized) }
    let allSpellings = phrases.map { PhraseSpellings.spellings(of: $0, synonyms: synonyms) }
    // The stems of every `forms` word, known before the phrases are stemmed with them.
    let formWords = phrases.indices.filter { phraseModes[$0].contains(.forms) }
    let known =
      formWords.isEmpty
      ? nil
      : KnownStems(
        phrases: formWords.lazy.flatMap { allSpellings[$0] }, stemmer: stemmer,
        filtersUnknownWords: !formWords.contains { phraseModes[$0].contains(.typos) })
    knownStems = known
    var plainSpellings: [(Int32, [String])] = []
    var formSpellings: [(Int32, [String])] = []
    var typoSpellings: [(phrase: Int32, spellings: [(text: String, budgetText: String)])] = []
    var formTypoSpellings: [(phrase: Int32, spellings: [(text: String, budgetText: String)])] = []
    let stemmer = stemmer
    func stemmed(_ spelling: String) -> String {
      WordForms.stemmedPhrase(spelling, stemmer: stemmer, known: known)
    }
    for (index, spellings) in allSpellings.enumerated() {
      let modes = phraseModes[index]
      if modes.contains(.typos) && modes.contains(.forms) {
        formTypoSpellings.append((Int32(index), spellings.map { (stemmed($0), $0) }))
      } else if modes.contains(.typos) {
        typoSpellings.append((Int32(index), spellings.map { ($0, $0) }))
      } else if modes.contains(.forms) {
        formSpellings.append((Int32(index), spellings.map(stemmed)))
      } else {
        plainSpellings.append((Int32(index), spellings))
      }
    }
    plain = PhraseKeywords(plainSpellings, interleave: interleavedWalks)
    forms =
      formSpellings.isEmpty ? nil : PhraseKeywords(formSpellings, interleave: interleavedWalks)
    typos = typoSpellings.isEmpty ? nil : TypoIndex(typoSpellings)
    formTypos = formTypoSpellings.isEmpty ? nil : TypoIndex(formTypoSpellings)
    var atoms: [String] = []
    var atomIndex: [String: Int] = [:]
    var atomPatterns: [[Int32]] = []
    for (pattern, requirement) in requirements.enumerated() {
      for atom in requirement?.atoms ?? [] {
        if let existing = atomIndex[atom] {
          atomPatterns[existing].append(Int32(pattern))
        } else {
          atomIndex[atom] = atoms.count
          atoms.append(atom)
          atomPatterns.append([Int32(pattern)])
        }
      }
    }
    atomAutomaton = PhraseAutomaton(keywords: atoms.map { Array($0.utf8) })
    var start: [Int32] = [0]
    for list in atomPatterns { start.append(start[start.count - 1] + Int32(list.count)) }
    keywordPatternStart = start
    keywordPatternList = atomPatterns.flatMap { $0 }

    // Conditions, by trigger ordinal.
    var programs: [ConditionProgram] = []
    var allTriggers: [TriggerID] = []
    for (id, condition) in triggers {
      allTriggers.append(id)
      programs.append(
        ConditionProgram(
          condition, phraseIndex: phraseIndex, patternIndex: patternIndex))
    }
    // `triggers` lists each label's `when`s then its `remove when`s, label after label.
    var addBase: [Int] = []
    var removeBase: [Int] = []
    var next = 0
    for label in ruleSet.labels {
      addBase.append(next)
      next += label.addTriggers.count
      removeBase.append(next)
      next += label.removeTriggers.count
    }
    routeBase = programs.count - ruleSet.routing.rules.count
    self.addBase = addBase
    self.removeBase = removeBase
    self.programs = programs
    self.allTriggers = allTriggers

    var phraseTriggers = [[Int32]](repeating: [], count: phrases.count)
    var patternTriggers = [[Int32]](repeating: [], count: patterns.count)
    var textFree: [Int32] = []
    for (ordinal, program) in programs.enumerated() {
      for phrase in program.phraseIDs { phraseTriggers[Int(phrase)].append(Int32(ordinal)) }
      for pattern in Set(program.patterns.map(\.id)).sorted() {
        patternTriggers[Int(pattern)].append(Int32(ordinal))
      }
      if !program.requiresText { textFree.append(Int32(ordinal)) }
    }
    self.phraseTriggers = FlatLists(phraseTriggers)
    self.patternTriggers = FlatLists(patternTriggers)
    textFreeTriggers = textFree

    // Simple triggers: their operands get global numbers, and each (phrase, trigger) edge
    // records which operand the phrase is. A phrase's edges are in ordinal order, so a cursor
    // per phrase finds each edge while the programs are walked in that order.
    var simpleOperands: [SimpleOperand] = []
    var isSimple = [Bool](repeating: false, count: programs.count)
    var edgeOperand = [Int32](repeating: -1, count: self.phraseTriggers.items.count)
    var cursor = Array(self.phraseTriggers.start.dropLast())
    for (ordinal, program) in programs.enumerated() {
      var simpleList: ConditionProgram.PhraseList?
      if program.patterns.isEmpty, case .phrases(let quantifier, let list) = program.root,
        quantifier != .all, !list.operands.isEmpty,
        list.sortedIDs.count == program.phraseIDs.count
      {
        simpleList = list
      }
      guard let list = simpleList else {
        for phrase in program.phraseIDs { cursor[Int(phrase)] += 1 }
        continue
      }
      // INVARIANT: distinct ids, so `sortedIDs` equals `program.phraseIDs`.
      isSimple[ordinal] = true
      let base = Int32(simpleOperands.count)
      for operand in list.operands {
        simpleOperands.append(SimpleOperand(text: operand.phrase.text, span: operand.phrase.span))
      }
      for (index, phrase) in list.sortedIDs.enumerated() {
        edgeOperand[Int(cursor[Int(phrase)])] = base + Int32(list.positions[index])
        cursor[Int(phrase)] += 1
      }
    }
    phraseEdges = zip(self.phraseTriggers.items, edgeOperand).map {
      PhraseEdge(trigger: $0, operand: $1)
    }
    isSimpleTrigger = isSimple
    tables = MatcherTables(
      phrases: phrases, phraseIndex: phraseIndex, patterns: patterns,
      patternIndex: patternIndex, operands: simpleOperands)
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
    return patternRequirements[index]?.atoms
  }

  /// Whether a pattern's prefilter also lets it run on any message with a digit (it has a
  /// `\d` or `[0-9]` it cannot match without, and no better literal).
  public func prefilterAcceptsDigits(of pattern: Pattern) -> Bool {
    guard let index = tables.patternIndex[pattern] else { return false }
    return patternRequirements[index]?.digit == true
  }

  public var statistics: MatcherStatistics {
    MatcherStatistics(
      phraseCount: tables.phrases.count, patternCount: tables.patterns.count,
      atomCount: keywordPatternStart.count - 1,
      unfilteredPatternCount: unfilteredPatterns.count,
      automatonStates: plain.stateCount + (forms?.stateCount ?? 0) + atomAutomaton.stateCount,
      byteClasses: atomAutomaton.classCount,
      automatonBytes: plain.memoryBytes + (forms?.memoryBytes ?? 0) + atomAutomaton.memoryBytes)
  }

  // MARK: - Scanning

  /// Normalises the text once, runs the phrase automaton and the prefiltered regexes.
  public func scan(_ text: String, limits: MatchLimits = .default) -> TextScan {
    // The set of regexes to run lives on the stack (a rule set's patterns fit in a few words):
    // no allocation for it per message.
    let words = max((tables.patterns.count + 63) / 64, 1)
    return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { candidates in
      candidates.initialize(repeating: 0)
      // The phrase occurrences are collected on the stack too, and copied once into an
      // array of the right size for them and their trigger hits: growing an array as they
      // come made it 1 KB, past the allocator's per-thread cache, and the allocation cost
      // more than the hits it held.
      return withUnsafeTemporaryAllocation(
        of: TriggerHit.self, capacity: HitCollector.scratchCapacity
      ) { scratch in
        scan(text, limits: limits, candidates: candidates, scratch: scratch)
      }
    }
  }

  private func scan(
    _ text: String, limits: MatchLimits, candidates: UnsafeMutableBufferPointer<UInt64>,
    scratch: UnsafeMutableBufferPointer<TriggerHit>
  ) -> TextScan {
    // The phrase occurrences, then the trigger hits (see `TextScan.Storage.entries`).
    var entries: [TriggerHit] = []
    var hitCount = 0
    var collector = HitCollector(scratch: scratch)
    if !text.isEmpty {
      var original = text
      original.withUTF8 { originalBytes in
        // Normalised into scratch memory: no allocation per message for it.
        Normalizer.withNormalized(text) { normalizedBytes, offsets in
          findPhrases(
            normalizedBytes, offsets: offsets, original: originalBytes, in: plain,
            hits: &collector)
          if let typos {
            findTypos(
              normalizedBytes, offsets: offsets, original: originalBytes, in: typos,
              hits: &collector)
          }
          if forms != nil || formTypos != nil {
            // The same text with each word replaced by its stem, each stem byte mapped to
            // where its word starts (so a hit's span covers the whole inflected word).
            WordForms.withStemmed(
              normalizedBytes, offsets: offsets, stemmer: stemmer, known: knownStems
            ) { bytes, stemOffsets in
              if let forms {
                findPhrases(
                  bytes, offsets: stemOffsets, original: originalBytes, in: forms,
                  hits: &collector)
              }
              if let formTypos {
                findTypos(
                  bytes, offsets: stemOffsets, original: originalBytes, in: formTypos,
                  hits: &collector)
              }
            }
          }
          if atomAutomaton.stateCount > 1 {
            keywordPatternStart.withUnsafeBufferPointer { patternStart in
              keywordPatternList.withUnsafeBufferPointer { patternList in
                atomAutomaton.scan(normalizedBytes) { atom, _ in
                  var next = Int(patternStart[Int(atom)])
                  let end = Int(patternStart[Int(atom) + 1])
                  while next < end {
                    let pattern = patternList[next]
                    candidates[Int(pattern) >> 6] |= 1 << UInt64(pattern & 63)
                    next += 1
                  }
                }
              }
            }
          }
          // Digit prefilters, looked for only when a pattern still needs them.
          if digitPatterns.contains(where: {
            candidates[Int($0) >> 6] & (1 << UInt64($0 & 63)) == 0
          }) && normalizedBytes.contains(where: { $0 &- 0x30 < 10 || $0 >= 0x80 }) {
            for pattern in digitPatterns {
              candidates[Int(pattern) >> 6] |= 1 << UInt64(pattern & 63)
            }
          }
        }
      }
      hitCount = collector.count
      if hitCount > 0 {
        entries = sortedEntries(collector)
      }
    }
    for pattern in unfilteredPatterns {
      candidates[Int(pattern) >> 6] |= 1 << UInt64(pattern & 63)
    }
    var outcomes: [(pattern: Int32, outcome: RegexMatchOutcome)] = []
    var patternsRun = 0
    for (word, bits) in candidates.enumerated() where bits != 0 {
      var remaining = bits
      while remaining != 0 {
        let bit = remaining.trailingZeroBitCount
        remaining &= remaining - 1
        let pattern = word * 64 + bit
        patternsRun += 1
        let outcome: RegexMatchOutcome
        if let regex = unownedRegexes[pattern] {
          // INVARIANT: `regexes` holds the instance for as long as the matcher lives.
          outcome = regex._withUnsafeGuaranteedRef { $0.firstMatch(in: text, limits: limits) }
        } else if case .failure(let error) = regexes[pattern] {
          outcome = .failed(error.message)
        } else {
          outcome = .noMatch
        }
        if outcome != .noMatch { outcomes.append((Int32(pattern), outcome)) }
      }
    }
    return TextScan(
      text: text, tables: tables, entries: entries, hitCount: hitCount, outcomes: outcomes,
      patternsRun: patternsRun)
  }

  /// The scan's entries: the collected phrase occurrences sorted by phrase, then their
  /// trigger hits, in one array allocated at its size.
  private func sortedEntries(_ collector: HitCollector) -> [TriggerHit] {
    var entries: [TriggerHit] = []
    let needed: Int
    if collector.spill.isEmpty {
      var hits = UnsafeMutableBufferPointer(rebasing: collector.scratch[..<collector.count])
      if hits.count > 1 { Self.sortSmall(&hits, by: Self.phraseOrder) }
      needed = triggerHitCount(ofSorted: UnsafeBufferPointer(hits))
      entries.reserveCapacity(hits.count + needed)
      entries.append(contentsOf: hits)
    } else {
      // INVARIANT: the scratch is full (initialised) when hits spilled.
      entries = Array(collector.scratch) + collector.spill
      entries.withUnsafeMutableBufferPointer { Self.sortSmall(&$0, by: Self.phraseOrder) }
      needed = entries.withUnsafeBufferPointer { triggerHitCount(ofSorted: $0) }
      entries.reserveCapacity(entries.count + needed)
    }
    appendTriggerHits(to: &entries)
    return entries
  }

  /// How many trigger hits the phrase occurrences `hits` (sorted by phrase) make: one per
  /// distinct phrase and trigger that mentions it.
  private func triggerHitCount(ofSorted hits: UnsafeBufferPointer<TriggerHit>) -> Int {
    phraseTriggers.start.withUnsafeBufferPointer { start in
      var needed = 0
      var previous: Int32 = -1
      for hit in hits where hit.phrase != previous {
        previous = hit.phrase
        needed += Int(start[Int(previous) + 1] - start[Int(previous)])
      }
      return needed
    }
  }

  /// Appends one entry per phrase that occurs (its first hit) and trigger that mentions it,
  /// sorted by (trigger, operand, phrase), after the phrase occurrences `entries` holds
  /// (sorted by phrase) — in the room `sortedEntries` made for them.
  private func appendTriggerHits(to entries: inout [TriggerHit]) {
    let hitCount = entries.count
    phraseTriggers.start.withUnsafeBufferPointer { start in
      phraseEdges.withUnsafeBufferPointer { edges in
        var previous: Int32 = -1
        for index in 0..<hitCount where entries[index].phrase != previous {
          let hit = entries[index]
          previous = hit.phrase
          var edge = Int(start[Int(hit.phrase)])
          let end = Int(start[Int(hit.phrase) + 1])
          while edge < end {
            entries.append(
              TriggerHit(
                trigger: edges[edge].trigger, phrase: hit.phrase, operand: edges[edge].operand,
                range: hit.range))
            edge += 1
          }
        }
      }
    }
    if entries.count > hitCount + 1 {
      entries.withUnsafeMutableBufferPointer { all in
        var tail = UnsafeMutableBufferPointer(rebasing: all[hitCount...])
        Self.sortSmall(&tail, by: Self.triggerOrder)
      }
    }
  }

  @inline(__always)
  private static func phraseOrder(_ a: TriggerHit, _ b: TriggerHit) -> Bool {
    (a.phrase, a.range.lowerBound, a.range.upperBound)
      < (b.phrase, b.range.lowerBound, b.range.upperBound)
  }

  @inline(__always)
  private static func triggerOrder(_ a: TriggerHit, _ b: TriggerHit) -> Bool {
    (a.trigger, a.operand, a.phrase) < (b.trigger, b.operand, b.phrase)
  }

  /// An insertion sort for the usual handful of hits (the standard sort's set-up costs more
  /// than sorting ten items), the standard one beyond.
  @inline(__always)
  private static func sortSmall(
    _ items: inout UnsafeMutableBufferPointer<TriggerHit>,
    by precedes: (TriggerHit, TriggerHit) -> Bool
  ) {
    guard items.count <= 32 else {
      items.sort(by: precedes)
      return
    }
    for index in 1..<items.count {
      let item = items[index]
      var slot = index
      while slot > 0 && precedes(item, items[slot - 1]) {
        items[slot] = items[slot - 1]
        slot -= 1
      }
      items[slot] = item
    }
  }

  /// Walks the trie from every word start of the normalised text: a byte that begins an
  /// original character, which follows an original character that is not a letter or digit,
  /// and that some phrase starts with.
  private func findPhrases(
    _ text: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int>,
    original: UnsafeBufferPointer<UInt8>, in keywords: PhraseKeywords,
    hits: inout HitCollector
  ) {
    guard keywords.trie.stateCount > 1 else { return }
    keywords.trie.withBuffers { buffers in
      findPhrases(
        text, offsets: offsets, original: original, trie: buffers, keywords: keywords,
        hits: &hits)
    }
  }

  /// The phrases of a typo index found in `text`, each (phrase, span) once.
  private func findTypos(
    _ text: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int>,
    original: UnsafeBufferPointer<UInt8>, in index: TypoIndex, hits: inout HitCollector
  ) {
    var seen: [(Int32, Range<Int>)] = []
    index.find(in: text) { start, phrase, end in
      // A word start of the text whose previous character is a word character (inside
      // "surprix") is no phrase start, as for exact phrases.
      if start > 0 && offsets[start] == offsets[start - 1] { return }
      if start > 0 && WordBoundary.isWordCharacter(at: offsets[start - 1], in: original) {
        return
      }
      guard
        let range = WordBoundary.originalSpan(
          start: start, end: end, offsets: offsets, original: original),
        !seen.contains(where: { $0.0 == phrase && $0.1 == range })
      else { return }
      seen.append((phrase, range))
      hits.append(TriggerHit(phrase: phrase, range: range))
    }
  }

  @inline(never)
  private func findPhrases(
    _ text: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int>,
    original: UnsafeBufferPointer<UInt8>, trie buffers: PhraseTrie.Buffers,
    keywords: PhraseKeywords, hits: inout HitCollector
  ) {
    var position = 0
    var previousOffset = -1
    /// The next word start from `position` on, or -1.
    func nextStart() -> Int {
      while position < text.count {
        let start = position
        let offset = offsets[start]
        // INVARIANT: `previousOffset` is the original offset of byte `start - 1`.
        defer { previousOffset = offset }
        position += 1
        if offset == previousOffset { continue }  // inside a character's expansion
        if buffers.rootRow[Int(text[start])] < 0 { continue }  // no phrase starts with it
        // The character that produced the byte before (vanished characters are looked
        // through).
        if start > 0 && WordBoundary.isWordCharacter(at: previousOffset, in: original) {
          continue
        }
        return start
      }
      return -1
    }
    func report(start: Int, keyword: Int32, end: Int) {
      if let range = WordBoundary.originalSpan(
        start: start, end: end, offsets: offsets, original: original)
      {
        let phrase = keywords.keywordPhrase[Int(keyword)]
        if phrase >= 0 {
          hits.append(TriggerHit(phrase: phrase, range: range))
        } else {
          keywords.shared.forEach(of: Int(-phrase - 1)) {
            hits.append(TriggerHit(phrase: $0, range: range))
          }
        }
      }
    }
    if buffers.interleaved {
      PhraseTrie.walkPairwise(text, buffers, nextStart: nextStart, report: report)
    } else {
      // A small trie stays in the caches: one walk at a time costs less than taking turns.
      while true {
        let start = nextStart()
        guard start >= 0 else { return }
        PhraseTrie.walk(text, from: start, buffers) { report(start: start, keyword: $0, end: $1) }
      }
    }
  }

  // MARK: - Evaluation

  /// The ordinal of a trigger, or nil when the rule set has no such trigger.
  func ordinal(of trigger: TriggerID) -> Int? {
    switch trigger {
    // Reads only the bases: copying a `LabelDefinition` out of the rule set would retain
    // and release its storage on every call, a contended atomic across threads.
    case .add(let label, let index):
      let raw = label.rawValue
      guard raw >= 0 && raw < addBase.count && index >= 0 else { return nil }
      let ordinal = addBase[raw] + index
      return ordinal < removeBase[raw] ? ordinal : nil
    case .remove(let label, let index):
      let raw = label.rawValue
      guard raw >= 0 && raw < removeBase.count && index >= 0 else { return nil }
      let ordinal = removeBase[raw] + index
      let end = raw + 1 < addBase.count ? addBase[raw + 1] : routeBase
      return ordinal < end ? ordinal : nil
    case .route(let index):
      guard index >= 0 && routeBase + index < programs.count else { return nil }
      return routeBase + index
    }
  }

  /// The triggers whose condition may hold on this scan: those with a text atom that fired
  /// (a phrase hit, a regex match or a regex error) and those that can hold without text.
  /// Every other trigger is certainly false on this text; in rule-set order, no duplicates.
  public func candidateTriggers(for scan: TextScan) -> [TriggerID] {
    let scan = ownScan(scan)
    var ordinals = textFreeTriggers
    for hit in scan.triggerHits { ordinals.append(hit.trigger) }
    for entry in scan.outcomes {
      patternTriggers.forEach(of: Int(entry.pattern)) { ordinals.append($0) }
    }
    ordinals.sort()
    var out: [TriggerID] = []
    out.reserveCapacity(ordinals.count)
    var last: Int32 = -1
    for ordinal in ordinals where ordinal != last {
      last = ordinal
      out.append(allTriggers[Int(ordinal)])
    }
    return out
  }

  /// Calls `body` with the ordinal (the position in `allTriggers`) of every trigger that a text
  /// atom of this scan concerns: a phrase hit, or a regex that matched or failed. Unlike
  /// `candidateTriggers`, the triggers that can hold without text are not included (the engine
  /// indexes those by what else can make them true). Unordered; an ordinal may repeat.
  public func forEachTextCandidate(of scan: TextScan, _ body: (Int) -> Void) {
    let scan = ownScan(scan)
    for hit in scan.triggerHits { body(Int(hit.trigger)) }
    for entry in scan.outcomes {
      patternTriggers.forEach(of: Int(entry.pattern)) { body(Int($0)) }
    }
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
    guard let ordinal = ordinal(of: trigger) else { return ConditionEvaluation(holds: false) }
    if let other = scan.tables, other !== tables {
      // A scan from another matcher uses another numbering: redo it with this one.
      return evaluate(trigger, scan: self.scan(scan.text), facts: facts)
    }
    return evaluate(
      ordinal: ordinal, scan: scan, relevant: scan.triggerHits(ofTrigger: Int32(ordinal)),
      facts: facts)
  }

  /// Evaluates every trigger that may hold on this scan (see `candidateTriggers`) and returns
  /// those that hold or reported a regex error, in rule-set order — the whole labelling of one
  /// message in one call, reading the scan's hits trigger by trigger without searching.
  public func evaluateCandidates(
    scan: TextScan, facts: (ConditionAtom) -> Bool
  ) -> CandidateEvaluations {
    if let other = scan.tables, other !== tables {
      return evaluateCandidates(scan: self.scan(scan.text), facts: facts)
    }
    // Ordinals with hits come grouped in `triggerHits`; the others from the outcomes and the
    // triggers that need no text.
    var others = textFreeTriggers
    for entry in scan.outcomes {
      patternTriggers.forEach(of: Int(entry.pattern)) { others.append($0) }
    }
    if others.count > 1 { others.sort() }
    var items: [CandidateEvaluations.Item] = []
    var simple = false
    let storage = scan.storage
    // The trigger hits are `entries[hitStart ..< hitEnd]`, grouped by trigger.
    let hitStart = storage.hitCount
    let hitEnd = storage.entries.count
    let most = min(hitEnd - hitStart + others.count, allTriggers.count)
    if most > 0 { items.reserveCapacity(most) }
    // The entries (this thread's) are read through a buffer: slicing them would retain and
    // release their storage at every trigger. The matcher's own arrays are indexed directly:
    // a buffer over them would retain and release their storage once per call, an atomic
    // write to memory that every thread using the matcher shares.
    storage.entries.withUnsafeBufferPointer { entries in
      var hitIndex = hitStart
      var otherIndex = 0
      var last = -1
      while hitIndex < hitEnd || otherIndex < others.count {
        let nextHit = hitIndex < hitEnd ? Int(entries[hitIndex].trigger) : Int.max
        let nextOther = otherIndex < others.count ? Int(others[otherIndex]) : Int.max
        let ordinal = min(nextHit, nextOther)
        let start = hitIndex
        while hitIndex < hitEnd && Int(entries[hitIndex].trigger) == ordinal {
          hitIndex += 1
        }
        while otherIndex < others.count && Int(others[otherIndex]) == ordinal {
          otherIndex += 1
        }
        guard ordinal != last else { continue }
        last = ordinal
        if isSimpleTrigger[ordinal] {
          // The commonest trigger (see `evaluate(ordinal:…)`): it holds exactly when one of
          // its phrases occurs, with those hits as evidence, recorded where they are.
          if hitIndex > start {
            items.append(
              CandidateEvaluations.Item(
                trigger: allTriggers[ordinal], start: Int32(start), end: Int32(hitIndex),
                evaluation: nil))
            simple = true
          }
          continue
        }
        let evaluation = evaluate(
          ordinal: ordinal, scan: scan, relevant: storage.entries[start..<hitIndex],
          facts: facts)
        if evaluation.holds || !evaluation.errors.isEmpty {
          items.append(
            CandidateEvaluations.Item(
              trigger: allTriggers[ordinal], start: 0, end: 0, evaluation: evaluation))
        }
      }
    }
    return CandidateEvaluations(storage: simple ? storage : nil, items: items)
  }

  private func evaluate(
    ordinal: Int, scan: TextScan, relevant: ArraySlice<TriggerHit>,
    facts: (ConditionAtom) -> Bool
  ) -> ConditionEvaluation {
    if isSimpleTrigger[ordinal] {
      // One `contains any` / `contains one` of distinct phrases: it holds exactly when one of
      // them occurs, and its evidence is every hit, in operand order (which `relevant` is in).
      guard !relevant.isEmpty else { return ConditionEvaluation(holds: false) }
      // `relevant` is a slice of the scan's `entries`: its indices are the array's.
      return ConditionEvaluation(
        holdingWith: relevant.startIndex..<relevant.endIndex, in: scan.storage)
    }
    let program = programs[ordinal]
    var errors: [MatchError] = []
    var anyFired = false
    // Outcomes by id first: the patterns themselves (strings) are only read for an error.
    for (position, id) in program.patternIDs.enumerated() {
      switch scan.outcome(ofPattern: id) {
      case .noMatch: break
      case .match: anyFired = true
      case .limitExceeded(let reason):
        anyFired = true
        let pattern = program.patterns[position].pattern
        errors.append(
          MatchError(
            atomSpan: pattern.span,
            message: "pattern \(Self.spelling(pattern)) hit a match limit on this message "
              + "(\(reason))"))
      case .failed(let reason):
        anyFired = true
        let pattern = program.patterns[position].pattern
        errors.append(
          MatchError(
            atomSpan: pattern.span,
            message: "pattern \(Self.spelling(pattern)) failed on this message (\(reason))"))
      }
    }
    if program.requiresText && !anyFired && relevant.isEmpty {
      return ConditionEvaluation(holds: false, errors: errors)
    }
    var evidence: [MatchEvidence] = []
    let holds = evaluate(
      program.root, scan: scan, relevant: relevant, facts: facts, evidence: &evidence)
    if !holds { evidence.removeAll() }
    if evidence.count > 1 {
      // Few items: a quadratic scan is cheaper than hashing strings.
      var unique: [MatchEvidence] = []
      unique.reserveCapacity(evidence.count)
      for item in evidence where !unique.contains(item) { unique.append(item) }
      evidence = unique
    }
    return ConditionEvaluation(holds: holds, evidence: evidence, errors: errors)
  }

  /// The first index of `value` in sorted `values`, or where it would go.
  static func lowerBound(of value: Int32, in values: [Int32]) -> Int {
    var low = 0
    var high = values.count
    while low < high {
      let mid = (low + high) / 2
      if values[mid] < value { low = mid + 1 } else { high = mid }
    }
    return low
  }

  /// `/source/flags`, as the pattern is written in a rule file.
  static func spelling(_ pattern: Pattern) -> String { "/\(pattern.source)/\(pattern.flagText)" }

  // INVARIANT: a node that returns false leaves `evidence` as it found it.
  private func evaluate(
    _ node: ConditionProgram.Node, scan: TextScan, relevant: ArraySlice<TriggerHit>,
    facts: (ConditionAtom) -> Bool, evidence: inout [MatchEvidence]
  ) -> Bool {
    switch node {
    case .all(let children):
      let mark = evidence.count
      for child in children
      where !evaluate(child, scan: scan, relevant: relevant, facts: facts, evidence: &evidence) {
        evidence.removeSubrange(mark...)
        return false
      }
      return true
    case .any(let children):
      var holds = false
      for child in children
      where evaluate(child, scan: scan, relevant: relevant, facts: facts, evidence: &evidence) {
        holds = true
      }
      return holds
    case .not(let child):
      let mark = evidence.count
      let childHolds = evaluate(
        child, scan: scan, relevant: relevant, facts: facts, evidence: &evidence)
      evidence.removeSubrange(mark...)
      return !childHolds
    case .phrases(let quantifier, let list):
      // The first hit of each operand that occurs, in operand order, from the few hits that
      // concern this trigger.
      if relevant.count == 1, quantifier != .all, let hit = relevant.first {
        // The common case, without building a list: one phrase of the trigger occurs.
        let index = Self.lowerBound(of: hit.phrase, in: list.sortedIDs)
        guard index < list.sortedIDs.count && list.sortedIDs[index] == hit.phrase else {
          return false
        }
        if index + 1 < list.sortedIDs.count && list.sortedIDs[index + 1] == hit.phrase {
          // The same phrase twice in the list: take the general path for operand order.
        } else {
          let operand = list.sortedOperands[index]
          evidence.append(
            MatchEvidence(
              atomSpan: operand.span, trigger: operand.text, range: hit.range,
              in: scan.text))
          return true
        }
      }
      var found: [(position: Int, range: Range<Int>)] = []
      for hit in relevant {
        var index = Self.lowerBound(of: hit.phrase, in: list.sortedIDs)
        while index < list.sortedIDs.count && list.sortedIDs[index] == hit.phrase {
          found.append((list.positions[index], hit.range))
          index += 1
        }
      }
      if found.count > 1 { found.sort { $0.position < $1.position } }
      switch quantifier {
      case .one, .any: guard !found.isEmpty else { return false }
      case .all: guard found.count == list.operands.count else { return false }
      }
      for (position, range) in found {
        evidence.append(
          MatchEvidence(
            atomSpan: list.operands[position].phrase.span,
            trigger: list.operands[position].phrase.text, range: range,
            in: scan.text))
      }
      return true
    case .pattern(let pattern, let id):
      guard case .match(let range) = scan.outcome(ofPattern: id) else { return false }
      evidence.append(
        MatchEvidence(
          atomSpan: pattern.span, trigger: patternSpellings[Int(id)], range: range,
          in: scan.text))
      return true
    case .fact(let atom):
      return facts(atom)
    }
  }
}

/// The phrase occurrences of one scan as they are found: in scratch memory for the usual
/// handful, the rest in an array.
struct HitCollector {
  /// 24 hits of 32 bytes: within what the standard library allocates on the stack (1 KB).
  static let scratchCapacity = 24
  let scratch: UnsafeMutableBufferPointer<TriggerHit>
  /// Hits after the first `scratch.count`.
  var spill: [TriggerHit] = []
  var count = 0

  init(scratch: UnsafeMutableBufferPointer<TriggerHit>) {
    self.scratch = scratch
  }

  @inline(__always)
  mutating func append(_ hit: TriggerHit) {
    if count < scratch.count {
      (scratch.baseAddress.unsafelyUnwrapped + count).initialize(to: hit)
    } else {
      spill.append(hit)
    }
    count &+= 1
  }
}
