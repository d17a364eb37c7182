import EtiquetteChecker
import EtiquetteDiagnostics

/// The matcher's diagnostics: what compiling a checked rule set reveals about its cost.
/// Codes W030–W039; the wording is reviewed here, in one place.
public enum MatcherCatalogue {
  public static let slowPatternCode: DiagnosticCode = "W030"

  public static let explanations: [CodeExplanation] = [
    CodeExplanation(
      slowPatternCode, title: "slow pattern: no literal to prefilter on",
      explanation: """
        Etiquette runs a regular expression only on messages that contain one of its literal \
        parts (a word, a punctuation mark, a digit), found by the same one-pass scan that \
        finds phrases. A pattern with no literal part it can rely on, such as `/^.{200,}$/` or \
        `/\\w+@\\w+/`, has to run on every message of every conversation. It still works, and \
        every match stays bounded by PCRE2's limits, but a rule set with many such patterns \
        labels messages noticeably slower. Add a literal the pattern always needs (for example \
        `@` in an e-mail pattern is already one; a pattern of classes only has none), or use \
        `message contains` when a phrase is enough.
        """,
      example: """
        label "Longs messages" {
          when message matches /^.{500,}$/s
        }
        """)
  ]

  /// One warning per distinct pattern that runs on every message, at its first appearance.
  public static func slowPatterns(in matcher: RuleMatcher) -> [Diagnostic] {
    matcher.patternsWithoutPrefilter.map { pattern in
      Diagnostic(
        slowPatternCode, "slow pattern: no literal to prefilter on",
        at: pattern.span, label: "runs on every message",
        help: "add a literal word or character the pattern always needs, or use `message contains`"
      )
    }
  }
}
