// The schools table: one row per school with its pupils, a stacked bar of its devices by status and the
// counts, filtered by the search box.
import { api, SignedOut } from "./api.js";
import { byTest, element, saveResponse, showMessage } from "./dom.js";
import { number, percent, t } from "./i18n.js";
import { boughtFor } from "./inventory.js";
import { problemText } from "./problem.js";
import { schoolShare } from "./progress.js";

const STATUSES = ["registered", "registering", "received", "failed"];

export function renderSchools(schools) {
  const filter = byTest("school-filter").value.trim().toLowerCase();
  const rows = schools
    .filter((s) => !filter || `${s.name} ${s.commune} ${s.uai}`.toLowerCase().includes(filter))
    .map((s) => {
      const d = s.devices;
      const bar = element("div", { className: "stack", title: STATUSES.map((k) => `${t(k)}: ${d[k]}`).join(", ") });
      for (const status of STATUSES) {
        if (d[status] > 0) bar.append(element("span", { className: status, width: `${(100 * d[status]) / d.total}%` }));
      }
      const progress = d.total > 0 ? element("div", { className: "progress" }, bar, element("small", { "data-testid": "school-share", text: percent(...schoolShare(d, boughtFor(s.uai))) })) : element("small", { className: "muted", text: t("noDevices") });
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
        element("td", { className: `num ${d.readyToProvision > 0 ? "registered" : "zero"}`, "data-testid": "count-ready", text: number(d.readyToProvision ?? 0) }),
        count("failed"),
        element("td", { className: "num", "data-testid": "count-total", text: number(d.total) }),
        element(
          "td",
          {},
          element("button", { type: "button", className: "link", "data-testid": "export-csv", "aria-label": t("exportCsvOf", s.name), text: t("exportCsv"), onClick: (e) => exportCsv(s.uai, e.currentTarget) }),
        ),
      );
    });
  byTest("school-rows").replaceChildren(...rows);
}

/** Downloads the school's devices as the Windows Autopilot CSV that Intune imports. */
async function exportCsv(uai, button) {
  button.disabled = true;
  try {
    const response = await api(`schools/${encodeURIComponent(uai)}/devices?format=autopilot-csv`, { accept: "text/csv" });
    if (!response.ok) throw new Error(await problemText(response));
    await saveResponse(response, `autopilot-${uai}.csv`);
  } catch (error) {
    if (!(error instanceof SignedOut)) showMessage(t("loadFailed", error.message));
  } finally {
    button.disabled = false;
  }
}
