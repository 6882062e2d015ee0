// Administrators' dashboard: plain browser JavaScript, no build step, no CDN. It signs in (MSAL for
// Entra ID in Azure, the dev host's token endpoint locally), then calls the documented API with a bearer
// token like any other client; the API enforces roles, the page only hides what a role cannot do.
// Every value from the API is written with textContent, never parsed as HTML.
"use strict";

(() => {
  const ADMIN_ROLE = "Enrolment.Admin";
  const READ_ROLE = "Enrolment.Read";
  const DEV_TOKEN_KEY = "dashboard.devToken";
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
        "device.registration_failed": "Échec de l'enregistrement",
        "device.retry_requested": "Relance demandée",
        "school.key_rotated": "Clé d'enrôlement renouvelée",
        "report.funding_built": "Rapport FEDER généré",
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
        "device.registration_failed": "Registration failed",
        "device.retry_requested": "Retry requested",
        "school.key_rotated": "Enrolment key rotated",
        "report.funding_built": "ERDF report built",
      },
    },
  };

  const state = {
    config: null,
    lang: chooseLanguage(),
    roles: [],
    schools: [],
    failed: [],
    report: null,
    trail: null,
    refreshing: false,
    timer: 0,
    updatedAt: null,
  };

  class SignedOut extends Error {}

  // ---- small helpers -------------------------------------------------------------------------------

  const byTest = (id) => document.querySelector(`[data-testid="${id}"]`);
  const isAdmin = () => state.roles.includes(ADMIN_ROLE);
  const locale = () => (state.lang === "fr" ? "fr-FR" : "en-GB");

  function t(key, ...args) {
    const text = texts[state.lang][key] ?? texts.en[key] ?? key;
    return args.reduce((s, arg, i) => s.replace(`{${i}}`, arg), text);
  }

  function element(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null) continue;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else if (name === "onClick") node.addEventListener("click", value);
      else if (name === "width") node.style.width = value; // CSSOM, which the CSP allows; a style attribute it would block
      else node.setAttribute(name, value);
    }
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }

  const number = (n) => new Intl.NumberFormat(locale()).format(n);
  const percent = (part, whole) => new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(whole > 0 ? part / whole : 0);
  const money = (n, currency) => new Intl.NumberFormat(locale(), { style: "currency", currency: currency || "EUR" }).format(n);
  const dateTime = (iso) => (iso ? new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso)) : "");
  const day = (isoDate) => new Intl.DateTimeFormat(locale(), { dateStyle: "long", timeZone: "UTC" }).format(new Date(`${isoDate}T00:00:00Z`));

  function setBar(testId, part, whole) {
    byTest(testId).style.width = `${Math.min(100, whole > 0 ? (100 * part) / whole : 0)}%`;
  }

  function setValue(testId, value, text) {
    const node = byTest(testId);
    node.dataset.value = String(value);
    node.textContent = text ?? number(value);
  }

  function showMessage(text, kind = "error") {
    const box = byTest("message");
    box.textContent = text;
    box.className = `message ${kind}`;
    box.hidden = false;
  }

  function hideMessage() {
    byTest("message").hidden = true;
  }

  function chooseLanguage() {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved === "fr" || saved === "en") return saved;
    return (navigator.language || "fr").toLowerCase().startsWith("en") ? "en" : "fr";
  }

  function claimsOf(token) {
    try {
      const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const json = decodeURIComponent(Array.from(atob(payload), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join(""));
      return JSON.parse(json);
    } catch {
      return {};
    }
  }

  // ---- sign-in -------------------------------------------------------------------------------------

  // Local development: POST the dev host's token endpoint; the token lives in this tab's sessionStorage.
  const devAuth = {
    async init() {},
    async token() {
      const token = sessionStorage.getItem(DEV_TOKEN_KEY);
      if (!token) return null;
      const { exp } = claimsOf(token);
      if (typeof exp === "number" && exp * 1000 < Date.now() + 30_000) {
        sessionStorage.removeItem(DEV_TOKEN_KEY);
        return null;
      }
      return token;
    },
    async signIn(roles) {
      const response = await fetch(state.config.devTokenUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ roles }),
      });
      if (!response.ok) throw new Error(await problemText(response));
      sessionStorage.setItem(DEV_TOKEN_KEY, (await response.json()).accessToken);
    },
    async signOut() {
      sessionStorage.removeItem(DEV_TOKEN_KEY);
    },
    forget() {
      sessionStorage.removeItem(DEV_TOKEN_KEY);
    },
    userName: () => "",
  };

  // Azure: Microsoft Entra ID through MSAL for browsers (authorization code + PKCE, redirect flow).
  const entraAuth = {
    app: null,
    async init() {
      if (!window.msal) throw new Error("MSAL for browsers did not load.");
      const { clientId, authority } = state.config.entra;
      this.app = new window.msal.PublicClientApplication({
        auth: { clientId, authority, redirectUri: `${location.origin}/api/dashboard` },
        cache: { cacheLocation: "sessionStorage" },
      });
      await this.app.initialize();
      const result = await this.app.handleRedirectPromise();
      const account = result?.account ?? this.app.getAllAccounts()[0] ?? null;
      if (account) this.app.setActiveAccount(account);
    },
    async token() {
      const account = this.app.getActiveAccount();
      if (!account) return null;
      const request = { scopes: [state.config.entra.scope], account };
      try {
        return (await this.app.acquireTokenSilent(request)).accessToken;
      } catch (error) {
        if (error instanceof window.msal.InteractionRequiredAuthError) {
          await this.app.acquireTokenRedirect(request);
          return null;
        }
        throw error;
      }
    },
    async signIn() {
      await this.app.loginRedirect({ scopes: [state.config.entra.scope] });
    },
    async signOut() {
      await this.app.logoutRedirect({ postLogoutRedirectUri: `${location.origin}/api/dashboard` });
    },
    forget() {
      this.app.setActiveAccount(null);
    },
    // The signed-in person from the ID token, not the API access token (which may carry no name).
    userName() {
      const account = this.app.getActiveAccount();
      return account ? account.name || account.username : "";
    },
  };

  let auth = devAuth;

  // ---- API -----------------------------------------------------------------------------------------

  async function api(path, { method = "GET", accept = "application/json" } = {}) {
    const token = await auth.token();
    if (!token) {
      showSignIn();
      throw new SignedOut();
    }
    const response = await fetch(path, { method, headers: { Authorization: `Bearer ${token}`, Accept: accept }, cache: "no-store" });
    if (response.status === 401) {
      auth.forget();
      showSignIn(t("sessionExpired"));
      throw new SignedOut();
    }
    return response;
  }

  async function apiJson(path) {
    const response = await api(path);
    if (!response.ok) throw new Error(await problemText(response));
    return response.json();
  }

  async function problemText(response) {
    try {
      const problem = await response.json();
      return problem.detail || problem.title || `HTTP ${response.status}`;
    } catch {
      return `HTTP ${response.status}`;
    }
  }

  // ---- screens -------------------------------------------------------------------------------------

  function showSignIn(reason) {
    clearInterval(state.timer);
    state.timer = 0;
    document.getElementById("app").hidden = true;
    byTest("who").hidden = true;
    byTest("sign-out").hidden = true;
    byTest("sign-in").hidden = false;
    document.getElementById("sign-in-entra").hidden = state.config.signIn !== "entra";
    document.getElementById("sign-in-dev").hidden = state.config.signIn !== "dev";
    document.getElementById("sign-in-none").hidden = state.config.signIn !== "none";
    if (reason) showMessage(reason);
  }

  async function showApp() {
    const token = await auth.token();
    if (!token) {
      showSignIn();
      return;
    }
    const claims = claimsOf(token);
    state.roles = Array.isArray(claims.roles) ? claims.roles : claims.roles ? [claims.roles] : [];
    state.who = auth.userName() || claims.name || claims.preferred_username || claims.sub || "";
    renderWho();
    byTest("sign-in").hidden = true;
    byTest("sign-out").hidden = false;
    document.getElementById("app").hidden = false;
    byTest("report-build").hidden = !isAdmin();
    document.getElementById("read-only-note").hidden = isAdmin();
    await refresh();
    clearInterval(state.timer);
    state.timer = setInterval(refresh, state.config.refreshSeconds * 1000);
  }

  function renderWho() {
    const who = byTest("who");
    const role = isAdmin() ? t("role_admin") : state.roles.includes(READ_ROLE) ? t("role_read") : "";
    who.textContent = [state.who, role].filter(Boolean).join(" · ");
    who.hidden = false;
  }

  // ---- refresh -------------------------------------------------------------------------------------

  async function refresh() {
    if (state.refreshing) return;
    state.refreshing = true;
    try {
      state.schools = await apiJson("schools");
      state.failed = await loadFailed(state.schools);
      state.report = await loadReport();
      state.updatedAt = new Date();
      renderAll();
      if (byTest("message").classList.contains("refresh")) hideMessage();
    } catch (error) {
      if (!(error instanceof SignedOut)) showMessage(t("loadFailed", error.message), "error refresh");
    } finally {
      state.refreshing = false;
    }
  }

  // Only the schools whose counts show failures are asked for their failed devices.
  async function loadFailed(schools) {
    const pages = await Promise.all(
      schools
        .filter((s) => s.devices.failed > 0)
        .map((s) => apiJson(`schools/${encodeURIComponent(s.uai)}/devices?status=failed&pageSize=100`)),
    );
    return pages
      .flatMap((page) => page.items)
      .sort((a, b) => String(b.lastError?.at ?? b.updatedAt).localeCompare(String(a.lastError?.at ?? a.updatedAt)));
  }

  async function loadReport() {
    const response = await api("reports/funding/latest");
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(await problemText(response));
    return response.json();
  }

  function renderAll() {
    renderProgress();
    renderSchools();
    renderFailed();
    renderReport();
    if (state.trail) renderTrail();
    if (state.updatedAt) byTest("updated").textContent = t("updatedAt", new Intl.DateTimeFormat(locale(), { timeStyle: "medium" }).format(state.updatedAt));
  }

  function renderProgress() {
    const schools = state.schools;
    const sum = (f) => schools.reduce((total, s) => total + f(s), 0);
    const registered = sum((s) => s.devices.registered);
    const target = state.config.deviceTarget;
    const supported = schools.filter((s) => s.devices.registered > 0);
    const pupils = sum((s) => s.pupils);
    const benefiting = supported.reduce((total, s) => total + s.pupils, 0);

    setValue("kpi-registered", registered);
    byTest("kpi-registered-of").textContent = t("ofTarget", number(target), percent(registered, target));
    setBar("bar-registered", registered, target);
    setValue("kpi-schools", supported.length);
    byTest("kpi-schools-of").textContent = t("ofSchools", number(schools.length), percent(supported.length, schools.length));
    setBar("bar-schools", supported.length, schools.length);
    setValue("kpi-pupils", benefiting);
    byTest("kpi-pupils-of").textContent = t("ofPupils", number(pupils), percent(benefiting, pupils));
    setBar("bar-pupils", benefiting, pupils);
    setValue("kpi-pending", sum((s) => s.devices.received + s.devices.registering));
    const failed = sum((s) => s.devices.failed);
    setValue("kpi-failed", failed, t("failedCount", number(failed)));
  }

  const STATUSES = ["registered", "registering", "received", "failed"];

  function renderSchools() {
    const filter = byTest("school-filter").value.trim().toLowerCase();
    const rows = state.schools
      .filter((s) => !filter || `${s.name} ${s.commune} ${s.uai}`.toLowerCase().includes(filter))
      .map((s) => {
        const d = s.devices;
        const bar = element("div", { className: "stack", title: STATUSES.map((k) => `${t(k)}: ${d[k]}`).join(", ") });
        for (const status of STATUSES) {
          if (d[status] > 0) bar.append(element("span", { className: status, width: `${(100 * d[status]) / d.total}%` }));
        }
        const progress = d.total > 0 ? element("div", { className: "progress" }, bar, element("small", { text: percent(d.registered, d.total) })) : element("small", { className: "muted", text: t("noDevices") });
        const count = (status) => element("td", { className: `num ${d[status] > 0 ? status : "zero"}`, "data-testid": `count-${status}`, text: number(d[status]) });
        return element(
          "tr",
          { "data-testid": "school-row", "data-uai": s.uai, className: s.active === false ? "inactive" : null },
          element("td", {}, element("span", { className: "name", text: s.name }), element("span", { className: "muted", text: ` ${s.commune} · ${s.uai}` })),
          element("td", { className: "num", text: number(s.pupils) }),
          element("td", {}, progress),
          count("received"),
          count("registering"),
          count("registered"),
          count("failed"),
          element("td", { className: "num", "data-testid": "count-total", text: number(d.total) }),
        );
      });
    byTest("school-rows").replaceChildren(...rows);
  }

  function renderFailed() {
    const names = new Map(state.schools.map((s) => [s.uai, s.name]));
    byTest("no-failed").hidden = state.failed.length > 0;
    const failedTotal = state.schools.reduce((total, s) => total + s.devices.failed, 0);
    const shown = byTest("failed-shown");
    shown.hidden = state.failed.length >= failedTotal;
    shown.textContent = t("failedShown", number(state.failed.length), number(failedTotal));
    byTest("failed-list").replaceChildren(
      ...state.failed.map((device) => {
        const error = device.lastError;
        const retry = isAdmin()
          ? element("button", { type: "button", "data-testid": "retry", text: t("retry"), onClick: (e) => retryDevice(device.serialNumber, e.currentTarget) })
          : null;
        return element(
          "li",
          { "data-testid": "failed-device", "data-serial": device.serialNumber },
          element(
            "div",
            { className: "failed-head" },
            element("button", { type: "button", className: "link", text: device.serialNumber, title: t("showTrail"), onClick: () => showTrail(device.serialNumber) }),
            element("span", { className: "muted", text: ` ${names.get(device.schoolUai) ?? device.schoolUai}` }),
            retry,
          ),
          element("div", { className: "error-code", text: error ? error.code : "" }),
          element("div", { className: "error-message", text: error ? error.message : "" }),
          element("small", { className: "muted", text: dateTime(error?.at ?? device.updatedAt) }),
        );
      }),
    );
  }

  async function retryDevice(serial, button) {
    button.disabled = true;
    try {
      const response = await api(`devices/${encodeURIComponent(serial)}/retry`, { method: "POST" });
      if (response.ok) {
        showMessage(t("retryAccepted", serial), "info");
        await refresh();
      } else {
        showMessage(t("retryRefused", serial, await problemText(response)));
        button.disabled = false;
      }
    } catch (error) {
      if (!(error instanceof SignedOut)) showMessage(t("retryRefused", serial, error.message));
      button.disabled = false;
    }
  }

  // ---- audit trail ---------------------------------------------------------------------------------

  async function showTrail(serial) {
    serial = serial.trim().toUpperCase();
    if (!serial) return;
    byTest("trail-serial").value = serial;
    try {
      const response = await api(`devices/${encodeURIComponent(serial)}`);
      if (response.status === 404) {
        state.trail = { serial, device: null, events: [] };
      } else if (!response.ok) {
        throw new Error(await problemText(response));
      } else {
        const device = await response.json();
        const page = await apiJson(`audit?serialNumber=${encodeURIComponent(serial)}&pageSize=100`);
        state.trail = { serial, device, events: page.items };
      }
      renderTrail();
    } catch (error) {
      if (!(error instanceof SignedOut)) showMessage(t("loadFailed", error.message));
    }
  }

  function renderTrail() {
    const { serial, device, events } = state.trail;
    const summary = byTest("trail-device");
    if (!device) {
      summary.replaceChildren(element("p", { className: "empty", text: t("noDevice", serial) }));
      byTest("trail-list").replaceChildren();
      return;
    }
    const statusNames = texts[state.lang].statusNames;
    summary.replaceChildren(
      element(
        "dl",
        {},
        element("dt", { text: t("status") }),
        element("dd", {}, element("span", { className: `badge ${device.status}`, "data-testid": "trail-status", "data-status": device.status, text: statusNames[device.status] ?? device.status })),
        element("dt", { text: t("school") }),
        element("dd", { text: device.schoolUai }),
        element("dt", { text: t("enrolledAt") }),
        element("dd", { text: `${dateTime(device.enrolledAt)} · ${[device.manufacturer, device.model, device.deviceType].filter(Boolean).join(" ")}` }),
        device.lastError ? element("dt", { text: t("lastError") }) : null,
        device.lastError ? element("dd", { text: `${device.lastError.code}: ${device.lastError.message}` }) : null,
      ),
    );
    const eventNames = texts[state.lang].eventNames;
    byTest("trail-list").replaceChildren(
      ...(events.length === 0
        ? [element("li", { className: "empty", text: t("noEvents") })]
        : events.map((event) =>
            element(
              "li",
              { "data-testid": "trail-event", "data-type": event.type },
              element("time", { datetime: event.occurredAt, text: dateTime(event.occurredAt) }),
              element("strong", { text: ` ${eventNames[event.type] ?? event.type}` }),
              element("span", { className: "muted", text: ` · ${event.actor.kind}${event.actor.id ? ` ${event.actor.id}` : ""}` }),
              event.data && Object.keys(event.data).length > 0 ? element("code", { text: JSON.stringify(event.data) }) : null,
            ),
          )),
    );
  }

  // ---- funding report ------------------------------------------------------------------------------

  function renderReport() {
    const report = state.report;
    byTest("no-report").hidden = report !== null;
    byTest("report").hidden = report === null;
    byTest("report-csv").disabled = report === null;
    if (!report) return;

    const totals = report.totals;
    byTest("report-meta").textContent = t("reportMeta", day(report.reportDate), dateTime(report.generatedAt));
    byTest("report").dataset.reportDate = report.reportDate;
    const kpi = (label, value, testId) => element("div", { className: "kpi" }, element("span", { className: "kpi-label", text: label }), element("span", { className: "kpi-value", "data-testid": testId, text: value }));
    byTest("report-totals").replaceChildren(
      kpi(t("schoolsSupported"), `${number(totals.schoolsSupported)} / ${number(totals.schools)}`, "report-schools"),
      kpi(t("pupilsBenefiting"), number(totals.pupilsBenefiting), "report-pupils"),
      kpi(t("registeredDevices"), number(totals.devicesRegistered), "report-devices"),
      kpi(t("eligible"), money(totals.eligibleExpenditureEur, report.currency), "report-eligible"),
      kpi(t("erdf"), money(totals.erdfAmountEur, report.currency), "report-erdf"),
      kpi("CO35 · RCO67 · RCO14", `${number(report.indicators.CO35)} · ${number(report.indicators.RCO67)} · ${number(report.indicators.RCO14)}`, "report-indicators"),
    );
    renderChart(report);
  }

  // One horizontal bar per supported school, drawn as SVG (no chart library to ship).
  function renderChart(report) {
    const chart = byTest("report-chart");
    const schools = report.schools.filter((s) => s.erdfAmountEur > 0).sort((a, b) => b.erdfAmountEur - a.erdfAmountEur);
    if (schools.length === 0) {
      chart.replaceChildren(element("p", { className: "empty", text: t("noSupported") }));
      return;
    }
    const svgNs = "http://www.w3.org/2000/svg";
    const svgElement = (tag, attrs, text) => {
      const node = document.createElementNS(svgNs, tag);
      for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
      if (text !== undefined) node.textContent = text;
      return node;
    };
    const rowHeight = 22;
    const labelWidth = 260;
    const barWidth = 460;
    const width = labelWidth + barWidth + 120;
    const max = Math.max(...schools.map((s) => s.erdfAmountEur));
    const svg = svgElement("svg", { viewBox: `0 0 ${width} ${schools.length * rowHeight + 4}`, role: "img", "aria-label": t("erdfBySchool") });
    schools.forEach((s, i) => {
      const y = i * rowHeight + 2;
      const length = Math.max(2, (barWidth * s.erdfAmountEur) / max);
      const group = svgElement("g", { "data-testid": "chart-bar", "data-uai": s.uai });
      group.append(
        svgElement("title", {}, `${s.name} (${s.uai}): ${money(s.erdfAmountEur, report.currency)}, ${number(s.devicesRegistered)} ${t("registered").toLowerCase()}`),
        svgElement("text", { x: labelWidth - 8, y: y + 15, "text-anchor": "end", class: "label" }, s.name.length > 34 ? `${s.name.slice(0, 33)}…` : s.name),
        svgElement("rect", { x: labelWidth, y: y + 3, width: length, height: rowHeight - 6, rx: 3, class: "bar" }),
        svgElement("text", { x: labelWidth + length + 6, y: y + 15, class: "value" }, money(s.erdfAmountEur, report.currency)),
      );
      svg.append(group);
    });
    chart.replaceChildren(svg);
  }

  async function buildReport(button) {
    button.disabled = true;
    try {
      const response = await api("reports/funding", { method: "POST" });
      if (!response.ok) throw new Error(await problemText(response));
      const report = await response.json();
      showMessage(t("reportBuilt", day(report.reportDate)), "info");
      state.report = report;
      renderReport();
    } catch (error) {
      if (!(error instanceof SignedOut)) showMessage(t("loadFailed", error.message));
    } finally {
      button.disabled = false;
    }
  }

  async function downloadCsv(button) {
    button.disabled = true;
    try {
      const response = await api("reports/funding/latest?format=csv", { accept: "text/csv" });
      if (!response.ok) throw new Error(await problemText(response));
      const disposition = response.headers.get("Content-Disposition") ?? "";
      const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `erdf-funding-${state.report?.reportDate ?? "latest"}.csv`;
      const url = URL.createObjectURL(await response.blob());
      const link = element("a", { href: url, download: name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      if (!(error instanceof SignedOut)) showMessage(t("loadFailed", error.message));
    } finally {
      button.disabled = state.report === null;
    }
  }

  // ---- language ------------------------------------------------------------------------------------

  function applyLanguage() {
    document.documentElement.lang = state.lang;
    document.title = t("title");
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
    for (const button of document.querySelectorAll("[data-lang]")) button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
    if (!document.getElementById("app").hidden) {
      renderWho();
      renderAll();
    }
  }

  // ---- start ---------------------------------------------------------------------------------------

  async function start() {
    for (const button of document.querySelectorAll("[data-lang]")) {
      button.addEventListener("click", () => {
        state.lang = button.dataset.lang;
        localStorage.setItem(LANG_KEY, state.lang);
        applyLanguage();
      });
    }
    applyLanguage();

    try {
      const response = await fetch("dashboard/config.json", { cache: "no-store" });
      if (!response.ok) throw new Error(await problemText(response));
      state.config = await response.json();
      auth = state.config.signIn === "entra" ? entraAuth : devAuth;
      await auth.init();
    } catch (error) {
      showMessage(t("loadFailed", error.message));
      return;
    }

    byTest("dev-sign-in-admin").addEventListener("click", () => signIn([ADMIN_ROLE]));
    byTest("dev-sign-in-read").addEventListener("click", () => signIn([READ_ROLE]));
    byTest("sign-in-entra").addEventListener("click", () => signIn());
    byTest("sign-out").addEventListener("click", async () => {
      await auth.signOut();
      state.roles = [];
      showSignIn();
    });
    byTest("school-filter").addEventListener("input", renderSchools);
    document.getElementById("trail-form").addEventListener("submit", (e) => {
      e.preventDefault();
      showTrail(byTest("trail-serial").value);
    });
    byTest("report-build").addEventListener("click", (e) => buildReport(e.currentTarget));
    byTest("report-csv").addEventListener("click", (e) => downloadCsv(e.currentTarget));

    await showApp();
  }

  async function signIn(roles) {
    hideMessage();
    try {
      await auth.signIn(roles);
      await showApp();
    } catch (error) {
      showMessage(t("loadFailed", error.message));
    }
  }

  document.addEventListener("DOMContentLoaded", start);
})();
