// Types for ehr-studio-bridge/engine (hand-written; the implementation is dist/engine/*.cjs).
// See docs/engine.md for the guarantees, the store schema and every option.

// Self-contained: no Node or DOM lib types are needed to use them.

/** A bound listener address (what node:net reports). */
export interface AddressInfo {
  address: string;
  family: string;
  port: number;
}

/** JSON-line log sink. Fields are codes, counts, durations, SIDs and hashes — never message content. */
export interface EngineLogger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/** A job of the generic durable queue. */
export interface Job {
  id: number;
  /** e.g. `"studio.execution"`, `"ehr.reply"`. */
  kind: string;
  /** Unique per kind: a second job with the same key is not created. */
  idemKey: string;
  /** Ordering key: a job runs only when it is the oldest unfinished job of its lane. */
  lane: string;
  state: "queued" | "running" | "retrying" | "done" | "dead";
  /** Epoch ms: not before. */
  dueAt: number;
  attempts: number;
  /** Handler-specific (may hold PHI: never log it). */
  payload: any;
  /** Handler-private state kept across attempts. */
  meta: any;
  resultCode: string | null;
  result: any;
  createdAt: number;
  updatedAt: number;
  attemptStartedAt: number | null;
  /** Set when an earlier attempt may have had its effect without us recording it: reconcile first. */
  doubtAt: number | null;
}

export interface NewJob {
  kind: string;
  idemKey: string;
  lane: string;
  payload: unknown;
  /** Epoch ms (default: now). */
  dueAt?: number;
}

/** What a handler decides after an attempt. */
export type Outcome =
  | { status: "done"; code: string; result?: unknown; meta?: unknown }
  | { status: "retry"; code: string; delayMs: number; inDoubt?: boolean; result?: unknown; meta?: unknown }
  | { status: "dead"; code: string; inDoubt?: boolean; result?: unknown; meta?: unknown }
  | { status: "release"; delayMs?: number };

export interface JobContext {
  /** False when our heartbeat is late: do not start an external call (another engine may take the job). */
  alive(): boolean;
  /** An AbortSignal, aborted when a graceful stop runs out of time. */
  signal: { readonly aborted: boolean; addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void };
  logger: EngineLogger;
}

/** A job kind's handler (the worker claims jobs of the kinds it has handlers for). */
export interface Handler {
  kind: string;
  /** Attempts of this kind in flight at once, per engine. */
  concurrency: number;
  run(job: Job, ctx: JobContext): Promise<Outcome>;
}

export interface IngestItem {
  receivedAt: number;
  source: string;
  controlId: string | null;
  raw: Uint8Array;
  outcome: "queued" | "skipped" | "rejected";
  code: string | null;
  job?: NewJob;
  /** The reminders this message's event plans, applied in the same transaction. */
  remind?: RemindPlanning;
}

/** Plan one appointment's reminders inside the ingest transaction (docs/engine.md, "Reminders"). */
export interface RemindPlanning {
  /** `ak1-…` (the core's `planReminders(…).appointmentKey`). */
  appointmentKey: string;
  /** The engine clock (epoch ms) the plan is made at. */
  now: number;
  /** The core's `planReminders` against the stored reminders of the key (synchronous). */
  plan(existing: { id: string; status: string; appointmentStartMs?: number }[]): any;
}

/** What a plan did: counts per action, the plan code, or the error code when planning failed. */
export interface PlanSummary {
  appointmentKey: string;
  code?: string;
  actions: Record<string, number>;
  error?: string;
}

