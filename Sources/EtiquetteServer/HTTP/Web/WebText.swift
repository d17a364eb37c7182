/// Every text of the web inbox, one catalogue per language: wording is reviewed here, and the
/// templates only name entries (`{{text.signIn}}`). French first.
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
  var statusQueued: String
  var statusSent: String
  var statusDelivered: String
  var statusRead: String
  var statusFailed: String
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
    statusQueued: "en attente",
    statusSent: "envoyé",
    statusDelivered: "distribué",
    statusRead: "lu",
    statusFailed: "échec",
    weekdays: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"])
}
