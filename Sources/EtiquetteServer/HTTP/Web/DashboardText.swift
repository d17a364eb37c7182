/// Every text of the console's dashboard, one catalogue per language (French first), beside
/// `WebText`, whose handoff names it reuses so that the chart says what the buttons say.
struct DashboardText: Sendable {
  var periodLegend: String
  var from: String
  var to: String
  var show: String
  var exportCSV: String
  /// `{from}`, `{to}`, `{n}`.
  var periodLine: String
  /// `{zone}`, `{hours}`.
  var zoneOfHours: String
  var zoneUTC: String
  /// `{text}`.
  var notADate: String
  var endBeforeStart: String
  /// `{n}`, `{max}`.
  var tooLong: String
  var unavailable: String
  var day: String
  var total: String
  var count: String
  var minutes: String
  var none: String
  /// `{n}` days, `{from}`, `{to}`, `{total}`, `{max}`, `{day}`.
  var countsDescription: String
  /// `{n}`, `{from}`, `{to}`, `{max}`, `{day}`.
  var timesDescription: String
  var nothingToMeasure: String
  var messagesIn: String
  var messagesInWhat: String
  var labelled: String
  var labelledWhat: String
  var noLabels: String
  var routed: String
  var routedWhat: String
  var toAI: String
  var toHumans: String
  var handoffs: String
  var handoffsWhat: String
  var firstHumanReply: String
  var firstHumanReplyWhat: String
  var median: String
  var p90: String
  var repliesMeasured: String
  var notifications: String
  var notificationsWhat: String
  /// `{name}`: a table's caption.
  var tableOf: String

  static let french = DashboardText(
    periodLegend: "Période",
    from: "Du",
    to: "Au",
    show: "Afficher",
    exportCSV: "Exporter en CSV",
    periodLine: "Du {from} au {to} ({n} jours).",
    zoneOfHours:
      "Les jours sont comptés à l’heure de {zone}, celle des horaires « {hours} » des règles.",
    zoneUTC: "Les jours sont comptés en UTC : les règles ne déclarent pas d’horaires.",
    notADate: "« {text} » n’est pas une date : écrivez-la AAAA-MM-JJ (par exemple 2026-12-02).",
    endBeforeStart: "La période se termine avant de commencer : « Au » doit suivre « Du ».",
    tooLong: "La période compte {n} jours ; le tableau de bord en montre {max} au plus.",
    unavailable: "Le tableau de bord n’est pas encore disponible avec cette base de données.",
    day: "Jour",
    total: "Total",
    count: "Nombre",
    minutes: "Minutes",
    none: "—",
    countsDescription:
      "Par jour, du {from} au {to} ({n} jours) : {total} en tout, au plus {max} le {day}. Les chiffres sont dans le tableau à côté.",
    timesDescription:
      "Par jour, du {from} au {to} ({n} jours) : la médiane la plus haute est {max}, le {day}. Les chiffres sont dans le tableau à côté.",
    nothingToMeasure: "Aucune réponse d’un membre à mesurer pendant la période.",
    messagesIn: "Messages reçus",
    messagesInWhat: "Les messages des clients.",
    labelled: "Conversations étiquetées",
    labelledWhat:
      "Les conversations qui ont reçu chaque étiquette ce jour-là, par une règle ou par un membre.",
    noLabels:
      "Les règles ne déclarent pas d’étiquette, et aucune n’a été posée pendant la période.",
    routed: "Conversations routées",
    routedWhat:
      "Les conversations envoyées à l’IA ou à l’équipe ce jour-là, par une règle de routage ou le mode par défaut d’une nouvelle conversation.",
    toAI: "Vers l’IA",
    toHumans: "Vers l’équipe",
    handoffs: "Passages de main",
    handoffsWhat: "Ce que les membres ont fait des conversations, par bouton.",
    firstHumanReply: "Délai de première réponse humaine",
    firstHumanReplyWhat:
      "Du premier message du client resté sans réponse d’une personne jusqu’à la réponse d’un membre (les réponses de l’IA ne comptent pas), le jour de la réponse : la médiane et le 90e centile.",
    median: "Médiane",
    p90: "90e centile",
    repliesMeasured: "Réponses mesurées",
    notifications: "Notifications envoyées",
    notificationsWhat: "Les notifications faites aux membres (équipe, personne absente, mention).",
    tableOf: "{name}, par jour")

  static let english = DashboardText(
    periodLegend: "Period",
    from: "From",
    to: "To",
    show: "Show",
    exportCSV: "Export as CSV",
    periodLine: "From {from} to {to} ({n} days).",
    zoneOfHours: "Days are counted in the {zone} time zone, that of the rules’ “{hours}” hours.",
    zoneUTC: "Days are counted in UTC: the rules declare no hours.",
    notADate: "“{text}” is not a date: write it YYYY-MM-DD (for example 2026-12-02).",
    endBeforeStart: "The period ends before it starts: “To” must come after “From”.",
    tooLong: "The period has {n} days; the dashboard shows {max} at most.",
    unavailable: "The dashboard is not available with this database yet.",
    day: "Day",
    total: "Total",
    count: "Count",
    minutes: "Minutes",
    none: "—",
    countsDescription:
      "Per day, from {from} to {to} ({n} days): {total} in all, at most {max} on {day}. The figures are in the table beside.",
    timesDescription:
      "Per day, from {from} to {to} ({n} days): the highest median is {max}, on {day}. The figures are in the table beside.",
    nothingToMeasure: "No reply of a member to measure in the period.",
    messagesIn: "Messages in",
    messagesInWhat: "Messages from customers.",
    labelled: "Conversations labelled",
    labelledWhat: "Conversations that got each label that day, from a rule or from a member.",
    noLabels: "The rules declare no label, and none was added in the period.",
    routed: "Conversations routed",
    routedWhat:
      "Conversations sent to the AI or to people that day, by a routing rule or the default mode of a new conversation.",
    toAI: "To the AI",
    toHumans: "To people",
    handoffs: "Handoffs",
    handoffsWhat: "What members did with conversations, by button.",
    firstHumanReply: "Time to first human reply",
    firstHumanReplyWhat:
      "From the customer’s first message no person had answered to a member’s reply (the AI’s replies do not count), on the day of the reply: the median and the 90th percentile.",
    median: "Median",
    p90: "90th percentile",
    repliesMeasured: "Replies measured",
    notifications: "Notifications sent",
    notificationsWhat: "Notifications made for members (team, member away, mention).",
    tableOf: "{name}, per day")

  /// The catalogue of the page's language (`WebText.language`).
  static func of(_ language: String) -> DashboardText {
    language == "en" ? english : french
  }

  /// The sentence that says why a period was refused.
  func problem(_ problem: DashboardService.PeriodProblem) -> String {
    switch problem {
    case .notADate(let text):
      notADate.replacingOccurrences(of: "{text}", with: String(text.prefix(40)))
    case .endBeforeStart: endBeforeStart
    case .tooLong(let days):
      tooLong.replacingOccurrences(of: "{n}", with: "\(days)").replacingOccurrences(
        of: "{max}", with: "\(DashboardService.maximumDays)")
    }
  }
}
