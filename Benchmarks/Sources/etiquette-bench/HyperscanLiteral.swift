import CHyperscan
import EtiquetteText
import Foundation

/// Hyperscan set up as an expert would for this job (issue 20): the phrases as literals
/// (`hs_compile_lit_multi`) over the same normalised text Etiquette matches — normalisation
/// timed, with the same allocation-free `Normalizer.withNormalized` — and the word boundaries
/// checked in the match callback, as Etiquette checks them after its trie walk; the regexes in
/// a second database over the original text (UTF-8 and UCP, as Etiquette's PCRE2 runs them).
///
/// No `HS_FLAG_CASELESS` on the literals: the normalised text and phrases are case-folded
/// already, so a caseless database would only be slower. No `HS_FLAG_SINGLEMATCH` either: an
/// occurrence that fails the boundary check must not hide a later one that passes. Every
/// message labels like Etiquette's `evaluateCandidates`: the labels (100 phrase groups and one
/// per regex) that hold, counted from a bit set.
final class HyperscanLiteralRun: LabellingEngine {
  let phraseDatabase: OpaquePointer
  let regexDatabase: OpaquePointer
  let scratch: OpaquePointer
  let messages: [String]
  let originals: [[UInt8]]
  /// Per phrase id: its normalised length (a literal's match starts `length` bytes before its
  /// end) and its label.
  let lengths: [Int32]
  let phraseLabels: [Int32]
  let groups: Int
  let literalCompileSeconds: Double
  let regexCompileSeconds: Double
  /// Whether the regex database has `HS_FLAG_UCP` (Unicode `\w` `\b` `\d`, as PCRE2 with UCP),
  /// and why not.
  let regexUCP: Bool
  private(set) var ucpFailure: String?

  /// What the match callbacks read and write: the text (for the boundary check), the lengths,
  /// and the bit set of labels; `phrases` collects phrase ids for the cross-check.
  struct Context {
    var text: UnsafePointer<UInt8>
    var count: Int
    var lengths: UnsafePointer<Int32>
    var phraseLabels: UnsafePointer<Int32>
    var labels: UnsafeMutablePointer<UInt64>
    var regexBase: Int
    var phrases: UnsafeMutablePointer<[Int]>?
  }

