/**
 * Append one row per delivery to a Google Sheet. Once-only is the delivery engine's (its outcome
 * claim); this adds what only a sheet can tell, and the header's serialisation:
 *
 *   read the header; when the row brings columns it lacks:
 *     take the sheet's header lease (table, conditional write) ── held elsewhere ─▶ retry shortly
 *     read the header again, extend it, give the lease back
 *   a retry (an earlier try failed or died, maybe after its append reached Google)?
 *     └─ the event id already in the marker column ─▶ skip "already in the sheet"
 *   append the row in the header's order
 *
 * The sheet is a log of deliveries: every delivery gets its row, old versions included (no stale
 * check). A forced send (`replay --force`) appends again without looking.
 */
import { randomUUID } from 'node:crypto';
import type { HeaderLease } from '../consumers/sheets/header-lease.ts';
import {
  EVENT_ID_COLUMN,
  planHeader,
  rowCells,
  sheetColumns,
  sheetRecord,
} from '../consumers/sheets/message.ts';
import type { ConnectionEvent } from '../domain/envelope.ts';
import { RetryableDeliveryError } from '../domain/errors.ts';
import type { Log, SheetsWriter } from './ports.ts';

export type SheetOutcome =
  /** `status`: Google's answer to a real append (none in a dry run). */
  { outcome: 'appended'; status?: number } | { outcome: 'already-in-sheet' };

export interface AppendSheetRowDeps {
  sheet: SheetsWriter;
  /** Serialises header changes of the sheet across containers. */
  headerLease: HeaderLease;
  log: Log;
  now: () => number;
  /** How long the header lease keeps other writers off; longer than one header change takes. */
  headerLeaseMs: number;
}

/** The default header lease: a header read and write take a few seconds at worst. */
export const DEFAULT_HEADER_LEASE_MS = 60 * 1000;

/** How the engine tells this try apart from the first. */
export interface TryContext {
  force: boolean;
  attempt: number;
  recovering: boolean;
}

const ensureHeader = async (deps: AppendSheetRowDeps, event: ConnectionEvent): Promise<string[]> => {
  const { sheet, log } = deps;
  const columns = sheetColumns(event);
  const current = await sheet.readHeader();
  if (!planHeader(current, columns).changed) return current;
  const owner = randomUUID();
  const nowMs = deps.now();
  if (!(await deps.headerLease.acquire(owner, nowMs, deps.headerLeaseMs))) {
    throw new RetryableDeliveryError('another delivery is extending the header row', 1);
  }
  try {
    // Read again under the lease: the holder before us may have added the same columns.
    const fresh = await sheet.readHeader();
    const plan = planHeader(fresh, columns);
    if (plan.changed) {
      await sheet.writeHeader(plan.header);
      log.info(fresh.length === 0 ? 'header row created' : 'header row extended', {
        eventId: event.eventId,
        added: plan.added,
      });
    }
    return plan.header;
  } finally {
    await deps.headerLease.release(owner).catch((error: unknown) => {
      log.warn('could not release the header lease; it ends by itself', { error: String(error) });
    });
  }
};

export const appendSheetRow = async (
  deps: AppendSheetRowDeps,
  event: ConnectionEvent,
  context: TryContext = { force: false, attempt: 1, recovering: false },
): Promise<SheetOutcome> => {
  const { sheet, log } = deps;
  const header = await ensureHeader(deps, event);
  if (!context.force && (context.recovering || context.attempt > 1)) {
    const marker = header.indexOf(EVENT_ID_COLUMN);
    if (marker === -1) {
      log.warn('no eventId column in the sheet: cannot tell whether an earlier attempt appended the row', {
        eventId: event.eventId,
      });
    } else if ((await sheet.readColumn(marker)).slice(1).includes(event.eventId)) {
      log.info('an earlier attempt appended the row; not appended again', { eventId: event.eventId });
      return { outcome: 'already-in-sheet' };
    }
  }
  const status = await sheet.appendRow(rowCells(header, sheetRecord(event)));
  return status === undefined ? { outcome: 'appended' } : { outcome: 'appended', status };
};
