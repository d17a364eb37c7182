/// A pattern shape that can make a backtracking regex engine take exponential (or high
/// polynomial) time on some inputs.
///
/// `hazards(in:options:)` is a heuristic over a lightweight parse of the pattern (groups,
/// alternatives, quantifiers, escapes, classes — not PCRE2's full grammar). It looks at every
/// group repeated without bound (or a large fixed number of times) that can backtrack — not
/// atomic `(?>…)`, not possessive `…*+` — and reports:
/// - `nestedQuantifier` when its body repeats characters a variable number of times (`a+`,
///   `\s?`, `\d{1,3}`) and no character the body *must* match separates one iteration from the
///   next: `(a+)+`, `(a*)*`, `(\w+\s?)*$`. `(\w+,)*` is not reported: every iteration must end
///   in a comma, which `\w` cannot match, so the input splits into iterations one way only;
/// - `largeRepetitionOfUnbounded` for the same shape under a fixed repetition of ten or more:
///   `(.*a){20}` tries the input length to the 20th power of splits;
/// - `overlappingAlternation` when two branches of the repeated group can start with the same
///   character: `(a|aa)+`, `(\w|\d)*`.
///
/// Character sets are compared by sampling (ASCII, a few letters, digits and spaces of other
/// scripts, and the bounds of every range involved), so overlaps between exotic ranges can be
/// missed, and the analysis errs towards reporting: a reported pattern is worth rewriting with
/// an atomic group, a possessive quantifier or a clear separator, but not necessarily slow.
/// Malformed or deeply nested patterns give no findings (the compiler reports them).
public enum RegexHazard: Sendable, Equatable, Hashable {
  /// A repeated group whose body itself repeats the same characters: `(a+)+`, `(a*)*`,
  /// `(\w+\s?)*`.
  case nestedQuantifier
  /// A repeated alternation whose branches can start with the same character: `(a|aa)+`.
  case overlappingAlternation
  /// A group repeated a large fixed number of times around a variable repetition:
  /// `(.*a){20}` (time grows as the input length to that power).
  case largeRepetitionOfUnbounded(count: Int)

  /// Fixed repetition counts from which a nested variable repetition is reported.
  public static let largeRepetitionThreshold = 10

  /// Finds catastrophic-backtracking candidates in `pattern`, sorted by position.
  public static func hazards(in pattern: String, options: RegexOptions = [])
    -> [RegexHazardFinding]
  {
    var parser = PatternParser(
      bytes: Array(pattern.utf8), caseless: options.contains(.caseless),
      extended: options.contains(.extended))
    guard let root = parser.parseRoot() else { return [] }
    var findings: [RegexHazardFinding] = []
    HazardAnalysis.visit(root, into: &findings)
    return findings.sorted {
      ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound)
    }
  }
}

/// One hazard found in a pattern, with byte offsets into the pattern.
public struct RegexHazardFinding: Sendable, Equatable, Hashable {
  public let hazard: RegexHazard
  /// The repeated group, quantifier included.
  public let range: Range<Int>
  /// The inner repetition or the overlapping branch, when there is one.
  public let innerRange: Range<Int>?

  public init(hazard: RegexHazard, range: Range<Int>, innerRange: Range<Int>?) {
    self.hazard = hazard
    self.range = range
    self.innerRange = innerRange
  }
}

// MARK: - Pattern model

/// An approximation of the characters one pattern atom can match.
struct PatternCharacters: Sendable {
  enum Item: Sendable {
    case range(UInt32, UInt32)
    case digit(negated: Bool)
    case word(negated: Bool)
    case space(negated: Bool)
    case horizontalSpace(negated: Bool)
    case verticalSpace(negated: Bool)
    case letter(negated: Bool)
    case any
  }

  var items: [Item]
  var negated = false
  var caseless = false

  static let anything = PatternCharacters(items: [.any])

  static func literal(_ value: UInt32, caseless: Bool) -> PatternCharacters {
    PatternCharacters(items: [.range(value, value)], caseless: caseless)
  }

