import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteText

/// A trigger of the rule set: a label's `when` (index into `addTriggers`), its `remove when`
/// (index into `removeTriggers`), or a routing rule (index into `routing.rules`).
public enum TriggerID: Sendable, Hashable {
  case add(LabelID, Int)
  case remove(LabelID, Int)
  case route(Int)
}

/// The outcome of one trigger's condition on one step.
public struct ConditionEvaluation: Sendable, Hashable {
  public var holds: Bool
  /// The text matches that made it hold (empty when it holds through other atoms only, and
  /// always empty when it does not hold).
  ///
  /// Built when read: most evaluations that hold are never asked for their evidence (a
  /// trigger that already held at the previous step does not fire again), so for the commonest
  /// triggers the matcher records only where the evidence is in its scan, and reading this
  /// builds the array.
  public var evidence: [MatchEvidence] {
    get { recorded.evidence }
    set { recorded = .built(evidence: newValue, errors: errors) }
  }
  /// Regexes of the trigger that hit a PCRE2 limit or failed on this text: reported per trigger,
  /// never a hang. A regex that errs counts as not matching.
  public var errors: [MatchError] {
    get {
      guard case .built(_, let errors) = recorded else { return [] }
      return errors
    }
    set { recorded = .built(evidence: evidence, errors: newValue) }
  }
  private var recorded: RecordedEvidence

  public init(holds: Bool, evidence: [MatchEvidence] = [], errors: [MatchError] = []) {
    self.holds = holds
    recorded = .built(evidence: evidence, errors: errors)
  }

  /// A simple trigger that holds: its evidence is `scan.entries[hits]`, each hit with its
  /// operand, in order; no errors (it has no regex).
  init(holdingWith hits: Range<Int>, in scan: TextScan.Storage) {
    holds = true
    recorded = .simpleHits(
      scan, start: Int32(truncatingIfNeeded: hits.lowerBound),
      end: Int32(truncatingIfNeeded: hits.upperBound))
  }

  public static func == (left: ConditionEvaluation, right: ConditionEvaluation) -> Bool {
    left.holds == right.holds && left.errors == right.errors && left.evidence == right.evidence
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(holds)
    hasher.combine(evidence)
    hasher.combine(errors)
  }
}

/// The triggers that hold or reported a regex error on one scan, in rule-set order, with their
/// evaluations: what `RuleMatcher.evaluateCandidates` returns.
///
/// A collection rather than an array of evaluations so that making it costs one allocation
/// and no reference count per trigger: each element of a simple trigger that holds is the
/// range of its hits in the scan, a plain value, and becomes a `ConditionEvaluation` (which
/// keeps the scan alive) only when read. Elements are values: reading one twice gives equal
/// evaluations, and they stay valid after the collection is gone.
public struct CandidateEvaluations: RandomAccessCollection, Sendable {
  public typealias Element = (trigger: TriggerID, evaluation: ConditionEvaluation)

  /// A simple trigger that holds with hits `entries[start ..< end]` (no `evaluation`), or
  /// another trigger with its evaluation. One array for both, so that a message costs one
  /// allocation; destroying a simple item touches no reference count.
  struct Item {
    var trigger: TriggerID
    var start: Int32
    var end: Int32
    var evaluation: ConditionEvaluation?
  }

  /// The scan, when some item is a simple trigger's hits (nil otherwise: holding it would
  /// cost a reference count on every message, most of which fire nothing).
  let storage: TextScan.Storage?
  let items: [Item]

  public var startIndex: Int { 0 }
  public var endIndex: Int { items.count }

  public subscript(position: Int) -> Element {
    let item = items[position]
    if let evaluation = item.evaluation { return (item.trigger, evaluation) }
    return (
      item.trigger,
      // INVARIANT: `storage` is set when an item has hits.
      ConditionEvaluation(
        holdingWith: Int(item.start)..<Int(item.end), in: storage.unsafelyUnwrapped)
    )
  }
}

