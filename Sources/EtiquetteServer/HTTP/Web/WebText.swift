/// Every text of the web inbox, one catalogue per language: wording is reviewed here, and the
/// templates only name entries (`{{t.signIn}}`). French first; English when the browser
/// prefers it.
struct WebText: Sendable {
  var language: String
  var appName: String
  var signInTitle: String
  var email: String
  var password: String
  var signIn: String
  var signInRefused: String
  var throttled: String
  var invitationTitle: String
  var invitationFor: String
  var passwordRule: String
  var choosePassword: String
  var invitationInvalid: String
  var passwordTooShort: String
  var signOut: String
  var conversations: String
  var views: String
  var viewAll: String
  var viewUnread: String
  var viewNeedsReply: String
  var you: String
  var ai: String
  var modeAI: String
  var modeHuman: String
  var message: String
  var send: String
  var readOnly: String
  var takeOver: String
  var transferToAI: String
  var keepHuman: String
  var internalNote: String
  var chooseConversation: String
  var emptyList: String
  var labelWord: String
  var triggerWord: String
  var addedBy: String
  var csrfRefused: String
  var notFound: String
  var yesterday: String
  var unreadCount: String
  var handoff: String
  var search: String
  var addNote: String
  var markUnread: String
  var shortcuts: String
  var shortcutNext: String
  var shortcutBack: String
  var escapeKey: String
  var enterKey: String
  var close: String
  var sortRecent: String
  var sortPriority: String
  var sortBy: String
  var more: String
  var priorityHigh: String
  var priorityUrgent: String
  var today: String
  var statusQueued: String
  var statusSent: String
  var statusDelivered: String
  var statusRead: String
  var statusFailed: String
  var viewMentions: String
  var viewAIMode: String
  var viewMine: String
  var filterTitle: String
  var filterMatch: String
  var filterAny: String
  var filterAll: String
  var filterWithout: String
  var filterApply: String
  var filterClear: String
  var labels: String
  var addLabel: String
  var add: String
  var removeLabel: String
  var suggestions: String
  var insert: String
  var unreadSeparator: String
  var unreadSeparatorOne: String
  var windowClosing: String
  var windowClosingSoon: String
  var windowClosed: String
  var mentionHint: String
  var notificationsEnable: String
  var statusFailedWith: String
  var attachment: String
  var mediaPending: String
  var mediaFailed: String
  var download: String
  var rulesTitle: String
  var ruleFiles: String
  var check: String
  var format: String
  var consoleSummary: String
  var noProblem: String
  var backToInbox: String
  var draftNote: String
  var ruleText: String
  var tryTitle: String
  var customerMessage: String
  var tryButton: String
  var noLabel: String
  var routeTitle: String
  var whoTitle: String
  var teamWord: String
  var ruleWord: String
  var eventWord: String
  var aiReplies: String
  var aiSuggests: String
  var aiWaits: String
  var mayReplyWord: String
  var mayViewWord: String
  var mayNotViewWord: String
  var consoleTitle: String
  var accessTitle: String
  var membersTitle: String
  var dashboardTitle: String
  var consoleForbidden: String
  var publishing: PublishingText
  var weekdays: [String]