  func contains(_ value: UInt32) -> Bool {
    var hit = items.contains { $0.matches(value) }
    if !hit && caseless, let scalar = Unicode.Scalar(value) {
      for variant in [scalar.properties.lowercaseMapping, scalar.properties.uppercaseMapping] {
        let scalars = variant.unicodeScalars
        if scalars.count == 1, let other = scalars.first?.value, other != value,
          items.contains(where: { $0.matches(other) })
        {
          hit = true
        }
      }
    }
    return hit != negated
  }

  /// Range bounds (and their case variants) that sampling must include to be exact on ranges.
  var boundaryPoints: [UInt32] {
    var points: [UInt32] = []
    for item in items {
      guard case .range(let low, let high) = item else { continue }
      for value in [low, high] {
        points.append(value)
        if caseless, let scalar = Unicode.Scalar(value) {
          for variant in [scalar.properties.lowercaseMapping, scalar.properties.uppercaseMapping] {
            points.append(contentsOf: variant.unicodeScalars.map(\.value))
          }
        }
      }
    }
    return points
  }

  /// ASCII plus a letter, digit and space or two from other scripts.
  static let samples: [UInt32] =
    Array(0..<128) + [
      0x85, 0xA0, 0xC9, 0xDF, 0xE9, 0x3A3, 0x3B1, 0x3C3, 0x416, 0x436, 0x663, 0x2003, 0x2019,
      0x2028, 0x3000, 0x4E2D, 0x1F600,
    ]

  /// Whether no character is in both sets, judged on `samples` and both sets' range bounds.
  func isDisjoint(from other: PatternCharacters) -> Bool {
    let points = PatternCharacters.samples + boundaryPoints + other.boundaryPoints
    return !points.contains { contains($0) && other.contains($0) }
  }
}

extension PatternCharacters.Item {
  func matches(_ value: UInt32) -> Bool {
    guard let scalar = Unicode.Scalar(value) else { return false }
    let properties = scalar.properties
    switch self {
    case .range(let low, let high):
      return low <= value && value <= high
    case .digit(let negated):
      return (properties.generalCategory == .decimalNumber) != negated
    case .word(let negated):
      let isWord = value == 0x5F || properties.isAlphabetic || properties.numericType != nil
      return isWord != negated
    case .space(let negated):
      return properties.isWhitespace != negated
    case .horizontalSpace(let negated):
      let isHorizontal =
        value == 0x09 || value == 0x20 || value == 0xA0 || value == 0x1680 || value == 0x180E
        || (0x2000...0x200A).contains(value) || value == 0x202F || value == 0x205F
        || value == 0x3000
      return isHorizontal != negated
    case .verticalSpace(let negated):
      let isVertical =
        (0x0A...0x0D).contains(value) || value == 0x85 || value == 0x2028
        || value == 0x2029
      return isVertical != negated
    case .letter(let negated):
      return properties.isAlphabetic != negated
    case .any:
      return true
    }
  }
}

/// A parsed pattern: just enough structure to find repeated ambiguous shapes.
indirect enum PatternNode: Sendable {
  /// One character from a set.
  case character(PatternCharacters)
  /// Matches no characters: anchors, `\b`, verbs.
  case zeroWidth
  /// A lookaround: zero-width, but its body is still analysed on its own.
  case lookaround(PatternGroup)
  /// A group (capturing or not, or atomic) with its alternatives.
  case group(PatternGroup)
  /// Back-references and subroutine calls: any text, any length.
  case unknown
}

struct PatternGroup: Sendable {
  var alternatives: [[PatternPiece]]
  var alternativeRanges: [Range<Int>]
  var isAtomic: Bool
  var range: Range<Int>
}

/// A node with its quantifier (`{1,1}` when there is none).
struct PatternPiece: Sendable {
  var node: PatternNode
  var minimum: Int
  /// nil when unbounded.
  var maximum: Int?
  var isPossessive: Bool
  /// The node and its quantifier.
  var range: Range<Int>

  var isVariable: Bool { maximum.map { $0 > minimum } ?? true }
}

