// The record format's public names in one place (kept for the modules and tests that import them
// from here): the draft, the encoder and the winston format now live one job a file.

export { JsonText } from './record-draft.js';
export type { LogMeta, RecordDraft } from './record-draft.js';
export { RecordEncoder } from './encoder.js';
export type { EncoderOptions } from './encoder.js';
export { WINSTON_LEVEL_RANKS, encodedInfo, loglaneFormat } from './winston-format.js';
export type { LoglaneFormatOptions } from './winston-format.js';
