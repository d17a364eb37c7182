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
  let stemmer: Stemmer

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
    stemmer = Stemmer(ruleSet.language == .en ? .english : .french)
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
  /// Hyphens, dashes, underscores and slashes separate words like a space.
  private static let joiners: Set<Unicode.Scalar> = [
    "-", "_", "/", "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{2014}", "\u{2015}",
    "\u{2212}",
  ]
  private static let spelledLetters: [Unicode.Scalar: String] = [
    "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l",
    "đ": "d", "Đ": "d", "ı": "i",
  ]

  /// What one character of a message becomes: "" (dropped), " " (a separator) or text.
  package static func fold(_ scalar: Unicode.Scalar) -> String {
    if apostrophes.contains(scalar) { return "'" }
    if quotes.contains(scalar) { return "\"" }
    let properties = scalar.properties
    if joiners.contains(scalar) || properties.isWhitespace || properties.generalCategory == .control
    {
      return " "
    }
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
    /// For each byte, the last character it stands for: its own, or in stemmed text the
    /// last character of its word. Empty means `source`.
    package var lastSource: [Int] = []
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
      var after = (text.lastSource.isEmpty ? last : text.lastSource[end - 1]) + 1
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

  /// Every occurrence of any spelling of a normalised phrase (`elisionSpellings`), sorted.
  package static func occurrencesOfAnySpelling(of phrase: String, in text: Analysed)
    -> [Range<Int>]
  {
    var found: [Range<Int>] = []
    for spelling in elisionSpellings(of: phrase) {
      for range in occurrences(of: spelling, in: text) where !found.contains(range) {
        found.append(range)
      }
    }
    return found.sorted { ($0.lowerBound, $0.upperBound) < ($1.lowerBound, $1.upperBound) }
  }

  /// Every occurrence of a phrase of the rule set, with its modes and the rule set's synonyms:
  /// each synonym variant's elision spellings, found in the text (stemmed for `forms`).
  package func occurrences(of phrase: Phrase, in text: Analysed, stemmed: () -> Analysed)
    -> [Range<Int>]
  {
    var variants = [phrase.normalized]
    for synonym in ruleSet.synonyms {
      for variant in variants {
        if let replaced = Self.substitute(
          synonym.meaningNormalized, by: synonym.writtenNormalized, in: variant),
          !variants.contains(replaced)
        {
          variants.append(replaced)
        }
      }
    }
    let haystack = phrase.modes.contains(.forms) ? stemmed() : text
    var found: [Range<Int>] = []
    if phrase.modes.contains(.typos) {
      for variant in variants {
        for spelling in Self.elisionSpellings(of: variant) {
          let needle =
            phrase.modes.contains(.forms)
            ? Self.stemWords(of: spelling, stemmer: stemmer) : spelling
          for range in Self.typoOccurrences(of: needle, budgetsFrom: spelling, in: haystack)
          where !found.contains(range) {
            found.append(range)
          }
        }
      }
      return found.sorted { ($0.lowerBound, $0.upperBound) < ($1.lowerBound, $1.upperBound) }
    }
    for variant in variants {
      for spelling in Self.elisionSpellings(of: variant) {
        let needle =
          phrase.modes.contains(.forms) ? Self.stemWords(of: spelling, stemmer: stemmer) : spelling
        for range in Self.occurrences(of: needle, in: haystack) where !found.contains(range) {
          found.append(range)
        }
      }
    }
    return found.sorted { ($0.lowerBound, $0.upperBound) < ($1.lowerBound, $1.upperBound) }
  }

  /// The edit distance with transpositions of neighbours (optimal string alignment), the
  /// textbook table.
  static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { table[i][0] = i }
    for j in 0...b.count { table[0][j] = j }
    for i in 1...a.count {
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
        if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
          table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
        }
      }
    }
    return table[a.count][b.count]
  }

  /// Every occurrence of `needle`'s words, each within its typo budget (from the same word of
  /// `budgetsFrom`: 0 under 5 letters or with a digit, 1 up to 8, 2 from 9), consecutive in the
  /// text with one space or apostrophe between them, at word boundaries.
  static func typoOccurrences(of needle: String, budgetsFrom: String, in text: Analysed)
    -> [Range<Int>]
  {
    let wanted = runs(needle).filter(\.word).map { Array($0.text.utf8) }
    let budgetWords = runs(budgetsFrom).filter(\.word).map { Array($0.text.utf8) }
    func edits(_ word: [UInt8]) -> Int {
      if word.contains(where: { (0x30...0x39).contains($0) }) { return 0 }
      return word.count < 5 ? 0 : word.count <= 8 ? 1 : 2
    }
    let budgets = wanted.indices.map { index in
      min(
        edits(wanted[index]),
        budgetWords.count == wanted.count ? edits(budgetWords[index]) : Int.max)
    }
    // Words of the normalised text as byte ranges.
    var words: [Range<Int>] = []
    var index = 0
    let bytes = text.normalized
    func isWord(_ byte: UInt8) -> Bool {
      byte >= 0x80 || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
    }
    while index < bytes.count {
      if isWord(bytes[index]) {
        let start = index
        while index < bytes.count && isWord(bytes[index]) { index += 1 }
        words.append(start..<index)
      } else {
        index += 1
      }
    }
    guard !wanted.isEmpty else { return [] }
    var found: [Range<Int>] = []
    for first in words.indices where first + wanted.count <= words.count {
      var matches = true
      for offset in 0..<wanted.count {
        let word = words[first + offset]
        if offset > 0 {
          let gap = Array(bytes[words[first + offset - 1].upperBound..<word.lowerBound])
          guard gap == [0x20] || gap == [0x27] else {
            matches = false
            break
          }
        }
        let said = Array(bytes[word].prefix(48))
        if editDistance(said, Array(wanted[offset].prefix(48))) > budgets[offset] {
          matches = false
          break
        }
      }
      guard matches,
        let range = span(
          start: words[first].lowerBound, end: words[first + wanted.count - 1].upperBound, in: text)
      else { continue }
      found.append(range)
    }
    return found
  }

  /// The original range of normalised bytes `start..<end` when they are whole characters at
  /// word boundaries (as `occurrences(of:in:)` decides), else nil.
  static func span(start: Int, end: Int, in text: Analysed) -> Range<Int>? {
    let first = text.source[start]
    let last = text.source[end - 1]
    if start > 0 && text.source[start - 1] == first { return nil }
    if end < text.source.count && text.source[end] == last { return nil }
    var after = (text.lastSource.isEmpty ? last : text.lastSource[end - 1]) + 1
    while after < text.scalars.count && text.folds[after].isEmpty { after += 1 }
    var before = first - 1
    while before >= 0 && text.folds[before].isEmpty { before -= 1 }
    if before >= 0 && isWordCharacter(text.scalars[before]) { return nil }
    if after < text.scalars.count && isWordCharacter(text.scalars[after]) { return nil }
    return text.offsets[first]..<text.offsets[after]
  }

  /// Cuts text into runs of word characters (ASCII letters and digits, anything non-ASCII)
  /// and runs of the rest.
  static func runs(_ text: String) -> [(word: Bool, text: String)] {
    var runs: [(word: Bool, text: String)] = []
    for scalar in text.unicodeScalars {
      let isWord =
        scalar.value >= 0x80 || ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
      if let last = runs.last, last.word == isWord {
        runs[runs.count - 1].text.unicodeScalars.append(scalar)
      } else {
        runs.append((isWord, String(scalar)))
      }
    }
    return runs
  }

  /// `text` with each whole-word occurrence of `meaning` replaced by `written`, or nil.
  static func substitute(_ meaning: String, by written: String, in text: String) -> String? {
    let pieces = runs(text)
    let target = runs(meaning)
    guard let first = target.first, let last = target.last, first.word, last.word else {
      return nil
    }
    var out = ""
    var index = 0
    var changed = false
    while index < pieces.count {
      let end = index + target.count
      if end <= pieces.count,
        zip(pieces[index..<end], target).allSatisfy({ $0.word == $1.word && $0.text == $1.text })
      {
        out += written
        index = end
        changed = true
      } else {
        out += pieces[index].text
        index += 1
      }
    }
    return changed ? out : nil
  }

  /// A normalised text with every word stemmed.
  static func stemWords(of text: String, stemmer: Stemmer) -> String {
    runs(text).map { $0.word ? stemmer.stem($0.text) : $0.text }.joined()
  }

  /// The analysed message with every word of its normalised text stemmed; a stem's bytes come
  /// from its word's first character and stand for all of the word's characters.
  static func stemmed(_ text: Analysed, stemmer: Stemmer) -> Analysed {
    var result = text
    result.normalized = []
    result.source = []
    result.lastSource = []
    let bytes = text.normalized
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      let isWord = byte >= 0x80 || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
      if !isWord {
        result.normalized.append(byte)
        result.source.append(text.source[index])
        result.lastSource.append(text.source[index])
        index += 1
        continue
      }
      var end = index
      while end < bytes.count
        && (bytes[end] >= 0x80 || (0x61...0x7A).contains(bytes[end])
          || (0x30...0x39).contains(bytes[end]))
      {
        end += 1
      }
      let stem = stemmer.stem(String(decoding: bytes[index..<end], as: UTF8.self))
      for byte in stem.utf8 {
        result.normalized.append(byte)
        result.source.append(text.source[index])
        result.lastSource.append(text.source[end - 1])
      }
      index = end
    }
    return result
  }

  /// The spellings of a normalised phrase with and without the apostrophe of each French
  /// elision (at most four words), written apart from `Elision` so the two can disagree: a
  /// word is an elision when it is one of the forms, an optional apostrophe, and two or more
  /// letters of which the first is a vowel or `h` (at most three without the apostrophe); the
  /// longest form decides.
  package static func elisionSpellings(of phrase: String) -> [String] {
    let forms = ["j", "l", "d", "m", "t", "s", "n", "c", "qu", "jusqu", "lorsqu", "puisqu"]
      .sorted { $0.count > $1.count }
    var results = [""]
    var changed = 0
    let words = phrase.components(separatedBy: " ")
    for (position, word) in words.enumerated() {
      var variants = [word]
      if changed < 4, let form = forms.first(where: { word.hasPrefix($0) }) {
        let tail = String(word.dropFirst(form.count))
        let bare = tail.hasPrefix("'") ? String(tail.dropFirst()) : tail
        let vowels: Set<Character> = ["a", "e", "i", "o", "u", "y", "h"]
        if bare.count > 1, tail.hasPrefix("'") || bare.count <= 3, let head = bare.first,
          vowels.contains(head),
          !bare.contains(where: { !$0.isLetter })
        {
          variants.append(tail.hasPrefix("'") ? form + bare : form + "'" + bare)
          changed += 1
        }
      }
      results = results.flatMap { start in
        variants.map { position == 0 ? $0 : start + " " + $0 }
      }
    }
    return results
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
    var message = Message(text: text, regexes: regexes, limits: limits, matcher: self)
    return message.evaluate(tree, facts: facts)
  }

  /// Evaluates every trigger of the rule set on `text`, in rule-set order.
  package func evaluateAll(
    text: String?, limits: MatchLimits = .default, facts: (ConditionAtom) -> Bool
  ) -> [(TriggerID, ConditionEvaluation)] {
    var message = Message(text: text, regexes: regexes, limits: limits, matcher: self)
    return Self.triggers(of: ruleSet).map { ($0.0, message.evaluate($0.1, facts: facts)) }
  }

  /// One text analysed once, on which conditions are then evaluated one by one: what the
  /// engine's reference steps use, asking each trigger with the facts of its moment.
  package struct TextEvaluator {
    private var message: Message

    fileprivate init(_ message: Message) { self.message = message }

    package mutating func evaluate(_ tree: ConditionTree, facts: (ConditionAtom) -> Bool)
      -> ConditionEvaluation
    {
      message.evaluate(tree, facts: facts)
    }
  }

  package func textEvaluator(text: String?, limits: MatchLimits = .default) -> TextEvaluator {
    TextEvaluator(Message(text: text, regexes: regexes, limits: limits, matcher: self))
  }

  /// One message, analysed once; phrase occurrences and regex outcomes computed on demand.
  fileprivate struct Message {
    let text: String?
    let bytes: [UInt8]
    let analysed: Analysed?
    let regexes: [Pattern: CompiledRegex]
    let limits: MatchLimits
    let matcher: ReferenceMatcher
    var stemmedText: Analysed?
    var occurrenceCache: [Phrase: [Range<Int>]] = [:]
    var outcomeCache: [Pattern: RegexMatchOutcome] = [:]

    init(
      text: String?, regexes: [Pattern: CompiledRegex], limits: MatchLimits,
      matcher: ReferenceMatcher
    ) {
      self.matcher = matcher
      self.text = text
      bytes = Array((text ?? "").utf8)
      analysed = text.map(ReferenceMatcher.analyse)
      self.regexes = regexes
      self.limits = limits
    }

    mutating func occurrences(_ phrase: Phrase) -> [Range<Int>] {
      if let cached = occurrenceCache[phrase] { return cached }
      var found: [Range<Int>] = []
      if let analysed {
        if phrase.modes.contains(.forms) && stemmedText == nil {
          stemmedText = ReferenceMatcher.stemmed(analysed, stemmer: matcher.stemmer)
        }
        let stemmed = stemmedText ?? analysed
        found = matcher.occurrences(of: phrase, in: analysed, stemmed: { stemmed })
      }
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
            guard let first = occurrences(phrase).first else { continue }
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
