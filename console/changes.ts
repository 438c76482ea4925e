/**
 * What changed for a client between two deliveries of the same (user, request): which assets were
 * granted, which were lost, and which are still missing. Pure: the clients page renders it.
 */
import type { EnvelopeAsset } from '../lambda/domain/envelope.ts';

export interface AssetChanges {
  /** Connected now, and not before (or not asked for before). */
  granted: EnvelopeAsset[];
  /** Connected before, and not now (or no longer listed). */
  lost: EnvelopeAsset[];
  /** Not connected now, and not before either (or newly asked for). */
  missing: EnvelopeAsset[];
  /** Connected now and before. */
  kept: EnvelopeAsset[];
}

/** One asset across deliveries: its type and its id (else its name). */
const assetKey = (asset: Pick<EnvelopeAsset, 'typeKey' | 'id' | 'name'>): string =>
  JSON.stringify([asset.typeKey, asset.id ?? asset.name ?? '']);

/** The changes from `previous` (null: the first delivery) to `current`. */
export const assetChanges = (current: EnvelopeAsset[], previous: EnvelopeAsset[] | null): AssetChanges => {
  const before = new Map((previous ?? []).map((asset) => [assetKey(asset), asset]));
  const changes: AssetChanges = { granted: [], lost: [], missing: [], kept: [] };
  const seen = new Set<string>();
  for (const asset of current) {
    const key = assetKey(asset);
    seen.add(key);
    const was = before.get(key)?.ok === true;
    if (asset.ok === true) (was ? changes.kept : changes.granted).push(asset);
    else if (was) changes.lost.push(asset);
    else changes.missing.push(asset);
  }
  for (const [key, asset] of before) if (!seen.has(key) && asset.ok === true) changes.lost.push(asset);
  return changes;
};
