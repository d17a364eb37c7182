/// The texts of publishing, history and draft tests in the console (`{{t.publishing.…}}`), one
/// catalogue per language like `WebText`.
struct PublishingText: Sendable {
  var title: String
  var messageLabel: String
  var messageHint: String
  var button: String
  var needsMessage: String
  var refusedErrors: String
  var unchanged: String
  var published: String
  var committed: String
  var gitFailed: String
  var changedOnDiskTitle: String
  var changedOnDisk: String
  var openCurrent: String
  var overwrite: String
  var yourDraft: String
  var differenceWithDisk: String
  var reloadRefused: String
  var historyTitle: String
  var historyLink: String
  var version: String
  var author: String
  var date: String
  var message: String
  var files: String
  var compare: String
  var compareFrom: String
  var compareTo: String
  var rollback: String
  var rollbackMessage: String
  var noHistory: String
  var noDifference: String
  var foundOnDisk: String
  var served: String
  var runTests: String
  var testsSummary: String
  var noTests: String
  var saveAsTest: String
  var testSaved: String
  var unknownVersion: String
  var fix: String
  var newFile: String
  var newFileLabel: String
  var create: String
  var invalidName: String
  var renameLabel: String
  var rename: String
  var delete: String
  var structureHint: String
  var tooSlow: String
  var moreOptions: String
  var tryType: String
  var tryContact: String
  var tryEvent: String
  var tryFields: String
  var tryAt: String
  var tryZone: String
  var impactButton: String
  var impactHint: String
  var impactFrom: String
  var impactTo: String

  static let french = PublishingText(
    title: "Publier",
    messageLabel: "Message de publication",
    messageHint: "Ce qui change et pourquoi : l’historique le montre.",
    button: "Publier",
    needsMessage: "Écrivez un message : l’historique dit ce qui a changé et pourquoi.",
    refusedErrors:
      "Publication refusée : le brouillon a des erreurs (ci-dessous). Rien n’a été écrit.",
    unchanged: "Rien à publier : le brouillon est identique aux fichiers publiés.",
    published: "Version {n} publiée : les règles sont rechargées.",
    committed: "Commit git {hash}.",
    gitFailed: "Publiée, mais le commit git a échoué : {reason}",
    changedOnDiskTitle: "Les règles ont changé depuis l’ouverture de ce brouillon",
    changedOnDisk:
      "Une autre publication, ou une modification sur le disque (un git pull), a changé les fichiers. Rien n’a été écrit.",
    openCurrent: "Ouvrir les fichiers actuels (votre brouillon est ci-dessous, à copier)",
    overwrite: "Publier mon brouillon par-dessus",
    yourDraft: "Votre brouillon",
    differenceWithDisk: "Ce que votre brouillon changerait aux fichiers actuels",
    reloadRefused:
      "Le rechargement a refusé ces règles : {reason}. Les fichiers sont remis comme avant.",
    historyTitle: "Historique des règles",
    historyLink: "Historique",
    version: "Version",
    author: "Auteur",
    date: "Date",
    message: "Message",
    files: "Fichiers",
    compare: "Comparer",
    compareFrom: "Avant",
    compareTo: "Après",
    rollback: "Revenir à cette version",
    rollbackMessage: "Retour à la version {n}",
    noHistory: "Aucune version publiée depuis la console pour l’instant.",
    noDifference: "Aucune différence.",
    foundOnDisk: "fichiers trouvés sur le disque",
    served: "en service",
    runTests: "Lancer les tests",
    testsSummary: "{passed} test(s) réussi(s), {failed} en échec",
    noTests: "Ces règles n’ont aucun test.",
    saveAsTest: "Enregistrer comme test",
    testSaved: "Test ajouté à la fin de {file} : publiez pour l’enregistrer.",
    unknownVersion: "Cette version n’existe pas.",
    fix: "Corriger : {s}",
    newFile: "Nouveau fichier : il existe une fois publié.",
    newFileLabel: "Nouveau fichier",
    create: "Créer",
    invalidName:
      "Ce nom ne convient pas : un chemin relatif qui finit par .etq, sans composant caché ni « .. ».",
    renameLabel: "Nouveau nom",
    rename: "Renommer",
    delete: "Supprimer ce fichier",
    structureHint: "Renommer ou supprimer publie aussitôt, avec le message ci-dessus.",
    tooSlow:
      "La vérification de ce brouillon dépasse 10 secondes : il est trop gros ou trop complexe pour la console. Rien n’a été écrit ; `etiquette check` le vérifie sans limite.",
    moreOptions: "Plus d’options : type, contact, événement, instant",
    tryType: "Type de message",
    tryContact: "Champs du contact",
    tryEvent: "Événement (au lieu du message)",
    tryFields: "Champs de l’événement",
    tryAt: "Instant (vide : maintenant)",
    tryZone: "Fuseau horaire",
    impactButton: "Voir l’impact",
    impactHint:
      "Avant de publier : les conversations enregistrées de la période (les 7 derniers jours si vide) rejouées avec ce brouillon, dans un nouvel onglet.",
    impactFrom: "Du",
    impactTo: "Au")

