import EtiquetteChecker
import EtiquetteEngine
import Foundation
import Logging

/// One event of `GET /v1/stream`: its type (`message.created`, `label.added`, …), the
/// conversation it concerns and its JSON data (one line).
struct LiveEvent: Sendable, Hashable {
  var type: String
  var conversation: String?
  var data: String

  init(_ type: String, conversation: String?, data: some Encodable) {
    self.type = type
    self.conversation = conversation
    self.data = JSONLine.encode(data)
  }

  /// The Server-Sent Events frame; `data` is compact JSON, so it is always one line.
  func frame(id: UInt64) -> String {
    "id: \(id)\nevent: \(type)\ndata: \(data)\n\n"
  }

  /// The id of an event frame (nil for a comment: a keep-alive).
  static func id(of frame: String) -> UInt64? {
    guard frame.hasPrefix("id: "), let end = frame.firstIndex(of: "\n") else { return nil }
    return UInt64(frame[frame.index(frame.startIndex, offsetBy: 4)..<end])
  }
}

/// Where an event stands among every event published: a change's events share its position
/// (PostgreSQL: the `seq` of its `live_events` row, the same on every instance), and an
/// event's SSE id is `position × 1000 + its index` in the change — global, increasing, and
/// what `Last-Event-ID` names when a client resumes on any instance.
enum LiveEventID {
  /// Events one position holds at most; a change with more takes several positions.
  static let perPosition = 1_000

  static func make(position: UInt64, index: Int) -> UInt64 {
    position * UInt64(perPosition) + UInt64(index)
  }

  static func position(of id: UInt64) -> UInt64 { id / UInt64(perPosition) }

  /// `Last-Event-ID` as sent back by a client: a number, or nothing usable.
  static func parse(_ text: String?) -> UInt64? {
    guard let text, !text.isEmpty, text.count <= 20, text.allSatisfy(\.isASCII) else {
      return nil
    }
    return UInt64(text)
  }
}

/// Who may receive a published event.
enum LiveAudience: Sendable {
  /// One member (their own notifications and read state).
  case member(String)
  /// The members who may view a conversation with these labels after the step; those who could
  /// view it with `before` and no longer can get one `conversation.hidden` instead (`before` is
  /// nil for a conversation created by the step: nobody has seen it yet).
  case viewers(engine: Engine, before: Set<LabelID>?, after: Set<LabelID>)
}

/// The connected members of `GET /v1/stream` and what is published to them.
///
/// Publishing never waits for a client: each subscriber has a buffer bounded in frames and in
/// bytes, and a subscriber whose buffer is full (a client that stopped reading) is dropped with
/// a log line rather than slowing down the writer that publishes after every commit. A member
/// has a bounded number of open streams, so a token cannot pin unbounded memory either.
final class LiveStream: @unchecked Sendable {
  /// A connected client.
  struct Subscriber {
    var member: String
    var continuation: AsyncStream<String>.Continuation
    /// Bytes queued and not yet written to the client (`delivered` takes them off).
    var pendingBytes = 0
  }

  /// A member already has `streamsPerMember` streams open.
  struct TooManyStreams: Error {
    var limit: Int
  }

  /// Held while a change is published (taken before `lock`, never inside it).
  private let publishing = NSLock()
  // Guards every stored property below.
  private let lock = NSLock()
  private var subscribers: [UInt64: Subscriber] = [:]
  private var nextSubscriber: UInt64 = 0
  /// The last position published (`LiveEventID`).
  private var position: UInt64
  /// The changes published lately, for streams that resume (`backlog`): complete for every
  /// position above `floor`.
  private var history: [Published] = []
  private var historyBytes = 0
  private var floor: UInt64
  /// Committed changes published so far, whether or not anyone listened (`changeMark`).
  private var changes: UInt64 = 0
  /// Tells this process's marks from another's (a restart, another instance).
  private let boot = String(UUID().uuidString.prefix(8))
  private var keepAlive: Duration = .seconds(15)
  private var capacity = 512
  private var byteCapacity = 1 << 20
  private var streamLimit = 8
  private let logger = Logger(label: "etiquette.live")

  /// A change as published: what `backlog` replays to a member who missed it.
  struct Published {
    var position: UInt64
    var events: [LiveEvent]
    var audience: LiveAudience
    var bytes: Int
  }

  /// Changes kept for resuming streams, and their bytes at most.
  static let historyLimit = 4_096
  static let historyByteLimit = 16 << 20

  /// `after`: the last position published before this stream existed — nothing at or below it
  /// is known here. A single process numbers its own changes from there (SQLite: the clock's
  /// milliseconds at the start, above any id of an earlier run); PostgreSQL's relay gives
  /// every change its row's `seq` and starts after the rows stored before the store opened.
  init(after: UInt64 = 0) {
    position = after
    floor = after
  }

  /// How often an idle stream gets a `: keep-alive` comment (proxies close silent connections,
  /// and a write is how a vanished client is noticed).
  var keepAliveInterval: Duration {
    get { lock.withLock { keepAlive } }
    set { lock.withLock { keepAlive = newValue } }
  }

