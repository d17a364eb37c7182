import EtiquetteChecker
import EtiquetteEngine
import EtiquetteTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// `GET /v1/stream` over real sockets: what each member receives, and what they stop receiving.
@Suite struct LiveStreamTests {
  typealias Support = RealtimeSupport

  @Test func membersReceiveOnlyWhatTheyMayView() async throws {
    let harness = try await ServerHarness()
    harness.server.hub.live.keepAliveInterval = .milliseconds(100)
    try await harness.test(.live) { client in
      let port = try #require(client.port)
      let bruno = try await SSEClient.connect(
        port: port, token: harness.tokens["bruno@exemple.fr"] ?? "")
      let alice = try await SSEClient.connect(
        port: port, token: harness.tokens["alice@exemple.fr"] ?? "")
      let dev = try await SSEClient.connect(
        port: port, token: harness.tokens["dev@exemple.fr"] ?? "")
      defer {
        for stream in [bruno, alice, dev] { stream.close() }
      }
      #expect(bruno.status == 200)
      #expect(bruno.contentType?.hasPrefix("text/event-stream") == true)

      // A: no label, Service Client (bruno) may view it; Rendez-vous (alice) may not.
      let a = try await Support.converse(harness, client, phone: "33620000001", text: "bonjour")
      #expect(try await bruno.waitFor("message.created", conversation: a))
      // B: booked, for Rendez-vous only.
      let b = try await Support.converse(
        harness, client, phone: "33620000002", text: "J'ai réservé le rendez-vous")
      #expect(try await alice.waitFor("label.added", conversation: b))
      let added = await alice.events("label.added", conversation: b).first
      #expect(added?.data["label"]?["label"] == .string("Personnes Qui Ont Planifié"))
      #expect(await alice.events("message.created", conversation: b).count == 1)

      // A becomes a support case: bruno loses it, dev gains it (and a notification).
      _ = try await Support.converse(
        harness, client, phone: "33620000001", text: "mon application plante")
      #expect(try await bruno.waitFor("conversation.hidden", conversation: a))
      #expect(try await dev.waitFor("conversation.routed", conversation: a))
      #expect(try await dev.waitFor("notification.created", conversation: a))
      let notification = await dev.events("notification.created").first
      #expect(notification?.data["notification"]?["reason"] == .string("team"))
      #expect(notification?.data["notification"]?["priority"] == .string("high"))
      _ = try await Support.converse(
        harness, client, phone: "33620000001", text: "toujours une erreur")
      #expect(try await dev.waitFor("message.created", conversation: a, count: 2))

      // C, visible to bruno, is the sentinel: everything published before it has arrived.
      let c = try await Support.converse(harness, client, phone: "33620000003", text: "salut")
      #expect(try await bruno.waitFor("message.created", conversation: c))
      let aboutA = await bruno.events(conversation: a).map(\.event)
      #expect(aboutA == ["message.created", "conversation.routed", "conversation.hidden"])
      #expect(await bruno.events(conversation: b).isEmpty)
      #expect(await alice.events(conversation: a).isEmpty)
      #expect(await alice.events(conversation: c).isEmpty)

      // Read state goes to the member who changed it, not to other viewers.
      let (read, _) = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(c)/read", headers: harness.auth("bruno@exemple.fr"))
      #expect(read == .ok)
      #expect(try await bruno.waitFor("read_state.changed", conversation: c))
      #expect(
        await bruno.events("read_state.changed").first?.data["unreadCount"] == .number(0))
      #expect(await dev.events("read_state.changed").isEmpty)

      // Ids grow; idle streams get keep-alive comments.
      let ids = await bruno.events().compactMap(\.id)
      #expect(ids == ids.sorted() && Set(ids).count == ids.count)
      #expect(await eventually { await bruno.log.comments.contains("keep-alive") })

      let status = try await client.execute(uri: "/v1/stream", method: .get) { $0.status }
      #expect(status == .unauthorized)
    }
  }

  /// The AI reply and the handoff are steps at the server's time: during office hours no
  /// routing rule fires on them; at night `when not during "bureau" -> ai` routes the AI reply
  /// again. The clock is pinned both ways, so the test means the same at any hour.
  @Test(arguments: [(TestClock.officeHours, false), (TestClock.night, true)])
  func handoffsNotesAndAIRepliesArePushed(at instant: Date, routedAgain: Bool) async throws {
    var harness = try await ServerHarness(clock: .starting(at: instant)) {
      $0.aiAgents = ["agent-ia@exemple.fr"]
    }
    harness.tokens["agent-ia@exemple.fr"] = try await harness.server.store.addMember(
      "agent-ia@exemple.fr")
    let h = harness
    try await h.test(.live) { client in
      let port = try #require(client.port)
      let manon = try await SSEClient.connect(
        port: port, token: h.tokens["manon@exemple.fr"] ?? "")
      defer { manon.close() }
      let id = try await Support.converse(h, client, phone: "33620000010", text: "bonjour")
      _ = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/ai-replies", headers: h.auth("agent-ia@exemple.fr"),
        json: #"{"text": "Bonjour !", "version": 0}"#)
      _ = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/handoff", headers: h.auth("manon@exemple.fr"),
        json: #"{"action": "take_over"}"#)
      _ = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/notes", headers: h.auth("manon@exemple.fr"),
        json: #"{"text": "client fidèle"}"#)
      _ = try await ServerHarness.send(
        client, .post, "/v1/conversations/\(id)/ai-replies", headers: h.auth("agent-ia@exemple.fr"),
        json: #"{"text": "trop tard", "version": 0}"#)
      #expect(try await manon.waitFor("ai.reply_discarded", conversation: id))
      var events = await manon.events(conversation: id)
      let routings = events.enumerated().filter { $0.element.event == "conversation.routed" }
      #expect(routings.count == (routedAgain ? 2 : 1))
      // What follows does not depend on the hour: the extra routing aside, the same events.
      if routedAgain, let extra = routings.last?.offset { events.remove(at: extra) }
      #expect(
        events.map(\.event) == [
          "message.created", "conversation.routed", "message.created", "handoff", "note.added",
          "ai.reply_discarded",
        ])
      try #require(events.count == 6)
      #expect(events[2].data["message"]?["author"] == .string("ai"))
      #expect(events[2].data["message"]?["status"] == .string("queued"))
      #expect(events[3].data["action"] == .string("take_over"))
      #expect(events[3].data["assignee"] == .string("manon@exemple.fr"))
      #expect(events[4].data["text"] == .string("client fidèle"))
    }
  }

  /// A member revoked while connected (`etiquette member revoke` writes the store; the server
  /// is another process) loses the stream before the next event: no transcript reaches them.
  /// A client that reconnects with `Last-Event-ID` gets what it missed, once, in order, then
  /// the live events; with an id the server no longer knows it is told to reload instead.
  @Test func aStreamResumesAfterTheLastEventItReceived() async throws {
    let harness = try await ServerHarness()
    let token = harness.tokens["bruno@exemple.fr"] ?? ""
    try await harness.test(.live) { client in
      let port = try #require(client.port)
      // Another member stays connected throughout, as a team does.
      let colleague = try await SSEClient.connect(
        port: port, token: harness.tokens["dev@exemple.fr"] ?? "")
      defer { colleague.close() }
      let first = try await SSEClient.connect(port: port, token: token)
      let a = try await Support.converse(harness, client, phone: "33620000011", text: "bonjour")
      #expect(try await first.waitFor("message.created", conversation: a))
      #expect(await first.events("ready").first?.data["resumed"] == nil, "no Last-Event-ID")
      let last = try #require(await first.events().compactMap(\.id).last)
      first.close()

      // Missed while disconnected: the messages of two conversations bruno may view.
      let b = try await Support.converse(harness, client, phone: "33620000012", text: "salut")
      _ = try await Support.converse(harness, client, phone: "33620000013", text: "re")
      let resumed = try await SSEClient.connect(
        port: port, token: token, lastEventID: String(last))
      defer { resumed.close() }
      #expect(await resumed.events("ready").first?.data["resumed"] == .bool(true))
      #expect(try await resumed.waitFor("message.created", count: 2))
      #expect(await resumed.events("message.created", conversation: b).count == 1)
      let replayed = await resumed.events().compactMap(\.id)
      #expect(replayed.allSatisfy { $0 > last }, "nothing before the last event seen")
      #expect(replayed == replayed.sorted() && Set(replayed).count == replayed.count)
      // Then live: the next change arrives after the replayed ones.
      let c = try await Support.converse(
        harness, client, phone: "33620000014", text: "encore")
      #expect(try await resumed.waitFor("message.created", conversation: c))
      let all = await resumed.events().compactMap(\.id)
      #expect(all == all.sorted() && Set(all).count == all.count)

      // An id from before anything this server keeps, or not an id at all: reload.
      let stale = try await SSEClient.connect(port: port, token: token, lastEventID: "7")
      defer { stale.close() }
      #expect(await stale.events("ready").first?.data["resumed"] == .bool(false))
      #expect(await stale.events("message.created").isEmpty, "nothing replayed")
      let garbage = try await SSEClient.connect(port: port, token: token, lastEventID: "x")
      defer { garbage.close() }
      #expect(await garbage.events("ready").first?.data["resumed"] == nil)
    }
  }

  /// A change committed while nobody at all is connected: PostgreSQL stored its events (any
  /// instance may be asked to replay them); SQLite never made them, so a stream resuming from
  /// before it is told to reload rather than miss it silently.
  @Test func aChangeNobodyHeardIsReplayedOnlyWhereItWasKept() async throws {
    let harness = try await ServerHarness()
    let token = harness.tokens["bruno@exemple.fr"] ?? ""
    try await harness.test(.live) { client in
      let port = try #require(client.port)
      let first = try await SSEClient.connect(port: port, token: token)
      let a = try await Support.converse(harness, client, phone: "33620000021", text: "bonjour")
      #expect(try await first.waitFor("message.created", conversation: a))
      let last = try #require(await first.events().compactMap(\.id).last)
      first.close()
      #expect(await eventually { harness.server.hub.live.subscriberCount == 0 })
      let b = try await Support.converse(harness, client, phone: "33620000022", text: "salut")
      let resumed = try await SSEClient.connect(
        port: port, token: token, lastEventID: String(last))
      defer { resumed.close() }
      let kept = TestStore.kind == .postgres
      #expect(await resumed.events("ready").first?.data["resumed"] == .bool(kept))
      if kept {
        #expect(try await resumed.waitFor("message.created", conversation: b))
      }
    }
  }

  @Test func aRevokedMemberLosesTheStreamBeforeTheNextEvent() async throws {
    let harness = try await ServerHarness()
    try await harness.test(.live) { client in
      let port = try #require(client.port)
      let alice = try await SSEClient.connect(
        port: port, token: harness.tokens["alice@exemple.fr"] ?? "")
      let audit = try await SSEClient.connect(
        port: port, token: harness.tokens["audit@exemple.fr"] ?? "")
      defer {
        alice.close()
        audit.close()
      }
      #expect(try await harness.server.store.revokeMember("alice@exemple.fr"))
      // A booking: alice (Rendez-vous) and audit (view all) may both view it.
      let id = try await Support.converse(
        harness, client, phone: "33620000020", text: "J'ai réservé le rendez-vous")
      // audit received it, so it was published to every connected viewer.
      #expect(try await audit.waitFor("message.created", conversation: id))
      #expect(await eventually { await alice.log.ended }, "alice's stream ended")
      #expect(await alice.events(conversation: id).isEmpty, "nothing of it reached alice")
    }
  }

  /// A reload that removes a member from the rules ends their open stream.
  @Test func aMemberRemovedFromTheRulesLosesTheStream() async throws {
    let (rules, file, complete) = try ServerHarness.editableRules()
    let harness = try await ServerHarness(rulesDirectory: rules.path)
    try await harness.test(.live) { client in
      let port = try #require(client.port)
      let audit = try await SSEClient.connect(
        port: port, token: harness.tokens["audit@exemple.fr"] ?? "")
      defer { audit.close() }
      try complete.replacingOccurrences(of: "\"audit@exemple.fr\"", with: "\"autre@exemple.fr\"")
        .write(to: file, atomically: true, encoding: .utf8)
      guard case .success = await harness.server.reloadRules(reason: "test") else {
        Issue.record("the edited rules were refused")
        return
      }
      let id = try await Support.converse(harness, client, phone: "33620000021", text: "bonjour")
      #expect(await eventually { await audit.log.ended }, "audit's stream ended")
      #expect(await audit.events(conversation: id).isEmpty)
    }
  }

  @Test func aSubscriberThatStopsReadingIsDroppedWithoutBlocking() async throws {
    let live = LiveStream()
    live.bufferCapacity = 3
    let ruleSet = try await ServerHarness().server.rules.current
    let (_, frames) = try live.subscribe(member: "bruno@exemple.fr")
    let (_, reader) = try live.subscribe(member: "chloe@exemple.fr")
    #expect(live.subscriberCount == 2)
    let event = LiveEvent("message.created", conversation: "c1", data: ["conversation": "c1"])
    let audience = LiveAudience.viewers(engine: ruleSet.engine, before: [], after: [])
    var received = 0
    var iterator = reader.makeAsyncIterator()
    for _ in 0..<10 {
      live.publish([event], to: audience)
      // chloe keeps up; bruno never reads.
      if await iterator.next() != nil { received += 1 }
    }
    #expect(received == 10)
    #expect(live.subscriberCount == 1)
    // bruno's stream ended after the frames it could hold.
    var count = 0
    for await _ in frames { count += 1 }
    #expect(count == 3)
  }

  /// Large events fill a non-reading client's buffer by bytes long before its frame count: it
  /// is dropped there, while a client that reads (and so frees its bytes) keeps its stream.
  @Test func aStreamIsBoundedInBytes() async throws {
    let live = LiveStream()
    live.bufferByteCapacity = 2_000
    let ruleSet = try await ServerHarness().server.rules.current
    let (_, idle) = try live.subscribe(member: "bruno@exemple.fr")
    let (reading, frames) = try live.subscribe(member: "chloe@exemple.fr")
    let note = String(repeating: "n", count: 600)
    let event = LiveEvent("note.added", conversation: "c1", data: ["text": note])
    let audience = LiveAudience.viewers(engine: ruleSet.engine, before: [], after: [])
    var iterator = frames.makeAsyncIterator()
    var read = 0
    for _ in 0..<10 {
      live.publish([event], to: audience)
      if let frame = await iterator.next() {
        read += 1
        live.delivered(frame.utf8.count, to: reading)
      }
    }
    #expect(read == 10, "the reading client keeps its stream")
    #expect(live.subscriberCount == 1)
    var held = 0
    for await _ in idle { held += 1 }
    #expect(held == 3, "the idle client held 3 frames of about 650 bytes, then was dropped")
  }

  @Test func streamsPerMemberAreBounded() throws {
    let live = LiveStream()
    live.streamsPerMember = 2
    // A stream stays registered while its frames are held (dropping them ends it).
    let (first, a) = try live.subscribe(member: "bruno@exemple.fr")
    let (_, b) = try live.subscribe(member: "bruno@exemple.fr")
    #expect(throws: LiveStream.TooManyStreams.self) {
      _ = try live.subscribe(member: "bruno@exemple.fr")
    }
    let (_, c) = try live.subscribe(member: "chloe@exemple.fr")
    live.unsubscribe(first)
    let (_, d) = try live.subscribe(member: "bruno@exemple.fr")
    #expect(live.subscriberCount == 3)
    withExtendedLifetime((a, b, c, d)) {}
  }

  /// PostgreSQL's relay counts the changes nobody here listens to without reading them: the
  /// change mark moves (a page drawn before them fetches itself again), positions go on from
  /// the last one, the history no longer answers a resume from before them; and once a stream
  /// has subscribed it refuses, so that the relay reads and publishes them instead.
  @Test func changesNobodyListensToAreCountedUnlessAStreamSubscribed() async throws {
    let bruno = "bruno@exemple.fr"
    let live = LiveStream(after: 10)
    let event = LiveEvent("message.created", conversation: "c1", data: ["text": "bonjour"])
    live.publish([event], to: .member(bruno))
    let mark = live.changeMark
    #expect(mark.hasSuffix(":1"), "\(mark)")
    #expect(live.backlog(after: LiveEventID.make(position: 11, index: 0), for: bruno) != nil)
    #expect(live.recordUnpublishedChanges(3, through: 20))
    #expect(live.changeMark.hasSuffix(":4"), "\(live.changeMark)")
    #expect(
      live.backlog(after: LiveEventID.make(position: 11, index: 0), for: bruno) == nil,
      "the history does not hold positions 12 to 20")
    let (id, frames) = try live.subscribe(member: bruno)
    #expect(live.recordUnpublishedChanges(1, through: 21) == false)
    #expect(live.changeMark.hasSuffix(":4"), "refused: nothing counted")
    // Published instead: positions went on from 20.
    live.publish([event], to: .member(bruno), position: 21)
    #expect(live.changeMark.hasSuffix(":5"))
    var received = frames.makeAsyncIterator()
    let frame = try #require(await received.next())
    #expect(LiveEvent.id(of: frame) == LiveEventID.make(position: 21, index: 0))
    live.unsubscribe(id)
  }

  @Test func hiddenIsSentOnceToMembersWhoLoseAccess() async throws {
    let rules = try await ServerHarness().server.rules.current
    let support = try #require(rules.ruleSet.label(named: "Support Technique")).id
    let event = LiveEvent("label.added", conversation: "c1", data: ["conversation": "c1"])
    let lost = LiveAudience.viewers(engine: rules.engine, before: [], after: [support])
    #expect(
      LiveStream.events([event, event], for: "bruno@exemple.fr", audience: lost).map(\.type)
        == ["conversation.hidden"])
    #expect(LiveStream.events([event], for: "dev@exemple.fr", audience: lost).count == 1)
    #expect(LiveStream.events([event], for: "alice@exemple.fr", audience: lost).isEmpty)
    let created = LiveAudience.viewers(engine: rules.engine, before: nil, after: [support])
    #expect(LiveStream.events([event], for: "bruno@exemple.fr", audience: created).isEmpty)
  }
}
