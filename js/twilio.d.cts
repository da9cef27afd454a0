// Types for ehr-studio-bridge/twilio (hand-written; the implementation is dist/twilio.cjs).
// See docs/twilio-functions.md for the environment variables each factory reads.

/** The Functions `context` (environment variables + runtime helpers). */
export interface FunctionContext {
  DOMAIN_NAME?: string;
  PATH?: string;
  ACCOUNT_SID?: string;
  AUTH_TOKEN?: string;
  getTwilioClient?(options?: object): any;
  [env: string]: unknown;
}

/** The Functions `event`: JSON/form body fields and query parameters merged, plus `request`. */
export interface FunctionEvent {
  request?: { headers?: Record<string, string | string[]>; cookies?: Record<string, string> };
  [field: string]: unknown;
}

export type FunctionCallback = (error: unknown, response?: unknown) => void;
/** What the factories return: `exports.handler`. */
export type FunctionHandler = (context: FunctionContext, event: FunctionEvent, callback: FunctionCallback) => void;

/** Log sink: receives one JSON line per invocation (codes, statuses, SIDs, durations; never PHI). */
export interface AdapterLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface AdapterOptions {
  /** The package API to use (e.g. `require("ehr-studio-bridge/slim")` after `initSync`). Default: from
   *  `EHR_BRIDGE_WASM_ASSET` (private asset) when set, else `require("ehr-studio-bridge")`. */
  api?: any;
  /** The profile (object or JSON text). Default: `EHR_BRIDGE_PROFILE`, then `EHR_BRIDGE_PROFILE_ASSET`,
   *  else the generic profile; `STUDIO_FLOW_SID` / `TWILIO_PHONE_NUMBER` override `studio`. */
  profile?: object | string;
  /** Load the profile from the context (e.g. a Sync document). Used when `profile` is not given. */
  loadProfile?(context: FunctionContext): object | string | Promise<object | string>;
  /** Default `console`; `false` disables logging. */
  logger?: AdapterLogger | false;
}

/** The part of `fetch` the reply handler uses (declared here so no DOM lib is needed). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: any; redirect: "error" },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

/** Optional dedupe store (Twilio Sync, Redis…) keyed by the mapping's idempotency key (`ik1-…`, a hash). */
export interface IdempotencyStore {
  /** Truthy when the key was already handled (a string is taken as the execution SID). A throw answers 503. */
  check(key: string, context: FunctionContext): unknown;
  /** Called after the execution was created. A throw is logged and ignored. */
  record(key: string, executionSid: string, context: FunctionContext): unknown;
  /** Called when `check` let the event through but no execution was created (Twilio error, 409…):
   *  a store that reserves keys in `check` (atomic create) frees the key here. A throw is logged. */
  release?(key: string, context: FunctionContext): unknown;
}

/** A stored reminder as the store returns it to the planner (`ExistingReminder` plus whatever the store keeps). */
export interface StoredReminderRow {
  id: string;
  status: "pending" | "claimed" | "sent" | "skipped" | "canceled" | "failed";
  appointmentStartMs?: number;
  [key: string]: unknown;
}

/** A reminder a store handed to one caller (`claimDue`): the stored `create`/`update` entry plus the store's claim token. */
export interface ClaimedReminder {
  id: string;
  appointmentKey: string;
  dueAtMs: number;
  notAfterMs: number;
  notAfter?: "appointment" | "window" | "lateGrace";
  appointmentStartMs: number;
  snapshot?: Record<string, string>;
  /** The store's own data about the claim (opaque to the handlers). */
  claim: unknown;
  [key: string]: unknown;
}

/**
 * Durable storage for reminders (docs/twilio-functions.md, "Reminders"). The handlers decide what
 * to store (the package's `planReminders`) and whether to send (`remindDue`); the store keeps
 * state, makes a plan atomic against concurrent plans of the same appointment, and hands each due
 * reminder to one caller only. `createSyncReminderStore` implements it on Twilio Sync.
 */