  init?(workload: Workload, messages: [String], groups: Int = 100) {
    let clock = ContinuousClock()
    let normalizedPhrases = workload.phrases.map { Normalizer.normalize($0).bytes }
    var phrases: OpaquePointer?
    var error: UnsafeMutablePointer<hs_compile_error_t>?
    let cStrings = normalizedPhrases.map { bytes -> UnsafeMutablePointer<CChar> in
      let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
      for (index, byte) in bytes.enumerated() { pointer[index] = CChar(bitPattern: byte) }
      return pointer
    }
    defer { for pointer in cStrings { pointer.deallocate() } }
    let expressions: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) }
    let lengths = normalizedPhrases.map(\.count)
    let flags = [UInt32](repeating: 0, count: lengths.count)
    let ids = (0..<UInt32(lengths.count)).map { $0 }
    // The best of three compiles, as Etiquette's: other jobs on the machine can only slow one.
    var status = HS_SUCCESS
    var literalCompile = Double.infinity
    for _ in 0..<3 {
      if let phrases { hs_free_database(phrases) }
      phrases = nil
      let start = clock.now
      status = hs_compile_lit_multi(
        expressions, flags, ids, lengths, UInt32(lengths.count), UInt32(HS_MODE_BLOCK), nil,
        &phrases, &error)
      literalCompile = min(literalCompile, seconds(clock.now - start))
      if status != HS_SUCCESS { break }
    }
    literalCompileSeconds = literalCompile
    guard status == HS_SUCCESS, let phrases else {
      print("  hyperscan-literal: compile failed: \(Self.message(error, status))")
      return nil
    }
    var regexes: OpaquePointer?
    // UCP (Unicode `\w` `\b` `\d`, as Etiquette's PCRE2) when Hyperscan accepts the regexes
    // with it; it does not accept `\b` in UCP mode, so the rule set's regexes run without.
    var ucp = true
    var regexStatus = Self.compileRegexes(workload.regexes, ucp: true, into: &regexes, &error)
    if regexStatus != HS_SUCCESS {
      ucpFailure = Self.message(error, regexStatus)
      error = nil
      ucp = false
    }
    var regexCompile = Double.infinity
    for _ in 0..<3 {
      if let regexes { hs_free_database(regexes) }
      regexes = nil
      let start = clock.now
      regexStatus = Self.compileRegexes(workload.regexes, ucp: ucp, into: &regexes, &error)
      regexCompile = min(regexCompile, seconds(clock.now - start))
      if regexStatus != HS_SUCCESS { break }
    }
    regexCompileSeconds = regexCompile
    guard regexStatus == HS_SUCCESS, let regexes else {
      print("  hyperscan-literal: regex compile failed: \(Self.message(error, regexStatus))")
      hs_free_database(phrases)
      return nil
    }
    regexUCP = ucp
    var scratch: OpaquePointer?
    hs_alloc_scratch(phrases, &scratch)
    hs_alloc_scratch(regexes, &scratch)
    guard let scratch else { return nil }
    phraseDatabase = phrases
    regexDatabase = regexes
    self.scratch = scratch
    self.lengths = lengths.map { Int32($0) }
    phraseLabels = (0..<lengths.count).map { Int32($0 % groups) }
    self.groups = groups
    self.messages = messages
    originals = messages.map { Array($0.utf8) }
  }

  private static func compileRegexes(
    _ regexes: [(String, String)], ucp: Bool, into database: inout OpaquePointer?,
    _ error: inout UnsafeMutablePointer<hs_compile_error_t>?
  ) -> hs_error_t {
    let cStrings = regexes.map { strdup($0.0) }
    defer { for cString in cStrings { free(cString) } }
    let expressions: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) }
    let flags = regexes.map { _, flags -> UInt32 in
      var bits = UInt32(HS_FLAG_SINGLEMATCH | HS_FLAG_UTF8)
      if ucp { bits |= UInt32(HS_FLAG_UCP) }
      if flags.contains("i") { bits |= UInt32(HS_FLAG_CASELESS) }
      if flags.contains("m") { bits |= UInt32(HS_FLAG_MULTILINE) }
      if flags.contains("s") { bits |= UInt32(HS_FLAG_DOTALL) }
      return bits
    }
    let ids = (0..<UInt32(regexes.count)).map { $0 }
    return hs_compile_multi(
      expressions, flags, ids, UInt32(regexes.count), UInt32(HS_MODE_BLOCK), nil, &database,
      &error)
  }

  private static func message(
    _ error: UnsafeMutablePointer<hs_compile_error_t>?, _ status: hs_error_t
  )
    -> String
  {
    guard let error else { return "error \(status)" }
    defer { hs_free_compile_error(error) }
    return String(cString: error.pointee.message)
  }

  deinit {
    hs_free_scratch(scratch)
    hs_free_database(phraseDatabase)
    hs_free_database(regexDatabase)
  }

  /// The two databases (`hs_database_size`), what the issue compares with the automaton.
  var databaseBytes: Int {
    var phraseSize = 0
    var regexSize = 0
    hs_database_size(phraseDatabase, &phraseSize)
    hs_database_size(regexDatabase, &regexSize)
    return phraseSize + regexSize
  }

  /// A literal's occurrence at normalised bytes `start..<end` is a match when the bytes on
  /// either side are not word characters — ASCII letters and digits, or a non-ASCII scalar
  /// that `Normalizer.isWordCharacter` calls one (the normalised text has no accents left, so
  /// such a scalar is rare and decoding it costs nothing in the common case).
  @inline(__always)
  static func isBoundary(_ text: UnsafePointer<UInt8>, count: Int, start: Int, end: Int) -> Bool {
    if start > 0 {
      var lead = start - 1
      let byte = text[lead]
      if byte < 0x80 {
        if isASCIIWord(byte) { return false }
      } else {
        while lead > 0 && text[lead] & 0xC0 == 0x80 { lead -= 1 }
        if isWord(text, at: lead, count: count) { return false }
      }
    }
    if end < count {
      let byte = text[end]
      if byte < 0x80 {
        if isASCIIWord(byte) { return false }
      } else if isWord(text, at: end, count: count) {
        return false
      }
    }
    return true
  }

  @inline(__always)
  static func isASCIIWord(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
  }

  static func isWord(_ text: UnsafePointer<UInt8>, at offset: Int, count: Int) -> Bool {
    var iterator = UnsafeBufferPointer(start: text + offset, count: count - offset).makeIterator()
    var decoder = UTF8()
    guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return false }
    return Normalizer.isWordCharacter(scalar)
  }

  /// Label bits: `groups` phrase labels then one per regex; four words hold 256.
  private var labels = [UInt64](repeating: 0, count: 8)

  private func scanPhrases(
    _ bytes: UnsafeBufferPointer<UInt8>, labels: UnsafeMutablePointer<UInt64>,
    phrases: UnsafeMutablePointer<[Int]>?
  ) {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    lengths.withUnsafeBufferPointer { lengths in
      phraseLabels.withUnsafeBufferPointer { phraseLabels in
        var context = Context(
          text: base, count: bytes.count, lengths: lengths.baseAddress!,
          phraseLabels: phraseLabels.baseAddress!, labels: labels, regexBase: groups,
          phrases: phrases)
        _ = hs_scan(
          phraseDatabase, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
          UInt32(bytes.count), 0, scratch,
          { id, _, to, _, pointer in
            let context = pointer!.assumingMemoryBound(to: Context.self)
            let end = Int(to)
            let start = end - Int(context.pointee.lengths[Int(id)])
            guard
              HyperscanLiteralRun.isBoundary(
                context.pointee.text, count: context.pointee.count, start: start, end: end)
            else { return 0 }
            let label = Int(context.pointee.phraseLabels[Int(id)])
            context.pointee.labels[label >> 6] |= 1 << UInt64(label & 63)
            context.pointee.phrases?.pointee.append(Int(id))
            return 0
          }, &context)
      }
    }
  }

  private func scanRegexes(
    _ bytes: UnsafeBufferPointer<UInt8>, labels: UnsafeMutablePointer<UInt64>,
    regexes: UnsafeMutablePointer<[Int]>?
  ) {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    var context = Context(
      text: base, count: bytes.count, lengths: UnsafePointer(bitPattern: 8)!,
      phraseLabels: UnsafePointer(bitPattern: 8)!, labels: labels, regexBase: groups,
      phrases: regexes)
    _ = hs_scan(
      regexDatabase, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
      UInt32(bytes.count), 0, scratch,
      { id, _, _, _, pointer in
        let context = pointer!.assumingMemoryBound(to: Context.self)
        let label = context.pointee.regexBase + Int(id)
        context.pointee.labels[label >> 6] |= 1 << UInt64(label & 63)
        context.pointee.phrases?.pointee.append(Int(id))
        return 0
      }, &context)
  }

  func label(_ index: Int) -> Int {
    labels.withUnsafeMutableBufferPointer { bits in
      for word in bits.indices { bits[word] = 0 }
      let pointer = bits.baseAddress!
      Normalizer.withNormalized(messages[index]) { bytes, _ in
        scanPhrases(bytes, labels: pointer, phrases: nil)
      }
      originals[index].withUnsafeBufferPointer { scanRegexes($0, labels: pointer, regexes: nil) }
      var count = 0
      for word in bits { count += word.nonzeroBitCount }
      return count
    }
  }

  func phraseMatches(_ index: Int) -> [Int] {
    var found: [Int] = []
    var bits = [UInt64](repeating: 0, count: 8)
    bits.withUnsafeMutableBufferPointer { bits in
      Normalizer.withNormalized(messages[index]) { bytes, _ in
        scanPhrases(bytes, labels: bits.baseAddress!, phrases: &found)
      }
    }
    return Array(Set(found)).sorted()
  }

  /// The regexes (by workload index) that match the original message.
  func regexMatches(_ index: Int) -> [Int] {
    var found: [Int] = []
    var bits = [UInt64](repeating: 0, count: 8)
    bits.withUnsafeMutableBufferPointer { bits in
      originals[index].withUnsafeBufferPointer {
        scanRegexes($0, labels: bits.baseAddress!, regexes: &found)
      }
    }
    return Array(Set(found)).sorted()
  }
}