  /// French, the default.
  static let french = WebText(
    language: "fr",
    appName: "Etiquette",
    signInTitle: "Connexion",
    email: "Adresse e-mail",
    password: "Mot de passe",
    signIn: "Se connecter",
    signInRefused: "Adresse e-mail ou mot de passe incorrect.",
    throttled: "Trop de tentatives : réessayez dans quelques minutes.",
    invitationTitle: "Choisissez votre mot de passe",
    invitationFor: "Invitation pour",
    passwordRule: "Au moins 12 caractères.",
    choosePassword: "Enregistrer et se connecter",
    invitationInvalid: "Cette invitation n’est plus valable : demandez-en une nouvelle.",
    passwordTooShort: "Le mot de passe doit compter au moins 12 caractères.",
    signOut: "Se déconnecter",
    conversations: "Conversations",
    views: "Vues",
    viewAll: "Toutes",
    viewUnread: "Non lues",
    viewNeedsReply: "À répondre",
    you: "Vous",
    ai: "IA",
    modeAI: "IA",
    modeHuman: "Humain",
    message: "Message",
    send: "Envoyer",
    readOnly: "Lecture seule",
    takeOver: "Prendre la main",
    transferToAI: "Transférer à l’IA et partir",
    keepHuman: "Garder le mode humain et partir",
    internalNote: "Note interne",
    chooseConversation: "Choisissez une conversation.",
    emptyList: "Aucune conversation.",
    labelWord: "Étiquette",
    triggerWord: "déclencheur",
    addedBy: "ajoutée par",
    csrfRefused: "Requête refusée : le formulaire a expiré. Rechargez la page.",
    notFound: "Cette page n’existe pas.",
    yesterday: "Hier",
    unreadCount: "non lus",
    handoff: "Passer la main",
    search: "Rechercher",
    addNote: "Ajouter la note",
    markUnread: "Marquer comme non lu",
    shortcuts: "Raccourcis clavier",
    shortcutNext: "Conversation suivante / précédente",
    shortcutBack: "Retour à la liste",
    escapeKey: "Échap",
    enterKey: "Entrée",
    close: "Fermer",
    sortRecent: "Récentes",
    sortPriority: "Priorité",
    sortBy: "Trier",
    more: "Conversations suivantes",
    priorityHigh: "Priorité haute",
    priorityUrgent: "Urgent",
    today: "Aujourd’hui",
    statusQueued: "en attente",
    statusSent: "envoyé",
    statusDelivered: "distribué",
    statusRead: "lu",
    statusFailed: "échec",
    viewMentions: "Mentions",
    viewAIMode: "Mode IA",
    viewMine: "Mes conversations",
    filterTitle: "Filtrer par étiquette",
    filterMatch: "Correspondance",
    filterAny: "Au moins une",
    filterAll: "Toutes",
    filterWithout: "Sans",
    filterApply: "Filtrer",
    filterClear: "Effacer les filtres",
    labels: "Étiquettes",
    addLabel: "Ajouter une étiquette",
    add: "Ajouter",
    removeLabel: "Retirer",
    suggestions: "Suggestions de l’IA",
    insert: "Insérer",
    unreadSeparator: "{n} messages non lus",
    unreadSeparatorOne: "1 message non lu",
    windowClosing: "Fenêtre WhatsApp : se ferme dans {n} h",
    windowClosingSoon: "Fenêtre 24 h bientôt fermée",
    windowClosed: "Fenêtre de 24 h fermée : WhatsApp n’accepte plus que des modèles approuvés",
    mentionHint: "Tapez @ pour mentionner un membre",
    notificationsEnable: "Activer les notifications",
    statusFailedWith: "échec : {n}",
    attachment: "Pièce jointe",
    mediaPending: "Téléchargement du média depuis WhatsApp…",
    mediaFailed: "Ce média n’a pas pu être téléchargé depuis WhatsApp.",
    download: "Télécharger",
    rulesTitle: "Règles",
    ruleFiles: "Fichiers de règles",
    check: "Vérifier",
    format: "Formater",
    consoleSummary: "{errors} erreur(s), {warnings} avertissement(s)",
    noProblem: "Aucun problème : ces règles sont prêtes.",
    backToInbox: "Retour à la boîte de réception",
    draftNote: "Brouillon : rien n’est écrit sur le disque avant « Publier ».",
    ruleText: "Texte du fichier",
    tryTitle: "Essayer un message",
    customerMessage: "Message du client",
    tryButton: "Essayer",
    noLabel: "Aucune étiquette.",
    routeTitle: "Routage",
    whoTitle: "Qui voit et répond",
    teamWord: "équipe",
    ruleWord: "règle",
    eventWord: "événement",
    aiReplies: "L’IA répond.",
    aiSuggests: "L’IA propose une réponse à un humain.",
    aiWaits: "L’IA n’agit pas.",
    mayReplyWord: "peut répondre",
    mayViewWord: "peut voir (lecture seule)",
    mayNotViewWord: "ne voit pas",
    consoleTitle: "Console d’administration",
    accessTitle: "Accès",
    membersTitle: "Membres",
    dashboardTitle: "Tableau de bord",
    consoleForbidden:
      "La console est réservée aux membres qui peuvent gérer toutes les conversations (`can manage all`).",
    publishing: .french,
    weekdays: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"])

  /// English, for browsers that prefer it.
  static let english = WebText(
    language: "en",
    appName: "Etiquette",
    signInTitle: "Sign in",
    email: "Email address",
    password: "Password",
    signIn: "Sign in",
    signInRefused: "Wrong email address or password.",
    throttled: "Too many attempts: try again in a few minutes.",
    invitationTitle: "Choose your password",
    invitationFor: "Invitation for",
    passwordRule: "At least 12 characters.",
    choosePassword: "Save and sign in",
    invitationInvalid: "This invitation is no longer valid: ask for a new one.",
    passwordTooShort: "The password must have at least 12 characters.",
    signOut: "Sign out",
    conversations: "Conversations",
    views: "Views",
    viewAll: "All",
    viewUnread: "Unread",
    viewNeedsReply: "To answer",
    you: "You",
    ai: "AI",
    modeAI: "AI",
    modeHuman: "Human",
    message: "Message",
    send: "Send",
    readOnly: "Read only",
    takeOver: "Take over",
    transferToAI: "Hand over to the AI and leave",
    keepHuman: "Keep human mode and leave",
    internalNote: "Internal note",
    chooseConversation: "Choose a conversation.",
    emptyList: "No conversation.",
    labelWord: "Label",
    triggerWord: "trigger",
    addedBy: "added by",
    csrfRefused: "Request refused: the form has expired. Reload the page.",
    notFound: "This page does not exist.",
    yesterday: "Yesterday",
    unreadCount: "unread",
    handoff: "Hand off",
    search: "Search",
    addNote: "Add the note",
    markUnread: "Mark as unread",
    shortcuts: "Keyboard shortcuts",
    shortcutNext: "Next / previous conversation",
    shortcutBack: "Back to the list",
    escapeKey: "Esc",
    enterKey: "Enter",
    close: "Close",
    sortRecent: "Recent",
    sortPriority: "Priority",
    sortBy: "Sort",
    more: "More conversations",
    priorityHigh: "High priority",
    priorityUrgent: "Urgent",
    today: "Today",
    statusQueued: "queued",
    statusSent: "sent",
    statusDelivered: "delivered",
    statusRead: "read",
    statusFailed: "failed",
    viewMentions: "Mentions",
    viewAIMode: "AI mode",
    viewMine: "My conversations",
    filterTitle: "Filter by label",
    filterMatch: "Match",
    filterAny: "Any",
    filterAll: "All",
    filterWithout: "Without",
    filterApply: "Filter",
    filterClear: "Clear filters",
    labels: "Labels",
    addLabel: "Add a label",
    add: "Add",
    removeLabel: "Remove",
    suggestions: "AI suggestions",
    insert: "Insert",
    unreadSeparator: "{n} unread messages",
    unreadSeparatorOne: "1 unread message",
    windowClosing: "WhatsApp window: closes in {n} h",
    windowClosingSoon: "24-hour window closing soon",
    windowClosed: "24-hour window closed: WhatsApp only accepts approved templates",
    mentionHint: "Type @ to mention a member",
    notificationsEnable: "Turn on notifications",
    statusFailedWith: "failed: {n}",
    attachment: "Attachment",
    mediaPending: "Downloading the media from WhatsApp…",
    mediaFailed: "This media could not be downloaded from WhatsApp.",
    download: "Download",
    rulesTitle: "Rules",
    ruleFiles: "Rule files",
    check: "Check",
    format: "Format",
    consoleSummary: "{errors} error(s), {warnings} warning(s)",
    noProblem: "No problem: these rules are ready.",
    backToInbox: "Back to the inbox",
    draftNote: "Draft: nothing is written to disk before « Publish ».",
    ruleText: "File text",
    tryTitle: "Try a message",
    customerMessage: "Customer message",
    tryButton: "Try",
    noLabel: "No label.",
    routeTitle: "Routing",
    whoTitle: "Who sees and answers",
    teamWord: "team",
    ruleWord: "rule",
    eventWord: "event",
    aiReplies: "The AI answers.",
    aiSuggests: "The AI suggests an answer to a human.",
    aiWaits: "The AI does nothing.",
    mayReplyWord: "may reply",
    mayViewWord: "may view (read only)",
    mayNotViewWord: "cannot see",
    consoleTitle: "Admin console",
    accessTitle: "Access",
    membersTitle: "Members",
    dashboardTitle: "Dashboard",
    consoleForbidden:
      "The console is for members who may manage every conversation (`can manage all`).",
    publishing: .english,
    weekdays: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"])

  /// The catalogue an `Accept-Language` header prefers (by weight, then order): English when
  /// an English tag comes before any French one, French otherwise.
  static func preferred(_ header: String?) -> WebText {
    guard let header else { return french }
    var ranked: [(weight: Double, order: Int, language: String)] = []
    for (order, entry) in header.split(separator: ",").enumerated() {
      let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
      guard let tag = parts.first?.lowercased(), !tag.isEmpty else { continue }
      var weight = 1.0
      for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
        weight = Double(parameter.dropFirst(2)) ?? 0
      }
      let language = String(tag.split(separator: "-").first ?? "")
      ranked.append((weight, order, language))
    }
    let first = ranked.filter { $0.weight > 0 && ["fr", "en"].contains($0.language) }
      .sorted { ($0.weight, -$0.order) > ($1.weight, -$1.order) }.first
    return first?.language == "en" ? english : french
  }
}
