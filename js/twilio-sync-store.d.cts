// Types for dist/twilio-sync-store.cjs (required by dist/twilio.cjs; use it through
// `ehr-studio-bridge/twilio`: createSyncReminderStore, syncReminderStoreFromContext).
import type { ReminderStore } from "./twilio.cjs";

/** A `ReminderStore` on Twilio Sync (two Sync Maps, compare-and-set on revisions). */
export declare function createSyncReminderStore(options: {
  client: any;
  serviceSid: string;
  prefix?: string;
  baseUrl?: string;
  pageSize?: number;
}): ReminderStore;

/** The `-due` map key of a reminder: 13-digit due ms, `_`, the reminder id. */
export declare function dueKey(ms: number, id: string): string;
