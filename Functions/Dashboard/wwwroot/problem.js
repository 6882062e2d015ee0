// The reason an HTTP call failed, for a message: the API's problem document (RFC 9457) or the status.
export async function problemText(response) {
  try {
    const problem = await response.json();
    return problem.detail || problem.title || `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}
