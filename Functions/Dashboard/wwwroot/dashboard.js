// Administrators' dashboard: plain browser JavaScript modules, no build step, no CDN. It signs in (MSAL for
// Entra ID in Azure, the dev host's token endpoint locally), then calls the documented API with a bearer
// token like any other client; the API enforces roles, the page only hides what a role cannot do.
// Every value from the API is written with textContent, never parsed as HTML.
//
// This entry point loads the configuration, switches between the sign-in screen and the app, and
// refreshes the panels (each a module of its own) every few seconds.
import { apiJson, onSignedOut, SignedOut } from "./api.js";
import * as auth from "./auth.js";
import * as deviceActions from "./device-actions.js";
import { renderTrail, showTrail } from "./device-trail.js";
import { byTest, hideMessage, showMessage } from "./dom.js";
import { loadFailedDevices, renderFailedDevices } from "./failed-devices.js";
import { buildReport, downloadCsv, loadReport, renderReport } from "./funding.js";
import { loadHeldDevices, renderHeldDevices } from "./held-devices.js";
import { setLanguage, t, time, translatePage } from "./i18n.js";
import { loadInventory, renderInventory, uploadManifest } from "./inventory.js";
import { problemText } from "./problem.js";
import { renderProgress } from "./progress.js";
import { checkAgain, renderReadiness } from "./readiness.js";
import { renderSchools } from "./schools.js";

let config = null;
// What the last refresh loaded; the funding report and the device trail keep theirs in their modules.
let schools = [];
let failed = [];
let held = [];
let updatedAt = null;
let refreshing = false;
let timer = 0;

// ---- screens ---------------------------------------------------------------------------------------

function showSignIn(reason) {
  clearInterval(timer);
  timer = 0;
  document.getElementById("app").hidden = true;
  byTest("who").hidden = true;
  byTest("sign-out").hidden = true;
  byTest("sign-in").hidden = false;
  document.getElementById("sign-in-entra").hidden = config.signIn !== "entra";
  document.getElementById("sign-in-dev").hidden = config.signIn !== "dev";
  document.getElementById("sign-in-none").hidden = config.signIn !== "none";
  if (reason) showMessage(reason);
}

async function showApp() {
  if (!(await auth.signedIn())) {
    showSignIn();
    return;
  }
  renderWho();
  byTest("sign-in").hidden = true;
  byTest("sign-out").hidden = false;
  document.getElementById("app").hidden = false;
  byTest("report-build").hidden = !auth.isAdmin();
  document.getElementById("manifest-form").hidden = !auth.isAdmin();
  document.getElementById("read-only-note").hidden = auth.isAdmin();
  await refresh();
  // The readiness check reads Graph: once when the page opens, then on request (its button), not at every refresh.
  await checkAgain(byTest("readiness-check"), schools);
  clearInterval(timer);
  timer = setInterval(refresh, config.refreshSeconds * 1000);
}

function renderWho() {
  const who = byTest("who");
  const role = auth.isAdmin() ? t("role_admin") : auth.user.roles.includes(auth.READ_ROLE) ? t("role_read") : "";
  who.textContent = [auth.user.name, role].filter(Boolean).join(" · ");
  who.hidden = false;
}

// ---- refresh ---------------------------------------------------------------------------------------

async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    schools = await apiJson("schools");
    deviceActions.setup(schools, showTrail);
    failed = await loadFailedDevices(schools);
    held = await loadHeldDevices(schools);
    await loadReport();
    await loadInventory();
    updatedAt = new Date();
    renderAll();
    if (byTest("message").classList.contains("refresh")) hideMessage();
  } catch (error) {
    if (!(error instanceof SignedOut)) showMessage(t("loadFailed", error.message), "error refresh");
  } finally {
    refreshing = false;
  }
}

function renderAll() {
  renderProgress(schools, config.deviceTarget);
  renderSchools(schools);
  renderFailedDevices(schools, failed, refresh);
  renderHeldDevices(schools, held, refresh);
  renderReport();
  renderInventory(schools);
  renderReadiness(schools);
  renderTrail();
  if (updatedAt) byTest("updated").textContent = t("updatedAt", time(updatedAt));
}

function applyLanguage() {
  translatePage();
  if (!document.getElementById("app").hidden) {
    renderWho();
    renderAll();
  }
}

// ---- start -----------------------------------------------------------------------------------------

async function start() {
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => {
      setLanguage(button.dataset.lang);
      applyLanguage();
    });
  }
  applyLanguage();

  try {
    const response = await fetch("dashboard/config.json", { cache: "no-store" });
    if (!response.ok) throw new Error(await problemText(response));
    config = await response.json();
    await auth.start(config);
  } catch (error) {
    showMessage(t("loadFailed", error.message));
    return;
  }

  onSignedOut(showSignIn);
  byTest("dev-sign-in-admin").addEventListener("click", () => signIn([auth.ADMIN_ROLE]));
  byTest("dev-sign-in-read").addEventListener("click", () => signIn([auth.READ_ROLE]));
  byTest("sign-in-entra").addEventListener("click", () => signIn());
  byTest("sign-out").addEventListener("click", async () => {
    await auth.signOut();
    showSignIn();
  });
  byTest("school-filter").addEventListener("input", () => renderSchools(schools));
  document.getElementById("trail-form").addEventListener("submit", (e) => {
    e.preventDefault();
    showTrail(byTest("trail-serial").value);
  });
  deviceActions.start();
  byTest("readiness-check").addEventListener("click", (e) => checkAgain(e.currentTarget, schools));
  byTest("report-build").addEventListener("click", (e) => buildReport(e.currentTarget));
  byTest("report-csv").addEventListener("click", (e) => downloadCsv(e.currentTarget));
  byTest("report-purchases-csv").addEventListener("click", (e) => downloadCsv(e.currentTarget, "purchases"));
  document.getElementById("manifest-form").addEventListener("submit", (e) => {
    e.preventDefault();
    uploadManifest(e.currentTarget);
  });

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

// A module runs once the document is parsed, after the deferred MSAL script index.html lists before it.
start();
