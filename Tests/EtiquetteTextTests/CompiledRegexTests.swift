import Testing

@testable import EtiquetteText

@Suite struct CompiledRegexTests {
  // MARK: Compile errors

  @Test(arguments: [
    ("a(b", 3),
    ("[a", 2),
    ("a{2,1}", 5),
    ("(?<n", 4),
    ("*a", 0),
    ("a\\", 2),
    ("(?P<1a>x)", 4),
    ("é(", 3),  // offsets are in bytes: "é" is two
  ])
  func compileErrorsCarryTheByteOffset(pattern: String, offset: Int) {
    #expect(throws: RegexCompileError.self) { try CompiledRegex(pattern: pattern) }
    do {
      _ = try CompiledRegex(pattern: pattern)
    } catch {
      #expect(error.offset == offset, "\(pattern): \(error.message)")
      #expect(!error.message.isEmpty)
      #expect(error.code > 0)
    }
  }

  @Test func compileErrorMessageIsPCRE2s() {
    #expect(throws: RegexCompileError(message: "missing closing parenthesis", offset: 3, code: 114))
    {
      try CompiledRegex(pattern: "a(b")
    }
  }

  @Test func hugeAndDeeplyNestedPatternsFailCleanly() {
    let deep = String(repeating: "(", count: 10_000) + "a" + String(repeating: ")", count: 10_000)
    #expect(throws: RegexCompileError.self) { try CompiledRegex(pattern: deep) }
    #expect(throws: RegexCompileError.self) { try CompiledRegex(pattern: "\u{0}(") }
  }

  // MARK: Flags

  @Test func flagsMapToOptions() {
    let (options, invalid) = RegexOptions.options(fromFlags: "imsxu")
    #expect(options == [.caseless, .multiline, .dotAll, .extended])
    #expect(invalid.isEmpty)
  }

  @Test func unknownFlagsAreReportedWithTheirIndex() {
    let (options, invalid) = CompiledRegex.options(fromFlags: "igé")
    #expect(options == .caseless)
    #expect(invalid.map(\.0) == ["g", "é"])
    #expect(invalid.map(\.1) == [1, 2])
  }

  @Test func emptyFlagsMeanNoOptions() {
    let (options, invalid) = RegexOptions.options(fromFlags: "")
    #expect(options.isEmpty)
    #expect(invalid.isEmpty)
  }

  // MARK: Matching

  @Test func matchRangesAreUTF8Bytes() throws {
    let regex = try CompiledRegex(pattern: "réservé")
    let subject = "J’ai réservé"
    #expect(regex.firstMatch(in: subject) == .match(7..<16))
    #expect(regex.firstMatch(in: Array(subject.utf8)) == .match(7..<16))
    #expect(regex.firstMatch(in: "rien") == .noMatch)
  }

  @Test func caselessMatchingFollowsUnicode() throws {
    let regex = try CompiledRegex(pattern: "réservé", options: .caseless)
    #expect(regex.firstMatch(in: "RÉSERVÉ") == .match(0..<9))
    #expect(regex.firstMatch(in: "reserve") == .noMatch)
    let greek = try CompiledRegex(pattern: "σ", options: .caseless)
    #expect(greek.firstMatch(in: "Σ") == .match(0..<2))
  }

  @Test func wordBoundariesUnderstandAccentedLetters() throws {
    let regex = try CompiledRegex(pattern: "\\bété\\b")
    #expect(regex.firstMatch(in: "cet été là") == .match(4..<9))
    // With UCP, "é" is a word character, so "été" inside "étés" has no boundary after it.
    #expect(regex.firstMatch(in: "les étés") == .noMatch)
    let word = try CompiledRegex(pattern: "\\w+")
    #expect(word.firstMatch(in: "«Ça»") == .match(2..<5))
  }

  @Test func optionsChangeMatching() throws {
    let multiline = try CompiledRegex(pattern: "^b", options: .multiline)
    #expect(multiline.firstMatch(in: "a\nb") == .match(2..<3))
    let single = try CompiledRegex(pattern: "^b")
    #expect(single.firstMatch(in: "a\nb") == .noMatch)
    let dotAll = try CompiledRegex(pattern: "a.b", options: .dotAll)
    #expect(dotAll.firstMatch(in: "a\nb") == .match(0..<3))
    let extended = try CompiledRegex(pattern: "a b # comment", options: .extended)
    #expect(extended.firstMatch(in: "xab") == .match(1..<3))
  }

  @Test func startOffsetIsHonoured() throws {
    let regex = try CompiledRegex(pattern: "a")
    #expect(regex.firstMatch(in: "a_a", from: 1) == .match(2..<3))
    guard case .failed = regex.firstMatch(in: "a", from: 5) else {
      Issue.record("an out-of-range start must fail")
      return
    }
  }

  @Test func startInsideACharacterFails() throws {
    let regex = try CompiledRegex(pattern: ".")
    // "é" is C3 A9: offset 1 is its second byte, for strings and for checked bytes alike.
    guard case .failed = regex.firstMatch(in: "éa", from: 1) else {
      Issue.record("a start inside a character must fail")
      return
    }
    guard case .failed = regex.firstMatch(in: Array("éa".utf8), from: 1) else {
      Issue.record("a start inside a character must fail")
      return
    }
    #expect(regex.firstMatch(in: "éa", from: 2) == .match(2..<3))
  }

