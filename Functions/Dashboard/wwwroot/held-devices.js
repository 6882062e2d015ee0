// The devices the unknown-device policy holds (not in their school's purchase inventory), oldest first,
// each with its school and, for an administrator, an Approve button. The outcome of an approval is
// announced in the panel's live region, and focus goes back to the panel's heading once the list is
// redrawn (the button it was on is gone).
import { api, apiJson, SignedOut } from "./api.js";
import { isAdmin } from "./auth.js";
import { showTrail } from "./device-trail.js";
import { byTest, element } from "./dom.js";
import { dateTime, number, t } from "./i18n.js";
import { problemText } from "./problem.js";

// Only the schools whose counts show held devices are asked for them.
export async function loadHeldDevices(schools) {
  const pages = await Promise.all(
    schools
      .filter((s) => (s.devices.held ?? 0) > 0)
      .map((s) => apiJson(`schools/${encodeURIComponent(s.uai)}/devices?status=held&pageSize=100`)),
  );
  return pages.flatMap((page) => page.items).sort((a, b) => String(a.enrolledAt).localeCompare(String(b.enrolledAt)));
}

/** Lists the devices; after an accepted approval, `refresh` reloads the page's data. */
export function renderHeldDevices(schools, held, refresh) {
  const names = new Map(schools.map((s) => [s.uai, s.name]));
  const heldTotal = schools.reduce((total, s) => total + (s.devices.held ?? 0), 0);
  byTest("no-held").hidden = held.length > 0;
  byTest("held-read-only").hidden = isAdmin() || held.length === 0;
  const shown = byTest("held-shown");
  shown.hidden = held.length >= heldTotal;
  shown.textContent = t("failedShown", number(held.length), number(heldTotal));
  byTest("held-list").replaceChildren(
    ...held.map((device) => {
      const approve = isAdmin()
        ? element("button", {
            type: "button",
            "data-testid": "approve",
            text: t("approve"),
            "aria-label": t("approveDevice", device.serialNumber),
            onClick: (e) => approveDevice(device.serialNumber, e.currentTarget, refresh),
          })
        : null;
      return element(
        "li",
        { "data-testid": "held-device", "data-serial": device.serialNumber },
        element(
          "div",
          { className: "failed-head" },
          element("button", { type: "button", className: "link", text: device.serialNumber, title: t("showTrail"), onClick: () => showTrail(device.serialNumber) }),
          element("span", { className: "muted", text: ` ${names.get(device.schoolUai) ?? device.schoolUai}` }),
          approve,
        ),
        element("div", { text: [device.manufacturer, device.model].filter(Boolean).join(" ") }),
        element("small", { className: "muted", text: t("heldSince", dateTime(device.enrolledAt)) }),
      );
    }),
  );
}

async function approveDevice(serial, button, refresh) {
  const result = byTest("held-result");
  button.disabled = true;
  try {
    const response = await api(`devices/${encodeURIComponent(serial)}/approve`, { method: "POST" });
    if (response.ok) {
      result.textContent = t("approveAccepted", serial);
      await refresh();
      document.getElementById("held-title").focus();
    } else {
      result.textContent = t("approveRefused", serial, await problemText(response));
      button.disabled = false;
      button.focus();
    }
  } catch (error) {
    if (!(error instanceof SignedOut)) {
      result.textContent = t("approveRefused", serial, error.message);
      button.disabled = false;
    }
  }
}
