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
}
