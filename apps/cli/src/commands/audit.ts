import type { Command } from 'commander';
import taskcluster from 'taskcluster-client';
import { serviceClient } from '../lib/clients.js';
import { loadConfig } from '../lib/credentials.js';
import { printJson, printTable, type OutputOptions } from '../lib/output.js';
import { EXIT, action } from '../lib/run.js';

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('read and verify the hash-chained audit log');

  audit
    .command('list <entityType> <entityId>')
    .description('the audit trail of one entity (client, role, secret, ...)')
    .option('--json', 'print JSON')
    .action(
      action(async (entityType: string, entityId: string, options: OutputOptions) => {
        const { client } = await serviceClient('Auth');
        const rows: Record<string, unknown>[] = [];
        let continuationToken: string | undefined;
        do {
          const page = await client.getEntityHistory!(
            entityType,
            entityId,
            continuationToken ? { continuationToken } : {},
          );
          rows.push(...(page.auditHistory as Record<string, unknown>[]));
          continuationToken = page.continuationToken as string | undefined;
        } while (continuationToken);
        if (options.json) return printJson(rows);
        printTable(rows, { seq: 'SEQ', created: 'WHEN', action: 'ACTION', clientId: 'BY' });
      }),
    );

  audit
    .command('verify')
    .description('recompute the whole hash chain (exit 1 if any link is broken)')
    .option('--json', 'print JSON')
    .action(
      action(async (options: OutputOptions) => {
        // verifyAuditLog is Bulwark's own endpoint: build a client from the served reference.
        const config = await loadConfig();
        const reference: unknown = await (
          await fetch(`${config.rootUrl}/api/auth/v1/reference`)
        ).json();
        const Auth = taskcluster.createClient(reference);
        const auth = new Auth({
          rootUrl: config.rootUrl,
          ...(config.credentials ? { credentials: config.credentials } : {}),
          retries: 2,
        });
        const result = (await auth.verifyAuditLog!()) as {
          ok: boolean;
          checked: number;
          brokenAt?: number;
        };
        if (options.json) printJson(result);
        else if (result.ok)
          process.stdout.write(`audit log intact: ${result.checked} entries verified\n`);
        else
          process.stdout.write(
            `audit log BROKEN at entry ${result.brokenAt} (${result.checked} verified before it)\n`,
          );
        if (!result.ok) process.exitCode = EXIT.failure;
      }),
    );
}
