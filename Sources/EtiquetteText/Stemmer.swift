import CStemmer
import Foundation

/// The languages Etiquette stems: the Snowball algorithm of each.
public enum StemmingLanguage: String, Sendable, Hashable, CaseIterable {
  case french, english
}

/// Snowball stemming of normalised words (issue 19): "annulez", "annulation" and "annuler" all
/// become "annul", so a phrase marked `forms` matches every inflection of its words.
///
/// Words are stemmed after normalisation (lowercase, no accents): phrases and messages go
/// through the same two steps, so they agree even where the accent-free spelling makes
/// Snowball choose another stem than it would for the accented word.
///
/// A libstemmer object returns its result in a buffer it reuses, so one object must not be
/// used by two threads at once: the stemmer keeps a small pool, and each call takes one object
/// out of it for its duration.
public final class Stemmer: Sendable {
  public let language: StemmingLanguage
  private let pool: Pool

  /// Words longer than this are returned as they are: no inflection is that long, and it bounds
  /// the work on untrusted text.
  public static let maximumWordLength = 64

  public init(_ language: StemmingLanguage) {
    self.language = language
    pool = Pool(algorithm: language.rawValue)
  }

  /// The stem of one normalised word (lowercase UTF-8); the word itself when it has digits, is
  /// too long, or the stemmer is unavailable.
  public func stem(_ word: String) -> String {
    var word = word
    return word.withUTF8 { bytes in
      var result = ""
      withStems { stem in result = String(decoding: stem(bytes), as: UTF8.self) }
      return result
    }
  }

  /// Calls `body` with a function stemming one word's bytes, all with one stemmer object (so a
  /// message's words take the pool's lock once, if at all). The bytes `stem` returns are valid
  /// until its next call.
  public func withStems<Result>(
    _ body: ((UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>) -> Result
  ) -> Result {
    // The object is taken when a word first needs it: a message whose words are all known
    // (`KnownStems`) or all ruled out takes no lock.
    var taken: Handle?? = .none
    defer {
      if case .some(let handle) = taken { pool.give(handle) }
    }
    return body { word in
      guard Self.changes(word), let base = word.baseAddress else { return word }
      if taken == nil { taken = .some(pool.take()) }
      guard case .some(.some(let handle)) = taken else { return word }
      let symbols = UnsafeRawPointer(base).assumingMemoryBound(to: sb_symbol.self)
      guard let stemmed = sb_stemmer_stem(handle.pointer, symbols, Int32(word.count)) else {
        return word
      }
      let length = Int(sb_stemmer_length(handle.pointer))
      return UnsafeBufferPointer(
        start: UnsafeRawPointer(stemmed).assumingMemoryBound(to: UInt8.self), count: length)
    }
  }

  /// Whether libstemmer is asked for the stem of a normalised word: not when it has digits, is
  /// shorter than three bytes or longer than `maximumWordLength` (then it is its own stem).
  @inline(__always)
  public static func changes(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
    word.count <= maximumWordLength && word.count > 2 && !word.contains(where: { $0 &- 0x30 < 10 })
  }

  /// A libstemmer object, owned by the pool.
  final class Handle: @unchecked Sendable {
    // INVARIANT: used by one thread at a time (the pool hands it to one caller).
    let pointer: OpaquePointer
    init(pointer: OpaquePointer) { self.pointer = pointer }
    deinit { sb_stemmer_delete(pointer) }
  }

  /// Stemmer objects not in use; a caller takes one (or makes one) and gives it back.
  final class Pool: @unchecked Sendable {
    // INVARIANT: `idle` is only touched while `lock` is held.
    private let lock = NSLock()
    private var idle: [Handle] = []
    private let algorithm: String
    /// Objects kept idle at most: one per thread scanning at once is plenty.
    private let capacity = 16

    init(algorithm: String) { self.algorithm = algorithm }

    func take() -> Handle? {
      lock.lock()
      let handle = idle.popLast()
      lock.unlock()
      if let handle { return handle }
      guard let pointer = sb_stemmer_new(algorithm, "UTF_8") else { return nil }
      return Handle(pointer: pointer)
    }

    func give(_ handle: Handle?) {
      guard let handle else { return }
      lock.lock()
      if idle.count < capacity { idle.append(handle) }
      lock.unlock()
    }
  }
}
