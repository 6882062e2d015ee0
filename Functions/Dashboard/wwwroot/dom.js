// Small DOM helpers. Text goes in through textContent, never parsed as HTML, so a value from the API
// cannot become markup.

export const byTest = (id) => document.querySelector(`[data-testid="${id}"]`);

export function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else if (name === "onClick") node.addEventListener("click", value);
    else if (name === "width") node.style.width = value; // CSSOM, which the CSP allows; a style attribute it would block
    else node.setAttribute(name, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/** The banner under the header; kind "error", "info", or "error refresh" for a failed refresh the next one clears. */
export function showMessage(text, kind = "error") {
  const box = byTest("message");
  box.textContent = text;
  box.className = `message ${kind}`;
  box.hidden = false;
}

export function hideMessage() {
  byTest("message").hidden = true;
}

/** Saves a downloaded response as a file, named as its Content-Disposition says (else `fallbackName`). */
export async function saveResponse(response, fallbackName) {
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = element("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