/** A stored reminder without its snapshot (PHI). */
export interface ReminderRow {
  /** `rm1-…` (a hash: no PHI). */
  id: string;
  appointmentKey: string;
  /** Effective: a queued reminder is `claimed` until its `remind` job finishes, then `sent`, `skipped` (too late at send time) or `failed` (dead-lettered). */
  status: "pending" | "claimed" | "sent" | "skipped" | "canceled" | "failed";
  /** The skip / cancel / failure code (`REMIND_TOO_LATE`, `REMIND_APPOINTMENT_CANCELED`…). */
  code: string | null;
  /** What the row says: `pending`, `queued` (handed to job `jobId`), `skipped`, `canceled`, `failed`. */
  storedStatus: string;
  /** Engine clock, epoch ms. */
  dueAt: number | null;
  notAfter: number | null;
  appointmentStart: number | null;
  jobId: number | null;
  jobState: string | null;
  updatedAt: number;
}

/** What the scheduler decides for a due reminder (inside the claim transaction). */
export type RemindDecision =
  | { action: "send"; job: NewJob }
  | { action: "skip" | "fail"; code: string }
  | { action: "wait"; untilMs: number };

export interface RemindClaim {
  id: string;
  appointmentKey: string;
  action: "queued" | "skipped" | "failed" | "wait";
  code?: string;
  jobId?: number;
}

export interface IngestResult {
  messageId: number;
  jobId: number | null;
  duplicate: boolean;
  jobState: string | null;
  reminders?: PlanSummary;
}

export interface WorkerInfo {
  id: string;
  role: string;
  host: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
}

/** The store both backends implement (SQLite: one engine; Postgres: several). */
export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** `better-sqlite3`, `node:sqlite` or `pg`. */
  readonly driver: string;
  /** File path, or `postgres://host/db` (no credentials). */
  readonly location: string;
  readonly multiReplica: boolean;
  /** Messages and their jobs in ONE transaction (ACK after it resolves). */
  ingest(items: IngestItem[]): Promise<IngestResult[]>;
  enqueue(job: NewJob): Promise<{ id: number; created: boolean; state: string }>;
  claim(o: { owner: string; kinds: string[]; limit: number; leaseMs?: number }): Promise<Job[]>;
  /** Record an outcome; false when `owner` no longer holds the job. */
  finish(id: number, owner: string, outcome: Outcome): Promise<boolean>;
  /** Jobs of dead workers back to `retrying`, in doubt. */
  recover(deadAfterMs: number): Promise<{ id: number; kind: string }[]>;
  heartbeat(w: { id: string; role: string; host: string; pid: number }): Promise<void>;
  liveWorkers(self: string, deadAfterMs: number): Promise<WorkerInfo[]>;
  retire(id: string, deadAfterMs: number): Promise<void>;
  takeTokens(name: string, want: number, rate: number, burst: number): Promise<{ granted: number; waitMs: number }>;
  nextDue(kinds: string[]): Promise<number | null>;
  counts(): Promise<{
    jobs: { kind: string; state: string; code: string | null; n: number }[];
    messages: { outcome: string; code: string | null; n: number }[];
    oldestPendingAt: number | null;
  }>;
  /** Jobs without payload, newest first. */
  listJobs(f: { state?: string; kind?: string; code?: string; ids?: number[]; limit?: number }): Promise<Omit<Job, "payload" | "meta">[]>;
  getJob(id: number): Promise<Job | null>;
  deadIds(f: { kind?: string; code?: string; ids?: number[] }): Promise<number[]>;
  requeue(ids: number[]): Promise<number>;
  purge(before: number): Promise<{ messages: number; jobs: number; reminders: number }>;
  /** Claim pending reminders due at `now` (engine clock) and settle each as `decide` says, in one transaction (SKIP LOCKED on Postgres). */
  claimReminders(o: { now: number; limit: number; decide(reminder: any): RemindDecision }): Promise<RemindClaim[]>;
  /** The earliest pending reminder's due instant (engine clock), or null. */
  nextReminderDue(): Promise<number | null>;
  listReminders(f: { appointmentKey?: string; ids?: string[]; limit?: number }): Promise<ReminderRow[]>;
  reminderCounts(): Promise<{ status: string; code: string | null; n: number }[]>;
  /**
   * Postgres only: call `fn` whenever a transaction of any replica queued work (LISTEN/NOTIFY), so
   * idle replicas claim it at once rather than at their next poll. Returns the unsubscribe.
   */
  subscribe?(fn: () => void): () => void;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** The better-sqlite3 module (default: `require("better-sqlite3")`, else node:sqlite). */
  sqlite?: unknown;
  /** The pg module (default: `require("pg")`). */
  pg?: unknown;
  sqliteDriver?: "better-sqlite3" | "node:sqlite";
  /** SQLite `synchronous` (default `"full"`: every commit is fsynced before the ACK). */
  synchronous?: "full" | "normal";
  poolSize?: number;
  now?: () => number;
}