// MARK: - Parser

/// A lenient parser for PCRE2 syntax that gives up (returns nil) on what it cannot follow.
struct PatternParser {
  let bytes: [UInt8]
  var index = 0
  var caseless: Bool
  var extended: Bool
  var depth = 0
  /// Deeper nesting is rejected by PCRE2 anyway (its default limit is 250), and bounding it
  /// keeps the recursive parser and analysis off the end of the stack.
  static let maximumDepth = 250

  init(bytes: [UInt8], caseless: Bool, extended: Bool) {
    self.bytes = bytes
    self.caseless = caseless
    self.extended = extended
  }

  private var atEnd: Bool { index >= bytes.count }
  private func peek(_ ahead: Int = 0) -> UInt8? {
    index + ahead < bytes.count ? bytes[index + ahead] : nil
  }

  mutating func parseRoot() -> PatternGroup? {
    guard let (alternatives, ranges) = parseAlternatives() else { return nil }
    guard atEnd else { return nil }  // an unmatched ")"
    return PatternGroup(
      alternatives: alternatives, alternativeRanges: ranges, isAtomic: false,
      range: 0..<bytes.count)
  }

  /// Parses alternatives up to a ")" (not consumed) or the end. Inline options such as `(?i)`
  /// last until the end of the enclosing group, so they are restored on return.
  private mutating func parseAlternatives() -> ([[PatternPiece]], [Range<Int>])? {
    depth += 1
    defer { depth -= 1 }
    guard depth <= Self.maximumDepth else { return nil }
    let savedCaseless = caseless
    let savedExtended = extended
    defer {
      caseless = savedCaseless
      extended = savedExtended
    }
    var alternatives: [[PatternPiece]] = [[]]
    var ranges: [Range<Int>] = []
    var alternativeStart = index
    while true {
      skipExtendedWhiteSpace()
      guard let byte = peek(), byte != UInt8(ascii: ")") else { break }
      if byte == UInt8(ascii: "|") {
        ranges.append(alternativeStart..<index)
        index += 1
        alternativeStart = index
        alternatives.append([])
        continue
      }
      let start = index
      guard let nodes = parseAtom() else { return nil }
      for node in nodes {
        alternatives[alternatives.count - 1].append(
          PatternPiece(
            node: node, minimum: 1, maximum: 1, isPossessive: false, range: start..<index))
      }
      guard !nodes.isEmpty else { continue }
      skipExtendedWhiteSpace()
      if let (minimum, maximum) = parseQuantifier() {
        var possessive = false
        if peek() == UInt8(ascii: "+") {
          possessive = true
          index += 1
        } else if peek() == UInt8(ascii: "?") {
          index += 1  // lazy: backtracks all the same
        }
        // A quantifier binds to the last atom only (matters for `\Q…\E`).
        let last = alternatives[alternatives.count - 1].count - 1
        var piece = alternatives[alternatives.count - 1][last]
        piece.minimum = minimum
        piece.maximum = maximum
        piece.isPossessive = possessive
        piece.range = piece.range.lowerBound..<index
        alternatives[alternatives.count - 1][last] = piece
      }
    }
    ranges.append(alternativeStart..<index)
    return (alternatives, ranges)
  }

  private mutating func skipExtendedWhiteSpace() {
    guard extended else { return }
    while let byte = peek() {
      if byte == 0x20 || (0x09...0x0D).contains(byte) {
        index += 1
      } else if byte == UInt8(ascii: "#") {
        while let next = peek(), next != 0x0A { index += 1 }
      } else {
        return
      }
    }
  }

