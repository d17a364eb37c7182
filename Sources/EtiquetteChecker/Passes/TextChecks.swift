import EtiquetteDiagnostics
import EtiquetteSyntax
import EtiquetteText

/// The checker's only contact with EtiquetteText: phrase normalisation and PCRE2 compilation.
enum TextChecks {
  /// The phrase as the matcher will look for it, or nil (reported) when nothing is left.
  static func phrase(
    _ literal: StringLiteral, modes: PhraseModes = [], _ ctx: inout CheckContext
  ) -> Phrase? {
    let normalized = Normalizer.normalize(literal.value).string
    guard normalized.contains(where: { !$0.isWhitespace }) else {
      ctx.report(CheckerCatalogue.emptyPhrase(literal.value, at: literal.span))
      return nil
    }
    return Phrase(
      text: literal.value, normalized: normalized, span: literal.span, modes: modes)
  }

  /// Validates flags and compiles the pattern with PCRE2; errors point inside the literal.
  static func pattern(_ regex: RegexLiteral, _ ctx: inout CheckContext) -> Pattern? {
    let (options, invalid) = CompiledRegex.options(fromFlags: regex.flags)
    var ok = true
    for (flag, offset) in invalid {
      ok = false
      let start = regex.flagsSpan.start + flagByteOffset(regex.flags, characterOffset: offset)
      let span = SourceSpan(
        file: regex.flagsSpan.file, start: start, end: start + String(flag).utf8.count)
      ctx.report(CheckerCatalogue.invalidRegexFlag(flag, at: span))
    }
    do {
      let compiled = try CompiledRegex(pattern: regex.pattern, options: options)
      _ = compiled
    } catch {
      ok = false
      ctx.report(CheckerCatalogue.regexSyntax(error.message, at: errorSpan(regex, error.offset)))
    }
    guard ok else { return nil }
    let flags = Set(regex.flags.compactMap { RegexFlag(rawValue: $0) }).sorted()
    return Pattern(
      source: regex.pattern, flagText: regex.flags, flags: flags, span: regex.span,
      patternSpan: regex.patternSpan)
  }

  /// The catastrophic-backtracking findings of a valid pattern, as spans in the file.
  static func hazards(_ pattern: Pattern) -> [(String, SourceSpan)] {
    let (options, _) = CompiledRegex.options(fromFlags: pattern.flagText)
    return CompiledRegex.hazards(in: pattern.source, options: options).map { finding in
      let start =
        pattern.patternSpan.start + min(finding.range.lowerBound, pattern.source.utf8.count)
      let end = pattern.patternSpan.start + min(finding.range.upperBound, pattern.source.utf8.count)
      let span = SourceSpan(file: pattern.patternSpan.file, start: start, end: end)
      return (describe(finding.hazard), span)
    }
  }

  private static func describe(_ hazard: RegexHazard) -> String {
    switch hazard {
    case .nestedQuantifier: "a repeated group repeats its own content"
    case .overlappingAlternation: "repeated alternatives can match the same text"
    case .largeRepetitionOfUnbounded(let count):
      "an unbounded repetition is itself repeated \(count) times"
    }
  }

  /// PCRE2 reports a byte offset into the pattern; the pattern is the literal's source text, so
  /// the error is at `patternSpan.start + offset`. One character is underlined (none at the end).
  static func errorSpan(_ regex: RegexLiteral, _ offset: Int) -> SourceSpan {
    let bytes = Array(regex.pattern.utf8)
    let clamped = min(max(offset, 0), bytes.count)
    var end = clamped
    if end < bytes.count {
      end += 1
      while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
    }
    let base = regex.patternSpan.start
    return SourceSpan(file: regex.patternSpan.file, start: base + clamped, end: base + end)
  }

  /// The flags are ASCII in valid files, but a stray non-ASCII letter must still land on its own
  /// column: convert the character offset reported for it to a byte offset.
  private static func flagByteOffset(_ flags: String, characterOffset: Int) -> Int {
    flags.prefix(characterOffset).utf8.count
  }
}
