import EtiquetteChecker
import Testing

@testable import EtiquetteMatcher

/// Issue 19: matching that understands how customers write — the issue's French examples, the
/// modes, and the explanation every reason shows.
@Suite struct FrenchMatchingTests {
  static let rules = """
    synonyms {
      "rdv" = "rendez-vous"
      "cmd" = "commande"
    }

    label "Planifié" {
      when message contains any ["prendre rendez-vous", "j'ai réservé"]
    }

    label "Annulation" {
      when message contains forms "annuler"
      when message contains all forms ["annuler", "rendez-vous"]
    }

    label "Commande" {
      when message contains "ma commande"
    }

    label "Remboursement" {
      when message contains any typos ["remboursement", "colis perdu", "CMD-12345"]
    }

    team "T" {
      members ["a@exemple.fr"]
      can reply all
    }

    routing {
      default ai
    }
    """

  static func labels(_ message: String) throws -> [String] {
    let ruleSet = try #require(MatcherHarness.ruleSet(rules))
    let matcher = RuleMatcher(ruleSet)
    let scan = matcher.scan(message)
    return matcher.evaluateCandidates(scan: scan, facts: MatcherHarness.facts).compactMap {
      guard case .add(let label, _) = $0.trigger else { return nil }
      return ruleSet[label].name
    }
  }

  /// The five examples of the issue, and the spellings it lists.
  @Test(arguments: [
    ("je voudrais prendre rendez vous", ["Planifié"]),
    ("Annulez mon RDV", ["Annulation", "Annulation"]),
    ("Annulez mon rendez-vous", ["Annulation", "Annulation"]),
    ("annulation du rendez-vous", ["Annulation", "Annulation"]),
    ("j'annule le rdv", ["Annulation", "Annulation"]),
    ("jai réservé", ["Planifié"]),
    ("J’ai réservé", ["Planifié"]),
    ("prendre rendez_vous", ["Planifié"]),
    ("ma cmd n'arrive pas", ["Commande"]),
    // Never where a human would not: no elision before a consonant, no part of a word.
    ("je voudrais surprendre rendez vous", []),
    ("j ai reserve", []),
    // Typos: one edit in a word of 5–8 letters, two from 9 letters, none under 5 or in codes.
    ("un remboursment svp", ["Remboursement"]),
    ("un rembourssemant svp", ["Remboursement"]),
    ("un rembrousement svp", ["Remboursement"]),
    ("un rmbrsmnt svp", []),
    ("colis pedru", ["Remboursement"]),
    ("calos perdu", []),
    ("CMD-12346", []),
  ])
  func issueExamples(message: String, expected: [String]) throws {
    #expect(try Self.labels(message) == expected, "\(message)")
  }

  /// The README's table of the modes, row by row.
  @Test(arguments: [
    ("", "annuler le rendez-vous", "Annuler le rendez vous", true),
    ("", "annuler le rendez-vous", "ANNULER LE RENDEZ-VOUS", true),
    ("", "annuler le rendez-vous", "annulez le rendez-vous", false),
    ("", "annuler le rendez-vous", "annuler le rdv", false),
    ("forms", "annuler le rendez-vous", "j'annule le rendez-vous", true),
    ("forms", "annuler le rendez-vous", "Annulez le rendez-vous", true),
    ("forms", "annuler le rendez-vous", "annuler mon rendez-vous", false),
    ("forms", "annuler le rendez-vous", "annulr le rendez-vous", false),
    ("typos", "remboursement", "rembourssement", true),
    ("typos", "remboursement", "remboursment", true),
    ("typos", "remboursement", "rembrousement", true),
    ("typos", "remboursement", "rmbrsmnt", false),
    ("typos", "CMD-12345", "CMD-12346", false),
    ("typos", "colis", "colis", true),
    ("forms typos", "annuler", "anulez", true),
    ("forms typos", "annuler", "annulation", true),
    ("forms typos", "annuler", "annulr", true),
    ("forms typos", "annuler", "annonce", false),
  ])
  func readmeModeTable(modes: String, phrase: String, message: String, matches: Bool) throws {
    let ruleSet = try #require(
      MatcherHarness.ruleSet(
        """
        label "L" {
          when message contains \(modes) "\(phrase)"
        }
        team "T" {
          members ["a@exemple.fr"]
          can reply all
        }
        routing {
          default ai
        }
        """))
    let matcher = RuleMatcher(ruleSet)
    let holds = matcher.evaluate(
      .add(LabelID(0), 0), scan: matcher.scan(message), facts: MatcherHarness.facts
    ).holds
    #expect(holds == matches, "\(modes) \(phrase) on \(message)")
  }

  @Test func plainPhrasesDoNotTakeOtherForms() throws {
    let ruleSet = try #require(MatcherHarness.phraseRuleSet(["annuler"]))
    let matcher = RuleMatcher(ruleSet)
    #expect(matcher.scan("Annulez tout").phraseHits("annuler").isEmpty)
    #expect(matcher.scan("Annuler tout").phraseHits("annuler") == [0..<7])
  }

  @Test func formsSpanCoversTheWholeWrittenWord() throws {
    let ruleSet = try #require(MatcherHarness.ruleSet(Self.rules))
    let matcher = RuleMatcher(ruleSet)
    let scan = matcher.scan("Bonjour, annulation du rendez-vous svp")
    let evaluation = matcher.evaluate(
      .add(LabelID(1), 1), scan: scan, facts: MatcherHarness.facts)
    #expect(evaluation.holds)
    #expect(evaluation.evidence.map(\.matchedText) == ["annulation", "rendez-vous"])
  }

  /// Phrases that spell each other's keywords ("jai" and "j'ai" are both keywords of both)
  /// share them: every phrase a keyword spells is found, in the order of the labels.
  @Test func phrasesSharingSpellingsAreAllFound() throws {
    let rules = """
      label "A" {
        when message contains "j'ai"
      }
      label "B" {
        when message contains "jai"
      }
      label "C" {
        when message contains any ["jai vu", "j'ai"]
      }
      label "D" {
        when message contains "vu"
      }
      team "T" {
        members ["a@exemple.fr"]
        can reply all
      }
      routing {
        default ai
      }
      """
    let ruleSet = try #require(MatcherHarness.ruleSet(rules))
    let matcher = RuleMatcher(ruleSet)
    for message in ["jai", "J’ai", "j'ai vu", "oui jai vu"] {
      let labels = matcher.evaluateCandidates(
        scan: matcher.scan(message), facts: MatcherHarness.facts
      ).compactMap { hit -> String? in
        guard case .add(let label, _) = hit.trigger else { return nil }
        return ruleSet[label].name
      }
      #expect(
        labels == (message.hasSuffix("vu") ? ["A", "B", "C", "D"] : ["A", "B", "C"]),
        "\(message)")
    }
  }

  @Test(arguments: [
    (
      "Annulez mon RDV", "annuler mon rendez-vous",
      "\"Annulez mon RDV\" ≈ \"annuler mon rendez-vous\" (formes : Annulez → annuler ; "
        + "synonyme : RDV → rendez-vous)"
    ),
    ("J’ai réservé", "j'ai réservé", nil),
    ("jai reserve", "j'ai réservé", nil),
    (
      "réservations", "réservation",
      "\"réservations\" ≈ \"réservation\" (formes : réservations → réservation)"
    ),
  ])
  func explanations(matched: String, phrase: String, expected: String?) throws {
    let ruleSet = try #require(MatcherHarness.ruleSet(Self.rules))
    #expect(MatchExplanation(matched: matched, phrase: phrase, ruleSet: ruleSet).text == expected)
  }
}
