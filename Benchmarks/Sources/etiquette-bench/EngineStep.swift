import EtiquetteChecker
import EtiquetteEngine
import EtiquetteMatcher
import EtiquetteSyntax
import EtiquetteText
import Foundation

/// The product path (issue 20): a full `Engine.apply` step — the message joins the transcript,
/// the matcher scans it, the labels the index chooses are evaluated, routing, the AI decision —
/// on a conversation as it is before its first message, one step per message.
struct EngineStepRun: LabellingEngine {
  let engine: Engine
  let conversation: Conversation
  let steps: [Step]

  init(engine: Engine, messages: [String]) {
    self.engine = engine
    conversation = engine.newConversation(id: "bench", contact: Contact(id: "u1"))
    steps = messages.map {
      Step(.message(CustomerMessage(type: .text, text: $0)), at: Engine.defaultInstant)
    }
  }

  func label(_ index: Int) -> Int {
    let (_, decision) = engine.apply(steps[index], to: conversation)
    return decision.added.count + decision.fired.count
  }

  func phraseMatches(_ index: Int) -> [Int] { [] }
}

extension Workload {
  /// The rule set with a routing block as a real one has: a label that hands over to a human,
  /// phrases that ask for one, and a rule on the mode and a label.
  func ruleSetWithRouting(modes: PhraseModes = []) -> RuleSet {
    var ruleSet = ruleSet(modes: modes)
    func phrases(_ texts: [String]) -> ConditionTree {
      .atom(
        ConditionAtom(
          .contains(
            .any,
            texts.map {
              Phrase(text: $0, normalized: Normalizer.normalize($0).string, span: .unknown)
            }), span: .unknown))
    }
    func target(_ mode: Mode) -> RoutingTarget {
      RoutingTarget(mode: mode, team: nil, priority: nil, span: .unknown)
    }
    let first = ConditionTree.atom(ConditionAtom(.label(LabelID(0)), span: .unknown))
    let second = ConditionTree.atom(ConditionAtom(.label(LabelID(1)), span: .unknown))
    let human = ConditionTree.atom(ConditionAtom(.mode(.human), span: .unknown))
    ruleSet.routing = RoutingPolicy(
      defaultMode: .ai,
      rules: [
        RoutingRule(condition: first, target: target(.human), span: .unknown),
        RoutingRule(
          condition: phrases(["parler à un humain", "un conseiller", "speak to a human"]),
          target: target(.human), span: .unknown),
        RoutingRule(condition: .and(human, second), target: target(.ai), span: .unknown),
      ], defaultSpan: .unknown)
    return ruleSet
  }

  /// `count` labels of one phrase each, every phrase a pair of corpus words that occurs in no
  /// message of `messages` (checked with the matcher): a rule set nothing matches, whose trie
  /// still starts with the corpus's own words — so a walk goes as deep as real phrases make it.
  static func neverMatching(count: Int, vocabulary: [String], messages: [String]) -> RuleSet {
    var random = SplitMix(seed: 4242)
    var phrases: [String] = []
    var seen: Set<String> = []
    while phrases.count < count {
      let pair =
        vocabulary[random.below(vocabulary.count)] + " "
        + vocabulary[random.below(vocabulary.count)]
      if seen.insert(pair).inserted { phrases.append(pair) }
    }
    // Drop the pairs that do occur, then top up: a few rounds settle it.
    var ruleSet = Workload(phrases: phrases, regexes: []).ruleSet(groups: count)
    while true {
      let matcher = RuleMatcher(ruleSet)
      var occurring: Set<String> = []
      for message in messages {
        for hit in matcher.scan(message).allPhraseHits { occurring.insert(hit.phrase) }
      }
      if occurring.isEmpty { return ruleSet }
      phrases.removeAll { occurring.contains(Normalizer.normalize($0).string) }
      while phrases.count < count {
        let pair =
          vocabulary[random.below(vocabulary.count)] + " "
          + vocabulary[random.below(vocabulary.count)]
        if seen.insert(pair).inserted { phrases.append(pair) }
      }
      ruleSet = Workload(phrases: phrases, regexes: []).ruleSet(groups: count)
    }
  }
}
