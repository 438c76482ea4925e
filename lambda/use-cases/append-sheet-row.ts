/**
 * Append one row per delivery to a Google Sheet, exactly once per event, even when SQS delivers
 * the event again or an attempt dies half-way:
 *
 *   claim the row (ledger, conditional write, leased)
 *     ├─ done already ─────────────────────────────────▶ skip (a redelivery)
 *     ├─ another attempt holds the lease ──────────────▶ retry after the lease
 *     └─ claimed
 *          read the header; create or extend it when the row brings columns it lacks
 *          recovering (an earlier attempt failed or crashed after claiming)?
 *            └─ the event id already in the marker column ─▶ mark done, skip (its append went)
 *          append the row in the header's order
 *          mark done  (a crash before this: the next attempt recovers, finds the row, skips)
 *
 * A failure before the append is known to have happened gives the claim back at once, so the
 * queue's retry recovers without waiting for the lease. The sheet is a log of deliveries: every
 * delivery gets its row, old versions included (no stale check).
 */

import {
  EVENT_ID_COLUMN,
  planHeader,
  rowCells,
  sheetColumns,
  sheetRecord,
} from '../consumers/sheets/message.ts';
import type { ConnectionEvent } from '../domain/envelope.ts';
import { RetryableDeliveryError } from '../domain/errors.ts';
import type { IdempotencyLedger, Log, OnceKey, SheetsWriter } from './ports.ts';

export type SheetOutcome = 'appended' | 'skipped-duplicate' | 'skipped-already-in-sheet';

export interface AppendSheetRowDeps {
  sheet: SheetsWriter;
  ledger: IdempotencyLedger;
  log: Log;
  now: () => number;
  /**
   * How long a claim keeps other attempts off. Longer than any one invocation can run (Lambda's
   * maximum is 15 minutes), so a live attempt is never overtaken; a crashed one is recovered after it.
   */
  leaseMs: number;
}

/** The default lease: Lambda's maximum timeout. */
export const DEFAULT_SHEET_LEASE_MS = 15 * 60 * 1000;

export const appendSheetRow = async (
  deps: AppendSheetRowDeps,
  event: ConnectionEvent,
): Promise<SheetOutcome> => {
  const { sheet, ledger, log } = deps;
  const key: OnceKey = {
    kind: 'sheet-row',
    spreadsheetId: sheet.spreadsheetId,
    sheetName: sheet.sheetName,
    eventId: event.eventId,
  };
  const nowMs = deps.now();
  const claim = await ledger.claimOnce(key, nowMs, nowMs + deps.leaseMs);
  if (claim.outcome === 'done') {
    log.info('row already appended for this event; skipped', {
      eventId: event.eventId,
      doneAt: claim.doneAt,
    });
    return 'skipped-duplicate';
  }
  if (claim.outcome === 'busy') {
    throw new RetryableDeliveryError(
      `another attempt is appending the row of event ${event.eventId}`,
      Math.max(1, Math.ceil((claim.leaseUntil - nowMs) / 1000)),
    );
  }

  let appended = false;
  try {
    const current = await sheet.readHeader();
    const plan = planHeader(current, sheetColumns(event));
    if (plan.changed) {
      await sheet.writeHeader(plan.header);
      log.info(current.length === 0 ? 'header row created' : 'header row extended', {
        eventId: event.eventId,
        added: plan.added,
      });
    }
    if (claim.recovering) {
      const marker = plan.header.indexOf(EVENT_ID_COLUMN);
      if (marker === -1) {
        log.warn('no eventId column in the sheet: cannot tell whether an earlier attempt appended the row', {
          eventId: event.eventId,
        });
      } else if ((await sheet.readColumn(marker)).slice(1).includes(event.eventId)) {
        appended = true;
        log.info('an earlier attempt appended the row; not appended again', { eventId: event.eventId });
      }
    }
    if (!appended) await sheet.appendRow(rowCells(plan.header, sheetRecord(event)));
  } catch (error) {
    // Whether or not the append reached Google, the claim goes back: the retry recovers, and looks first.
    await ledger.releaseOnce(key).catch((releaseError: unknown) => {
      log.warn('could not release the claim; the retry waits for its lease', { error: String(releaseError) });
    });
    throw error;
  }
  await ledger.completeOnce(key, new Date(deps.now()).toISOString());
  return claim.recovering && appended ? 'skipped-already-in-sheet' : 'appended';
};
