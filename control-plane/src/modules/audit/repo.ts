import { sql } from 'slonik';
import type { Db } from '../../infra/db.js';

export interface AuditEntry {
  userId: string | null;
  action: string;
  resourceType?: string;
  resourceId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  metadata?: Record<string, string | number | boolean | null>;
}

/** Audit rows: who did what to which resource. Never passwords, tokens or code. */
export function createAuditRepo(db: Db) {
  return {
    async record(e: AuditEntry): Promise<void> {
      await db.query(sql.unsafe`
        INSERT INTO audit_logs (user_id, action, resource_type, resource_id, ip_address, user_agent, metadata)
        VALUES (${e.userId}, ${e.action}, ${e.resourceType ?? null}, ${e.resourceId ?? null},
                ${e.ip ?? null}, ${e.userAgent ?? null}, ${e.metadata ? sql.jsonb(e.metadata) : null})`);
    },
  };
}

export type AuditRepo = ReturnType<typeof createAuditRepo>;
