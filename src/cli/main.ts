#!/usr/bin/env node
/**
 * The `sluice` command (SPEC 1.1): the REPL, `run`, `explain` and `bench`. Every error is
 * printed as a rendered SluiceError on stderr, without a stack trace, with exit status 1.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { renderError, SluiceError, toSluiceError } from '../errors.js';
// Commands load what they need when they run (dynamic import below): DuckDB, the parser,
// ink and the benches cost most of a second to load, which `--version` and `--help` never need.
import type { OutputFormat } from './run-command.js';
import { useSingleFileArrow } from '../exec/arrow-build.js';

// Before any command loads the engine (every load below is dynamic).
useSingleFileArrow();

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function fail(e: unknown, sql?: string): never {
  process.stderr.write(renderError(toSluiceError(e), sql) + '\n');
  process.exit(1);
}

function unknownCommand(program: Command, name: string): SluiceError {
  const names = program.commands.map((c) => c.name());
  return new SluiceError('ARGUMENT', `unknown command '${name}' (commands: ${names.join(', ')}, help; see sluice --help)`);
}

async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name('sluice')
    .description('An embedded streaming SQL engine: windows, watermarks and incremental views over Arrow, state in DuckDB.')
    .version(version(), '-v, --version')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('run')
    .description('run SQL files in batch: statements in order, bounded sources read to their end')
    .argument('<files...>', 'SQL files')
    .option('--db <file>', 'keep state in this DuckDB file')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'jsonl', 'csv']).default('table'))
    .option('--changelog', 'print the change stream of each SELECT (with an op column) instead of its final result')
    .option('--output <file>', 'write results to this file instead of stdout')
    .option('--strict', 'exit with status 1 when any event went to the dead letters or arrived late')
    .option('--group <name>', 'run as a member of this scale-out group: the members split the partitions of the nats sources')
    .option('--servers <url>', 'with --group: NATS servers of the group (default: those of the first nats source)')
    .action(async (files: string[], opts: { db?: string; format: OutputFormat; changelog?: boolean; output?: string; strict?: boolean; group?: string; servers?: string }) => {
      if (opts.group !== undefined) {
        const { runGroupMember } = await import('../group/group-member.js');
        await runGroupMember(files, { group: opts.group, db: opts.db, servers: opts.servers });
        return;
      }
      const { describeSetAside, runFiles } = await import('./run-command.js');
      const report = await runFiles(files, { db: opts.db, format: opts.format, changelog: opts.changelog === true, output: opts.output });
      const warnings = describeSetAside(report);
      for (const w of warnings) process.stderr.write(w + '\n');
      if (opts.strict === true && warnings.length > 0) process.exitCode = 1;
    });

  program
    .command('explain')
    .description('print the logical plan of each query in a SQL file')
    .argument('<file>', 'SQL file')
    .action(async (file: string) => {
      const { explainFile } = await import('./explain-command.js');
      await explainFile(file);
    });

  program
    .command('repl', { isDefault: true })
    .description('the interactive shell (the default command)')
    .option('--db <file>', 'keep state in this DuckDB file')
    // A word left over here is a command that does not exist (`sluice frob`), not an argument of repl.
    .allowExcessArguments(true)
    .action(async (opts: { db?: string }, cmd: Command) => {
      if (cmd.args.length > 0) throw unknownCommand(program, cmd.args[0]!);
      const { startRepl } = await import('../../repl/start.js');
      await startRepl({ db: opts.db });
    });

  program
    .command('bench')
    .description('benchmarks')
    .argument('<suite>', "the benchmark suite: 'nexmark', 'state' (durability costs), 'latency' (insert, read-your-writes, start-up) or 'nats' (JetStream, scale-out groups)")
    .option('--query <q>', 'run one query (q0 … q22, or an extra benchmark name)')
    .option('--events <n>', 'events per run (latency: events behind the view, default 1M)', (v) => Number(v))
    .option('--json', 'print one JSON object per query')
    .option('--state-only', "nexmark: views feed a blackhole sink, so peak RSS is the operators' state alone")
    .option('--runs <n>', 'nexmark: timed runs per query and engine, the median counts (default 3)', (v) => Number(v))
    .option('--warmup <n>', 'nexmark: untimed runs per query and engine before the timed ones (default 0)', (v) => Number(v))
    .action(async (suite: string, opts: { query?: string; events?: number; json?: boolean; stateOnly?: boolean; runs?: number; warmup?: number }) => {
      if (suite === 'state') {
        const { runStateBench } = await import('../bench/state-bench.js');
        await runStateBench({ json: opts.json === true, events: opts.events });
        return;
      }
      if (suite === 'latency') {
        const { runLatencyBench } = await import('../bench/latency-bench.js');
        await runLatencyBench({ json: opts.json === true, events: opts.events });
        return;
      }
      if (suite === 'nats') {
        const { runNatsBench } = await import('../bench/nats-bench.js');
        await runNatsBench({ json: opts.json === true, events: opts.events });
        return;
      }
      if (suite !== 'nexmark') {
        throw new SluiceError('ARGUMENT', `unknown benchmark '${suite}': try 'sluice bench nexmark', 'sluice bench state', 'sluice bench latency' or 'sluice bench nats'`);
      }
      const { runNexmarkBench } = await import('../bench/nexmark-bench.js');
      await runNexmarkBench({ query: opts.query, events: opts.events, json: opts.json === true, stateOnly: opts.stateOnly === true, runs: opts.runs, warmup: opts.warmup });
    });

  const group = program.command('group').description('scale-out groups on NATS JetStream: status and delete');
  group
    .command('status')
    .description("a group's members, and each partition's owner, lag and watermark")
    .argument('<name>', 'the group')
    .option('--servers <url>', 'NATS servers (default: $NATS_URL, else nats://127.0.0.1:4222)')
    .option('--json', 'print one JSON object')
    .action(async (name: string, opts: { servers?: string; json?: boolean }) => {
      const { groupServers } = await import('../group/group-names.js');
      const { groupStatus, renderGroupStatus } = await import('../group/group-status.js');
      const s = await groupStatus(name, groupServers(opts.servers));
      process.stdout.write((opts.json === true ? JSON.stringify(s) : renderGroupStatus(s)) + '\n');
    });
  group
    .command('delete')
    .description('remove every stream, bucket and consumer the group keeps in JetStream')
    .argument('<name>', 'the group')
    .option('--servers <url>', 'NATS servers (default: $NATS_URL, else nats://127.0.0.1:4222)')
    .action(async (name: string, opts: { servers?: string }) => {
      const { groupServers } = await import('../group/group-names.js');
      const { deleteGroup } = await import('../group/group-delete.js');
      const removed = await deleteGroup(name, groupServers(opts.servers));
      process.stdout.write(removed.length === 0 ? `group ${name}: nothing to delete\n` : removed.map((r) => `deleted ${r}`).join('\n') + '\n');
    });

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exit(e.exitCode);
    }
    throw e;
  }
}

// A closed pipe (`sluice run q.sql | head`) ends the output quietly, as Unix tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv).catch((e) => fail(e));