  /// Frames a subscriber may have waiting before it is dropped.
  var bufferCapacity: Int {
    get { lock.withLock { capacity } }
    set { lock.withLock { capacity = max(1, newValue) } }
  }

  /// Bytes a subscriber may have waiting before it is dropped (1 MiB): 200 idle streams of
  /// one member and notes of 200 KB once took the server from 86 MB to 1.9 GB.
  var bufferByteCapacity: Int {
    get { lock.withLock { byteCapacity } }
    set { lock.withLock { byteCapacity = max(1, newValue) } }
  }

  /// Streams one member may have open at once (8).
  var streamsPerMember: Int {
    get { lock.withLock { streamLimit } }
    set { lock.withLock { streamLimit = max(1, newValue) } }
  }

  var subscriberCount: Int { lock.withLock { subscribers.count } }

  /// Registers a member's client; frames arrive on the stream until `unsubscribe` or until the
  /// subscriber is dropped for falling behind (the stream then ends).
  func subscribe(member: String) throws(TooManyStreams) -> (
    id: UInt64, frames: AsyncStream<String>
  ) {
    let (limit, interval) = lock.withLock { (capacity, keepAlive) }
    let (frames, continuation) = AsyncStream.makeStream(
      of: String.self, bufferingPolicy: .bufferingOldest(limit))
    let id: UInt64? = lock.withLock {
      guard subscribers.values.count(where: { $0.member == member }) < streamLimit else {
        return nil
      }
      nextSubscriber += 1
      subscribers[nextSubscriber] = Subscriber(member: member, continuation: continuation)
      return nextSubscriber
    }
    guard let id else {
      continuation.finish()
      throw TooManyStreams(limit: streamsPerMember)
    }
    let ticker = Task { [weak self] in
      while !Task.isCancelled {
        try? await Task.sleep(for: interval)
        guard !Task.isCancelled, let self else { return }
        self.send(": keep-alive\n\n", to: id)
      }
    }
    continuation.onTermination = { [weak self] _ in
      ticker.cancel()
      self?.unsubscribe(id)
    }
    return (id, frames)
  }

  func unsubscribe(_ id: UInt64) {
    let removed = lock.withLock { subscribers.removeValue(forKey: id) }
    removed?.continuation.finish()
  }

  /// Ends every stream (graceful shutdown: the responses finish instead of holding it up).
  func finishAll() {
    let all = lock.withLock {
      let all = subscribers.values
      subscribers = [:]
      return Array(all)
    }
    for subscriber in all { subscriber.continuation.finish() }
  }

  /// Where the stream of changes stands: `boot:count`. A page records it before it reads the
  /// store, and its stream's first frame says where things stand when it starts; a different
  /// mark means a change was committed in between, which the page fetches again — so no event
  /// falls between a page and its stream.
  var changeMark: String { lock.withLock { "\(boot):\(changes)" } }

  /// A change was committed and nobody listens (the publisher skipped making its events).
  func recordChange() { lock.withLock { changes += 1 } }

  /// The same, for a change whose events were never made (SQLite skips them when nobody
  /// listens): it takes a position, and the history, which no longer holds every change,
  /// starts after it — a stream resuming from before it is told to reload instead.
  func recordUnpublishedChange() {
    lock.withLock {
      changes += 1
      position += 1
      floor = position
      history = []
      historyBytes = 0
    }
  }

  /// Changes committed while nobody listens here, counted up to `last` without their events
  /// being read (PostgreSQL's relay, whose reading and decoding every row cost the instance
  /// more than a twentieth of its time under load): as `recordUnpublishedChange`, and the
  /// positions go on from `last`. False, and nothing changed, when a stream subscribed
  /// meanwhile: the caller then publishes the events, which it must read after all.
  func recordUnpublishedChanges(_ count: Int, through last: UInt64) -> Bool {
    lock.withLock {
      guard subscribers.isEmpty else { return false }
      changes += UInt64(max(0, count))
      position = max(position, last)
      floor = position
      history = []
      historyBytes = 0
      return true
    }
  }

  /// Publishes events to their audience, in order; called after the commit that caused them.
  /// `countsAsChange` false: a member's own read state, which their page just drew (opening a
  /// conversation reads it) and must not make that page fetch itself again. `position`: the
  /// change's place among every instance's (PostgreSQL's relay); nil takes the next one here.
  func publish(
    _ events: [LiveEvent], to audience: LiveAudience, countsAsChange: Bool = true,
    position given: UInt64? = nil
  ) {
    guard !events.isEmpty else { return }
    if countsAsChange { recordChange() }
    // A position holds `perPosition` events; a longer change (never seen) takes several.
    var remaining = events[...]
    var next = given
    while !remaining.isEmpty {
      let chunk = Array(remaining.prefix(LiveEventID.perPosition))
      remaining = remaining.dropFirst(chunk.count)
      publish(chunk, to: audience, at: next)
      next = next.map { $0 + 1 }
    }
  }

