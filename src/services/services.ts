/**
 * The dependencies resolvers reach through the context. Built once by createApp.
 */
import type { Db } from '../db/database.js';

export interface Services {
  prisma: Db;
  tokenSecret: string;
  tokenTtlSeconds: number;
  maxBatchSize: number;
}
