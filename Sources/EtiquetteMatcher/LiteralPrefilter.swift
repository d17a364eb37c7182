import EtiquetteChecker
import EtiquetteText

/// What a regex needs to find in the normalised text before it can match: one of `atoms`, or
/// — when `digit` is set — any digit (an ASCII digit or a non-ASCII byte, see below).
struct PrefilterRequirement: Sendable, Hashable {
  /// Lowercase literal atoms, distinct and sorted.
  var atoms: [String]
  /// The regex also matches when a digit occurs (a `\d` or `[0-9]` it cannot do without).
  var digit: Bool
}

/// Extracts from a regex a set of literal atoms of which at least one occurs, in normalised
/// form, in every text the regex matches (the YARA-X / Suricata idea), so the regex need not
/// run on texts where none occurs.
///
/// Soundness — why "requirement absent from the normalised text" implies "no regex match on
/// the original text":
/// - an atom is a run of pattern characters that the regex must match one after another, each
///   being either a printable ASCII character that the normaliser folds to exactly one byte,
///   its lowercase form (letters, digits and most punctuation; not space, not the backtick
///   which becomes an apostrophe), or a non-ASCII character without case that is not a letter
///   (`€`, `£`, `’`, emoji) and that the normaliser folds to one fixed scalar;
/// - a regex literal character matches exactly that character, or under case-insensitive
///   matching its case variants; PCRE2's variants of ASCII letters are the other ASCII case plus
///   K (U+212A) for k and ſ (U+017F) for s, and the normaliser folds all of them to the
///   lowercase ASCII letter; characters without case have no variants;
/// - normalisation folds each scalar independently and only merges separators, which atoms
///   never contain, so the folded run appears contiguously in the normalised text;
/// - a digit (`\d` is any Unicode decimal digit under UCP, `[0-9]` an ASCII one) is folded
///   either to an ASCII digit (full-width and other compatibility digits) or left as it is,
///   non-ASCII: so "no ASCII digit and no byte ≥ 0x80" means "no digit".
/// Atoms are therefore compared in lowercase, whatever the flags. Anything the extractor does
/// not understand (`\Q…\E`, verbs, recursion, conditionals, inline `x`) yields no requirement —
/// the regex then runs on every text, which is always correct, only slower.
enum LiteralPrefilter {
  /// Whether an atom is worth a prefilter: two bytes or more, or one of the punctuation
  /// characters that are rare in messages (`@` of an e-mail, `$` of an amount). Letters,
  /// digits, and `.` `,` `'` `-` `?` `!` `:` alone occur in most messages.
  static func isUsable(_ atom: String) -> Bool {
    atom.utf8.count >= 2 || rareCharacters.contains(atom)
  }

  static let rareCharacters: Set<String> = [
    "@", "#", "$", "%", "&", "*", "+", "/", "<", "=", ">", "[", "]", "^", "_", "{", "|", "}",
    "~", "\\",
  ]

  /// The requirement of a regex, or nil when it has none the extractor is sure of.
  static func requirement(source: String, flags: [RegexFlag]) -> PrefilterRequirement? {
    var parser = RequirementParser(
      scalars: Array(source.unicodeScalars), extended: flags.contains(.x))
    guard let parsed = parser.parseAlternation(), parser.atEnd else { return nil }
    guard let requirement = parsed, isUsable(requirement) else { return nil }
    return PrefilterRequirement(
      atoms: Array(Set(requirement.atoms)).sorted(), digit: requirement.digit)
  }

  static func isUsable(_ requirement: PrefilterRequirement) -> Bool {
    (requirement.digit || !requirement.atoms.isEmpty) && requirement.atoms.allSatisfy(isUsable)
  }

  /// The atoms (lowercase, distinct, sorted) of a regex whose requirement is atoms only; nil
  /// otherwise.
  static func atoms(source: String, flags: [RegexFlag]) -> [String]? {
    guard let requirement = requirement(source: source, flags: flags), !requirement.digit
    else { return nil }
    return requirement.atoms
  }