  /// `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, `{,m}`; a `{` that is not a quantifier is a literal.
  private mutating func parseQuantifier() -> (Int, Int?)? {
    guard let byte = peek() else { return nil }
    switch byte {
    case UInt8(ascii: "*"):
      index += 1
      return (0, nil)
    case UInt8(ascii: "+"):
      index += 1
      return (1, nil)
    case UInt8(ascii: "?"):
      index += 1
      return (0, 1)
    case UInt8(ascii: "{"):
      var position = index + 1
      func number() -> Int? {
        let start = position
        var value = 0
        while position < bytes.count, (0x30...0x39).contains(bytes[position]) {
          value = min(value * 10 + Int(bytes[position] - 0x30), 1_000_000)
          position += 1
        }
        return position > start ? value : nil
      }
      let low = number()
      var high: Int?? = .some(low)
      if position < bytes.count, bytes[position] == UInt8(ascii: ",") {
        position += 1
        high = .some(number())
      }
      guard position < bytes.count, bytes[position] == UInt8(ascii: "}"),
        low != nil || high != .some(nil)
      else { return nil }
      index = position + 1
      return (low ?? 0, high ?? nil)
    default:
      return nil
    }
  }

  /// Parses one atom; returns the nodes it stands for (several for `\Q…\E`, none for a
  /// comment or an inline option setting), or nil when the pattern is malformed.
  private mutating func parseAtom() -> [PatternNode]? {
    guard let byte = peek() else { return nil }
    switch byte {
    case UInt8(ascii: "("):
      return parseGroup()
    case UInt8(ascii: "["):
      return parseClass().map { [.character($0)] }
    case UInt8(ascii: "\\"):
      return parseEscape()
    case UInt8(ascii: "."):
      index += 1
      return [.character(.anything)]
    case UInt8(ascii: "^"), UInt8(ascii: "$"):
      index += 1
      return [.zeroWidth]
    case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
      return nil  // a quantifier with nothing to repeat
    default:
      return [.character(.literal(nextScalar(), caseless: caseless))]
    }
  }

  private mutating func nextScalar() -> UInt32 {
    let (value, length) = bytes.withUnsafeBufferPointer { UTF8Decoding.decode($0, at: index) }
    index += length
    return value
  }

  private mutating func skipPast(_ terminator: UInt8) -> Bool {
    while let byte = peek() {
      index += 1
      if byte == terminator { return true }
    }
    return false
  }

  private mutating func parseGroup() -> [PatternNode]? {
    let start = index
    index += 1  // "("
    var isAtomic = false
    var isLookaround = false
    if peek() == UInt8(ascii: "*") {
      // (*VERB) and (*UTF)-style settings.
      return skipPast(UInt8(ascii: ")")) ? [.zeroWidth] : nil
    }
    if peek() == UInt8(ascii: "?") {
      index += 1
      guard let kind = peek() else { return nil }
      switch kind {
      case UInt8(ascii: "#"):
        return skipPast(UInt8(ascii: ")")) ? [] : nil
      case UInt8(ascii: ":"), UInt8(ascii: "|"):
        index += 1
      case UInt8(ascii: ">"):
        index += 1
        isAtomic = true
      case UInt8(ascii: "="), UInt8(ascii: "!"):
        index += 1
        isLookaround = true
      case UInt8(ascii: "<") where peek(1) == UInt8(ascii: "=") || peek(1) == UInt8(ascii: "!"):
        index += 2
        isLookaround = true
      case UInt8(ascii: "<"), UInt8(ascii: "'"):
        index += 1
        guard skipPast(kind == UInt8(ascii: "<") ? UInt8(ascii: ">") : UInt8(ascii: "'"))
        else { return nil }
      case UInt8(ascii: "P"):
        index += 1
        if peek() == UInt8(ascii: "<") {
          guard skipPast(UInt8(ascii: ">")) else { return nil }
        } else {
          // (?P=name) back-reference or (?P>name) call.
          return skipPast(UInt8(ascii: ")")) ? [.unknown] : nil
        }
      case UInt8(ascii: "R"), UInt8(ascii: "&"), UInt8(ascii: "+"),
        UInt8(
          ascii: "0")...UInt8(
          ascii: "9"):
        return skipPast(UInt8(ascii: ")")) ? [.unknown] : nil
      case UInt8(ascii: "-") where peek(1).map { (0x30...0x39).contains($0) } ?? false:
        return skipPast(UInt8(ascii: ")")) ? [.unknown] : nil
      case UInt8(ascii: "C"):
        return skipPast(UInt8(ascii: ")")) ? [.zeroWidth] : nil
      case UInt8(ascii: "("):
        // Conditional group: skip the condition, analyse the branches like a group.
        guard skipPast(UInt8(ascii: ")")) else { return nil }
      default:
        // Inline options: (?i) (?x-i) (?^) or scoped (?i:...).
        var setting = true
        var newCaseless = caseless
        var newExtended = extended
        while let letter = peek(), letter != UInt8(ascii: ")"), letter != UInt8(ascii: ":") {
          switch letter {
          case UInt8(ascii: "-"): setting = false
          case UInt8(ascii: "^"):
            newCaseless = false
            newExtended = false
          case UInt8(ascii: "i"): newCaseless = setting
          case UInt8(ascii: "x"): newExtended = setting
          default: break
          }
          index += 1
        }
        guard let end = peek() else { return nil }
        index += 1
        if end == UInt8(ascii: ")") {
          caseless = newCaseless
          extended = newExtended
          return []
        }
        let (savedCaseless, savedExtended) = (caseless, extended)
        caseless = newCaseless
        extended = newExtended
        defer {
          caseless = savedCaseless
          extended = savedExtended
        }
        return finishGroup(start: start, isAtomic: false, isLookaround: false)
      }
    }
    return finishGroup(start: start, isAtomic: isAtomic, isLookaround: isLookaround)
  }

