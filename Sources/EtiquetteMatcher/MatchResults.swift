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
  public var evidence: [MatchEvidence]
  /// Regexes of the trigger that hit a PCRE2 limit or failed on this text: reported per trigger,
  /// never a hang. A regex that errs counts as not matching.
  public var errors: [MatchError]

  public init(holds: Bool, evidence: [MatchEvidence] = [], errors: [MatchError] = []) {
    self.holds = holds
    self.evidence = evidence
    self.errors = errors
  }
}

/// One text match that contributed to a condition holding.
public struct MatchEvidence: Sendable, Hashable, CustomStringConvertible {
  /// The phrase literal or regex literal in the rule file.
  public var atomSpan: SourceSpan
  /// The phrase as written, or `/pattern/flags`.
  public var trigger: String
  /// UTF-8 byte range in the original message text.
  public var range: Range<Int>
  /// The original text of that range.
  public var matchedText: String

  public init(atomSpan: SourceSpan, trigger: String, range: Range<Int>, matchedText: String) {
    self.atomSpan = atomSpan
    self.trigger = trigger
    self.range = range
    self.matchedText = matchedText
  }

  public var description: String {
    "\(trigger) @\(range.lowerBound)..<\(range.upperBound) \"\(matchedText)\""
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

/// A phrase occurrence found by a scan: which phrase, where in the original text.
struct PhraseHit: Sendable, Hashable {
  /// Index into `MatcherTables.phrases`.
  var phrase: Int32
  /// UTF-8 byte range in the original text.
  var range: Range<Int>
}

/// A phrase hit seen from a trigger that mentions the phrase: the first occurrence only.
struct TriggerHit: Sendable, Hashable {
  /// The trigger's ordinal in `RuleMatcher.allTriggers`.
  var trigger: Int32
  var phrase: Int32
  /// The phrase's global operand number when the trigger is simple
  /// (`RuleMatcher.phraseEdges`), else -1.
  var operand: Int32
  var range: Range<Int>
}

/// What one message text contains, for every phrase and pattern of the rule set.
///
/// Produced by `RuleMatcher.scan`; cheap to keep and to share between threads (one reference
/// to immutable storage, so copying a scan costs a single reference count).
public struct TextScan: Sendable {
  /// No text: every `contains` and `matches` is false.
  public static let empty = TextScan(
    text: "", tables: nil, hits: [], triggerHits: [], outcomes: [], patternsRun: 0)

  /// Everything a scan found; immutable once built.
  final class Storage: Sendable {
    let text: String
    /// The compiled rule set's phrase and pattern numbering; nil for `empty`.
    let tables: MatcherTables?
    // INVARIANT: sorted by (phrase, range.lowerBound, range.upperBound), no duplicates.
    let hits: [PhraseHit]
    // INVARIANT: sorted by (trigger, operand, phrase); one entry per phrase that occurs and
    // trigger that mentions it, so evaluating a trigger reads only the hits that concern it.
    let triggerHits: [TriggerHit]
    // INVARIANT: sorted by pattern index; only patterns that ran and did not end in `.noMatch`.
    let outcomes: [(pattern: Int32, outcome: RegexMatchOutcome)]
    let patternsRun: Int

    init(
      text: String, tables: MatcherTables?, hits: [PhraseHit], triggerHits: [TriggerHit],
      outcomes: [(pattern: Int32, outcome: RegexMatchOutcome)], patternsRun: Int
    ) {
      self.text = text
      self.tables = tables
      self.hits = hits
      self.triggerHits = triggerHits
      self.outcomes = outcomes
      self.patternsRun = patternsRun
    }
  }

  let storage: Storage

  init(
    text: String, tables: MatcherTables?, hits: [PhraseHit], triggerHits: [TriggerHit],
    outcomes: [(pattern: Int32, outcome: RegexMatchOutcome)], patternsRun: Int
  ) {
    storage = Storage(
      text: text, tables: tables, hits: hits, triggerHits: triggerHits, outcomes: outcomes,
      patternsRun: patternsRun)
  }

  /// The original text.
  public var text: String { storage.text }
  /// How many regexes PCRE2 ran on the text (the others were ruled out by their prefilter).
  public var patternsRun: Int { storage.patternsRun }
  var tables: MatcherTables? { storage.tables }
  var hits: [PhraseHit] { storage.hits }
  var triggerHits: [TriggerHit] { storage.triggerHits }
  var outcomes: [(pattern: Int32, outcome: RegexMatchOutcome)] { storage.outcomes }

  /// Where the phrase with this normalised form occurs, as UTF-8 byte ranges in `text`, in
  /// order; empty for a phrase that is not in the rule set.
  public func phraseHits(_ normalized: String) -> [Range<Int>] {
    guard let id = tables?.phraseIndex[normalized] else { return [] }
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

  func hits(ofPhrase phrase: Int32) -> ArraySlice<PhraseHit> {
    let hits = storage.hits
    // Binary search for the first hit of `phrase`: scans have few hits, but a 10 MB message
    // can have many.
    var low = 0
    var high = hits.count
    while low < high {
      let mid = (low + high) / 2
      if hits[mid].phrase < phrase { low = mid + 1 } else { high = mid }
    }
    var end = low
    while end < hits.count && hits[end].phrase == phrase { end += 1 }
    return hits[low..<end]
  }

  func triggerHits(ofTrigger trigger: Int32) -> ArraySlice<TriggerHit> {
    let triggerHits = storage.triggerHits
    var low = 0
    var high = triggerHits.count
    while low < high {
      let mid = (low + high) / 2
      if triggerHits[mid].trigger < trigger { low = mid + 1 } else { high = mid }
    }
    var end = low
    while end < triggerHits.count && triggerHits[end].trigger == trigger { end += 1 }
    return triggerHits[low..<end]
  }

  func outcome(ofPattern pattern: Int32) -> RegexMatchOutcome {
    for entry in storage.outcomes where entry.pattern == pattern { return entry.outcome }
    return .noMatch
  }

  /// The original text of a UTF-8 byte range (on scalar boundaries).
  func substring(_ range: Range<Int>) -> String {
    let text = storage.text
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
