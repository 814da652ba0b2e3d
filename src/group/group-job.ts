/**
 * A job file as a scale-out group runs it: checked once, then rewritten into one script
 * per partition. Partition p's script reads only subject `<prefix>.<p>` of each nats source
 * through its own durable consumer, and its sinks keep per-partition positions (postgres)
 * or per-partition message ids (nats), so each partition's pipeline is self-contained and
 * any member can run it from its last snapshot.
 */
import { dirname, resolve } from 'node:path';
import { parseIntervalText } from '../catalog/interval-text.js';
import type { Statement } from '../../grammar/ast.js';
import { ScriptChecker } from '../engine/script-check.js';
import { readScript } from '../cli/run-command.js';
import { SluiceError, toSluiceError, type Span } from '../errors.js';
import { partitionConsumer, type GroupNames } from './group-names.js';
import { keyColumns, type SplitContext } from './partition-split.js';

/** A nats source of the job. */
export interface GroupSource {
  readonly name: string;
  readonly stream: string;
  readonly servers: string;
  /** The subject without its partition token (`orders` of `orders.*`). */
  readonly subjectPrefix: string;
  /** Watermark delay, to report the partition's watermark from its largest event time. */
  readonly delayMs: number | null;
}

export interface GroupJob {
  readonly sources: readonly GroupSource[];
  /** The partition count every source shares. */
  readonly partitions: number;
  /** How often each partition's pipeline checkpoints and uploads a snapshot (ms). */
  readonly checkpointMs: number;
  /** The files' texts for partition p, with the folder relative paths resolve against. */
  scripts(p: number, incarnation: string): { sql: string; baseDir: string }[];
}

/** Default snapshot interval of a group job (`SET checkpoint_interval` overrides it). */
const DEFAULT_CHECKPOINT_MS = 1000;

function quote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: (p: number, incarnation: string) => string;
}

function refuseAt(message: string, span: Span): SluiceError {
  return new SluiceError('UNSUPPORTED', message, { span });
}