export interface ReminderStore {
  /** The reminders stored for an appointment key (`ak1-…`) and a version for `apply`. */
  load(appointmentKey: string): Promise<{ reminders: StoredReminderRow[]; version?: unknown }>;
  /** Store a plan (create/update: pending at `dueAtMs`; cancel; skip: record the code). Resolve
   *  `false` when the appointment changed since `load` returned `version` (the handler re-plans). */
  apply(plan: { appointmentKey: string | null; reminders: Array<Record<string, any>>; [key: string]: unknown }, version: unknown, nowMs: number): Promise<boolean>;
  /** Up to `limit` pending reminders due at `nowMs`, each claimed by this caller for `leaseMs`
   *  (no other caller gets it meanwhile). A claim that expires unfinished is not handed out again. */
  claimDue(nowMs: number, limit: number, leaseMs: number): Promise<ClaimedReminder[]>;
  /** The outcome of a claimed reminder. */
  finish(claimed: ClaimedReminder, outcome: { status: "sent" | "skipped" | "failed"; code?: string; executionSid?: string }, nowMs: number): Promise<void>;
  /** Give a claimed reminder back, pending again from `retryAtMs` (Studio answered 409, 429 or 5xx). */
  release(claimed: ClaimedReminder, retryAtMs: number, nowMs: number): Promise<void>;
}

/** Where reminders are stored: a store, a function of the context (null: no reminders), or nothing. */
export type ReminderStoreOption = ReminderStore | ((context: FunctionContext) => ReminderStore | null | Promise<ReminderStore | null>) | null;

export interface EventHandlerOptions extends AdapterOptions {
  /** Plan the appointment's reminders (`profile.reminders`) and store the plan before starting the
   *  execution (a store failure answers 503 first). E.g. `syncReminderStoreFromContext`. */
  reminders?: ReminderStoreOption;
  /** The clock (ms) reminders are planned with. Default `Date.now`. */
  clock?(): number;
  /** The twilio-node client. Default `context.getTwilioClient()`. `profile.studio.baseUrl`, when set, is applied to `client.studio`. */
  twilioClient?(context: FunctionContext): any;
  /** 409 (the patient has an active execution): `"reject"` (default; answer 409 + Retry-After) or
   *  `"end-and-retry"` (end it — dropping its pending reply — and create once more). Env: `EHR_BRIDGE_ON_CONFLICT`. */
  onConflict?: "reject" | "end-and-retry";
  /** Retry-After for 409 (default 120: PAM's reply window). */
  conflictRetryAfterSeconds?: number;
  idempotency?: IdempotencyStore;
  /** Replace the bearer-token check (`EHR_BRIDGE_EVENT_TOKEN`). */
  authenticate?(context: FunctionContext, event: FunctionEvent): boolean | Promise<boolean>;
  /** Event keys that are not part of the payload (e.g. query parameters your engine adds). */
  ignoreKeys?: string[];
}

export interface ReplyHandlerOptions extends AdapterOptions {
  /** `"signature"` (default): X-Twilio-Signature + bodySHA256 checked in code against the
   *  reconstructed widget body. `"gateway"`: trust a protected Function's gateway only. Env: `EHR_REPLY_VERIFY`. */
  verify?: "signature" | "gateway";
  /** The IE_ENDPOINT URL exactly as set in the flow (without bodySHA256). Env: `EHR_REPLY_PUBLIC_URL`;
   *  default `https://${DOMAIN_NAME}${PATH}`. */
  publicUrl?(context: FunctionContext, event: FunctionEvent): string;
  /** The account auth token Studio signs with. Default `context.AUTH_TOKEN`. */
  authToken?(context: FunctionContext): string;
  /** `"hl7"` (SRM^S03/S04 to `EHR_HL7_ENDPOINT`) or `"fhir"` (per `profile.reply.fhir`). Env: `EHR_REPLY_TARGET`. */
  target?: "hl7" | "fhir";
  /** `"forward"` (default) or `"return"` (answer with the EHR request instead of sending it). Env: `EHR_REPLY_MODE`. */
  mode?: "forward" | "return";
  /** Overrides `EHR_HL7_ENDPOINT`. */
  hl7Endpoint?: string;
  /** MSH-10 / MSH-7 of the SRM (default: generated / now). */
  hl7Options?(context: FunctionContext): { controlId?: string; timestamp?: string };
  /** Replaces `<access_token>` in the FHIR Authorization header. Default `EHR_FHIR_ACCESS_TOKEN`. */
  accessToken?(context: FunctionContext): string | Promise<string>;
  /** Default `globalThis.fetch` (anything with its shape). */
  fetch?: FetchLike;
  /** Budget for all EHR calls of one reply (default 6000 ms; env `EHR_REPLY_TIMEOUT_MS`). */
  timeoutMs?: number;
}