  /// The normalised spelling of a pattern character inside an atom, or nil when it cannot be
  /// part of one (see the soundness note).
  static func atomSpelling(_ scalar: Unicode.Scalar) -> String? {
    if scalar.value < 0x80 {
      guard asciiAtomTable[Int(scalar.value)] else { return nil }
      return String(scalar).lowercased()
    }
    let properties = scalar.properties
    guard !properties.changesWhenCaseMapped, !properties.isAlphabetic else { return nil }
    switch properties.generalCategory {
    case .currencySymbol, .mathSymbol, .otherSymbol, .initialPunctuation, .finalPunctuation,
      .otherPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
      .connectorPunctuation, .modifierSymbol:
      break
    default:
      return nil
    }
    let folded = Normalizer.normalize(String(scalar)).string
    guard folded.unicodeScalars.count == 1, folded != " " else { return nil }
    return folded
  }

  /// Printable ASCII characters that the normaliser turns into exactly their lowercase form —
  /// asked of the normaliser itself, so a change there cannot make prefilters unsound.
  private static let asciiAtomTable: [Bool] = (0..<128).map { value in
    guard value > 0x20 && value < 0x7F, let scalar = Unicode.Scalar(value) else { return false }
    let lowered = Array(String(scalar).lowercased().utf8)
    return Normalizer.normalize(String(scalar)).bytes == lowered
  }
}

/// A recursive-descent reader of PCRE2 syntax that computes, for each sub-expression, the atoms
/// one of which it requires. `nil` as a requirement means "requires nothing"; a parse that
/// returns nil altogether means "gave up".
private struct RequirementParser {
  typealias Requirement = PrefilterRequirement?

  let scalars: [Unicode.Scalar]
  var extended: Bool
  var position = 0
  /// Bounds recursion on hostile nesting; PCRE2 has its own limit (250 by default).
  var depth = 0

  init(scalars: [Unicode.Scalar], extended: Bool) {
    self.scalars = scalars
    self.extended = extended
  }

  var atEnd: Bool { position >= scalars.count }

  func peek(_ offset: Int = 0) -> Unicode.Scalar? {
    position + offset < scalars.count ? scalars[position + offset] : nil
  }

  /// alternation := sequence ('|' sequence)*. Outer Optional nil = gave up.
  mutating func parseAlternation() -> Requirement? {
    depth += 1
    defer { depth -= 1 }
    guard depth < 200 else { return nil }
    var union = PrefilterRequirement(atoms: [], digit: false)
    var everyBranchRequires = true
    while true {
      guard let branch = parseSequence() else { return nil }
      if let required = branch {
        union.atoms += required.atoms
        union.digit = union.digit || required.digit
      } else {
        everyBranchRequires = false
      }
      if peek() == "|" {
        position += 1
        continue
      }
      break
    }
    return .some(everyBranchRequires ? union : nil)
  }

  /// A sequence of quantified items up to `|`, `)` or the end.
  mutating func parseSequence() -> Requirement? {
    var candidates: [PrefilterRequirement] = []
    var run = ""
    func flush() {
      if !run.isEmpty { candidates.append(PrefilterRequirement(atoms: [run], digit: false)) }
      run = ""
    }
    while true {
      skipIgnorable()
      guard let scalar = peek(), scalar != "|", scalar != ")" else { break }
      guard let item = parseItem() else { return nil }
      let (minimum, maximum) = parseQuantifier()
      switch item {
      case .literal(let character):
        if minimum == 0 {
          flush()
        } else if let spelling = LiteralPrefilter.atomSpelling(character) {
          run += spelling
          if maximum != 1 {
            // "ab+c" requires "ab" and "bc": the repeated character ends one run and starts
            // the next.
            flush()
            run = spelling
          }
        } else {
          flush()
        }
      case .group(let requirement):
        flush()
        if minimum > 0, let required = requirement { candidates.append(required) }
      case .digit:
        flush()
        if minimum > 0 { candidates.append(PrefilterRequirement(atoms: [], digit: true)) }
      case .other:
        flush()
      }
    }
    flush()
    // The best requirement: usable, then atoms only rather than digits, then the longest
    // shortest atom, then the fewest atoms; the first of equals.
    func score(_ required: PrefilterRequirement) -> (Int, Int, Int, Int) {
      (
        LiteralPrefilter.isUsable(required) ? 1 : 0, required.digit ? 0 : 1,
        required.atoms.map(\.utf8.count).min() ?? 0, -required.atoms.count
      )
    }
    var best: PrefilterRequirement?
    for candidate in candidates where best.map({ score(candidate) > score($0) }) ?? true {
      best = candidate
    }
    return .some(best)
  }

