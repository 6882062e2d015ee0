// The purchase inventory: uploading a reseller's manifest (administrators) with its per-line result, and per
// school the devices bought, and of those enrolled and registered.
import { api, apiJson, SignedOut } from "./api.js";
import { byTest, element, showMessage } from "./dom.js";
import { number, percent, t } from "./i18n.js";
import { problemText } from "./problem.js";
import { schoolShare } from "./progress.js";

let summary = []; // GET inventory/schools: { uai, bought, enrolled, registered }
let lastImport = null; // the last upload's answer, kept across refreshes and language changes

export async function loadInventory() {
  summary = await apiJson("inventory/schools");
}

/** Devices bought for the school, as the inventory knows (0 when none). */
export const boughtFor = (uai) => summary.find((s) => s.uai === uai)?.bought ?? 0;

export function renderInventory(schools) {
  const names = new Map(schools.map((s) => [s.uai, s.name]));
  const devices = new Map(schools.map((s) => [s.uai, s.devices]));
  const bought = summary.filter((s) => s.bought > 0);
  byTest("no-inventory").hidden = bought.length > 0;
  const cell = (value, testId, className = "num") => element("td", { className, "data-testid": testId, text: number(value) });
  byTest("inventory-rows").replaceChildren(
    ...bought.map((s) =>
      element(
        "tr",
        { "data-testid": "inventory-row", "data-uai": s.uai },
        element("td", {}, element("span", { className: "name", text: names.get(s.uai) ?? s.uai }), element("span", { className: "muted", text: ` ${s.uai}` })),
        cell(s.bought, "inventory-bought"),
        cell(s.enrolled, "inventory-enrolled"),
        cell(s.registered, "inventory-registered"),
        element("td", { className: "num", "data-testid": "inventory-share", text: percent(...schoolShare(devices.get(s.uai) ?? { registered: s.registered, total: 0 }, s.bought)) }),
      ),
    ),
  );
  renderImport();
}

/** Posts the chosen file as text/csv (streamed by the browser, with its length) and shows what each line became. */
export async function uploadManifest(form) {
  const file = byTest("manifest-file").files[0];
  if (!file) return;
  const school = byTest("manifest-school").value.trim();
  const button = byTest("manifest-upload");
  button.disabled = true;
  byTest("manifest-status").textContent = t("importing", file.name);
  try {
    const query = `name=${encodeURIComponent(file.name)}${school ? `&schoolUai=${encodeURIComponent(school)}` : ""}`;
    const response = await api(`inventory/manifests?${query}`, { method: "POST", body: file, contentType: "text/csv; charset=utf-8" });
    if (response.status === 201) {
      lastImport = { name: file.name, result: await response.json() };
      form.reset();
      await loadInventory();
    } else {
      lastImport = { name: file.name, refused: await refusal(response) };
    }
  } catch (error) {
    if (!(error instanceof SignedOut)) showMessage(t("loadFailed", error.message));
  } finally {
    button.disabled = false;
    byTest("manifest-status").textContent = "";
    renderImport();
  }
}

/** A refused file's reasons: the problem's detail and each field's messages. */
async function refusal(response) {
  const text = await response.clone().text();
  try {
    const problem = JSON.parse(text);
    const fields = Object.entries(problem.errors ?? {}).map(([field, messages]) => `${field}: ${messages.join(" ")}`);
    return [problem.detail ?? `HTTP ${response.status}`, ...fields];
  } catch {
    return [await problemText(response)];
  }
}

function renderImport() {
  const box = byTest("manifest-result");
  box.hidden = lastImport === null;
  if (!lastImport) return;
  if (lastImport.refused) {
    box.replaceChildren(
      element("p", { className: "error-code", "data-testid": "manifest-refused", text: t("manifestRefused", lastImport.name) }),
      element("ul", {}, ...lastImport.refused.map((line) => element("li", { text: line }))),
    );
    return;
  }
  const r = lastImport.result;
  const rows = r.rejected.flatMap((line) =>
    Object.entries(line.errors).map(([field, messages]) =>
      element("tr", { "data-testid": "rejected-line", "data-line": line.line }, element("td", { className: "num", text: number(line.line) }), element("td", {}, element("code", { text: field })), element("td", { text: messages.join(" ") })),
    ),
  );
  box.replaceChildren(
    element("p", { "data-testid": "manifest-summary", text: t("manifestSummary", lastImport.name, number(r.rows), number(r.accepted), number(r.updated), number(r.unchanged), number(r.rejected.length)) }),
    rows.length === 0
      ? element("p", { className: "muted", text: t("noRejected") })
      : element(
          "div",
          { className: "table-wrap" },
          element(
            "table",
            { "data-testid": "manifest-rejected" },
            element("caption", { className: "visually-hidden", text: t("rejectedLines") }),
            element("thead", {}, element("tr", {}, element("th", { className: "num", scope: "col", text: t("line") }), element("th", { scope: "col", text: t("field") }), element("th", { scope: "col", text: t("reason") }))),
            element("tbody", {}, ...rows),
          ),
        ),
  );
}
