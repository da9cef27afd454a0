// Type-checked against the installed package as CommonJS (node16 / nodenext): what a Twilio Function
// written in TypeScript sees.
import bridge = require('ehr-studio-bridge');
import type { ErrorCode, Input } from 'ehr-studio-bridge';

const v: string = bridge.version();
const codes: ErrorCode[] = bridge.errorCodes();
const input: Input = 'MSH|';

export = { v, codes, input };
