/** A mapping profile (see docs/profiles.md). Every key is optional; unknown keys are rejected. */
export interface Profile {
  preset?: string | null;
  sender?: {
    timeZone?: string | null;
    defaultCountry?: string | null;
    ambiguousTime?: "earlier" | "later";
  };
  hl7?: {
    fields?: { [key: string]: string | string[] };
    events?: { [key: string]: string };
    statusField?: string | null;
    confirmedStatuses?: string[];
    statusOverridesEvent?: boolean;
    appointmentId?: "filler" | "placer";
    patientIdTypes?: string[];
    patientIdAuthority?: string | null;
  };
  phones?: {
    allowWork?: boolean;
    allowLandline?: boolean;
    requireMobile?: boolean;
    callbackFormat?: "national" | "e164";
  };
  defaults?: {
    providerId?: string | null;
    providerFirstName?: string | null;
    providerLastName?: string | null;
    providerCallbackPhone?: string | null;
    appointmentLocation?: string | null;
  };
  filters?: {
    smsConsent?: {
      path?: string;
      values?: string[];
      whenMissing?: "skip" | "send";
    };
    facility?: {
      path?: string | null;
      allow?: string[];
      deny?: string[];
    };
    appointmentType?: {
      path?: string | null;
      allow?: string[];
      deny?: string[];
    };
    provider?: {
      path?: string | null;
      allow?: string[];
      deny?: string[];
    };
    location?: {
      path?: string | null;
      allow?: string[];
      deny?: string[];
    };
  };
  sanitize?: "repair" | "strict";
  studio?: {
    flowSid?: string;
    from?: string;
    baseUrl?: string | null;
  };
  reply?: ReplyConfig;
  fhir?: {
    timeZone?: string | null;
    firstName?: "official" | "usual";
    enteredInError?: "cancel" | "skip";
    patientId?: "id" | "identifier";
    patientIdSystem?: string | null;
    patientIdTypes?: string[];
    appointmentId?: "id" | "identifier";
    appointmentIdSystem?: string | null;
    appointmentIdTypes?: string[];
    providerIdSystem?: string | null;
    events?: { [key: string]: string };
    trustOffset?: boolean;
    callbackFrom?: ("practitionerRole" | "location" | "practitioner" | "organization")[];
    withoutPrevious?: "booked" | "fetch" | "skip";
  };
  redox?: {
    events?: { [key: string]: string };
    confirmedStatuses?: string[];
    patientIdTypes?: string[];
  };
  json?: {
    fields?: { [key: string]: string | string[] };
    events?: { [key: string]: string };
    eventTime?: string | string[];
    timeZone?: string | string[];
  };
  reminders?: {
    offsets?: string[];
    window?: {
      start?: string;
      end?: string;
      days?: ("mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun")[];
    };
    outsideWindow?: "earlier" | "later" | "drop";
    minNotice?: string;
    minSpacing?: string;
    lateGrace?: string;
    onConfirmed?: "keep" | "cancel";
    stockFlow?: boolean;
  };
}
