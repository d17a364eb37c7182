/// What the benchmarks that generate rule sets share, so each run builds the same rules.

/// A deterministic generator (SplitMix64): the same seed, the same rule set, on every machine.
public struct SplitMix64 {
  public var state: UInt64

  public init(state: UInt64) { self.state = state }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  public mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
}

/// Words of customer-support phrases; a generated phrase is one of them and a unique suffix.
public let phraseWords = [
  "commande", "livraison", "colis", "réservé", "rendez-vous", "créneau", "devis", "tarif",
  "prix", "remboursement", "facture", "paiement", "carte", "compte", "mot de passe", "écran",
  "erreur", "application", "abonnement", "résiliation", "adresse", "retard", "échange", "taille",
  "couleur", "stock", "promotion", "code", "réduction", "garantie", "réparation", "magasin",
]
