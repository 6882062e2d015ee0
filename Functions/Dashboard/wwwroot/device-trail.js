// One device's summary and audit trail, newest event first, looked up by serial number; redrawn on each
// refresh and language change once shown.
import { api, apiJson, SignedOut } from "./api.js";
import { renderDeviceActions } from "./device-actions.js";
import { byTest, element, showMessage } from "./dom.js";
import { dateTime, eventName, statusName, t } from "./i18n.js";
import { problemText } from "./problem.js";

let trail = null; // { serial, device, events }; device is null when there is no such device

export async function showTrail(serial) {
  serial = serial.trim().toUpperCase();
  if (!serial) return;
  byTest("trail-serial").value = serial;
  try {
    const response = await api(`devices/${encodeURIComponent(serial)}`);
    if (response.status === 404) {
      trail = { serial, device: null, events: [] };
    } else if (!response.ok) {
      throw new Error(await problemText(response));
    } else {
      const device = await response.json();
      const page = await apiJson(`audit?serialNumber=${encodeURIComponent(serial)}&pageSize=100`);
      trail = { serial, device, events: page.items };
    }
    renderTrail();
  } catch (error) {
    if (!(error instanceof SignedOut)) showMessage(t("loadFailed", error.message));
  }
}

export function renderTrail() {
  if (!trail) return;
  const { serial, device, events } = trail;
  renderDeviceActions(device);
  const summary = byTest("trail-device");
  if (!device) {
    summary.replaceChildren(element("p", { className: "empty", text: t("noDevice", serial) }));
    byTest("trail-list").replaceChildren();
    return;
  }
  summary.replaceChildren(
    element(
      "dl",
      {},
      element("dt", { text: t("status") }),
      element("dd", {}, element("span", { className: `badge ${device.status}`, "data-testid": "trail-status", "data-status": device.status, text: statusName(device.status) })),
      element("dt", { text: t("school") }),
      element("dd", { text: device.schoolUai }),
      element("dt", { text: t("enrolledAt") }),
      element("dd", { text: `${dateTime(device.enrolledAt)} · ${[device.manufacturer, device.model, device.deviceType].filter(Boolean).join(" ")}` }),
      device.lastError ? element("dt", { text: t("lastError") }) : null,
      device.lastError ? element("dd", { text: `${device.lastError.code}: ${device.lastError.message}` }) : null,
    ),
  );
  byTest("trail-list").replaceChildren(
    ...(events.length === 0
      ? [element("li", { className: "empty", text: t("noEvents") })]
      : events.map((event) =>
          element(
            "li",
            { "data-testid": "trail-event", "data-type": event.type },
            element("time", { datetime: event.occurredAt, text: dateTime(event.occurredAt) }),
            element("strong", { text: ` ${eventName(event.type)}` }),
            element("span", { className: "muted", text: ` · ${event.actor.kind}${event.actor.id ? ` ${event.actor.id}` : ""}` }),
            event.data && Object.keys(event.data).length > 0 ? element("code", { text: JSON.stringify(event.data) }) : null,
          ),
        )),
  );
}