  private mutating func finishGroup(start: Int, isAtomic: Bool, isLookaround: Bool)
    -> [PatternNode]?
  {
    guard let (alternatives, ranges) = parseAlternatives() else { return nil }
    guard peek() == UInt8(ascii: ")") else { return nil }
    index += 1
    let group = PatternGroup(
      alternatives: alternatives, alternativeRanges: ranges, isAtomic: isAtomic,
      range: start..<index)
    return [isLookaround ? .lookaround(group) : .group(group)]
  }

  /// Parses `\…` outside a class.
  private mutating func parseEscape() -> [PatternNode]? {
    index += 1
    guard let letter = peek() else { return nil }
    if letter == UInt8(ascii: "Q") {
      index += 1
      var nodes: [PatternNode] = []
      while !atEnd {
        if peek() == UInt8(ascii: "\\") && peek(1) == UInt8(ascii: "E") {
          index += 2
          break
        }
        nodes.append(.character(.literal(nextScalar(), caseless: caseless)))
      }
      return nodes
    }
    switch letter {
    case UInt8(ascii: "E"):
      index += 1
      return []
    case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "A"), UInt8(ascii: "Z"),
      UInt8(ascii: "z"), UInt8(ascii: "G"), UInt8(ascii: "K"):
      index += 1
      return [.zeroWidth]
    case UInt8(ascii: "1")...UInt8(ascii: "9"):
      while let digit = peek(), (0x30...0x39).contains(digit) { index += 1 }
      return [.unknown]
    case UInt8(ascii: "g"), UInt8(ascii: "k"):
      index += 1
      if let open = peek() {
        let close: UInt8? =
          switch open {
          case UInt8(ascii: "{"): UInt8(ascii: "}")
          case UInt8(ascii: "<"): UInt8(ascii: ">")
          case UInt8(ascii: "'"): UInt8(ascii: "'")
          default: nil
          }
        if let close {
          index += 1
          guard skipPast(close) else { return nil }
        } else {
          if peek() == UInt8(ascii: "-") || peek() == UInt8(ascii: "+") { index += 1 }
          while let digit = peek(), (0x30...0x39).contains(digit) { index += 1 }
        }
      }
      return [.unknown]
    default:
      guard let set = parseEscapedCharacter(inClass: false) else { return nil }
      return [.character(set)]
    }
  }

  /// Parses the character or class escape after a backslash (already consumed).
  private mutating func parseEscapedCharacter(inClass: Bool) -> PatternCharacters? {
    guard let letter = peek() else { return nil }
    index += 1
    func set(_ item: PatternCharacters.Item) -> PatternCharacters {
      PatternCharacters(items: [item], caseless: caseless)
    }
    switch letter {
    case UInt8(ascii: "d"): return set(.digit(negated: false))
    case UInt8(ascii: "D"): return set(.digit(negated: true))
    case UInt8(ascii: "w"): return set(.word(negated: false))
    case UInt8(ascii: "W"): return set(.word(negated: true))
    case UInt8(ascii: "s"): return set(.space(negated: false))
    case UInt8(ascii: "S"): return set(.space(negated: true))
    case UInt8(ascii: "h"): return set(.horizontalSpace(negated: false))
    case UInt8(ascii: "H"): return set(.horizontalSpace(negated: true))
    case UInt8(ascii: "v"), UInt8(ascii: "R"): return set(.verticalSpace(negated: false))
    case UInt8(ascii: "V"): return set(.verticalSpace(negated: true))
    case UInt8(ascii: "N"): return set(.verticalSpace(negated: true))
    case UInt8(ascii: "X"), UInt8(ascii: "C"): return .anything
    case UInt8(ascii: "p"), UInt8(ascii: "P"):
      var name: [UInt8] = []
      if peek() == UInt8(ascii: "{") {
        index += 1
        while let byte = peek(), byte != UInt8(ascii: "}") {
          name.append(byte)
          index += 1
        }
        guard !atEnd else { return nil }
        index += 1
      } else if let byte = peek() {
        name = [byte]
        index += 1
      }
      var negated = letter == UInt8(ascii: "P")
      if name.first == UInt8(ascii: "^") {
        negated.toggle()
        name.removeFirst()
      }
      let property = String(decoding: name, as: UTF8.self).lowercased()
      if property.hasPrefix("l") && property.count <= 2 || property == "letter" {
        return set(.letter(negated: negated))
      }
      if property == "nd" || property == "n" {
        return set(.digit(negated: negated))
      }
      return .anything
    case UInt8(ascii: "x"):
      if peek() == UInt8(ascii: "{") {
        index += 1
        return literal(hexadecimal: readUntil(UInt8(ascii: "}")))
      }
      var digits: [UInt8] = []
      while digits.count < 2, let byte = peek(), isHexadecimal(byte) {
        digits.append(byte)
        index += 1
      }
      return literal(hexadecimal: digits)
    case UInt8(ascii: "o"):
      guard peek() == UInt8(ascii: "{") else { return nil }
      index += 1
      let digits = readUntil(UInt8(ascii: "}"))
      let value = digits.reduce(UInt32(0)) { ($0 &* 8) &+ UInt32($1 &- 0x30) }
      return .literal(value, caseless: caseless)
    case UInt8(ascii: "0"):
      var value: UInt32 = 0
      var count = 0
      while count < 2, let byte = peek(), (0x30...0x37).contains(byte) {
        value = value * 8 + UInt32(byte - 0x30)
        index += 1
        count += 1
      }
      return .literal(value, caseless: caseless)
    case UInt8(ascii: "c"):
      guard let control = peek() else { return nil }
      index += 1
      return .literal(UInt32(control & 0x1F), caseless: false)
    case UInt8(ascii: "n"): return .literal(0x0A, caseless: false)
    case UInt8(ascii: "r"): return .literal(0x0D, caseless: false)
    case UInt8(ascii: "t"): return .literal(0x09, caseless: false)
    case UInt8(ascii: "f"): return .literal(0x0C, caseless: false)
    case UInt8(ascii: "e"): return .literal(0x1B, caseless: false)
    case UInt8(ascii: "a"): return .literal(0x07, caseless: false)
    case UInt8(ascii: "b") where inClass: return .literal(0x08, caseless: false)
    default:
      index -= 1
      return .literal(nextScalar(), caseless: caseless)
    }
  }

  private func isHexadecimal(_ byte: UInt8) -> Bool {
    (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
  }

  private mutating func readUntil(_ terminator: UInt8) -> [UInt8] {
    var collected: [UInt8] = []
    while let byte = peek() {
      index += 1
      if byte == terminator { break }
      collected.append(byte)
    }
    return collected
  }

  private func literal(hexadecimal digits: [UInt8]) -> PatternCharacters {
    let value = UInt32(String(decoding: digits, as: UTF8.self), radix: 16) ?? 0xFFFD
    return .literal(min(value, 0x10FFFF), caseless: caseless)
  }

  /// Parses `[…]`, including a leading `]` or `^]`, POSIX `[:name:]` and escapes.
  private mutating func parseClass() -> PatternCharacters? {
    index += 1  // "["
    var set = PatternCharacters(items: [], caseless: caseless)
    if peek() == UInt8(ascii: "^") {
      set.negated = true
      index += 1
    }
    var first = true
    while true {
      guard let byte = peek() else { return nil }
      if byte == UInt8(ascii: "]") && !first {
        index += 1
        return set
      }
      first = false
      if byte == UInt8(ascii: "["), peek(1) == UInt8(ascii: ":") {
        index += 2
        let name = String(decoding: readUntil(UInt8(ascii: ":")), as: UTF8.self)
        guard peek() == UInt8(ascii: "]") else { return nil }
        index += 1
        set.items.append(Self.posixItem(name))
        continue
      }
      let low: PatternCharacters
      if byte == UInt8(ascii: "\\") {
        index += 1
        guard let escaped = parseEscapedCharacter(inClass: true) else { return nil }
        low = escaped
      } else {
        low = .literal(nextScalar(), caseless: caseless)
      }
      // A range "a-z" needs single characters on both sides; otherwise "-" is literal.
      if case .range(let lowValue, let lowEnd)? = low.items.first, lowValue == lowEnd,
        low.items.count == 1, !low.negated, peek() == UInt8(ascii: "-"), let after = peek(1),
        after != UInt8(ascii: "]")
      {
        index += 1
        let high: PatternCharacters
        if after == UInt8(ascii: "\\") {
          index += 1
          guard let escaped = parseEscapedCharacter(inClass: true) else { return nil }
          high = escaped
        } else {
          high = .literal(nextScalar(), caseless: caseless)
        }
        if case .range(let highValue, let highEnd)? = high.items.first, highValue == highEnd {
          set.items.append(.range(lowValue, max(lowValue, highValue)))
        } else {
          set.items.append(contentsOf: low.items + [.range(0x2D, 0x2D)] + high.items)
        }
        continue
      }
      if low.negated {
        // [\W] and the like: approximate by "anything" rather than model nested negation.
        set.items.append(.any)
      } else {
        set.items.append(contentsOf: low.items)
      }
    }
  }

  private static func posixItem(_ name: String) -> PatternCharacters.Item {
    let negated = name.hasPrefix("^")
    switch negated ? String(name.dropFirst()) : name {
    case "digit": return .digit(negated: negated)
    case "alpha", "lower", "upper": return .letter(negated: negated)
    case "alnum", "word": return .word(negated: negated)
    case "space": return .space(negated: negated)
    case "blank": return .horizontalSpace(negated: negated)
    default: return .any
    }
  }
}