export interface DeliveryOptions {
  /** Concurrent Studio calls per engine (default 8). */
  concurrency?: number;
  /** Executions per second per account, shared by all engines on a Postgres store (default 20). */
  ratePerSecond?: number;
  /** Tokens that may be spent at once (default 1: never more than `ratePerSecond` creates in any second). */
  burst?: number;
  /** 409: wait and retry in order (default), or end the contact's execution once it is older than `staleAfterMs`. */
  onConflict?: "wait" | "end-stale";
  /** Wait after a 409 (default 30000). */
  conflictWaitMs?: number;
  /** Default 150000 (PAM's 120 s reply window + margin). */
  staleAfterMs?: number;
  /** 409 waits before dead-lettering STUDIO_EXECUTION_ACTIVE_TOO_LONG (default 120). */
  maxConflictWaits?: number;
  /** Attempts before RETRIES_EXHAUSTED (default 25). */
  maxAttempts?: number;
  /** Clock allowance of the reconciliation window (executions created from the doubtful attempt
   *  minus this to `reconcileAfterMs` plus this after it; default 60000). */
  reconcileSkewMs?: number;
  /** Reconcile an in-doubt job only this long after its doubtful attempt began (default 30000; must
   *  exceed the Twilio request timeout, so the doubtful request can no longer be processed). */
  reconcileAfterMs?: number;
  backoff?: { rateLimitedMs?: number; serverErrorMs?: number; networkMs?: number; capMs?: number };
}

export interface ReplyOptions {
  /** `"hl7"`: SRM^S03/S04 over MLLP to `ehrMllp`; `"fhir"`: the profile's `reply.fhir` write. */
  target?: "hl7" | "fhir";
  /** `"signature"` (default): X-Twilio-Signature + bodySHA256; `"none"` only behind another gate. */
  verify?: "signature" | "none";
  /** The EHR's MLLP listener; `tls`: MLLP over TLS (see {@link EhrTlsOptions}). */
  ehrMllp?: { host: string; port: number; tls?: boolean | EhrTlsOptions };
  /** Per EHR call (default 15000). */
  timeoutMs?: number;
  maxAttempts?: number;
  backoffMs?: number;
  capMs?: number;
  /** FHIR: fetch implementation and the token for `<access_token>` (default env EHR_FHIR_ACCESS_TOKEN). */
  fetch?: unknown;
  accessToken?: () => string | Promise<string>;
}

/**
 * MLLP over TLS to the EHR (`replies.ehrMllp.tls`; `true` = `{}`: node's default trust store).
 * `ca`, `cert` and `key` are PEM **file paths** (strings), read and checked once when the engine is
 * created, or the PEM bytes themselves (a Buffer / Uint8Array, e.g. from a secret store); PEM text
 * in a string is refused (a string is a path). Other node:tls options are refused
 * (`ENGINE_BAD_OPTION`). Unreadable file: `ENGINE_TLS_FILE_UNREADABLE`; not PEM, or a key that is
 * not the certificate's: `ENGINE_TLS_INVALID`. At run time a failed handshake is `EHR_TLS_ERROR`
 * (its job result carries `tlsCode`, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`), retried like
 * `EHR_UNREACHABLE`.
 */