  @Test func emptyPatternAndEmptySubject() throws {
    let empty = try CompiledRegex(pattern: "")
    #expect(empty.firstMatch(in: "") == .match(0..<0))
    #expect(empty.firstMatch(in: [UInt8]()) == .match(0..<0))
    let a = try CompiledRegex(pattern: "a")
    #expect(a.firstMatch(in: "") == .noMatch)
  }

  @Test func normalizedTextCanBeSearchedAndMappedBack() throws {
    let message = "Bonjour, J’AI RÉSERVÉ"
    let normalized = Normalizer.normalize(message)
    let regex = try CompiledRegex(pattern: "j'ai reserve")
    guard case .match(let range) = regex.firstMatch(in: normalized) else {
      Issue.record("no match in \(normalized.string)")
      return
    }
    let span = normalized.originalRange(of: range)
    #expect(String(decoding: Array(message.utf8)[span], as: UTF8.self) == "J’AI RÉSERVÉ")
  }

  // MARK: Hostile input

  @Test func catastrophicPatternStopsAtTheLimit() throws {
    let regex = try CompiledRegex(pattern: "(a+)+$")
    let subject = String(repeating: "a", count: 100_000) + "b"
    let outcome = regex.firstMatch(in: subject)
    switch outcome {
    case .limitExceeded(let reason):
      #expect(!reason.isEmpty)
    case .noMatch:
      break  // also acceptable: PCRE2 may prove there is no match
    case .match, .failed:
      Issue.record("unexpected outcome \(outcome)")
    }
  }

  @Test func smallerLimitsStopEarlier() throws {
    let regex = try CompiledRegex(pattern: "(a|aa)+$")
    let subject = String(repeating: "a", count: 64) + "b"
    let limits = MatchLimits(matchLimit: 1_000, depthLimit: 1_000, heapLimitKiB: 1_024)
    guard case .limitExceeded = regex.firstMatch(in: subject, limits: limits) else {
      Issue.record("a tight limit must be reported as exceeded")
      return
    }
  }

  @Test func tenMegabyteSubject() throws {
    var subject = [UInt8](repeating: UInt8(ascii: "x"), count: 10_000_000)
    subject.append(contentsOf: Array("CMD-123456".utf8))
    let regex = try CompiledRegex(pattern: "\\bCMD-\\d{6}\\b")
    #expect(regex.firstMatch(in: subject) == .noMatch)  // "xCMD": no boundary before C
    subject[subject.count - 11] = UInt8(ascii: " ")
    #expect(regex.firstMatch(in: subject) == .match(10_000_000..<10_000_010))
    // A pattern that recurses per character: the JIT stack (or the heap limit) must cope.
    let alternation = try CompiledRegex(pattern: "^(?:x|y)*$")
    let outcome = alternation.firstMatch(
      in: [UInt8](repeating: UInt8(ascii: "x"), count: 1_000_000))
    switch outcome {
    case .match(let range): #expect(range == 0..<1_000_000)
    case .limitExceeded: break  // acceptable: reported, not crashed
    case .noMatch, .failed: Issue.record("unexpected outcome \(outcome)")
    }
  }

  @Test(arguments: [
    [UInt8]([0x61, 0xFF, 0x62]),
    [0xC3],
    [0xED, 0xA0, 0x80],
    [0x61, 0x62, 0xF0, 0x9F],
  ])
  func invalidUTF8SubjectsFail(subject: [UInt8]) throws {
    let regex = try CompiledRegex(pattern: "b")
    guard case .failed(let reason) = regex.firstMatch(in: subject) else {
      Issue.record("invalid UTF-8 must be reported")
      return
    }
    #expect(reason.contains("UTF-8"))
  }

  @Test func concurrentSearchesAgree() async throws {
    let regex = try CompiledRegex(pattern: "\\b(?:bug|erreur|crash)\\b", options: .caseless)
    let subjects = (0..<200).map { index in
      index.isMultiple(of: 3) ? "Il y a un BUG n°\(index)" : "tout va bien \(index)"
    }
    let expected = subjects.map { regex.firstMatch(in: $0) }
    let results = await withTaskGroup(of: (Int, [RegexMatchOutcome]).self) { group in
      for worker in 0..<8 {
        group.addTask {
          var outcomes: [RegexMatchOutcome] = []
          for _ in 0..<20 { outcomes = subjects.map { regex.firstMatch(in: $0) } }
          return (worker, outcomes)
        }
      }
      var collected: [[RegexMatchOutcome]] = []
      for await (_, outcomes) in group { collected.append(outcomes) }
      return collected
    }
    #expect(results.count == 8)
    for outcomes in results { #expect(outcomes == expected) }
    #expect(expected.filter { $0 != .noMatch }.count == 67)
  }

  @Test func jitIsUsedWhenAvailable() throws {
    // Debian's libpcre2 is built with JIT on x86-64; if not, the interpreter must still work.
    let regex = try CompiledRegex(pattern: "a+")
    #expect(regex.firstMatch(in: "baa") == .match(1..<3))
    #expect(regex.pattern == "a+")
    #expect(regex.isJITCompiled || !regex.isJITCompiled)
  }
}
