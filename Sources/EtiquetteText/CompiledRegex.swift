import CPCRE2
import Foundation

/// Pattern options; UTF-8 and Unicode character properties (PCRE2_UTF | PCRE2_UCP) are always on.
public struct RegexOptions: OptionSet, Sendable, Hashable {
  public let rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  /// Letters match regardless of case, by Unicode rules (`i` flag).
  public static let caseless = RegexOptions(rawValue: 1 << 0)
  /// `^` and `$` also match at line starts and ends (`m` flag).
  public static let multiline = RegexOptions(rawValue: 1 << 1)
  /// `.` also matches a newline (`s` flag).
  public static let dotAll = RegexOptions(rawValue: 1 << 2)
  /// White space and `#` comments in the pattern are ignored (`x` flag).
  public static let extended = RegexOptions(rawValue: 1 << 3)

  /// Maps regex flag letters: i → caseless, m → multiline, s → dotAll, x → extended, u is
  /// accepted and changes nothing (Unicode is always on). Every other character is returned in
  /// `invalid` with its index, counted in characters from the start of `flags`. Repeated flags
  /// are accepted.
  public static func options(fromFlags flags: String) -> (RegexOptions, invalid: [(Character, Int)])
  {
    var options: RegexOptions = []
    var invalid: [(Character, Int)] = []
    for (index, flag) in flags.enumerated() {
      switch flag {
      case "i": options.insert(.caseless)
      case "m": options.insert(.multiline)
      case "s": options.insert(.dotAll)
      case "x": options.insert(.extended)
      case "u": break
      default: invalid.append((flag, index))
      }
    }
    return (options, invalid)
  }

  /// The PCRE2 compile options for these options.
  var compileBits: UInt32 {
    var bits = UInt32(PCRE2_UTF) | UInt32(PCRE2_UCP)
    if contains(.caseless) { bits |= UInt32(PCRE2_CASELESS) }
    if contains(.multiline) { bits |= UInt32(PCRE2_MULTILINE) }
    if contains(.dotAll) { bits |= UInt32(PCRE2_DOTALL) }
    if contains(.extended) { bits |= UInt32(PCRE2_EXTENDED) }
    return bits
  }
}

/// Why a pattern did not compile, in PCRE2's words.
public struct RegexCompileError: Error, Sendable, Equatable {
  /// PCRE2's message, e.g. "missing closing parenthesis".
  public let message: String
  /// The byte offset in the pattern where PCRE2 noticed the error.
  public let offset: Int
  /// PCRE2's error code (positive for compile errors).
  public let code: Int32

  public init(message: String, offset: Int, code: Int32) {
    self.message = message
    self.offset = offset
    self.code = code
  }
}

/// Resource limits for one match, so that a hostile pattern on untrusted text returns promptly.
///
/// `matchLimit` bounds the backtracking work per start position (PCRE2's match limit, which
/// the JIT honours too); `depthLimit` bounds backtracking depth and `heapLimitKiB` the heap used
/// for backtracking frames — both only apply to the interpreter (PCRE2 ignores them under JIT,
/// whose own bound is the JIT stack size).
public struct MatchLimits: Sendable, Equatable, Hashable {
  public var matchLimit: Int
  public var depthLimit: Int
  public var heapLimitKiB: Int

  public init(matchLimit: Int = 1_000_000, depthLimit: Int = 1_000_000, heapLimitKiB: Int = 65_536)
  {
    self.matchLimit = matchLimit
    self.depthLimit = depthLimit
    self.heapLimitKiB = heapLimitKiB
  }

  /// A million backtracking steps per start position (milliseconds at worst), unbounded-enough
  /// depth, and 64 MiB of heap.
  public static let `default` = MatchLimits()
}

/// The result of one search.
public enum RegexMatchOutcome: Sendable, Equatable, Hashable {
  /// The first match, as a UTF-8 byte range of the subject.
  case match(Range<Int>)
  case noMatch
  /// A resource limit stopped the search; the pattern may or may not match.
  case limitExceeded(String)
  /// The search could not run, e.g. the subject is not valid UTF-8.
  case failed(String)
}

/// A PCRE2 pattern compiled once (and JIT-compiled when the platform allows) for many searches.
///
/// Sharing one instance across threads is safe: after `init` nothing mutates the instance, and
/// PCRE2 documents compiled code — JIT code included — as read-only during matching and usable
/// by many threads at once. Everything a search writes to (match data, match context with its
/// limits, JIT stack) belongs to the calling thread: each thread keeps its own scratch in
/// thread-local storage, so searches on different threads share no mutable state, take no lock
/// and touch no shared reference count (a search never suspends, so it never changes thread).
public final class CompiledRegex: @unchecked Sendable {
  /// The pattern as written.
  public let pattern: String
  /// The options it was compiled with.
  public let options: RegexOptions
  /// Whether PCRE2's JIT compiled the pattern; otherwise the interpreter runs it.
  public let isJITCompiled: Bool

