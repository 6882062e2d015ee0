// The programme's progress: devices registered against the target, schools supported and pupils
// benefiting (a school with at least one registered device), devices in progress or failed.
import { byTest } from "./dom.js";
import { number, percent, t } from "./i18n.js";

function setBar(testId, part, whole) {
  byTest(testId).style.width = `${Math.min(100, whole > 0 ? (100 * part) / whole : 0)}%`;
}

function setValue(testId, value, text) {
  const node = byTest(testId);
  node.dataset.value = String(value);
  node.textContent = text ?? number(value);
}

/**
 * A school's progress as [registered, whole]: against what was bought for it when the inventory knows (or against its
 * enrolled devices when more arrived than were bought), else against its enrolled devices. The schools table and the
 * inventory panel both show this one figure.
 */
export function schoolShare(devices, bought) {
  return [devices.registered, Math.max(bought ?? 0, devices.total)];
}

export function renderProgress(schools, deviceTarget) {
  const sum = (f) => schools.reduce((total, s) => total + f(s), 0);
  const registered = sum((s) => s.devices.registered);
  const supported = schools.filter((s) => s.devices.registered > 0);
  const pupils = sum((s) => s.pupils);
  const benefiting = supported.reduce((total, s) => total + s.pupils, 0);

  setValue("kpi-registered", registered);
  byTest("kpi-registered-of").textContent = t("ofTarget", number(deviceTarget), percent(registered, deviceTarget));
  setBar("bar-registered", registered, deviceTarget);
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
