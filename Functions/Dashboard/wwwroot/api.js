// Calls to the API with the signed-in user's bearer token. Without a token, or when the API answers 401,
// the page goes back to sign-in and the call throws SignedOut, which callers do not report as an error.
import * as auth from "./auth.js";
import { t } from "./i18n.js";
import { problemText } from "./problem.js";

export class SignedOut extends Error {}

let showSignIn = () => {};

/** What to do when the session is missing or over (the entry point shows the sign-in screen, with the reason if any). */
export function onSignedOut(handler) {
  showSignIn = handler;
}

export async function api(path, { method = "GET", accept = "application/json", body = undefined, contentType = undefined } = {}) {
  const token = await auth.token();
  if (!token) {
    showSignIn();
    throw new SignedOut();
  }
  const headers = { Authorization: `Bearer ${token}`, Accept: accept };
  if (contentType) headers["Content-Type"] = contentType;
  const response = await fetch(path, { method, headers, body, cache: "no-store" });
  if (response.status === 401) {
    auth.forget();
    showSignIn(t("sessionExpired"));
    throw new SignedOut();
  }
  return response;
}

export async function apiJson(path) {
  const response = await api(path);
  if (!response.ok) throw new Error(await problemText(response));
  return response.json();
}
