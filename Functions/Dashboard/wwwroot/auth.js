// Sign-in: MSAL for browsers with Microsoft Entra ID in Azure, the dev host's token endpoint locally. The
// roles read from the token only decide what the page hides; the API enforces them.
import { problemText } from "./problem.js";

export const ADMIN_ROLE = "Enrolment.Admin";
export const READ_ROLE = "Enrolment.Read";
const DEV_TOKEN_KEY = "dashboard.devToken";

let config = null;
let provider = null;

const nobody = { name: "", roles: [] };

/** The signed-in person's name and roles, read from the token by signedIn(). */
export let user = nobody;

export const isAdmin = () => user.roles.includes(ADMIN_ROLE);

function claimsOf(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(Array.from(atob(payload), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join(""));
    return JSON.parse(json);
  } catch {
    return {};
  }
}

// Local development: POST the dev host's token endpoint; the token lives in this tab's sessionStorage.
const devAuth = {
  async init() {},
  async token() {
    const token = sessionStorage.getItem(DEV_TOKEN_KEY);
    if (!token) return null;
    const { exp } = claimsOf(token);
    if (typeof exp === "number" && exp * 1000 < Date.now() + 30_000) {
      sessionStorage.removeItem(DEV_TOKEN_KEY);
      return null;
    }
    return token;
  },
  async signIn(roles) {
    const response = await fetch(config.devTokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ roles }),
    });
    if (!response.ok) throw new Error(await problemText(response));
    sessionStorage.setItem(DEV_TOKEN_KEY, (await response.json()).accessToken);
  },
  async signOut() {
    sessionStorage.removeItem(DEV_TOKEN_KEY);
  },
  forget() {
    sessionStorage.removeItem(DEV_TOKEN_KEY);
  },
  userName: () => "",
};

// Azure: Microsoft Entra ID through MSAL for browsers (authorization code + PKCE, redirect flow). MSAL is
// the classic script index.html loads before this module, as window.msal.
const entraAuth = {
  app: null,
  async init() {
    if (!window.msal) throw new Error("MSAL for browsers did not load.");
    const { clientId, authority } = config.entra;
    this.app = new window.msal.PublicClientApplication({
      auth: { clientId, authority, redirectUri: `${location.origin}/api/dashboard` },
      cache: { cacheLocation: "sessionStorage" },
    });
    await this.app.initialize();
    const result = await this.app.handleRedirectPromise();
    const account = result?.account ?? this.app.getAllAccounts()[0] ?? null;
    if (account) this.app.setActiveAccount(account);
  },
  async token() {
    const account = this.app.getActiveAccount();
    if (!account) return null;
    const request = { scopes: [config.entra.scope], account };
    try {
      return (await this.app.acquireTokenSilent(request)).accessToken;
    } catch (error) {
      if (error instanceof window.msal.InteractionRequiredAuthError) {
        await this.app.acquireTokenRedirect(request);
        return null;
      }
      throw error;
    }
  },
  async signIn() {
    await this.app.loginRedirect({ scopes: [config.entra.scope] });
  },
  async signOut() {
    await this.app.logoutRedirect({ postLogoutRedirectUri: `${location.origin}/api/dashboard` });
  },
  forget() {
    this.app.setActiveAccount(null);
  },
  // The signed-in person from the ID token, not the API access token (which may carry no name).
  userName() {
    const account = this.app.getActiveAccount();
    return account ? account.name || account.username : "";
  },
};

/** Picks the sign-in the host configured (dashboard/config.json); with Entra, completes a redirect back from it. */
export async function start(dashboardConfig) {
  config = dashboardConfig;
  provider = config.signIn === "entra" ? entraAuth : devAuth;
  await provider.init();
}

/** A bearer token for the API, or null when no one is signed in (or the dev token is about to expire). */
export const token = () => provider.token();

export const signIn = (roles) => provider.signIn(roles);

export async function signOut() {
  await provider.signOut();
  user = nobody;
}

/** Drops a token the API refused, so the next call asks for sign-in. */
export const forget = () => provider.forget();

/** Whether someone is signed in; if so, reads their name and roles into `user`. */
export async function signedIn() {
  const token = await provider.token();
  if (!token) return false;
  const claims = claimsOf(token);
  user = {
    name: provider.userName() || claims.name || claims.preferred_username || claims.sub || "",
    roles: Array.isArray(claims.roles) ? claims.roles : claims.roles ? [claims.roles] : [],
  };
  return true;
}
