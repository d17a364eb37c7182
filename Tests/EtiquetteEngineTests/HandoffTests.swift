import EtiquetteChecker
import EtiquetteEngine
import EtiquetteSyntax
import Foundation
import Testing

/// AI-first and human-first, both handoff modes with their notifications, and stale AI replies.
@Suite struct HandoffTests {
  static func rules(default mode: Mode) -> String {
    """
    team "Service" {
      members ["a@x.fr", "b@x.fr"]
      can reply all
    }
    team "Lecture" {
      members ["v@x.fr"]
      can view all
    }
    team "Support" {
      members ["s@x.fr"]
      can reply all
    }
    routing {
      default \(mode.rawValue)
      when message contains "humain" -> human team "Service"
    }
    """
  }

  struct Case: Sendable, CustomStringConvertible {
    var name: String
    var defaultMode: Mode
    var steps: [ScriptStep]
    var mode: Mode
    var assignee: String?
    var presence: Presence
    /// At the last step.
    var ai: String
    var notified: [String]
    var description: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "ai-first: the AI replies", defaultMode: .ai, steps: [.says("bonjour")], mode: .ai,
      presence: .active, ai: "reply", notified: []),
    Case(
      name: "human-first: the AI suggests, members who may reply are notified",
      defaultMode: .human, steps: [.says("bonjour")], mode: .human, presence: .active,
      ai: "suggest", notified: ["a@x.fr", "b@x.fr", "s@x.fr"]),
    Case(
      name: "human-first: suggestions continue for the agent who took over",
      defaultMode: .human, steps: [.says("bonjour"), .agent("a@x.fr", .takeOver), .says("re")],
      mode: .human, assignee: "a@x.fr", presence: .active, ai: "suggest", notified: []),
    Case(
      name: "routed to a team: its members who may reply are notified", defaultMode: .ai,
      steps: [.says("un humain")], mode: .human, presence: .active, ai: "none",
      notified: ["a@x.fr", "b@x.fr"]),
    Case(
      name: "still notified at each message while nobody took over", defaultMode: .ai,
      steps: [.says("un humain"), .says("allo ?")], mode: .human, presence: .active, ai: "none",
      notified: ["a@x.fr", "b@x.fr"]),
    Case(
      name: "take over: nobody else is notified", defaultMode: .ai,
      steps: [.says("un humain"), .agent("b@x.fr", .takeOver), .says("allo ?")], mode: .human,
      assignee: "b@x.fr", presence: .active, ai: "none", notified: []),
    Case(
      name: "transfer to AI and leave: the AI replies to the next message", defaultMode: .ai,
      steps: [
        .says("un humain"), .agent("b@x.fr", .takeOver), .agent("b@x.fr", .transferToAI),
        .says("merci"),
      ], mode: .ai, presence: .active, ai: "reply", notified: []),
    Case(
      name: "keep human mode and leave: the assignee is notified, the AI stays silent",
      defaultMode: .ai,
      steps: [
        .says("un humain"), .agent("b@x.fr", .takeOver), .agent("b@x.fr", .keepHumanAndLeave),
        .says("vous êtes là ?"),
      ], mode: .human, assignee: "b@x.fr", presence: .away, ai: "none", notified: ["b@x.fr"]),
    Case(
      name: "keep human mode and leave, human-first: no suggestion either", defaultMode: .human,
      steps: [
        .says("bonjour"), .agent("a@x.fr", .takeOver), .agent("a@x.fr", .keepHumanAndLeave),
        .says("re"),
      ], mode: .human, assignee: "a@x.fr", presence: .away, ai: "none", notified: ["a@x.fr"]),
    Case(
      name: "taking over again after leaving makes the agent active", defaultMode: .ai,
      steps: [
        .says("un humain"), .agent("b@x.fr", .takeOver), .agent("b@x.fr", .keepHumanAndLeave),
        .agent("a@x.fr", .takeOver), .says("re"),
      ], mode: .human, assignee: "a@x.fr", presence: .active, ai: "none", notified: []),
    Case(
      name: "a viewer cannot take over", defaultMode: .ai,
      steps: [.says("bonjour"), .agent("v@x.fr", .takeOver), .says("re")], mode: .ai,
      presence: .active, ai: "reply", notified: []),
  ]

  @Test(arguments: cases)
  func handoffsAndNotifications(_ c: Case) throws {
    var script = Script(try CompiledRules.compile(Self.rules(default: c.defaultMode)))
    script.run(c.steps)
    let decision = try #require(script.last)
    #expect(script.conversation.mode == c.mode)
    #expect(script.conversation.assignee == c.assignee)
    #expect(script.conversation.presence == c.presence)
    let ai: String =
      switch decision.ai {
      case .none: "none"
      case .reply: "reply"
      case .suggest: "suggest"
      }
    #expect(ai == c.ai)
    #expect(decision.notifications.map(\.member) == c.notified)
  }

  @Test func refusedActionsSayWhy() throws {
    var script = Script(try CompiledRules.compile(Self.rules(default: .ai)))
    script.run([.says("bonjour"), .agent("v@x.fr", .takeOver)])
    let refusal = try #require(script.last?.refusal)
    #expect(refusal.member == "v@x.fr")
    #expect(refusal.access.allowed == false)
    #expect(refusal.access.denial == .noGrant(.reply))
  }

  @Test func staleAIRepliesAreRejectedAfterATakeover() throws {
    var script = Script(try CompiledRules.compile(Self.rules(default: .ai)))
    script.run([.says("bonjour")])
    guard case .reply(let version) = script.last?.ai else {
      Issue.record("expected an AI reply, got \(String(describing: script.last?.ai))")
      return
    }
    #expect(Engine.acceptsAIReply(madeFor: version, in: script.conversation))
    // A second message before the reply went out does not make the first one stale.
    script.run([.says("vous êtes là ?")])
    #expect(Engine.acceptsAIReply(madeFor: version, in: script.conversation))
    script.run([.agent("a@x.fr", .takeOver)])
    #expect(!Engine.acceptsAIReply(madeFor: version, in: script.conversation))
    // Handing back does not revive the old reply; the next message gets a fresh one.
    script.run([.agent("a@x.fr", .transferToAI)])
    #expect(!Engine.acceptsAIReply(madeFor: version, in: script.conversation))
    script.run([.says("re")])
    guard case .reply(let fresh) = script.last?.ai else {
      Issue.record("expected a fresh AI reply")
      return
    }
    #expect(fresh > version)
    #expect(Engine.acceptsAIReply(madeFor: fresh, in: script.conversation))
  }

  /// The AI's reply is a step: it joins the transcript only at the version it was made for.
  @Test func aiReplyStepsAreAcceptedOnlyAtTheirVersion() throws {
    var script = Script(try CompiledRules.compile(Self.rules(default: .ai)))
    script.run([.says("bonjour")])
    guard case .reply(let version) = script.last?.ai else {
      Issue.record("expected an AI reply")
      return
    }
    script.run([.aiReplies("Bonjour ! Comment puis-je vous aider ?", version: version)])
    #expect(script.last?.aiReply == .accepted)
    #expect(script.conversation.transcript.last?.author == .agent(Engine.aiAuthor))
    #expect(script.conversation.transcript.last?.text == "Bonjour ! Comment puis-je vous aider ?")

    script.run([.says("un humain svp"), .agent("a@x.fr", .takeOver)])
    let count = script.conversation.transcript.count
    script.run([.aiReplies("trop tard", version: version)])
    #expect(
      script.last?.aiReply
        == .discarded(
          madeFor: version, current: script.conversation.version, mode: .human,
          assignee: "a@x.fr"))
    #expect(script.conversation.transcript.count == count)
    #expect(script.last?.ai == AIAction.none)
  }
}