  enum Item {
    case literal(Unicode.Scalar)
    case group(Requirement)
    /// One digit: `\d`, or a class of digits only such as `[0-9]`.
    case digit
    /// Anything else: a class, `.`, an escape, an anchor or assertion.
    case other
  }

  /// White space and `#` comments are not part of the pattern under the `x` flag.
  mutating func skipIgnorable() {
    guard extended else { return }
    while let scalar = peek() {
      if scalar.properties.isPatternWhitespace {
        position += 1
      } else if scalar == "#" {
        while let next = peek(), next != "\n" { position += 1 }
      } else {
        return
      }
    }
  }

  mutating func parseItem() -> Item? {
    guard let scalar = peek() else { return nil }
    position += 1
    switch scalar {
    case "(": return parseGroup()
    case "[": return parseClass()
    case "\\": return parseEscape()
    case ".", "^", "$": return .other
    case "*", "+", "?": return nil  // a quantifier with nothing before it: not understood
    default: return .literal(scalar)
    }
  }

  /// After `(`.
  mutating func parseGroup() -> Item? {
    var isLookaround = false
    if peek() == "*" { return nil }  // verbs such as (*ACCEPT), (*UTF)
    if peek() == "?" {
      position += 1
      guard let kind = peek() else { return nil }
      switch kind {
      case ":", ">", "|":
        position += 1
      case "=", "!":
        position += 1
        isLookaround = true
      case "<":
        if peek(1) == "=" || peek(1) == "!" {
          position += 2
          isLookaround = true
        } else {
          guard skipName(until: ">") else { return nil }
        }
      case "P":
        guard peek(1) == "<" else { return nil }  // (?P=name), (?P>name): back-references
        position += 1
        guard skipName(until: ">") else { return nil }
      case "'":
        guard skipName(until: "'") else { return nil }
      case "#":
        while let next = peek(), next != ")" { position += 1 }
        guard peek() == ")" else { return nil }
        position += 1
        return .other
      default:
        // Inline options: (?i) (?-i) (?i:…) — any that turns on `x` changes how the rest
        // reads, so give up rather than track it.
        var options = ""
        while let next = peek(), "imnsxJU-^".unicodeScalars.contains(next) {
          options.unicodeScalars.append(next)
          position += 1
        }
        guard !options.isEmpty, !options.contains("x") else { return nil }
        if peek() == ")" {
          position += 1
          return .other
        }
        guard peek() == ":" else { return nil }
        position += 1
      }
    }
    guard let requirement = parseAlternation(), peek() == ")" else { return nil }
    position += 1
    return isLookaround ? .other : .group(requirement)
  }

  /// Skips a group name up to and including `terminator`, after the opening character.
  mutating func skipName(until terminator: Unicode.Scalar) -> Bool {
    position += 1
    while let next = peek(), next != terminator {
      guard next == "_" || next.properties.isAlphabetic || ("0"..."9").contains(next) else {
        return false
      }
      position += 1
    }
    guard peek() == terminator else { return false }
    position += 1
    return true
  }

  /// After `[`: skips to the closing `]`; a class of ASCII digits, digit ranges and `\d`
  /// only is a digit.
  mutating func parseClass() -> Item? {
    var onlyDigits = true
    var isEmpty = true
    if peek() == "^" {
      position += 1
      onlyDigits = false
    }
    if peek() == "]" {  // a leading ] is literal
      position += 1
      onlyDigits = false
      isEmpty = false
    }
    while let scalar = peek() {
      position += 1
      switch scalar {
      case "]":
        return onlyDigits && !isEmpty ? .digit : .other
      case "\\":
        guard let escaped = peek() else { return nil }
        if escaped == "Q" || escaped == "E" { return nil }
        if escaped != "d" { onlyDigits = false }
        position += 1
      case "[":
        onlyDigits = false
        if peek() == ":" || peek() == "." || peek() == "=" {
          // POSIX class [:alpha:]: skip to its closing ":]".
          while let next = peek(), next != "]" { position += 1 }
          guard peek() == "]" else { return nil }
          position += 1
        }
      case "0"..."9":
        break
      case "-":
        // Between two digits it makes a range; at either end it is a literal minus.
        if isEmpty || peek() == "]" { onlyDigits = false }
      default:
        onlyDigits = false
      }
      isEmpty = false
    }
    return nil
  }