// MARK: - Analysis

enum HazardAnalysis {
  static func visit(_ group: PatternGroup, into findings: inout [RegexHazardFinding]) {
    for alternative in group.alternatives {
      for piece in alternative {
        switch piece.node {
        case .group(let inner), .lookaround(let inner):
          if case .group = piece.node { check(piece, inner, into: &findings) }
          visit(inner, into: &findings)
        case .character, .zeroWidth, .unknown:
          break
        }
      }
    }
  }

  /// Checks one quantified group for the hazards documented on `RegexHazard`.
  private static func check(
    _ piece: PatternPiece, _ group: PatternGroup, into findings: inout [RegexHazardFinding]
  ) {
    guard !piece.isPossessive, !group.isAtomic else { return }
    let hazard: RegexHazard
    if let maximum = piece.maximum {
      guard maximum >= RegexHazard.largeRepetitionThreshold else { return }
      hazard = .largeRepetitionOfUnbounded(count: maximum)
    } else {
      hazard = .nestedQuantifier
    }
    var variable: [PatternPiece] = []
    for alternative in group.alternatives { collectVariable(alternative, into: &variable) }
    if let first = variable.first {
      let repeated = variable.flatMap { characters(of: $0.node) ?? [.anything] }
      let separated = group.alternatives.allSatisfy { alternative in
        requiredCharacters(alternative).contains { required in
          repeated.allSatisfy { required.isDisjoint(from: $0) }
        }
      }
      if !separated {
        findings.append(
          RegexHazardFinding(hazard: hazard, range: piece.range, innerRange: first.range))
        return
      }
    }
    guard piece.maximum == nil, group.alternatives.count >= 2 else { return }
    let starts = group.alternatives.map(firstCharacters)
    for later in starts.indices {
      for earlier in 0..<later where overlap(starts[earlier], starts[later]) {
        findings.append(
          RegexHazardFinding(
            hazard: .overlappingAlternation, range: piece.range,
            innerRange: group.alternativeRanges[later]))
        return
      }
    }
  }

