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

export interface EventHandlerOptions extends AdapterOptions {
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

/** Functions handler for EHR events: 201 created, 200 skipped/duplicate, 4xx input, 409/429/5xx Twilio. */
export function createEventHandler(options?: EventHandlerOptions): FunctionHandler;

/** Functions handler for the PAM flow's IE_ENDPOINT. */
export function createReplyHandler(options?: ReplyHandlerOptions): FunctionHandler;

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
