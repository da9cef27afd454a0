// Type-checked (never run) against the INSTALLED package with moduleResolution node16 and nodenext,
// as an ES module (the consumer project is "type": "module"). See tests/js/types.test.mjs.
import { errorCodes, version } from 'ehr-studio-bridge';
import * as bridge from 'ehr-studio-bridge';
import type { EhrStudioBridgeError, ErrorCode, ErrorPosition, Input } from 'ehr-studio-bridge';

export const v: string = version();
export const codes: ErrorCode[] = errorCodes();
export const known: ErrorCode = 'HL7_NO_MSH';
// @ts-expect-error ErrorCode is a closed union generated from the Rust enum
export const unknownCode: ErrorCode = 'NOT_A_CODE';

export const text: Input = 'MSH|^~\\&|';
export const bytes: Input = new Uint8Array([0x4d]);
// @ts-expect-error input is a string or bytes
export const notInput: Input = 42;

// @ts-expect-error version() takes no arguments
version('x');

export function describe(e: unknown): string | undefined {
  if (e instanceof Error && e.name === 'EhrStudioBridgeError') {
    const err = e as EhrStudioBridgeError;
    const pos: ErrorPosition | undefined = err.position;
    const name: 'EhrStudioBridgeError' = err.name;
    return `${name} ${err.code} ${pos?.segment ?? ''}-${pos?.field ?? ''}`;
  }
  return undefined;
}

export const fns: Array<() => unknown> = [bridge.version, bridge.errorCodes];