  // INVARIANT: non-null, owned by this instance, freed in deinit, never mutated after init.
  private let code: OpaquePointer

  /// Compiles `pattern`; a bad pattern throws PCRE2's message and byte offset, never traps.
  public init(pattern: String, options: RegexOptions = []) throws(RegexCompileError) {
    self.pattern = pattern
    self.options = options
    var errorCode: Int32 = 0
    var errorOffset = 0
    let bits = options.compileBits
    let compiled: OpaquePointer? = Array(pattern.utf8).withUnsafeBufferPointer { buffer in
      pcre2_compile_8(
        buffer.baseAddress ?? PCRE2Support.emptySubject, buffer.count, bits, &errorCode,
        &errorOffset, nil)
    }
    guard let compiled else {
      throw RegexCompileError(
        message: PCRE2Support.message(for: errorCode), offset: errorOffset, code: errorCode)
    }
    code = compiled
    isJITCompiled = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
  }

  deinit { pcre2_code_free_8(code) }

  /// Maps regex flag letters to options; see `RegexOptions.options(fromFlags:)`.
  public static func options(fromFlags flags: String) -> (RegexOptions, invalid: [(Character, Int)])
  {
    RegexOptions.options(fromFlags: flags)
  }

  /// Finds possible catastrophic-backtracking shapes; see `RegexHazard.hazards(in:options:)`.
  public static func hazards(in pattern: String, options: RegexOptions = [])
    -> [RegexHazardFinding]
  {
    RegexHazard.hazards(in: pattern, options: options)
  }

  // MARK: Searching

  /// The first match in UTF-8 bytes that may be invalid (PCRE2 checks them and reports
  /// `.failed` on invalid UTF-8), searching from byte `start`.
  public func firstMatch(
    in subject: UnsafeBufferPointer<UInt8>, from start: Int = 0, limits: MatchLimits = .default
  ) -> RegexMatchOutcome {
    search(subject, from: start, limits: limits, subjectIsValidUTF8: false)
  }

  /// The first match in UTF-8 bytes that may be invalid, searching from byte `start`.
  public func firstMatch(
    in subject: [UInt8], from start: Int = 0, limits: MatchLimits = .default
  ) -> RegexMatchOutcome {
    subject.withUnsafeBufferPointer {
      search($0, from: start, limits: limits, subjectIsValidUTF8: false)
    }
  }

  /// The first match in a string, searching from UTF-8 byte `start`; the range is in UTF-8 bytes.
  public func firstMatch(
    in subject: String, from start: Int = 0, limits: MatchLimits = .default
  ) -> RegexMatchOutcome {
    var subject = subject
    // A Swift string is always valid UTF-8, so PCRE2's own check (a pass over the whole
    // subject on every call) can be skipped.
    return subject.withUTF8 { search($0, from: start, limits: limits, subjectIsValidUTF8: true) }
  }

  /// The first match in normalised text (valid UTF-8 by construction); the range is in
  /// normalised bytes — map it back with `NormalizedText.originalRange(of:)`.
  public func firstMatch(
    in subject: NormalizedText, from start: Int = 0, limits: MatchLimits = .default
  ) -> RegexMatchOutcome {
    subject.bytes.withUnsafeBufferPointer {
      search($0, from: start, limits: limits, subjectIsValidUTF8: true)
    }
  }

  private func search(
    _ subject: UnsafeBufferPointer<UInt8>, from start: Int, limits: MatchLimits,
    subjectIsValidUTF8: Bool
  ) -> RegexMatchOutcome {
    guard start >= 0 && start <= subject.count else {
      return .failed("start offset \(start) is outside the subject (\(subject.count) bytes)")
    }
    // With PCRE2_NO_UTF_CHECK a start inside a character is undefined behaviour in PCRE2, so
    // it is refused here (PCRE2 itself reports it when it checks the subject).
    if subjectIsValidUTF8 && start < subject.count && subject[start] & 0xC0 == 0x80 {
      return .failed("start offset \(start) is inside a UTF-8 character")
    }
    let scratch = MatchScratch.current()
    scratch.apply(limits)
    let matchOptions: UInt32 = subjectIsValidUTF8 ? UInt32(PCRE2_NO_UTF_CHECK) : 0
    let result = pcre2_match_8(
      code, subject.baseAddress ?? PCRE2Support.emptySubject, subject.count, start, matchOptions,
      scratch.matchData, scratch.context)
    // A result of 0 means "match, but the ovector was too small for the groups"; the overall
    // match (pair 0) is still set, which is all a search needs.
    if result >= 0 {
      guard let ovector = pcre2_get_ovector_pointer_8(scratch.matchData) else {
        return .failed("PCRE2 returned no match offsets")
      }
      let lower = ovector[0]
      let upper = ovector[1]
      // \K can in principle put the start after the end; report an empty range then.
      return .match(min(lower, upper)..<max(lower, upper))
    }
    switch result {
    case PCRE2_ERROR_NOMATCH:
      return .noMatch
    case PCRE2_ERROR_MATCHLIMIT, PCRE2_ERROR_DEPTHLIMIT, PCRE2_ERROR_HEAPLIMIT,
      PCRE2_ERROR_JIT_STACKLIMIT:
      return .limitExceeded(PCRE2Support.message(for: result))
    case PCRE2_ERROR_UTF8_ERR21...PCRE2_ERROR_UTF8_ERR1:
      let offset = pcre2_get_startchar_8(scratch.matchData)
      return .failed("invalid UTF-8 at byte \(offset): \(PCRE2Support.message(for: result))")
    default:
      return .failed(PCRE2Support.message(for: result))
    }
  }
}

