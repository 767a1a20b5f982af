/**
 * The bearer token: handed over in the URL fragment by a host app (`/console#token=…`, never sent
 * to a server, removed from the address bar and history at once) or pasted. Kept in
 * sessionStorage: one tab, until it closes (a host app hands each new tab its own).
 */
const KEY = 'console.token';

export function takeTokenFromFragment(): string | null {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (token === null) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return token.trim() || null;
}

export const storedToken = (): string | null => sessionStorage.getItem(KEY);
export const storeToken = (token: string): void => sessionStorage.setItem(KEY, token);
/** Signing out forgets the token and where the stream stood. */
export const forgetToken = (): void => {
  for (const key of Object.keys(sessionStorage)) if (key.startsWith('console.')) sessionStorage.removeItem(key);
};
