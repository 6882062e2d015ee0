// An administrator's actions on the device shown in the trail panel: move it to another school, deregister
// it from Autopilot (after a confirmation). The controls are static markup (index.html), filled here, so a
// refresh of the page never takes the focus away from them; results are announced in a live region.
// A read-only user never gets them (the API refuses them anyway).
import { api, SignedOut } from "./api.js";
import { isAdmin } from "./auth.js";
import { byTest, element } from "./dom.js";
import { t } from "./i18n.js";
import { problemText } from "./problem.js";

let schools = [];
let device = null;
let afterChange = async () => {};

/** The schools a device can move to, and what to do once a device changed (show it again). */
export function setup(schoolList, onChange) {
  schools = schoolList;
  afterChange = onChange;
}

/** Shows the actions for this device (none for a read-only user, a deregistered device or no device). */
export function renderDeviceActions(shown) {
  if (shown?.serialNumber !== device?.serialNumber) byTest("deregister-confirm").hidden = true;
  device = shown;
  const panel = byTest("device-actions");
  panel.hidden = !isAdmin() || !device || device.status === "deregistered";
  byTest("deregister-question").textContent = device ? t("deregisterQuestion", device.serialNumber) : "";
  const select = byTest("move-school");
  // The options change only with the device or the schools: a refresh leaves an open list alone.
  const key = `${device?.schoolUai}|${schools.map((s) => s.uai).join(",")}`;
  if (panel.hidden || select.dataset.key === key) return;
  select.dataset.key = key;
  const chosen = select.value;
  select.replaceChildren(
    ...schools
      .filter((s) => s.active !== false && s.uai !== device.schoolUai)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((s) => element("option", { value: s.uai, text: `${s.name} (${s.uai})` })),
  );
  if (chosen) select.value = chosen;
}

function announce(text) {
  byTest("device-action-result").textContent = text;
}

async function move(event) {
  event.preventDefault();
  const serial = device.serialNumber;
  const uai = byTest("move-school").value;
  const button = byTest("move");
  button.disabled = true;
  try {
    const response = await api(`devices/${encodeURIComponent(serial)}/move`, { method: "POST", body: JSON.stringify({ schoolUai: uai }), contentType: "application/json" });
    announce(response.ok ? t("moved", serial, uai) : t("moveRefused", serial, await problemText(response)));
    if (response.ok) await afterChange(serial);
  } catch (error) {
    if (!(error instanceof SignedOut)) announce(t("moveRefused", serial, error.message));
  } finally {
    button.disabled = false;
  }
}

function askToDeregister() {
  byTest("deregister-confirm").hidden = false;
  byTest("deregister-yes").focus();
}

function cancelDeregister() {
  byTest("deregister-confirm").hidden = true;
  byTest("deregister").focus();
}

async function deregister() {
  const serial = device.serialNumber;
  byTest("deregister-confirm").hidden = true;
  try {
    const response = await api(`devices/${encodeURIComponent(serial)}`, { method: "DELETE" });
    announce(response.ok ? t("deregisterAccepted", serial) : t("deregisterRefused", serial, await problemText(response)));
    byTest("deregister").focus();
    if (response.ok) await afterChange(serial);
  } catch (error) {
    if (!(error instanceof SignedOut)) announce(t("deregisterRefused", serial, error.message));
  }
}

export function start() {
  document.getElementById("move-form").addEventListener("submit", move);
  byTest("deregister").addEventListener("click", askToDeregister);
  byTest("deregister-yes").addEventListener("click", deregister);
  byTest("deregister-cancel").addEventListener("click", cancelDeregister);
  byTest("deregister-confirm").addEventListener("keydown", (e) => {
    if (e.key === "Escape") cancelDeregister();
  });
}
