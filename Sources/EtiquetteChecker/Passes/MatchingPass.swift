import EtiquetteDiagnostics
import EtiquetteSyntax
import EtiquetteText

/// How messages are matched (issue 19): the rule set's language and its synonyms.
enum MatchingPass {
  /// The declared language; French when none is. Declarations after the first that name
  /// another language are reported: one rule set has one language.
  static func language(_ declarations: [LanguageDecl], _ ctx: inout CheckContext)
    -> RuleLanguage
  {
    guard let first = declarations.first else { return .fr }
    for other in declarations.dropFirst() where other.language.value != first.language.value {
      ctx.report(
        CheckerCatalogue.conflictingLanguage(
          other.language.value.rawValue, first: first.language.value.rawValue,
          at: other.language.span, firstSpan: first.language.span))
    }
    return first.language.value
  }

  /// Every pair, normalised; a side that normalises to nothing is reported (E057) and the pair
  /// dropped.
  static func synonyms(_ declarations: [SynonymsDecl], _ ctx: inout CheckContext) -> [Synonym] {
    var synonyms: [Synonym] = []
    for declaration in declarations {
      for pair in declaration.pairs {
        guard let written = TextChecks.phrase(pair.written, &ctx),
          let meaning = TextChecks.phrase(pair.meaning, &ctx)
        else { continue }
        synonyms.append(
          Synonym(
            written: pair.written.value, meaning: pair.meaning.value,
            writtenNormalized: written.normalized, meaningNormalized: meaning.normalized,
            span: pair.span))
      }
    }
    return synonyms
  }
}