export interface DueRemindersHandlerOptions extends AdapterOptions {
  /** The store (required). E.g. `syncReminderStoreFromContext`. */
  reminders?: ReminderStoreOption;
  /** The twilio-node client. Default `context.getTwilioClient()`. */
  twilioClient?(context: FunctionContext): any;
  /** Replace the bearer-token check (`EHR_BRIDGE_EVENT_TOKEN`). */
  authenticate?(context: FunctionContext, event: FunctionEvent): boolean | Promise<boolean>;
  /** Default `Date.now`. */
  clock?(): number;
  /** Reminders claimed per call (default 10; env `EHR_BRIDGE_REMIND_BATCH`). */
  batchSize?: number;
  /** How long a claim lasts (default 60000 ms). */
  leaseMs?: number;
  /** Stop sending after this long and give the rest back (default 6000 ms; env `EHR_BRIDGE_REMIND_BUDGET_MS`). */
  budgetMs?: number;
  /** A REMIND refused with 409 is tried again after this (default 120: PAM's reply window). */
  conflictRetryAfterSeconds?: number;
}

/** Functions handler for EHR events: 201 created, 200 skipped/duplicate, 4xx input, 409/429/5xx Twilio. */
export function createEventHandler(options?: EventHandlerOptions): FunctionHandler;

/** Functions handler for the PAM flow's IE_ENDPOINT. */
export function createReplyHandler(options?: ReplyHandlerOptions): FunctionHandler;

/** Functions handler for an external scheduler (cron): claim the due reminders and send them as
 *  REMIND executions. 200 `{ claimed, sent, skipped, retried, failed, storeErrors, more, codes? }`. */
export function createDueRemindersHandler(options?: DueRemindersHandlerOptions): FunctionHandler;

/** A `ReminderStore` on Twilio Sync (two Sync Maps, compare-and-set on revisions). */
export function createSyncReminderStore(options: {
  /** twilio-node, e.g. `context.getTwilioClient()`. */
  client: any;
  /** `IS` + 32 hex. */
  serviceSid: string;
  /** Map names `<prefix>-appointments` and `<prefix>-due` (default `ehr-bridge-reminders`). */
  prefix?: string;
  /** Another Sync origin (a local fake). */
  baseUrl?: string;
  /** Items per page when scanning for due reminders (default 50). */
  pageSize?: number;
}): ReminderStore;

/** The Sync store of the environment (`TWILIO_SYNC_SERVICE_SID`, `EHR_BRIDGE_SYNC_PREFIX`,
 *  `EHR_BRIDGE_SYNC_BASE_URL`), or null when no service is configured. */
export function syncReminderStoreFromContext(context: FunctionContext): ReminderStore | null;

/** The package API from `ehr-studio-bridge/slim`, instantiated from a private asset (once). */
export function loadApiFromAsset(
  assetPath?: string,
  runtime?: { getAssets(): Record<string, { path: string }> },
): typeof import("./ehr_studio_bridge_slim.cjs");

/** The EHR message in a Functions event: `hl7`, `hl7Base64`, `json`, else the merged fields as JSON text. */
export function eventPayload(
  event: FunctionEvent,
  ignoreKeys?: string[],
): { input: string | Uint8Array; via: "hl7" | "hl7Base64" | "json" | "fields" } | null;

/** The exact bodies the PAM widgets (template and `patchStudioFlow` variants) send for these fields. */
export function replyBodyCandidates(fields: Record<string, unknown>, api?: { replyBodyCandidates(fields: Record<string, unknown>): string[] }): string[];

/** `"/ehr_studio_bridge_bg.wasm"`: the asset key for `assets/ehr_studio_bridge_bg.private.wasm`. */
export const DEFAULT_WASM_ASSET: string;
