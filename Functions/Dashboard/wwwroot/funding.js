// The ERDF funding report: the latest report's totals and indicators, a bar chart of the ERDF amount per
// school, what each purchase order and invoice bought and claims, building a report now (administrators) and
// downloading it as CSV (per school, or per purchase).
import { api, SignedOut } from "./api.js";
import { byTest, element, showMessage } from "./dom.js";
import { dateTime, day, money, number, t } from "./i18n.js";
import { problemText } from "./problem.js";

let report = null; // the latest report, null until one is built

/** Reads the latest report; a 404 means none has been built yet. */
export async function loadReport() {
  const response = await api("reports/funding/latest");
  if (response.status === 404) {
    report = null;
    return;
  }
  if (!response.ok) throw new Error(await problemText(response));
  report = await response.json();
}

export function renderReport() {
  byTest("no-report").hidden = report !== null;
  byTest("report").hidden = report === null;
  byTest("report-csv").disabled = report === null;
  byTest("report-purchases-csv").disabled = report === null;
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
    kpi(t("withoutPurchaseRecord"), number(totals.devicesWithoutPurchaseRecord ?? 0), "report-without-purchase"),
    kpi(t("erdf"), money(totals.erdfAmountEur, report.currency), "report-erdf"),
    kpi("CO35 · RCO67 · RCO14", `${number(report.indicators.CO35)} · ${number(report.indicators.RCO67)} · ${number(report.indicators.RCO14)}`, "report-indicators"),
  );
  renderChart();
  renderPurchases();
}

// One row per purchase order and invoice, then their sums (the eligible total equals the schools').
function renderPurchases() {
  const purchases = report.purchases ?? [];
  byTest("no-purchases").hidden = purchases.length > 0;
  byTest("report-purchases").hidden = purchases.length === 0;
  const row = (cells, attrs) => element("tr", attrs, ...cells.map(([text, className]) => element("td", { className, text })));
  const sum = (key) => purchases.reduce((total, p) => total + p[key], 0);
  byTest("purchase-rows").replaceChildren(
    ...purchases.map((p) =>
      row([[p.purchaseOrder], [p.invoiceNumber], [number(p.devicesBought), "num"], [number(p.devicesRegistered), "num"], [money(p.eligibleExpenditureEur, report.currency), "num"]], {
        "data-testid": "purchase-row",
        "data-order": p.purchaseOrder,
        "data-invoice": p.invoiceNumber,
      }),
    ),
    row([[t("total")], [""], [number(sum("devicesBought")), "num"], [number(sum("devicesRegistered")), "num"], [money(sum("eligibleExpenditureEur"), report.currency), "num"]], { "data-testid": "purchase-total", className: "total" }),
  );
}

// One horizontal bar per supported school, drawn as SVG (no chart library to ship).
function renderChart() {
  const chart = byTest("report-chart");
  // Every supported school, those without invoiced devices too (a bar of 0 EUR says purchase records are missing).
  const schools = report.schools.filter((s) => s.supported).sort((a, b) => b.erdfAmountEur - a.erdfAmountEur || b.devicesRegistered - a.devicesRegistered);
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
  const max = Math.max(...schools.map((s) => s.erdfAmountEur)) || 1;
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

export async function buildReport(button) {
  button.disabled = true;
  try {
    const response = await api("reports/funding", { method: "POST" });
    if (!response.ok) throw new Error(await problemText(response));
    const built = await response.json();
    showMessage(t("reportBuilt", day(built.reportDate)), "info");
    report = built;
    renderReport();
  } catch (error) {
    if (!(error instanceof SignedOut)) showMessage(t("loadFailed", error.message));
  } finally {
    button.disabled = false;
  }
}

export async function downloadCsv(button, view = "schools") {
  button.disabled = true;
  try {
    const response = await api(`reports/funding/latest?format=csv&view=${view}`, { accept: "text/csv" });
    if (!response.ok) throw new Error(await problemText(response));
    const disposition = response.headers.get("Content-Disposition") ?? "";
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `erdf-funding-${report?.reportDate ?? "latest"}.csv`;
    const url = URL.createObjectURL(await response.blob());
    const link = element("a", { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    if (!(error instanceof SignedOut)) showMessage(t("loadFailed", error.message));
  } finally {
    button.disabled = report === null;
  }
}
