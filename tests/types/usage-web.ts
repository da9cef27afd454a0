// Type-checked against the installed package with moduleResolution "bundler" (what Vite/webpack
// users get: the `default` condition → the web build, with `init`).
import init, { errorCodes, initSync, version } from 'ehr-studio-bridge';
import type { ErrorCode, InitOutput, Input } from 'ehr-studio-bridge';
import * as web from 'ehr-studio-bridge/web';

export async function start(): Promise<string> {
  const out: InitOutput = await init();
  await init({ module_or_path: new URL('/ehr_studio_bridge_bg.wasm', 'https://app.example.invalid') });
  const codes: ErrorCode[] = errorCodes();
  const input: Input = new TextEncoder().encode('MSH|');
  return `${version()} ${codes.length} ${out.memory.buffer.byteLength} ${web.version()} ${input.length}`;
}

export function startSync(bytes: Uint8Array): string {
  initSync({ module: bytes });
  return version();
}

export async function wrongUse(): Promise<void> {
  // @ts-expect-error init() resolves to InitOutput, not a string
  const s: string = await init();
  // @ts-expect-error ErrorCode is a closed union
  const c: ErrorCode = 'NOT_A_CODE';
  void s;
  void c;
}
