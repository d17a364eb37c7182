/// The texts of the console's « Accès » and « Membres » pages, one catalogue per language
/// (French first), beside `WebText` rather than in it: these pages name the engine's levels
/// and the store's records, which no inbox page does. The templates read them as `{{a.…}}`.
struct AccessPageText: Sendable {
  // « Accès »: the matrix.
  var matrixIntro: String
  var matrixCaption: String
  var memberColumn: String
  var unlabelledColumn: String
  var levelManage: String
  var levelReply: String
  var levelView: String
  var levelNone: String
  /// Why a member has no access: none of their teams grants any.
  var noGrant: String
  /// Why a member has no access: their grants exist but none covers these labels (`{grants}`).
  var notCovered: String
  var unknownMember: String
  var teamsWord: String
  var rulesVersion: String

  // « Qui peut voir cette conversation ? »
  var whoMayView: String
  var conversationIntro: String
  var conversationLabels: String
  var noLabels: String
  var accessColumn: String
  var whyColumn: String
  var backToConversation: String

  // « Membres »
  var membersIntro: String
  var teamsColumn: String
  var webColumn: String
  var tokenColumn: String
  var actionsColumn: String
  var neverSignedIn: String
  /// `{date}`: the latest sign-in the store still knows of.
  var signedIn: String
  /// `{date}`: the last request of a session still open.
  var lastSeen: String
  /// `{date}`: when the pending invitation expires.
  var invitationPending: String
  var tokenNone: String
  /// `{date}`: when the token was issued.
  var tokenActive: String
  /// `{date}`: when the member's access was revoked.
  var revokedOn: String
  var invite: String
  var revoke: String
  var newToken: String
  var invitationLink: String
  var invitationSent: String
  /// Said under an invitation when the configuration has no `smtp`: the manager passes it on.
  var noMail: String
  /// `{email}`: the invitation was e-mailed.
  var invitationMailed: String
  var mailedNote: String
  /// `{email}`, `{error}`: the SMTP error, the server's reply when it gave one.
  var mailFailed: String
  var mailFailedNote: String
  var tokenIssued: String
  var tokenOnce: String
  var revoked: String
  var inviteRevoked: String
  var revokeSelf: String
  var unknownAccount: String
  var agentsTitle: String
  var agentsIntro: String
  var agentColumn: String
  var noAgents: String
  var revokeExplained: String

  static let french = AccessPageText(
    matrixIntro:
      "Ce que chaque membre nommé dans les règles peut faire d’une conversation qui porte une "
      + "seule étiquette (une colonne par étiquette), ou aucune. Calculé par le moteur, comme "
      + "dans la boîte de réception ; chaque case dit la permission qui l’accorde, ou pourquoi "
      + "il n’y en a pas. Gérer comprend répondre, qui comprend voir.",
    matrixCaption: "Accès de chaque membre selon l’étiquette de la conversation",
    memberColumn: "Membre", unlabelledColumn: "Sans étiquette",
    levelManage: "Gérer", levelReply: "Répondre", levelView: "Voir", levelNone: "Aucun accès",
    noGrant: "aucune de ses équipes ne donne accès",
    notCovered: "hors de : {grants}",
    unknownMember: "dans aucune équipe",
    teamsWord: "équipe",
    rulesVersion: "Version des règles : {version}.",
    whoMayView: "Qui peut voir cette conversation ?",
    conversationIntro:
      "Chaque membre nommé dans les règles face aux étiquettes actuelles de la conversation, "
      + "selon le moteur.",
    conversationLabels: "Étiquettes", noLabels: "aucune",
    accessColumn: "Accès", whyColumn: "Pourquoi",
    backToConversation: "Retour à la conversation",
    membersIntro:
      "Les membres nommés dans les équipes des règles. Une invitation est un lien à usage "
      + "unique, valable 7 jours, pour choisir un mot de passe. Révoquer ferme aussitôt les "
      + "sessions du membre et désactive son jeton d’API ; un nouveau jeton lève la révocation.",
    teamsColumn: "Équipes", webColumn: "Boîte de réception web", tokenColumn: "Jeton d’API",
    actionsColumn: "Actions",
    neverSignedIn: "jamais connecté·e",
    signedIn: "connecté·e, dernière connexion connue le {date}",
    lastSeen: "session ouverte, active le {date}",
    invitationPending: "invitation en attente jusqu’au {date}",
    tokenNone: "aucun",
    tokenActive: "actif depuis le {date}",
    revokedOn: "révoqué le {date}",
    invite: "Inviter", revoke: "Révoquer", newToken: "Nouveau jeton",
    invitationLink: "Lien d’invitation pour {email} (affiché une seule fois)",
    invitationSent: "Invitation créée pour {email}.",
    noMail:
      "Ce serveur n’envoie pas d’e-mails (il n’a pas de configuration SMTP) : transmettez ce "
      + "lien au membre vous-même.",
    invitationMailed: "Invitation envoyée à {email}.",
    mailedNote: "Le même lien lui a été envoyé par e-mail ; il ne sert qu’une fois.",
    mailFailed: "Invitation créée pour {email}, mais l’e-mail n’a pas pu être envoyé : {error}",
    mailFailedNote: "Transmettez ce lien au membre vous-même, ou réessayez plus tard.",
    tokenIssued: "Jeton d’API de {email} (affiché une seule fois)",
    tokenOnce: "Seule son empreinte est conservée : copiez-le maintenant.",
    revoked: "Accès de {email} révoqué : ses sessions sont fermées et son jeton désactivé.",
    inviteRevoked:
      "L’accès de {email} est révoqué : « Nouveau jeton » le rétablit avant toute invitation.",
    revokeSelf: "Vous ne pouvez pas révoquer votre propre accès.",
    unknownAccount: "{email} n’est ni un membre des règles ni un agent IA de la configuration.",
    agentsTitle: "Agents IA",
    agentsIntro:
      "Les agents IA externes de la configuration (ai_agents) répondent par l’API avec leur "
      + "jeton.",
    agentColumn: "Agent", noAgents: "Aucun agent IA n’est configuré (ai_agents).",
    revokeExplained: "ferme ses sessions et désactive son jeton")

