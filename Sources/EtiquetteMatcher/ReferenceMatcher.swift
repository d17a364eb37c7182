import EtiquetteChecker
import EtiquetteSyntax
import EtiquetteText
import Foundation

/// The obvious, slow evaluator the compiled matcher is tested against: normalisation written
/// per character with Foundation's folding, `range(of:)` per phrase with explicit boundary
/// checks, every regex run on every message, and a walk of each condition tree.
///
/// It shares nothing with `RuleMatcher` but the rule set and PCRE2, so a disagreement between the
/// two points at a bug in the automaton, the boundary logic, the prefilters or the program
/// compilation. Its normalisation covers what messages contain (Latin, accents, typographic
/// punctuation, spaces, emoji); exotic folds (Indic marks, Hangul) are the normaliser's own
/// tests' business.
package struct ReferenceMatcher: Sendable {
  package let ruleSet: RuleSet
  private let regexes: [Pattern: CompiledRegex]

  package init(_ ruleSet: RuleSet) {
    self.ruleSet = ruleSet
    var regexes: [Pattern: CompiledRegex] = [:]
    for trigger in Self.triggers(of: ruleSet) {
      for atom in trigger.1.atoms {
        guard case .matches(let pattern) = atom.kind, regexes[pattern] == nil else { continue }
        let (options, _) = RegexOptions.options(fromFlags: pattern.flagText)
        regexes[pattern] = try? CompiledRegex(pattern: pattern.source, options: options)
      }
    }
    self.regexes = regexes
  }

  package static func triggers(of ruleSet: RuleSet) -> [(TriggerID, ConditionTree)] {
    var out: [(TriggerID, ConditionTree)] = []
    for label in ruleSet.labels {
      for (index, trigger) in label.addTriggers.enumerated() {
        out.append((.add(label.id, index), trigger.condition))
      }
      for (index, trigger) in label.removeTriggers.enumerated() {
        out.append((.remove(label.id, index), trigger.condition))
      }
    }
    for (index, rule) in ruleSet.routing.rules.enumerated() {
      out.append((.route(index), rule.condition))
    }
    return out
  }

  // MARK: Normalisation, the slow way

  private static let apostrophes: Set<Unicode.Scalar> = [
    "\u{2018}", "\u{2019}", "\u{201A}", "\u{201B}", "\u{02BC}", "\u{02BB}", "\u{2032}", "`",
    "\u{00B4}", "\u{2039}", "\u{203A}",
  ]
  private static let quotes: Set<Unicode.Scalar> = [
    "\u{201C}", "\u{201D}", "\u{201E}", "\u{00AB}", "\u{00BB}", "\u{2033}",
  ]
  private static let dashes: Set<Unicode.Scalar> = [
    "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{2014}", "\u{2015}", "\u{2212}",
  ]
  private static let spelledLetters: [Unicode.Scalar: String] = [
    "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l",
    "đ": "d", "Đ": "d", "ı": "i",
  ]

  /// What one character of a message becomes: "" (dropped), " " (a separator) or text.
  package static func fold(_ scalar: Unicode.Scalar) -> String {
    if apostrophes.contains(scalar) { return "'" }
    if quotes.contains(scalar) { return "\"" }
    if dashes.contains(scalar) { return "-" }
    let properties = scalar.properties
    if properties.isWhitespace || properties.generalCategory == .control { return " " }
    if properties.isDefaultIgnorableCodePoint { return "" }
    if let spelled = spelledLetters[scalar] { return spelled }
    let folded = String(Character(scalar)).decomposedStringWithCompatibilityMapping
      .folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
    return String(
      String.UnicodeScalarView(
        folded.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }))
  }

  /// A letter, a digit or a mark: what a phrase must not touch on either side.
  package static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
    let properties = scalar.properties
    if properties.isAlphabetic || properties.numericType != nil { return true }
    switch properties.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber,
      .otherNumber:
      return true
    default:
      return false
    }
  }

  /// A message cut into characters, with its normalised form and which character produced
  /// each normalised byte.
  package struct Analysed {
    package var scalars: [Unicode.Scalar] = []
    /// UTF-8 offset of each character, plus the text's length at the end.
    package var offsets: [Int] = []
    package var folds: [String] = []
    package var normalized: [UInt8] = []
    /// For each normalised byte, the index of the character it came from.
    package var source: [Int] = []
  }

  package static func analyse(_ text: String) -> Analysed {
    var result = Analysed()
    var offset = 0
    for scalar in text.unicodeScalars {
      result.scalars.append(scalar)
      result.offsets.append(offset)
      result.folds.append(fold(scalar))
      offset += String(scalar).utf8.count
    }
    result.offsets.append(offset)
    var pendingSpace: Int?
    for (index, folded) in result.folds.enumerated() {
      for character in folded.unicodeScalars {
        if character == " " {
          if pendingSpace == nil { pendingSpace = index }
          continue
        }
        if let space = pendingSpace, !result.normalized.isEmpty {
          result.normalized.append(0x20)
          result.source.append(space)
        }
        pendingSpace = nil
        for byte in String(character).utf8 {
          result.normalized.append(byte)
          result.source.append(index)
        }
      }
    }
    return result
  }

  // MARK: Phrases

  /// Every occurrence of a normalised phrase at word boundaries, as original byte ranges.
  package static func occurrences(of phrase: String, in text: Analysed) -> [Range<Int>] {
    let haystack = Data(text.normalized)
    let needle = Data(phrase.utf8)
    guard !needle.isEmpty else { return [] }
    var found: [Range<Int>] = []
    var from = 0
    while from < haystack.count,
      let range = haystack.range(of: needle, in: from..<haystack.count)
    {
      from = range.lowerBound + 1
      let start = range.lowerBound
      let end = range.upperBound
      let first = text.source[start]
      let last = text.source[end - 1]
      // Whole characters only.
      if start > 0 && text.source[start - 1] == first { continue }
      if end < text.source.count && text.source[end] == last { continue }
      // Characters that vanished right after the last one belong to it.
      var after = last + 1
      while after < text.scalars.count && text.folds[after].isEmpty { after += 1 }
      // The nearest character before that did not vanish in normalisation.
      var before = first - 1
      while before >= 0 && text.folds[before].isEmpty { before -= 1 }
      if before >= 0 && isWordCharacter(text.scalars[before]) { continue }
      if after < text.scalars.count && isWordCharacter(text.scalars[after]) { continue }
      found.append(text.offsets[first]..<text.offsets[after])
    }
    return found
  }

  // MARK: Evaluation

  /// Evaluates a trigger by walking its condition tree over `text`.
  package func evaluate(
    _ trigger: TriggerID, text: String?, limits: MatchLimits = .default,
    facts: (ConditionAtom) -> Bool
  ) -> ConditionEvaluation {
    guard let tree = Self.triggers(of: ruleSet).first(where: { $0.0 == trigger })?.1 else {
      return ConditionEvaluation(holds: false)
    }
    var message = Message(text: text, regexes: regexes, limits: limits)
    return message.evaluate(tree, facts: facts)
  }

  /// Evaluates every trigger of the rule set on `text`, in rule-set order.
  package func evaluateAll(
    text: String?, limits: MatchLimits = .default, facts: (ConditionAtom) -> Bool
  ) -> [(TriggerID, ConditionEvaluation)] {
    var message = Message(text: text, regexes: regexes, limits: limits)
    return Self.triggers(of: ruleSet).map { ($0.0, message.evaluate($0.1, facts: facts)) }
  }

  /// One message, analysed once; phrase occurrences and regex outcomes computed on demand.
  private struct Message {
    let text: String?
    let bytes: [UInt8]
    let analysed: Analysed?
    let regexes: [Pattern: CompiledRegex]
    let limits: MatchLimits
    var occurrenceCache: [String: [Range<Int>]] = [:]
    var outcomeCache: [Pattern: RegexMatchOutcome] = [:]

    init(text: String?, regexes: [Pattern: CompiledRegex], limits: MatchLimits) {
      self.text = text
      bytes = Array((text ?? "").utf8)
      analysed = text.map(ReferenceMatcher.analyse)
      self.regexes = regexes
      self.limits = limits
    }

    mutating func occurrences(_ phrase: String) -> [Range<Int>] {
      if let cached = occurrenceCache[phrase] { return cached }
      let found = analysed.map { ReferenceMatcher.occurrences(of: phrase, in: $0) } ?? []
      occurrenceCache[phrase] = found
      return found
    }

    mutating func outcome(_ pattern: Pattern) -> RegexMatchOutcome {
      if let cached = outcomeCache[pattern] { return cached }
      let outcome: RegexMatchOutcome
      if let text, let regex = regexes[pattern] {
        outcome = regex.firstMatch(in: text, limits: limits)
      } else if text != nil {
        outcome = .failed("did not compile")
      } else {
        outcome = .noMatch
      }
      outcomeCache[pattern] = outcome
      return outcome
    }

    func substring(_ range: Range<Int>) -> String {
      String(decoding: bytes[range], as: UTF8.self)
    }

    mutating func evaluate(_ tree: ConditionTree, facts: (ConditionAtom) -> Bool)
      -> ConditionEvaluation
    {
      var errors: [MatchError] = []
      for atom in tree.atoms {
        guard case .matches(let pattern) = atom.kind else { continue }
        let spelling = "/\(pattern.source)/\(pattern.flagText)"
        switch outcome(pattern) {
        case .match, .noMatch: break
        case .limitExceeded(let reason):
          errors.append(
            MatchError(
              atomSpan: pattern.span,
              message: "pattern \(spelling) hit a match limit on this message (\(reason))"))
        case .failed(let reason):
          errors.append(
            MatchError(
              atomSpan: pattern.span,
              message: "pattern \(spelling) failed on this message (\(reason))"))
        }
      }
      let (holds, evidence) = walk(tree, facts: facts)
      var seen: Set<MatchEvidence> = []
      return ConditionEvaluation(
        holds: holds, evidence: evidence.filter { seen.insert($0).inserted }, errors: errors)
    }

    mutating func walk(_ node: ConditionTree, facts: (ConditionAtom) -> Bool) -> (
      Bool, [MatchEvidence]
    ) {
      switch node {
      case .and(let left, let right):
        let (l, le) = walk(left, facts: facts)
        guard l else { return (false, []) }
        let (r, re) = walk(right, facts: facts)
        return r ? (true, le + re) : (false, [])
      case .or(let left, let right):
        let (l, le) = walk(left, facts: facts)
        let (r, re) = walk(right, facts: facts)
        return (l || r, (l ? le : []) + (r ? re : []))
      case .not(let child):
        return (!walk(child, facts: facts).0, [])
      case .atom(let atom):
        switch atom.kind {
        case .contains(let quantifier, let phrases):
          var evidence: [MatchEvidence] = []
          for phrase in phrases {
            guard let first = occurrences(phrase.normalized).first else { continue }
            evidence.append(
              MatchEvidence(
                atomSpan: phrase.span, trigger: phrase.text, range: first,
                matchedText: substring(first)))
          }
          let holds =
            quantifier == .all ? evidence.count == phrases.count : !evidence.isEmpty
          return holds ? (true, evidence) : (false, [])
        case .matches(let pattern):
          guard case .match(let range) = outcome(pattern) else { return (false, []) }
          return (
            true,
            [
              MatchEvidence(
                atomSpan: pattern.span, trigger: "/\(pattern.source)/\(pattern.flagText)",
                range: range, matchedText: substring(range))
            ]
          )
        case .comparison, .event, .label, .mode, .during:
          return (facts(atom), [])
        }
      }
    }
  }
}