export interface EhrTlsOptions {
  /** The CA(s) that sign the EHR's certificate, trusted instead of the default store. */
  ca?: string | Uint8Array;
  /** Our client certificate (mutual TLS); needs `key`. */
  cert?: string | Uint8Array;
  /** Its private key (unencrypted PEM); needs `cert`. */
  key?: string | Uint8Array;
  /** The DNS name the EHR's certificate must carry, also sent as SNI (default: `host`). */
  servername?: string;
  /** Default true. `false` accepts any certificate: tests only (the engine logs EHR_TLS_UNVERIFIED). */
  rejectUnauthorized?: boolean;
}

export interface TlsFiles {
  /** PEM file paths. With `ca`, clients must present a certificate signed by it. */
  cert?: string;
  key?: string;
  ca?: string;
}

export interface EngineOptions {
  /** The profile (object or JSON text); needs a `studio` section. */
  profile: object | string;
  /** `PATH`, `sqlite:PATH` or `postgres://…`, or an opened Store. */
  store: string | Store;
  storeOptions?: StoreOptions;
  /** The package API (default `require("ehr-studio-bridge")`). */
  api?: unknown;
  /** Default: JSON lines on stdout; `false` disables logs. */
  logger?: EngineLogger | false;
  logLevel?: LogLevel;
  mllp?: { port: number; host?: string; tls?: TlsFiles; maxMessageBytes?: number } | false;
  http?: { port: number; host?: string; tls?: TlsFiles; replyPath?: string; publicUrl?: string } | false;
  /** A twilio-node client, or credentials (an API key is recommended; `authToken` also verifies replies). */
  twilio?: { client?: unknown; twilio?: unknown; accountSid?: string; apiKey?: string; apiSecret?: string; authToken?: string; timeoutMs?: number };
  /** `false`: accept and store only (no Studio calls from this engine). */
  delivery?: DeliveryOptions | false;
  replies?: ReplyOptions | false;
  /** `false`: no worker at all (accept only). */
  worker?: { pollMs?: number; heartbeatMs?: number; deadAfterMs?: number; retainDays?: number } | false;
  /** MSH-3 / MSH-4 of our ACKs when the inbound MSH-5 / MSH-6 are empty. */
  ack?: { application?: string; facility?: string };
  /**
   * The REMIND scheduler (on when the profile has a `reminders` section and this engine delivers).
   * `false`: plan only (another engine on the same Postgres store sends).
   */
  reminders?: ReminderOptions | false;
  /**
   * The engine clock (epoch ms; default `Date.now`): reminders are planned, claimed and stamped by
   * it. A simulation moves it and calls `engine.wake()`. Leases, heartbeats and backoff keep the
   * process clock.
   */
  now?: () => number;
}

export interface ReminderOptions {
  /** The longest the scheduler sleeps (default 30000); it also wakes for the next due reminder, new plans and `wake()`. */
  tickMs?: number;
  /** Reminders claimed per transaction (default 50). */
  batch?: number;
  /** REMIND calls in flight per engine (default 4). */
  concurrency?: number;
}

export interface ReminderStatus {
  total: number;
  pending: number;
  /** In the delivery queue. */
  claimed: number;
  sent: number;
  skipped: number;
  canceled: number;
  failed: number;
  skippedByCode: Record<string, number>;
  canceledByCode: Record<string, number>;
  failedByCode: Record<string, number>;
  /** Engine clock, epoch ms. */
  nextDueAt: number | null;
}

/** What happened to one inbound message. */
export interface AcceptResult {
  /** The ACK to send (CR-separated), or null when MSH-15/16 ask for none. */
  ack: string | null;
  ackCode: "AA" | "AE" | "AR" | "CA" | "CE" | "CR" | string;
  outcome: "queued" | "duplicate" | "skipped" | "rejected" | "failed";
  /** Skip code (`SKIP_NO_MOBILE_PHONE`…) or error code. */
  code: string | null;
  messageId: number | null;
  jobId: number | null;
  idempotencyKey: string | null;
}

