import EtiquetteDiagnostics
import EtiquetteSyntax

/// Resolves labels' triggers, then orders labels so that each comes after those its triggers
/// refer to; a cycle is reported in full ("A" → "B" → "A").
enum LabelPass {
  static func run(
    _ decls: [(LabelDecl, LabelID?)], resolver: ConditionResolver, _ ctx: inout CheckContext
  ) -> (labels: [LabelDefinition], order: [LabelID]) {
    var labels: [LabelDefinition] = []
    // Where each dependency is written, for the cycle's secondary labels.
    var referenceSpans: [LabelID: [LabelID: SourceSpan]] = [:]
    // Each former name and where it is first claimed: one label per former name.
    var formerNameClaims: [String: SourceSpan] = [:]
    for (decl, id) in decls {
      var formerNames: [String] = []
      var color: String?
      var description: String?
      var add: [LabelTrigger] = []
      var remove: [LabelTrigger] = []
      var references: [LabelID: SourceSpan] = [:]
      for clause in decl.clauses {
        switch clause.kind {
        case .color(let c): color = c.value
        case .description(let d): description = d.value
        case .was(let former):
          if ctx.labels[former.value] != nil {
            ctx.report(
              CheckerCatalogue.formerNameInUse(
                former.value, owner: decl.name.value, at: former.span))
          } else if let first = formerNameClaims[former.value] {
            ctx.report(
              CheckerCatalogue.formerNameClaimedTwice(
                former.value, at: former.span, first: first))
          } else {
            formerNameClaims[former.value] = former.span
            formerNames.append(former.value)
          }
        case .when(let condition), .removeWhen(let condition):
          collectLabelReferences(condition, ctx, into: &references)
          guard let tree = resolver.resolve(condition, &ctx) else { continue }
          let trigger = LabelTrigger(
            condition: tree, span: clause.span,
            canonicalText: ClauseText.canonical(clause.span, in: ctx.sources))
          if case .when = clause.kind { add.append(trigger) } else { remove.append(trigger) }
        }
      }
      guard let id else { continue }
      referenceSpans[id] = references
      var label = LabelDefinition(
        id: id, name: decl.name.value, color: color, description: description,
        addTriggers: add, removeTriggers: remove, dependencies: references.keys.sorted(),
        nameSpan: decl.name.span, span: decl.span)
      label.formerNames = formerNames
      labels.append(label)
    }
    let order = evaluationOrder(labels, referenceSpans: referenceSpans, &ctx)
    return (labels, order)
  }

  /// `label "X"` atoms that resolve, with the span of their first occurrence.
  private static func collectLabelReferences(
    _ condition: Condition, _ ctx: CheckContext, into out: inout [LabelID: SourceSpan]
  ) {
    var stack = [condition]
    while let node = stack.popLast() {
      switch node {
      case .and(let l, let r, _), .or(let l, let r, _): stack += [r, l]
      case .not(let c, _), .parenthesized(let c, _): stack.append(c)
      case .atom(let atom):
        if case .label(let name) = atom.kind, let id = ctx.labels[name.value], out[id] == nil {
          out[id] = atom.span
        }
      }
    }
  }

  /// Depth-first topological order (dependencies first, ties in declaration order). A back edge
  /// closes a cycle, which is reported once, starting from its earliest-declared label.
  static func evaluationOrder(
    _ labels: [LabelDefinition], referenceSpans: [LabelID: [LabelID: SourceSpan]],
    _ ctx: inout CheckContext
  ) -> [LabelID] {
    enum Mark { case unvisited, active, done }
    var marks = [Mark](repeating: .unvisited, count: labels.count)
    var order: [LabelID] = []
    var reportedCycles = Set<[LabelID]>()
    let byID = Dictionary(uniqueKeysWithValues: labels.map { ($0.id.rawValue, $0) })

    for root in labels {
      guard marks[root.id.rawValue] == .unvisited else { continue }
      // Iterative DFS: (label, next dependency index); `path` mirrors the active stack.
      var stack: [(LabelID, Int)] = [(root.id, 0)]
      var path: [LabelID] = [root.id]
      marks[root.id.rawValue] = .active
      while let (current, next) = stack.last {
        let deps = byID[current.rawValue]?.dependencies ?? []
        if next < deps.count {
          stack[stack.count - 1].1 += 1
          let dep = deps[next]
          guard marks.indices.contains(dep.rawValue) else { continue }
          switch marks[dep.rawValue] {
          case .unvisited:
            marks[dep.rawValue] = .active
            stack.append((dep, 0))
            path.append(dep)
          case .active:
            guard let start = path.firstIndex(of: dep) else { continue }
            let cycle = Array(path[start...])
            // Rotate so the earliest label leads: the same cycle is reported once.
            let minIndex = cycle.indices.min { cycle[$0] < cycle[$1] } ?? 0
            let rotated = Array(cycle[minIndex...] + cycle[..<minIndex])
            if reportedCycles.insert(rotated).inserted {
              reportCycle(rotated, labels: byID, referenceSpans: referenceSpans, &ctx)
            }
          case .done:
            break
          }
        } else {
          marks[current.rawValue] = .done
          order.append(current)
          stack.removeLast()
          path.removeLast()
        }
      }
    }
    return order
  }

  private static func reportCycle(
    _ cycle: [LabelID], labels: [Int: LabelDefinition],
    referenceSpans: [LabelID: [LabelID: SourceSpan]], _ ctx: inout CheckContext
  ) {
    let names = (cycle + [cycle[0]]).map { labels[$0.rawValue]?.name ?? "?" }
    // The primary span is the reference that closes the cycle; the others follow it round.
    var links: [DiagnosticLabel] = []
    for (index, from) in cycle.enumerated() {
      let to = cycle[(index + 1) % cycle.count]
      if let span = referenceSpans[from]?[to] {
        let fromName = labels[from.rawValue]?.name ?? "?"
        let toName = labels[to.rawValue]?.name ?? "?"
        links.append(DiagnosticLabel(span, "\"\(fromName)\" depends on \"\(toName)\""))
      }
    }
    guard let last = links.popLast() else { return }
    ctx.report(CheckerCatalogue.labelCycle(names, at: last.span, links: links))
  }
}