  static let english = PublishingText(
    title: "Publish",
    messageLabel: "Publication message",
    messageHint: "What changes and why: the history shows it.",
    button: "Publish",
    needsMessage: "Write a message: the history says what changed and why.",
    refusedErrors: "Publication refused: the draft has errors (below). Nothing was written.",
    unchanged: "Nothing to publish: the draft is the published files.",
    published: "Version {n} published: the rules are reloaded.",
    committed: "Git commit {hash}.",
    gitFailed: "Published, but the git commit failed: {reason}",
    changedOnDiskTitle: "The rules changed since this draft was opened",
    changedOnDisk:
      "Another publication, or a change on disk (a git pull), changed the files. Nothing was written.",
    openCurrent: "Open the current files (your draft is below, to copy)",
    overwrite: "Publish my draft over them",
    yourDraft: "Your draft",
    differenceWithDisk: "What your draft would change in the current files",
    reloadRefused: "The reload refused these rules: {reason}. The files are back as they were.",
    historyTitle: "Rules history",
    historyLink: "History",
    version: "Version",
    author: "Author",
    date: "Date",
    message: "Message",
    files: "Files",
    compare: "Compare",
    compareFrom: "Before",
    compareTo: "After",
    rollback: "Go back to this version",
    rollbackMessage: "Back to version {n}",
    noHistory: "No version published from the console yet.",
    noDifference: "No difference.",
    foundOnDisk: "files found on disk",
    served: "serving",
    runTests: "Run the tests",
    testsSummary: "{passed} test(s) passed, {failed} failed",
    noTests: "These rules have no test.",
    saveAsTest: "Save as test",
    testSaved: "Test added at the end of {file}: publish to keep it.",
    unknownVersion: "This version does not exist.",
    fix: "Fix: {s}",
    newFile: "New file: it exists once published.",
    newFileLabel: "New file",
    create: "Create",
    invalidName:
      "This name does not fit: a relative path ending in .etq, no hidden component nor « .. ».",
    renameLabel: "New name",
    rename: "Rename",
    delete: "Delete this file",
    structureHint: "Renaming or deleting publishes at once, with the message above.",
    tooSlow:
      "Checking this draft takes more than 10 seconds: it is too big or too complex for the console. Nothing was written; `etiquette check` checks it without a limit.",
    moreOptions: "More options: type, contact, event, instant",
    tryType: "Message type",
    tryContact: "Contact fields",
    tryEvent: "Event (instead of the message)",
    tryFields: "Event fields",
    tryAt: "Instant (empty: now)",
    tryZone: "Time zone",
    impactButton: "See the impact",
    impactHint:
      "Before publishing: the stored conversations of the period (the last 7 days when empty) replayed with this draft, in a new tab.",
    impactFrom: "From",
    impactTo: "To")
}
