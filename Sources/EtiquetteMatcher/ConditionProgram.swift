import EtiquetteChecker
import EtiquetteDiagnostics
import EtiquetteSyntax

/// A trigger's condition compiled against the matcher's numbering: phrases and patterns by
/// index, `and` / `or` chains flattened (so a thousand-term `or` is one node, not a thousand
/// nested ones), and what is known before any message is seen.
final class ConditionProgram: Sendable {
  indirect enum Node: Sendable {
    case all([Node])
    case any([Node])
    case not(Node)
    case phrases(PhraseQuantifier, PhraseList)
    case pattern(Pattern, Int32)
    /// Anything not about the message text, answered by the caller's facts.
    case fact(ConditionAtom)
  }

  struct PhraseOperand: Sendable {
    var phrase: Phrase
    var id: Int32
  }

  /// The phrases of one `contains`, with their ids sorted for lookups from the scan's side.
  final class PhraseList: Sendable {
    let operands: [PhraseOperand]
    /// Operand ids sorted, and the operand index of each (same order).
    let sortedIDs: [Int32]
    let positions: [Int]
    /// Per sorted index: the operand's position, span and text together, so that evidence for
    /// a hit found by `sortedIDs` reads one place in memory instead of three tables (with big
    /// lists each table read is a cache miss).
    let sortedOperands: [SortedOperand]

    struct SortedOperand: Sendable {
      var position: Int
      var span: SourceSpan
      var text: String
    }

    init(_ operands: [PhraseOperand]) {
      self.operands = operands
      let order = operands.indices.sorted { (operands[$0].id, $0) < (operands[$1].id, $1) }
      sortedIDs = order.map { operands[$0].id }
      positions = order
      sortedOperands = order.map {
        SortedOperand(position: $0, span: operands[$0].phrase.span, text: operands[$0].phrase.text)
      }
    }
  }

  let root: Node
  /// Every phrase and pattern index the condition mentions, for "did any of them fire?".
  let phraseIDs: [Int32]
  let patterns: [(pattern: Pattern, id: Int32)]
  /// `patterns.map(\.id)`, read on every evaluation without touching the patterns' strings.
  let patternIDs: [Int32]
  /// True when the condition is false whenever none of its text atoms fired, whatever the
  /// other atoms say: the evaluation can then be skipped on texts where none fired.
  let requiresText: Bool

  init(
    _ tree: ConditionTree, phraseIndex: [String: Int], patternIndex: [Pattern: Int]
  ) {
    var phraseIDs: [Int32] = []
    var patterns: [(pattern: Pattern, id: Int32)] = []
    func compile(_ tree: ConditionTree) -> Node {
      switch tree {
      case .and, .or:
        let isAnd: Bool
        if case .and = tree { isAnd = true } else { isAnd = false }
        // Flatten the chain with an explicit stack: the parser builds left-deep trees.
        var operands: [ConditionTree] = []
        var stack: [ConditionTree] = [tree]
        while let node = stack.popLast() {
          switch node {
          case .and(let left, let right) where isAnd:
            stack.append(right)
            stack.append(left)
          case .or(let left, let right) where !isAnd:
            stack.append(right)
            stack.append(left)
          default:
            operands.append(node)
          }
        }
        let children = operands.map(compile)
        return isAnd ? .all(children) : .any(children)
      case .not(let child):
        return .not(compile(child))
      case .atom(let atom):
        switch atom.kind {
        case .contains(let quantifier, let phrases):
          let operands = phrases.compactMap { phrase -> PhraseOperand? in
            guard let id = phraseIndex[MatcherTables.key(of: phrase)] else { return nil }
            phraseIDs.append(Int32(id))
            return PhraseOperand(phrase: phrase, id: Int32(id))
          }
          return .phrases(quantifier, PhraseList(operands))
        case .matches(let pattern):
          guard let id = patternIndex[pattern] else { return .fact(atom) }
          patterns.append((pattern, Int32(id)))
          return .pattern(pattern, Int32(id))
        case .comparison, .event, .label, .mode, .during:
          return .fact(atom)
        }
      }
    }
    root = compile(tree)
    // Sorted, each once (without a `Set`: a hash table per trigger cost more than the sort).
    phraseIDs.sort()
    var distinct = 0
    for id in phraseIDs where distinct == 0 || phraseIDs[distinct - 1] != id {
      phraseIDs[distinct] = id
      distinct += 1
    }
    phraseIDs.removeSubrange(distinct...)
    self.phraseIDs = phraseIDs
    self.patterns = patterns
    patternIDs = patterns.map(\.id)
    requiresText = Self.valueWithoutText(root) == .no
  }

  /// Three-valued logic: the condition's value when every text atom is false and every other
  /// atom is unknown.
  enum Truth { case yes, no, unknown }

  static func valueWithoutText(_ node: Node) -> Truth {
    switch node {
    case .all(let children):
      var result = Truth.yes
      for child in children {
        switch valueWithoutText(child) {
        case .no: return .no
        case .unknown: result = .unknown
        case .yes: break
        }
      }
      return result
    case .any(let children):
      var result = Truth.no
      for child in children {
        switch valueWithoutText(child) {
        case .yes: return .yes
        case .unknown: result = .unknown
        case .no: break
        }
      }
      return result
    case .not(let child):
      switch valueWithoutText(child) {
      case .yes: return .no
      case .no: return .yes
      case .unknown: return .unknown
      }
    case .phrases(let quantifier, let list):
      // `contains all []` cannot be written (the grammar needs one phrase), but an empty list
      // of known phrases would be vacuously true for `all`.
      return quantifier == .all && list.operands.isEmpty ? .yes : .no
    case .pattern: return .no
    case .fact: return .unknown
    }
  }
}