export interface KindStatus {
  queued: number;
  inFlight: number;
  retrying: number;
  waitingForActiveExecution: number;
  sent: number;
  deadLettered: number;
  retryingByCode: Record<string, number>;
  deadByCode: Record<string, number>;
  sentByCode: Record<string, number>;
}

export interface Status {
  store: { kind: string; driver: string; location: string };
  jobs: Record<string, KindStatus>;
  messages: { total: number; queued: number; duplicate: number; skipped: Record<string, number>; rejected: Record<string, number> };
  oldestPendingAgeMs: number | null;
  engines: { id: string; role: string; host: string; pid: number; heartbeatAgeMs: number }[];
  reminders: ReminderStatus;
}

export interface Engine {
  readonly store: Store;
  readonly logger: EngineLogger;
  /** The effective profile. */
  readonly profile: any;
  readonly metrics: { render(extra?: string): string; get(name: string, labels?: Record<string, string>): number };
  /** Map, store, acknowledge one HL7 message (bytes as received, or text decoded by a host server). */
  accept(input: string | Uint8Array, options?: { source?: string }): Promise<AcceptResult>;
  status(): Promise<Status>;
  /** Add a job kind before `start()` (e.g. a reminder scheduler). */
  addHandler(handler: Handler): void;
  /** A job may be runnable now, or the clock moved: the worker and the reminder scheduler look again. */
  wake(): void;
  start(): Promise<{ mllp?: AddressInfo; http?: AddressInfo }>;
  /** Stop accepting, ACK what was received, finish in-flight deliveries (up to graceMs), close. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

export function createEngine(options: EngineOptions): Promise<Engine>;

/** Open (create, migrate) a store: `PATH`, `sqlite:PATH`, `postgres://…`. */
export function openStore(spec: string, options?: StoreOptions): Promise<Store>;

export function storeStatus(store: Store, options?: { deadAfterMs?: number }): Promise<Status>;
export function formatStatus(status: Status): string;

/** Dead letters back to the queue, in batches of 100; `progress(done, total)` after each. */
export function replayDeadLetters(
  store: Store,
  filter: { kind?: string; code?: string; ids?: number[] },
  progress?: (done: number, total: number) => void,
): Promise<{ ids: number[]; requeued: number }>;

/** The lane of a Studio execution for a From/To pair (hashed). */
export function studioLane(from: string, to: string): string;

/** node-hl7-server: `server.createInbound({ port }, nodeHl7ServerHandler(engine))`. */
export function nodeHl7ServerHandler(engine: Pick<Engine, "accept">): (
  req: { getMessage(): { toString(): string } },
  res: { sendResponse(code: string): Promise<void> | void },
) => Promise<void>;

/** @medplum/hl7: `new Hl7Server(medplumHl7Handler(engine)).start(port)`. */
export function medplumHl7Handler(
  engine: Pick<Engine, "accept">,
  options?: { onError?: (e: unknown) => void },
): (connection: { addEventListener(type: "message", listener: (event: { message: any }) => void): void; send(reply: any): void }) => void;

export function createLogger(options?: { level?: LogLevel; write?: (line: string) => void; base?: Record<string, unknown> }): EngineLogger;

/** `"studio.execution"`: Studio executions (events now, REMIND later). */
export const STUDIO_KIND: string;
/** `"ehr.reply"`: patient replies to the EHR. */
export const REPLY_KIND: string;
/** `"remind"`: REMIND executions (idempotency key = the reminder id). */
export const REMIND_KIND: string;

/** A clock read from a file (epoch ms or ISO 8601), polled every `pollMs` (default 20): `serve --clock-file`. */
export function fileClock(file: string, options?: { pollMs?: number }): { now(): number; onChange(listener: () => void): void; close(): void };