  /// Pieces that repeat a variable number of times and can backtrack, at any depth.
  private static func collectVariable(_ pieces: [PatternPiece], into out: inout [PatternPiece]) {
    for piece in pieces where !piece.isPossessive {
      switch piece.node {
      case .group(let group):
        if group.isAtomic { continue }
        if piece.isVariable && piece.maximum != 0 {
          out.append(piece)
        } else {
          for alternative in group.alternatives { collectVariable(alternative, into: &out) }
        }
      case .character, .unknown:
        if piece.isVariable && piece.maximum != 0 { out.append(piece) }
      case .lookaround, .zeroWidth:
        continue
      }
    }
  }

  /// Characters a node can consume; nil when unknown (back-references).
  private static func characters(of node: PatternNode) -> [PatternCharacters]? {
    switch node {
    case .character(let set): return [set]
    case .zeroWidth, .lookaround: return []
    case .unknown: return nil
    case .group(let group):
      var sets: [PatternCharacters] = []
      for alternative in group.alternatives {
        for piece in alternative {
          guard let inner = characters(of: piece.node) else { return nil }
          sets.append(contentsOf: inner)
        }
      }
      return sets
    }
  }

  /// Single characters every match of `pieces` must contain, looking into plain groups that
  /// have one alternative.
  private static func requiredCharacters(_ pieces: [PatternPiece]) -> [PatternCharacters] {
    var sets: [PatternCharacters] = []
    for piece in pieces where piece.minimum >= 1 {
      switch piece.node {
      case .character(let set): sets.append(set)
      case .group(let group) where group.alternatives.count == 1:
        sets.append(contentsOf: requiredCharacters(group.alternatives[0]))
      case .group, .lookaround, .zeroWidth, .unknown: break
      }
    }
    return sets
  }

  /// Characters a match of `pieces` can start with; nil when unknown.
  private static func firstCharacters(_ pieces: [PatternPiece]) -> [PatternCharacters]? {
    var sets: [PatternCharacters] = []
    for piece in pieces {
      switch piece.node {
      case .character(let set):
        sets.append(set)
      case .unknown:
        return nil
      case .zeroWidth, .lookaround:
        continue
      case .group(let group):
        for alternative in group.alternatives {
          guard let inner = firstCharacters(alternative) else { return nil }
          sets.append(contentsOf: inner)
        }
      }
      if piece.minimum >= 1 && !canBeEmpty(piece.node) { return sets }
    }
    return sets
  }

  private static func canBeEmpty(_ node: PatternNode) -> Bool {
    switch node {
    case .character: return false
    case .zeroWidth, .lookaround, .unknown: return true
    case .group(let group):
      return group.alternatives.contains { alternative in
        alternative.allSatisfy { $0.minimum == 0 || canBeEmpty($0.node) }
      }
    }
  }

  private static func overlap(_ first: [PatternCharacters]?, _ second: [PatternCharacters]?) -> Bool
  {
    guard let first, let second else { return true }
    return first.contains { a in second.contains { b in !a.isDisjoint(from: b) } }
  }
}
