/** Vector kernels: selection, gathering, concatenation and the key hash table. */
export * from './columns.js';
export { gather, gatherOne } from './gather.js';
export { concatColumns } from './concat.js';
export { KeyTable } from './key-table.js';
export { Utf8Builder } from './utf8-builder.js';
