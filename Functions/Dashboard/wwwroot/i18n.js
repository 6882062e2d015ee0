// The page's labels in French and English, the language chosen, and numbers and dates formatted for it.
const LANG_KEY = "dashboard.lang";

const texts = {
  fr: {
    title: "Programme numérique des collèges de la Sarthe",
    subtitle: "Enrôlement des appareils, cofinancé par le FEDER",
    signInTitle: "Connexion",
    signInText: "Connectez-vous avec votre compte d'administration pour suivre le déploiement.",
    signInEntra: "Se connecter avec Microsoft",
    devNote: "Hôte de développement : jeton émis localement, jamais en production.",
    devSignInAdmin: "Connexion de développement (administration)",
    devSignInRead: "Connexion de développement (lecture seule)",
    signInNone: "Aucune méthode de connexion n'est configurée (Dashboard__ClientId).",
    signOut: "Se déconnecter",
    sessionExpired: "Session expirée : reconnectez-vous.",
    progress: "Avancement du programme",
    updatedAt: "Mis à jour à {0}",
    registeredDevices: "Appareils enregistrés",
    ofTarget: "sur {0} prévus ({1})",
    schoolsSupported: "Collèges équipés",
    ofSchools: "sur {0} collèges ({1})",
    pupilsBenefiting: "Élèves bénéficiaires",
    ofPupils: "sur {0} élèves ({1})",
    inProgress: "En cours d'enregistrement",
    failedCount: "{0} en échec",
    schools: "Collèges",
    filterSchools: "Filtrer (nom, commune, UAI)",
    school: "Collège",
    pupils: "Élèves",
    progressCol: "Avancement",
    received: "Reçus",
    registering: "En cours",
    registered: "Enregistrés",
    readyToProvision: "Prêts à démarrer",
    failed: "En échec",
    total: "Total",
    noDevices: "aucun appareil",
    failedDevices: "Appareils en échec",
    noFailed: "Aucun appareil en échec.",
    failedShown: "{0} affichés sur {1} (100 au plus par collège) : le reste par l'API.",
    readOnlyNote: "Lecture seule : relancer un appareil demande le rôle Enrolment.Admin.",
    retry: "Relancer",
    retryAccepted: "Relance de {0} acceptée : l'enregistrement reprend.",
    retryRefused: "Relance de {0} refusée : {1}",
    showTrail: "Historique",
    deviceTrail: "Historique d'un appareil",
    serialNumber: "Numéro de série",
    show: "Afficher",
    noDevice: "Aucun appareil avec le numéro de série {0}.",
    noEvents: "Aucun événement.",
    status: "Statut",
    enrolledAt: "Enrôlé le",
    lastError: "Dernière erreur",
    fundingReport: "Rapport de financement FEDER",
    buildNow: "Générer maintenant",
    reportBuilt: "Rapport du {0} généré.",
    downloadCsv: "Télécharger le CSV",
    noReport: "Aucun rapport n'a encore été généré.",
    reportMeta: "Rapport du {0} (arrêté à la fin de la journée, heure de Paris), généré le {1}.",
    eligible: "Dépenses éligibles",
    erdf: "Montant FEDER",
    rate: "Taux de cofinancement {0}",
    erdfBySchool: "Montant FEDER par collège",
    noSupported: "Aucun collège équipé à cette date.",
    withoutPurchaseRecord: "Enregistrés sans achat connu",
    downloadPurchasesCsv: "CSV des achats",
    purchases: "Achats : bons de commande et factures",
    noPurchases: "Aucun achat dans l'inventaire à cette date.",
    purchaseOrder: "Bon de commande",
    invoiceNumber: "Facture",
    devicesBought: "Achetés",
    enrolled: "Enrôlés",
    registeredShare: "Part enregistrée",
    inventory: "Inventaire des achats",
    manifestFile: "Fichier de livraison (CSV)",
    manifestSchool: "UAI (CSV Autopilot sans Group Tag)",
    importManifest: "Importer",
    importing: "Import de {0}…",
    noInventory: "Aucun appareil dans l'inventaire.",
    manifestSummary: "{0} : {1} lignes, {2} ajoutées, {3} modifiées, {4} inchangées, {5} refusées.",
    manifestRefused: "{0} refusé, rien n'a été enregistré :",
    noRejected: "Aucune ligne refusée.",
    rejectedLines: "Lignes refusées",
    line: "Ligne",
    field: "Champ",
    reason: "Motif",
    loadFailed: "Chargement impossible : {0}",
    role_admin: "administration",
    role_read: "lecture seule",
    statusNames: { received: "reçu", registering: "en cours", registered: "enregistré", failed: "en échec" },
    eventNames: {
      "device.enrolled": "Appareil enrôlé",
      "device.reenrolled": "Appareil ré-enrôlé",
      "device.enrolment_rejected": "Enrôlement refusé",
      "device.registration_started": "Enregistrement Autopilot lancé",
      "device.registered": "Enregistré dans Autopilot",
      "device.profile_assigned": "Profil de déploiement attribué",
      "device.registration_failed": "Échec de l'enregistrement",
      "device.retry_requested": "Relance demandée",
      "school.key_rotated": "Clé d'enrôlement renouvelée",
      "report.funding_built": "Rapport FEDER généré",
      "inventory.updated": "Données d'achat modifiées",
      "inventory.manifest_imported": "Fichier de livraison importé",
    },
  },
  en: {
    title: "Sarthe collèges device programme",
    subtitle: "Device enrolment, co-funded by the ERDF",
    signInTitle: "Sign in",
    signInText: "Sign in with your administration account to follow the roll-out.",
    signInEntra: "Sign in with Microsoft",
    devNote: "Development host: a locally issued token, never in production.",
    devSignInAdmin: "Development sign-in (administrator)",
    devSignInRead: "Development sign-in (read only)",
    signInNone: "No sign-in method is configured (Dashboard__ClientId).",
    signOut: "Sign out",
    sessionExpired: "Session expired: please sign in again.",
    progress: "Programme progress",
    updatedAt: "Updated at {0}",
    registeredDevices: "Registered devices",
    ofTarget: "of {0} planned ({1})",
    schoolsSupported: "Schools supported",
    ofSchools: "of {0} schools ({1})",
    pupilsBenefiting: "Pupils benefiting",
    ofPupils: "of {0} pupils ({1})",
    inProgress: "Being registered",
    failedCount: "{0} failed",
    schools: "Schools",
    filterSchools: "Filter (name, commune, UAI)",
    school: "School",
    pupils: "Pupils",
    progressCol: "Progress",
    received: "Received",
    registering: "Registering",
    registered: "Registered",
    readyToProvision: "Ready to provision",
    failed: "Failed",
    total: "Total",
    noDevices: "no devices",
    failedDevices: "Failed devices",
    noFailed: "No failed devices.",
    failedShown: "Showing {0} of {1} (at most 100 per school): the rest through the API.",
    readOnlyNote: "Read only: retrying a device needs the Enrolment.Admin role.",
    retry: "Retry",
    retryAccepted: "Retry of {0} accepted: registration starts again.",
    retryRefused: "Retry of {0} refused: {1}",
    showTrail: "Trail",
    deviceTrail: "Device audit trail",
    serialNumber: "Serial number",
    show: "Show",
    noDevice: "No device with serial number {0}.",
    noEvents: "No events.",
    status: "Status",
    enrolledAt: "Enrolled",
    lastError: "Last error",
    fundingReport: "ERDF funding report",
    buildNow: "Build now",
    reportBuilt: "Report of {0} built.",
    downloadCsv: "Download CSV",
    noReport: "No report has been built yet.",
    reportMeta: "Report of {0} (cut-off at the end of the day, Paris time), generated {1}.",
    eligible: "Eligible expenditure",
    erdf: "ERDF amount",
    rate: "Co-financing rate {0}",
    erdfBySchool: "ERDF amount per school",
    noSupported: "No school supported at this date.",
    withoutPurchaseRecord: "Registered without purchase record",
    downloadPurchasesCsv: "Purchases CSV",
    purchases: "Purchases: orders and invoices",
    noPurchases: "No purchase in the inventory at this date.",
    purchaseOrder: "Purchase order",
    invoiceNumber: "Invoice",
    devicesBought: "Bought",
    enrolled: "Enrolled",
    registeredShare: "Registered share",
    inventory: "Purchase inventory",
    manifestFile: "Delivery manifest (CSV)",
    manifestSchool: "UAI (Autopilot CSV without Group Tag)",
    importManifest: "Import",
    importing: "Importing {0}…",
    noInventory: "No device in the inventory.",
    manifestSummary: "{0}: {1} lines, {2} added, {3} updated, {4} unchanged, {5} rejected.",
    manifestRefused: "{0} refused, nothing was stored:",
    noRejected: "No line rejected.",
    rejectedLines: "Rejected lines",
    line: "Line",
    field: "Field",
    reason: "Reason",
    loadFailed: "Could not load: {0}",
    role_admin: "administrator",
    role_read: "read only",
    statusNames: { received: "received", registering: "registering", registered: "registered", failed: "failed" },
    eventNames: {
      "device.enrolled": "Device enrolled",
      "device.reenrolled": "Device enrolled again",
      "device.enrolment_rejected": "Enrolment rejected",
      "device.registration_started": "Autopilot registration started",
      "device.registered": "Registered in Autopilot",
      "device.profile_assigned": "Deployment profile assigned",
      "device.registration_failed": "Registration failed",
      "device.retry_requested": "Retry requested",
      "school.key_rotated": "Enrolment key rotated",
      "report.funding_built": "ERDF report built",
      "inventory.updated": "Purchase data changed",
      "inventory.manifest_imported": "Delivery manifest imported",
    },
  },
};

