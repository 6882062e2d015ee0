// The failed devices, newest failure first, each with its error, a link to its trail and, for an
// administrator, a Retry button.
import { api, apiJson, SignedOut } from "./api.js";
import { isAdmin } from "./auth.js";
import { showTrail } from "./device-trail.js";
import { byTest, element, showMessage } from "./dom.js";
import { dateTime, number, t } from "./i18n.js";
import { problemText } from "./problem.js";

// Only the schools whose counts show failures are asked for their failed devices.
export async function loadFailedDevices(schools) {
  const pages = await Promise.all(
    schools
      .filter((s) => s.devices.failed > 0)
      .map((s) => apiJson(`schools/${encodeURIComponent(s.uai)}/devices?status=failed&pageSize=100`)),
  );
  return pages
    .flatMap((page) => page.items)
    .sort((a, b) => String(b.lastError?.at ?? b.updatedAt).localeCompare(String(a.lastError?.at ?? a.updatedAt)));
}

/** Lists the devices; after an accepted retry, `refresh` reloads the page's data. */
export function renderFailedDevices(schools, failed, refresh) {
  const names = new Map(schools.map((s) => [s.uai, s.name]));
  byTest("no-failed").hidden = failed.length > 0;
  const failedTotal = schools.reduce((total, s) => total + s.devices.failed, 0);
  const shown = byTest("failed-shown");
  shown.hidden = failed.length >= failedTotal;
  shown.textContent = t("failedShown", number(failed.length), number(failedTotal));
  byTest("failed-list").replaceChildren(
    ...failed.map((device) => {
      const error = device.lastError;
      const retry = isAdmin()
        ? element("button", { type: "button", "data-testid": "retry", text: t("retry"), onClick: (e) => retryDevice(device.serialNumber, e.currentTarget, refresh) })
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

async function retryDevice(serial, button, refresh) {
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
