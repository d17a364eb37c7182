/// The long explanation of one diagnostic code, printed by `etiquette explain CODE`.
///
/// Each module keeps its codes, messages and explanations in one catalogue file, so wording is
/// reviewed in one place; the CLI gathers the catalogues.
public struct CodeExplanation: Sendable, Hashable {
  public let code: DiagnosticCode
  /// A short title, as in the README's table ("unterminated string").
  public let title: String
  /// Several sentences: what is wrong, why Etiquette rejects it, how to fix it.
  public let explanation: String
  /// A small erroneous example, shown under the explanation.
  public let example: String

  public init(_ code: DiagnosticCode, title: String, explanation: String, example: String) {
    self.code = code
    self.title = title
    self.explanation = explanation
    self.example = example
  }
}