/** Checks the job's files for a group and prepares the per-partition rewrite. */
export async function planGroupJob(files: readonly string[], names: GroupNames): Promise<GroupJob> {
  const texts = files.map((f) => ({ sql: readScript(f), baseDir: dirname(resolve(f)) }));
  const edits: Edit[][] = texts.map(() => []);
  const sources: GroupSource[] = [];
  const sourceKey = new Map<string, number | null>();
  const viewKey = new Map<string, Set<number>>();
  const ctx: SplitContext = { sourceKey, viewKey };
  let partitions: number | null = null;
  let checkpointMs = DEFAULT_CHECKPOINT_MS;
  const checker = await ScriptChecker.open();
  try {
    for (const [fi, file] of texts.entries()) {
      await checker.check(file.sql, {
        baseDir: file.baseDir,
        connectorOptions: true,
        onStatement: (s) => {
          const b = s.bound;
          const st = s.item.kind === 'statement' ? s.item.statement : null;
          const span = st?.span ?? { start: s.item.start, end: s.item.start + 1, line: s.line, column: 1 };
          if (b === null) throw refuseAt('a DuckDB query cannot run in a scale-out group job: its results go to sinks', span);
          switch (b.kind) {
            case 'CreateSource': {
              const def = b.def;
              if (def.connector !== 'nats') {
                throw refuseAt(`source '${def.name}' ${def.connector === 'none' ? 'is fed by INSERT' : `reads connector '${def.connector}'`}: in a scale-out group every source is a nats source whose partitions the members split`, span);
              }
              const subject = String(def.options['subject']);
              const n = def.options['partitions'];
              if (!subject.endsWith('.*') || typeof n !== 'number') {
                throw refuseAt(`source '${def.name}' needs subject = '<prefix>.*' and partitions = N in a scale-out group: the members split its partitions`, span);
              }
              if (partitions !== null && partitions !== n) {
                throw refuseAt(`source '${def.name}' has ${n} partitions and another source ${partitions}: the sources of a group job must be co-partitioned (the same partition count)`, span);
              }
              partitions = n;
              const key = def.options['key'];
              const k = key === undefined ? -1 : def.columns.findIndex((c) => c.name.toLowerCase() === String(key).toLowerCase());
              sourceKey.set(def.name, k < 0 ? null : k);
              sources.push({
                name: def.name,
                stream: String(def.options['stream']),
                servers: String(def.options['servers'] ?? 'nats://127.0.0.1:4222'),
                subjectPrefix: subject.slice(0, -2),
                delayMs: def.watermark?.delayMs ?? null,
              });
              const opts = (st as Extract<Statement, { kind: 'CreateSource' }>).options;
              const subj = opts.find((o) => o.key === 'subject')!;
              const prefix = subject.slice(0, -2);
              edits[fi]!.push({ start: subj.span.start, end: subj.span.end, text: (p) => `subject = ${quote(`${prefix}.${p}`)}` });
              const last = opts[opts.length - 1]!.span.end;
              edits[fi]!.push({ start: last, end: last, text: (p) => `, consumer = ${quote(partitionConsumer(names, def.name, p))}` });
              return;
            }
            case 'CreateView': {
              if (!b.def.materialized) return;
              try {
                viewKey.set(b.def.name, keyColumns(b.plan, ctx, `view '${b.def.name}'`));
              } catch (e) {
                throw withSpan(e, span);
              }
              return;
            }
            case 'CreateSink': {
              if (!sourceKey.has(b.def.from) && !viewKey.has(b.def.from)) {
                throw refuseAt(`sink '${b.def.name}' reads '${b.def.from}', which is not a materialized view or source split by partition`, span);
              }
              const opts = (st as Extract<Statement, { kind: 'CreateSink' }>).options;
              const last = opts[opts.length - 1]!.span.end;
              const sink = b.def.name;
              if (b.def.connector === 'nats') {
                edits[fi]!.push({ start: last, end: last, text: (p, inc) => `, msg_id_prefix = ${quote(`${names.group}.${inc}.${sink}.${p}`)}` });
              } else if (b.def.connector === 'postgres') {
                edits[fi]!.push({ start: last, end: last, text: (p) => `, partition = ${quote(String(p))}` });
              } else if (b.def.connector !== 'blackhole') {
                throw refuseAt(`sink '${sink}' writes connector '${b.def.connector}': a group's sinks are nats, postgres or blackhole, which every member can write exactly once`, span);
              }
              return;
            }
            case 'Set':
              if (b.name === 'checkpoint_interval') {
                const ms = typeof b.value === 'number' ? b.value : parseIntervalText(String(b.value));
                if (ms !== undefined && ms > 0) checkpointMs = ms;
              }
              return;
            case 'StreamQuery':
            case 'Subscribe':
            case 'PullQuery':
              throw refuseAt('a query cannot print its results in a scale-out group job (each member holds only its partitions): write them to a sink', span);
            case 'Insert':
              throw refuseAt('INSERT cannot run in a scale-out group job: its events come from nats sources', span);
            case 'Drop':
            case 'AlterSource':
            case 'Rebuild':
              throw refuseAt(`${s.label} cannot run in a scale-out group job: every member runs the same job, and its state lives per partition`, span);
            default:
              return;
          }
        },
      });
    }
  } finally {
    checker.close();
  }
  if (partitions === null) throw new SluiceError('UNSUPPORTED', `a scale-out group job needs a nats source with partitions = N: there is nothing to split`);
  const count: number = partitions;
  return {
    sources,
    partitions: count,
    checkpointMs,
    scripts: (p, incarnation) =>
      texts.map((t, i) => {
        let sql = t.sql;
        for (const e of [...edits[i]!].sort((a, b) => b.start - a.start)) sql = sql.slice(0, e.start) + e.text(p, incarnation) + sql.slice(e.end);
        return { sql, baseDir: t.baseDir };
      }),
  };
}

function withSpan(e: unknown, span: Span): SluiceError {
  const err = toSluiceError(e);
  if (err.line !== undefined) return err;
  return new SluiceError(err.code, err.message, { span });
}
