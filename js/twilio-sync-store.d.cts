// Types for dist/twilio-sync-store.cjs (required by dist/twilio.cjs; use it through
// `ehr-studio-bridge/twilio`: createSyncReminderStore, syncReminderStoreFromContext).
import type { ReminderStore, createSyncReminderStore as fromTwilio } from "./twilio.cjs";

/** A `ReminderStore` on Twilio Sync (see `createSyncReminderStore` in `ehr-studio-bridge/twilio`). */
export declare function createSyncReminderStore(options: Parameters<typeof fromTwilio>[0]): ReminderStore;

/** The `-due` map key of a reminder: 13-digit due ms, `_`, the reminder id. */
export declare function dueKey(ms: number, id: string): string;