let lang = chooseLanguage();

function chooseLanguage() {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === "fr" || saved === "en") return saved;
  return (navigator.language || "fr").toLowerCase().startsWith("en") ? "en" : "fr";
}

/** Switches the language and remembers it for the next visit. */
export function setLanguage(next) {
  lang = next;
  localStorage.setItem(LANG_KEY, lang);
}

export function t(key, ...args) {
  const text = texts[lang][key] ?? texts.en[key] ?? key;
  return args.reduce((s, arg, i) => s.replace(`{${i}}`, arg), text);
}

export const statusName = (status) => texts[lang].statusNames[status] ?? status;
export const eventName = (type) => texts[lang].eventNames[type] ?? type;

/** The static markup's labels (data-i18n, data-i18n-placeholder), the document's language and title, the pressed language button. */
export function translatePage() {
  document.documentElement.lang = lang;
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
  for (const button of document.querySelectorAll("[data-lang]")) button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
}

const locale = () => (lang === "fr" ? "fr-FR" : "en-GB");

export const number = (n) => new Intl.NumberFormat(locale()).format(n);
export const percent = (part, whole) => new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(whole > 0 ? part / whole : 0);
export const money = (n, currency) => new Intl.NumberFormat(locale(), { style: "currency", currency: currency || "EUR" }).format(n);
export const dateTime = (iso) => (iso ? new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso)) : "");
export const day = (isoDate) => new Intl.DateTimeFormat(locale(), { dateStyle: "long", timeZone: "UTC" }).format(new Date(`${isoDate}T00:00:00Z`));
export const time = (date) => new Intl.DateTimeFormat(locale(), { timeStyle: "medium" }).format(date);