/// Evidence (and errors) as the matcher recorded them: built, or the place in a scan to build
/// the evidence from. One case holds one reference, so the usual evaluation — a simple trigger
/// that holds — costs one retain to make and one release to destroy.
enum RecordedEvidence: Sendable {
  case built(evidence: [MatchEvidence], errors: [MatchError])
  // INVARIANT: `start ..< end` is a range of `scan.entries` within its trigger hits, all of
  // one simple trigger, and `scan.tables` is not nil.
  case simpleHits(TextScan.Storage, start: Int32, end: Int32)

  var evidence: [MatchEvidence] {
    switch self {
    case .built(let evidence, _):
      return evidence
    case .simpleHits(let scan, let start, let end):
      guard let tables = scan.tables, start < end else { return [] }
      let text = scan.text
      return tables.operands.withUnsafeBufferPointer { operands in
        scan.entries.withUnsafeBufferPointer { entries in
          func item(_ index: Int32) -> MatchEvidence {
            let hit = entries[Int(index)]
            let operand = operands[Int(hit.operand)]
            return MatchEvidence(
              atomSpan: operand.span, trigger: operand.text, range: hit.range, in: text)
          }
          // An array literal for the first item: its allocation is specialised for the
          // element type, where `map`, growing an empty array or
          // `init(unsafeUninitializedCapacity:)` go through the generic runtime (a metadata
          // lookup costs more than the evidence itself).
          var evidence = [item(start)]
          if end - start > 1 {
            evidence.reserveCapacity(Int(end - start))
            for index in start + 1..<end { evidence.append(item(index)) }
          }
          return evidence
        }
      }
    }
  }
}

/// One text match that contributed to a condition holding.
///
/// The matched text is not copied out when the match is found: the evidence keeps the whole
/// message text (one reference to its storage, which a `TextScan` already holds) and the range
/// of the match in it, and `matchedText` cuts the substring when it is read. Most evidence is
/// never read as text (a label fires, the decision records which), so a matcher that fires
/// five labels per message saves five string allocations per message.
public struct MatchEvidence: Sendable, Hashable, CustomStringConvertible {
  /// The phrase literal or regex literal in the rule file.
  public var atomSpan: SourceSpan
  /// The phrase as written, or `/pattern/flags`.
  public var trigger: String
  /// UTF-8 byte range in the original message text.
  public var range: Range<Int>
  /// The text `matchedText` is cut from: the whole message, or the matched text itself.
  private var source: String
  // INVARIANT: a range of `source`'s UTF-8 on scalar boundaries.
  private var sourceRange: Range<Int>

  public init(atomSpan: SourceSpan, trigger: String, range: Range<Int>, matchedText: String) {
    self.atomSpan = atomSpan
    self.trigger = trigger
    self.range = range
    source = matchedText
    sourceRange = 0..<matchedText.utf8.count
  }

  /// Evidence whose text is `range` of `message` (on scalar boundaries), cut only when read.
  init(atomSpan: SourceSpan, trigger: String, range: Range<Int>, in message: String) {
    self.atomSpan = atomSpan
    self.trigger = trigger
    self.range = range
    source = message
    sourceRange = range
  }

  /// The original text of `range`.
  public var matchedText: String {
    get {
      if sourceRange.lowerBound == 0 && sourceRange.upperBound == source.utf8.count {
        return source
      }
      return Self.substring(of: source, sourceRange)
    }
    set {
      source = newValue
      sourceRange = 0..<newValue.utf8.count
    }
  }

  public var description: String {
    "\(trigger) @\(range.lowerBound)..<\(range.upperBound) \"\(matchedText)\""
  }

  // Equality and hashing are those of the four public properties, as when `matchedText` was
  // stored: equal bytes are equal strings; other bytes may still be canonically equivalent.
  public static func == (left: MatchEvidence, right: MatchEvidence) -> Bool {
    guard
      left.range == right.range && left.atomSpan == right.atomSpan
        && left.trigger == right.trigger
    else { return false }
    return left.matchedBytes.elementsEqual(right.matchedBytes)
      || left.matchedText == right.matchedText
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(atomSpan)
    hasher.combine(trigger)
    hasher.combine(range)
    hasher.combine(matchedText)
  }