  private func publish(_ events: [LiveEvent], to audience: LiveAudience, at given: UInt64?) {
    // One change at a time from numbering to the last frame queued: two commits publishing
    // at once would otherwise queue a later position before an earlier one, and a stream
    // (which skips what it has passed, to resume without repeats) would lose the earlier.
    publishing.lock()
    defer { publishing.unlock() }
    let bytes = events.reduce(0) { $0 + $1.data.utf8.count + 64 }
    // INVARIANT: positions grow in publishing order (the relay publishes rows in `seq` order),
    // so the ids a client sees increase, and the history is sorted.
    let (position, targets): (UInt64, [UInt64: Subscriber]) = lock.withLock {
      let position = max(given ?? (self.position + 1), self.position + 1)
      self.position = position
      history.append(
        Published(position: position, events: events, audience: audience, bytes: bytes))
      historyBytes += bytes
      while history.count > Self.historyLimit || historyBytes > Self.historyByteLimit,
        let oldest = history.first
      {
        history.removeFirst()
        historyBytes -= oldest.bytes
        floor = oldest.position
      }
      return (position, subscribers)
    }
    guard !targets.isEmpty else { return }
    // Visibility is decided once per member, not once per connection.
    var frames: [String: [String]] = [:]
    for (id, subscriber) in targets.sorted(by: { $0.key < $1.key }) {
      let member = subscriber.member
      if frames[member] == nil {
        frames[member] = Self.frames(events, at: position, for: member, audience: audience)
          .map(\.frame)
      }
      guard let chosen = frames[member], !chosen.isEmpty else { continue }
      for frame in chosen {
        guard send(frame, to: id) else { break }
      }
    }
  }

  /// Numbers the changes from `after` on (PostgreSQL: the last `seq` stored before the store
  /// opened); called before anything is published.
  func numberChanges(after: UInt64) {
    lock.withLock {
      guard history.isEmpty else { return }
      position = after
      floor = after
    }
  }

  /// What one member receives of a change at `position`: each event's id and frame.
  static func frames(
    _ events: [LiveEvent], at position: UInt64, for member: String, audience: LiveAudience
  ) -> [(id: UInt64, frame: String)] {
    Self.events(events, for: member, audience: audience).enumerated().map { index, event in
      let id = LiveEventID.make(position: position, index: index)
      return (id, event.frame(id: id))
    }
  }

  /// The frames `member` missed after the event `last`, from the changes kept here; nil when
  /// they are not all here (too old, or from another run or instance: see the store's own
  /// backlog). Visibility is decided with the audience each change was published to.
  func backlog(after last: UInt64, for member: String) -> [(id: UInt64, frame: String)]? {
    let position = LiveEventID.position(of: last)
    let kept: [Published]? = lock.withLock {
      guard position > floor, position <= self.position else { return nil }
      return history.filter { $0.position >= position }
    }
    guard let kept else { return nil }
    return kept.flatMap {
      Self.frames($0.events, at: $0.position, for: member, audience: $0.audience)
    }.filter { $0.id > last }
  }

  /// What one member receives of a step's events.
  static func events(_ events: [LiveEvent], for member: String, audience: LiveAudience)
    -> [LiveEvent]
  {
    switch audience {
    case .member(let target):
      return target == member ? events : []
    case .viewers(let engine, let before, let after):
      if engine.can(member, .view, labels: after).allowed { return events }
      guard let before, engine.can(member, .view, labels: before).allowed,
        let conversation = events.first?.conversation
      else { return [] }
      return [
        LiveEvent(
          "conversation.hidden", conversation: conversation,
          data: ["conversation": conversation])
      ]
    }
  }

  /// The client was sent `bytes` of what was queued for it.
  func delivered(_ bytes: Int, to id: UInt64) {
    lock.withLock { subscribers[id]?.pendingBytes -= bytes }
  }

  /// Queues one frame; false when the subscriber is gone or was just dropped for falling behind.
  @discardableResult
  private func send(_ frame: String, to id: UInt64) -> Bool {
    let size = frame.utf8.count
    let (found, overflow): (Subscriber?, Bool) = lock.withLock {
      guard var subscriber = subscribers[id] else { return (nil, false) }
      guard subscriber.pendingBytes + size <= byteCapacity else { return (subscriber, true) }
      subscriber.pendingBytes += size
      subscribers[id] = subscriber
      return (subscriber, false)
    }
    guard let subscriber = found else { return false }
    if overflow {
      let member = subscriber.member
      let waiting = subscriber.pendingBytes
      logger.warning(
        "live stream: dropped a client of \(member) that stopped reading (\(waiting) bytes waiting)"
      )
      unsubscribe(id)
      return false
    }
    switch subscriber.continuation.yield(frame) {
    case .enqueued:
      return true
    case .dropped:
      let waiting = bufferCapacity
      let member = subscriber.member
      logger.warning(
        "live stream: dropped a client of \(member) that stopped reading (\(waiting) waiting)")
      unsubscribe(id)
      return false
    case .terminated:
      unsubscribe(id)
      return false
    @unknown default:
      return false
    }
  }
}
