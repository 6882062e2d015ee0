// The tenant's readiness (GET tenant/readiness): Graph, the app's permission and Intune's licence, then the schools
// whose tag no deployment profile reaches through a group, or whose devices wait for a profile. The check costs Graph
// requests, so it runs when the page opens and when asked, not at every refresh. Findings are the API's own sentences.
import { apiJson, SignedOut } from "./api.js";
import { byTest, element, showMessage } from "./dom.js";
import { dateTime, number, t } from "./i18n.js";

let report = null;

/** Runs the check again from the panel's button. */
export async function checkAgain(button, schools) {
  button.disabled = true;
  byTest("readiness-status").textContent = t("readinessChecking");
  try {
    report = await apiJson("tenant/readiness");
    renderReadiness(schools);
  } catch (error) {
    if (!(error instanceof SignedOut)) showMessage(t("loadFailed", error.message));
  } finally {
    button.disabled = false;
  }
}

// true, false or null (not checked): a word as well as a colour, never colour alone.
const verdict = (value) =>
  element("span", { className: `verdict ${value === true ? "ok" : value === false ? "bad" : "unknown"}`, text: t(value === true ? "yes" : value === false ? "no" : "notChecked") });

export function renderReadiness(schools) {
  if (!report) return;
  const names = new Map(schools.map((s) => [s.uai, s.name]));
  const graph = report.graph;
  const notReady = report.schools.filter((s) => s.profileAssigned !== true || s.groupRuleCovers !== true || s.devicesWithoutProfile > 0);
  byTest("readiness-status").textContent = t("readinessCheckedAt", dateTime(report.checkedAt));
  byTest("readiness-summary").textContent = t(notReady.length === 0 && report.findings.length === 0 ? "readinessReady" : "readinessNotReady", number(report.schools.length - notReady.length), number(report.schools.length));
  byTest("readiness-summary").dataset.ready = String(notReady.length === 0 && report.findings.length === 0);
  byTest("readiness-graph").replaceChildren(
    element("li", {}, element("span", { text: `${t("graphReachable")} ` }), verdict(graph.reachable)),
    element("li", {}, element("span", { text: `${t("graphPermission")} ` }), verdict(graph.permission ?? null)),
    element("li", {}, element("span", { text: `${t("intuneLicensed")} ` }), verdict(graph.licensed ?? null)),
  );
  byTest("readiness-findings").replaceChildren(...report.findings.map((f) => element("li", { "data-testid": "readiness-finding", text: f })));
  byTest("readiness-findings").hidden = report.findings.length === 0;
  byTest("readiness-table").hidden = notReady.length === 0;
  byTest("readiness-rows").replaceChildren(
    ...notReady.map((s) =>
      element(
        "tr",
        { "data-testid": "readiness-row", "data-uai": s.uai },
        element("th", { scope: "row" }, element("span", { className: "name", text: names.get(s.uai) ?? s.uai }), element("span", { className: "muted", text: ` ${s.uai}` })),
        element("td", {}, verdict(s.profileAssigned ?? null), s.profileName ? element("span", { className: "muted", text: ` ${s.profileName}` }) : null),
        element("td", {}, verdict(s.groupRuleCovers ?? null)),
        element("td", { className: "num", "data-testid": "readiness-without-profile", text: number(s.devicesWithoutProfile) }),
        element("td", {}, element("ul", { className: "findings" }, ...s.findings.map((f) => element("li", { text: f })))),
      ),
    ),
  );
}