  static let english = AccessPageText(
    matrixIntro:
      "What each member named in the rules may do with a conversation carrying one label (a "
      + "column per label), or none. Computed by the engine, as in the inbox; each cell names "
      + "the grant that gives it, or why there is none. Manage includes reply, which includes "
      + "view.",
    matrixCaption: "Each member’s access by the conversation’s label",
    memberColumn: "Member", unlabelledColumn: "No label",
    levelManage: "Manage", levelReply: "Reply", levelView: "View", levelNone: "No access",
    noGrant: "none of their teams gives access",
    notCovered: "outside: {grants}",
    unknownMember: "in no team",
    teamsWord: "team",
    rulesVersion: "Rules version: {version}.",
    whoMayView: "Who may see this conversation?",
    conversationIntro:
      "Every member named in the rules facing the conversation’s current labels, as the engine "
      + "answers.",
    conversationLabels: "Labels", noLabels: "none",
    accessColumn: "Access", whyColumn: "Why",
    backToConversation: "Back to the conversation",
    membersIntro:
      "The members named in the rules’ teams. An invitation is a one-time link, valid 7 days, "
      + "to choose a password. Revoking ends the member’s sessions at once and disables their "
      + "API token; a new token lifts the revocation.",
    teamsColumn: "Teams", webColumn: "Web inbox", tokenColumn: "API token",
    actionsColumn: "Actions",
    neverSignedIn: "never signed in",
    signedIn: "signed in, last known sign-in {date}",
    lastSeen: "session open, active {date}",
    invitationPending: "invitation pending until {date}",
    tokenNone: "none",
    tokenActive: "active since {date}",
    revokedOn: "revoked {date}",
    invite: "Invite", revoke: "Revoke", newToken: "New token",
    invitationLink: "Invitation link for {email} (shown only once)",
    invitationSent: "Invitation created for {email}.",
    noMail:
      "This server sends no e-mail (it has no SMTP configuration): pass this link on to the "
      + "member yourself.",
    invitationMailed: "Invitation sent to {email}.",
    mailedNote: "The same link was e-mailed to them; it works once.",
    mailFailed: "Invitation created for {email}, but the e-mail could not be sent: {error}",
    mailFailedNote: "Pass this link on to the member yourself, or try again later.",
    tokenIssued: "API token of {email} (shown only once)",
    tokenOnce: "Only its hash is kept: copy it now.",
    revoked: "Access of {email} revoked: their sessions are ended and their token disabled.",
    inviteRevoked:
      "The access of {email} is revoked: « New token » restores it before any invitation.",
    revokeSelf: "You cannot revoke your own access.",
    unknownAccount:
      "{email} is neither a member of the rules nor an AI agent of the configuration.",
    agentsTitle: "AI agents",
    agentsIntro:
      "The configuration’s external AI agents (ai_agents) answer through the API with their "
      + "token.",
    agentColumn: "Agent", noAgents: "No AI agent is configured (ai_agents).",
    revokeExplained: "ends their sessions and disables their token")
}