  /// After `\`.
  mutating func parseEscape() -> Item? {
    guard let escaped = peek() else { return nil }
    position += 1
    if escaped.value < 0x80 && !escaped.properties.isAlphabetic
      && !("0"..."9").contains(escaped)
    {
      return .literal(escaped)  // \. \- \/ …: the punctuation itself
    }
    switch escaped {
    case "d": return .digit
    case "D", "w", "W", "s", "S", "h", "H", "v", "V", "R", "N", "X", "C", "b", "B", "A",
      "z", "Z", "G", "K", "n", "t", "r", "f", "e", "a":
      return .other
    case "x", "o", "p", "P", "g", "k":
      // Arguments: {…}, <…>, '…', or (for \x and \p) a short unbracketed form.
      if let open = peek(), open == "{" || open == "<" || open == "'" {
        let close: Unicode.Scalar = open == "{" ? "}" : (open == "<" ? ">" : "'")
        while let next = peek(), next != close { position += 1 }
        guard peek() == close else { return nil }
        position += 1
      } else if escaped == "x" {
        var digits = 0
        while digits < 2, let next = peek(), next.properties.isASCIIHexDigit {
          position += 1
          digits += 1
        }
      } else if escaped == "p" || escaped == "P" {
        guard peek() != nil else { return nil }
        position += 1
      } else if escaped == "g" {
        if peek() == "-" || peek() == "+" { position += 1 }
        while let next = peek(), ("0"..."9").contains(next) { position += 1 }
      } else {
        return nil
      }
      return .other
    case "c":
      guard peek() != nil else { return nil }
      position += 1
      return .other
    case "0"..."9":
      // Back-reference or octal: either way not a literal we can use.
      while let next = peek(), ("0"..."9").contains(next) { position += 1 }
      return .other
    default:
      return nil  // \Q…\E and escapes not listed: give up
    }
  }

  /// A quantifier after an item, as (minimum, maximum) with maximum -1 for unbounded; (1, 1)
  /// when there is none.
  mutating func parseQuantifier() -> (Int, Int) {
    skipIgnorable()
    guard let scalar = peek() else { return (1, 1) }
    var bounds: (Int, Int)
    switch scalar {
    case "*":
      position += 1
      bounds = (0, -1)
    case "+":
      position += 1
      bounds = (1, -1)
    case "?":
      position += 1
      bounds = (0, 1)
    case "{":
      guard let parsed = parseBraces() else { return (1, 1) }
      bounds = parsed
    default:
      return (1, 1)
    }
    // Lazy or possessive suffix.
    if peek() == "?" || peek() == "+" { position += 1 }
    return bounds
  }

  /// `{n}`, `{n,}`, `{n,m}`; anything else leaves `{` to be read as a literal.
  mutating func parseBraces() -> (Int, Int)? {
    var cursor = position + 1
    func number() -> Int? {
      var value = 0
      var digits = 0
      while cursor < scalars.count, ("0"..."9").contains(scalars[cursor]) {
        value = min(value * 10 + Int(scalars[cursor].value - 48), 1_000_000)
        cursor += 1
        digits += 1
      }
      return digits > 0 ? value : nil
    }
    guard let minimum = number() else { return nil }
    var maximum = minimum
    if cursor < scalars.count && scalars[cursor] == "," {
      cursor += 1
      maximum = number() ?? -1
    }
    guard cursor < scalars.count && scalars[cursor] == "}" else { return nil }
    position = cursor + 1
    return (minimum, maximum)
  }
}