/// Small shared pieces of the PCRE2 binding.
enum PCRE2Support {
  /// A valid pointer for empty subjects and patterns: PCRE2 rejects NULL even with length 0.
  /// Never written after initialisation and only read with length 0, hence safe to share.
  nonisolated(unsafe) static let emptySubject: UnsafePointer<UInt8> = {
    let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    pointer.initialize(to: 0)
    return UnsafePointer(pointer)
  }()

  /// PCRE2's text for an error code.
  static func message(for code: Int32) -> String {
    var buffer = [UInt8](repeating: 0, count: 256)
    let length = buffer.withUnsafeMutableBufferPointer { pointer in
      pcre2_get_error_message_8(code, pointer.baseAddress, pointer.count)
    }
    guard length > 0 else { return "PCRE2 error \(code)" }
    return String(decoding: buffer[0..<Int(length)], as: UTF8.self)
  }
}

/// Everything one search writes to: match data, a match context carrying the limits, and the
/// JIT stack assigned to that context.
final class MatchScratch {
  /// Initial and maximum JIT stack size: PCRE2's default is 32 KiB on the machine stack, which
  /// patterns such as `(a|b)*` exhaust on inputs of a few hundred kilobytes; the maximum is
  /// reserved address space that is only touched as the stack grows.
  static let jitStackStart = 64 * 1024
  static let jitStackMaximum = 64 * 1024 * 1024

  let matchData: OpaquePointer
  let context: OpaquePointer
  let jitStack: OpaquePointer?
  private var limits: MatchLimits?

  init?() {
    // One ovector pair: searches only report the overall match.
    guard let matchData = pcre2_match_data_create_8(1, nil) else { return nil }
    guard let context = pcre2_match_context_create_8(nil) else {
      pcre2_match_data_free_8(matchData)
      return nil
    }
    self.matchData = matchData
    self.context = context
    jitStack = pcre2_jit_stack_create_8(Self.jitStackStart, Self.jitStackMaximum, nil)
    if let jitStack { pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(jitStack)) }
  }

  deinit {
    if let jitStack { pcre2_jit_stack_free_8(jitStack) }
    pcre2_match_context_free_8(context)
    pcre2_match_data_free_8(matchData)
  }

  func apply(_ newLimits: MatchLimits) {
    guard newLimits != limits else { return }
    limits = newLimits
    pcre2_set_match_limit_8(context, Self.clamp(newLimits.matchLimit))
    pcre2_set_depth_limit_8(context, Self.clamp(newLimits.depthLimit))
    pcre2_set_heap_limit_8(context, Self.clamp(newLimits.heapLimitKiB))
  }

  private static func clamp(_ value: Int) -> UInt32 {
    UInt32(clamping: max(value, 1))
  }

  /// The calling thread's scratch, created on its first search and freed when the thread
  /// exits. Thread-local rather than a locked pool: with a shared pool two threads searching at
  /// once contend on the lock and on the pool's cache lines, which cost more than the search.
  static func current() -> MatchScratch {
    let key = threadKey
    if let stored = pthread_getspecific(key) {
      return Unmanaged<MatchScratch>.fromOpaque(stored).takeUnretainedValue()
    }
    guard let fresh = MatchScratch() else {
      // Out of memory for a few hundred bytes: nothing sensible is left to do.
      fatalError("PCRE2 could not allocate match data")
    }
    // The thread's reference, released by the key's destructor when the thread exits.
    pthread_setspecific(key, Unmanaged.passRetained(fresh).toOpaque())
    return fresh
  }

  private static let threadKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { stored in
      guard let stored else { return }
      Unmanaged<MatchScratch>.fromOpaque(stored).release()
    }
    guard status == 0 else { fatalError("pthread_key_create failed (\(status))") }
    return key
  }()
}