  private var matchedBytes: Substring.UTF8View {
    let utf8 = source.utf8
    let start = utf8.index(utf8.startIndex, offsetBy: sourceRange.lowerBound)
    return utf8[start..<utf8.index(start, offsetBy: sourceRange.count)]
  }

  /// The text of a UTF-8 byte range (on scalar boundaries).
  static func substring(of text: String, _ range: Range<Int>) -> String {
    let direct = text.utf8.withContiguousStorageIfAvailable { bytes in
      let slice = UnsafeBufferPointer(rebasing: bytes[range])
      // Copying into a string of known capacity is cheaper than `String(decoding:)`'s
      // repairing path; the bytes are a valid UTF-8 slice of a valid string either way.
      return String(unsafeUninitializedCapacity: slice.count) { buffer in
        _ = buffer.initialize(from: slice)
        return slice.count
      }
    }
    if let direct { return direct }
    return String(decoding: Array(text.utf8)[range], as: UTF8.self)
  }
}

/// A regex that could not give an answer on a message (limit hit or PCRE2 failure).
public struct MatchError: Sendable, Hashable {
  /// The regex literal in the rule file.
  public var atomSpan: SourceSpan
  /// e.g. "pattern /(a+)+$/ hit the match limit on this message".
  public var message: String

  public init(atomSpan: SourceSpan, message: String) {
    self.atomSpan = atomSpan
    self.message = message
  }
}

/// A phrase hit, alone (a phrase occurrence found by a scan: `trigger` and `operand` are -1)
/// or seen from a trigger that mentions the phrase (its first occurrence only).
struct TriggerHit: Sendable, Hashable {
  /// The trigger's ordinal in `RuleMatcher.allTriggers`; -1 for a phrase occurrence.
  var trigger: Int32
  /// Index into `MatcherTables.phrases`.
  var phrase: Int32
  /// The phrase's global operand number when the trigger is simple
  /// (`RuleMatcher.phraseEdges`), else -1.
  var operand: Int32
  /// UTF-8 byte range in the original text.
  var range: Range<Int>

  /// A phrase occurrence.
  init(phrase: Int32, range: Range<Int>) {
    trigger = -1
    self.phrase = phrase
    operand = -1
    self.range = range
  }

  init(trigger: Int32, phrase: Int32, operand: Int32, range: Range<Int>) {
    self.trigger = trigger
    self.phrase = phrase
    self.operand = operand
    self.range = range
  }
}

/// What one message text contains, for every phrase and pattern of the rule set.
///
/// Produced by `RuleMatcher.scan`; cheap to keep and to share between threads (one reference
/// to immutable storage, so copying a scan costs a single reference count).
public struct TextScan: Sendable {
  /// No text: every `contains` and `matches` is false.
  public static let empty = TextScan(
    text: "", tables: nil, entries: [], hitCount: 0, outcomes: [], patternsRun: 0)

  /// Everything a scan found; immutable once built.
  final class Storage: Sendable {
    let text: String
    /// The compiled rule set's phrase and pattern numbering; nil for `empty`.
    let tables: MatcherTables?
    /// The phrase occurrences, then the trigger hits, in one array (one allocation per
    /// message for both).
    // INVARIANT: `entries[..<hitCount]` are the phrase occurrences, sorted by (phrase,
    // range.lowerBound, range.upperBound), no duplicates. `entries[hitCount...]` are sorted by
    // (trigger, operand, phrase): one entry per phrase that occurs and trigger that mentions
    // it, so evaluating a trigger reads only the hits that concern it.
    let entries: [TriggerHit]
    let hitCount: Int
    // INVARIANT: sorted by pattern index; only patterns that ran and did not end in `.noMatch`.
    let outcomes: [(pattern: Int32, outcome: RegexMatchOutcome)]
    let patternsRun: Int

    init(
      text: String, tables: MatcherTables?, entries: [TriggerHit], hitCount: Int,
      outcomes: [(pattern: Int32, outcome: RegexMatchOutcome)], patternsRun: Int
    ) {
      self.text = text
      self.tables = tables
      self.entries = entries
      self.hitCount = hitCount
      self.outcomes = outcomes
      self.patternsRun = patternsRun
    }

