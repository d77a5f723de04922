import { CATALOG_METHODS } from './catalog-methods.js';
import type { MethodEntry } from './context.js';
import { notifications } from './notifications.js';
import { PARTITION_METHODS } from './partition-methods.js';
import { STATISTICS_METHODS } from './statistics-methods.js';
import { TABLE_METHODS } from './table-methods.js';

export type { Ctx, MethodEntry } from './context.js';

/**
 * Every served method, each with the domain action it performs (named as the action catalog
 * names them) and the one place it calls the services. A method of the IDL missing here fails
 * the start-up check (and the tests); everything not in the IDL answers UNKNOWN_METHOD.
 */
export const METHODS: Record<string, MethodEntry> = {
  ...CATALOG_METHODS,
  ...TABLE_METHODS,
  ...PARTITION_METHODS,
  ...STATISTICS_METHODS,
  ...notifications,
};

/** The method table as the action catalog's start-up check reads it. */
export const metastoreEntries = () => Object.entries(METHODS).map(([name, e]) => ({ name, action: e.action }));
