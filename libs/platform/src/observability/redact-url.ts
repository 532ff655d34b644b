/** Query parameters that carry credentials (the calendar feed token): never written to logs. */
const SECRET_PARAMS = /([?&](?:token|api_key|apikey|secret)=)[^&#]*/gi;

/** The request URL as logs may show it: credential parameters masked. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1***');
}
