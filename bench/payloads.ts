/**
 * Leadsie v1 payloads of any size, shaped like the help page's sample (the five documented asset
 * types, in turn), so the project and the reference script flatten the very same input. v1 only:
 * the reference script fails on v2 payloads.
 */

const TYPES = ['Ad Account', 'Page', 'Pixel', 'Instagram Account', 'Catalog'] as const;

/** A v1 payload with `assets` connection assets; `variant` makes the request (and so the fingerprint) unique. */
export const v1Payload = (assets: number, variant = 0): Record<string, unknown> => ({
  user: `bench-user-${variant % 97}`,
  requestUrl: `https://app.leadsie.com/request/bench-${variant}`,
  requestName: `Bench onboarding ${variant}`,
  accessLevel: 'admin',
  status: 'PARTIAL_SUCCESS',
  connectionAssets: Array.from({ length: assets }, (_, i) => {
    const ok = i % 4 !== 1;
    return {
      type: TYPES[i % TYPES.length],
      name: `Northwind Coffee asset ${i + 1}`,
      id: String(104857362514 + i * 7919),
      isSuccess: ok,
      message: ok ? '' : 'User is not an admin of this ad account',
      time: new Date(Date.UTC(2026, 2, 2, 14, 21, i % 60)).toISOString(),
    };
  }),
});