    /// The phrase occurrences.
    var hits: ArraySlice<TriggerHit> { entries[..<hitCount] }
    /// The trigger hits (indices are those of `entries`).
    var triggerHits: ArraySlice<TriggerHit> { entries[hitCount...] }
  }

  let storage: Storage

  init(
    text: String, tables: MatcherTables?, entries: [TriggerHit], hitCount: Int,
    outcomes: [(pattern: Int32, outcome: RegexMatchOutcome)], patternsRun: Int
  ) {
    storage = Storage(
      text: text, tables: tables, entries: entries, hitCount: hitCount, outcomes: outcomes,
      patternsRun: patternsRun)
  }

  /// The original text.
  public var text: String { storage.text }
  /// How many regexes PCRE2 ran on the text (the others were ruled out by their prefilter).
  public var patternsRun: Int { storage.patternsRun }
  var tables: MatcherTables? { storage.tables }
  var hits: ArraySlice<TriggerHit> { storage.hits }
  /// Indices are those of `storage.entries`.
  var triggerHits: ArraySlice<TriggerHit> { storage.triggerHits }
  var outcomes: [(pattern: Int32, outcome: RegexMatchOutcome)] { storage.outcomes }

  /// Where the phrase with this normalised form occurs, as UTF-8 byte ranges in `text`, in
  /// order; empty for a phrase that is not in the rule set.
  public func phraseHits(_ normalized: String) -> [Range<Int>] {
    guard let id = tables?.phraseIndex[normalized] else { return [] }
    return hits(ofPhrase: Int32(id)).map(\.range)
  }

  /// Where a phrase of the rule set occurs (with its modes), as `phraseHits(_:)`.
  public func phraseHits(_ phrase: Phrase) -> [Range<Int>] {
    guard let id = tables?.phraseIndex[MatcherTables.key(of: phrase)] else { return [] }
    return hits(ofPhrase: Int32(id)).map(\.range)
  }

  /// The first match of a pattern of the rule set; `.noMatch` for one that is not in it.
  public func patternOutcome(_ pattern: Pattern) -> RegexMatchOutcome {
    guard let id = tables?.patternIndex[pattern] else { return .noMatch }
    return outcome(ofPattern: Int32(id))
  }

  /// Every phrase occurrence, as (normalised phrase, original range), in phrase order.
  public var allPhraseHits: [(phrase: String, range: Range<Int>)] {
    guard let tables else { return [] }
    return hits.map { (tables.phrases[Int($0.phrase)], $0.range) }
  }

  /// How many phrase occurrences the scan found.
  public var allPhraseHitCount: Int { hits.count }

  // MARK: Lookups by id

  func hits(ofPhrase phrase: Int32) -> ArraySlice<TriggerHit> {
    Self.run(of: phrase, in: storage.hits) { $0.phrase }
  }

  func triggerHits(ofTrigger trigger: Int32) -> ArraySlice<TriggerHit> {
    Self.run(of: trigger, in: storage.triggerHits) { $0.trigger }
  }

  /// The hits whose `key` equals `value`, in hits sorted by that key: a binary search for the
  /// first one (scans have few hits, but a 10 MB message can have many), then the run after it.
  @inline(__always)
  private static func run(
    of value: Int32, in hits: ArraySlice<TriggerHit>, by key: (TriggerHit) -> Int32
  ) -> ArraySlice<TriggerHit> {
    var low = hits.startIndex
    var high = hits.endIndex
    while low < high {
      let mid = (low + high) / 2
      if key(hits[mid]) < value { low = mid + 1 } else { high = mid }
    }
    var end = low
    while end < hits.endIndex && key(hits[end]) == value { end += 1 }
    return hits[low..<end]
  }

  func outcome(ofPattern pattern: Int32) -> RegexMatchOutcome {
    for entry in storage.outcomes where entry.pattern == pattern { return entry.outcome }
    return .noMatch
  }

  /// The original text of a UTF-8 byte range (on scalar boundaries).
  func substring(_ range: Range<Int>) -> String {
    MatchEvidence.substring(of: storage.text, range)
  }
}
