/**
 * A job file as a scale-out group runs it: checked once, then rewritten into one script
 * per task. Partition p's script reads only subject `<prefix>.<p>` of each nats source
 * through its own durable consumer, and its sinks keep per-partition positions (postgres)
 * or per-partition message ids (nats), so each partition's pipeline is self-contained and
 * any member can run it from its last snapshot.
 *
 * When the declared keys do not key every stateful query (repartition-keys.ts), the job
 * runs in two stages, as Kafka Streams splits a topology at a repartition topic: partition
 * p's script is then only the sources and one nats sink per source, publishing its rows to
 * `sluice_<group>_<source>_repart.<q>.<p>` (q: a hash of the repartition column) with
 * message ids numbered per upstream partition, so a replay after a crash is deduplicated;
 * repartition partition q's script is the whole job with each source reading
 * `…_repart.<q>.*` (`repartition = true`: the upstream partitions hold its watermark).
 */
import { dirname, resolve } from 'node:path';
import { parseIntervalText } from '../catalog/interval-text.js';
import type { Statement } from '../../grammar/ast.js';
import { ScriptChecker } from '../engine/script-check.js';
import { readScript } from '../cli/run-command.js';
import { SluiceError, type Span } from '../errors.js';
import type { SqlType } from '../types.js';
import { partitionConsumer, repartitionConsumer, repartitionStream, type GroupNames, type TaskRef } from './group-names.js';
import { chooseRepartition, type ViewPlan } from './repartition-keys.js';

/** A nats source of the job. */
export interface GroupSource {
  readonly name: string;
  readonly stream: string;
  readonly servers: string;
  /** The subject without its partition token (`orders` of `orders.*`). */
  readonly subjectPrefix: string;
  /** Watermark delay, to report the partition's watermark from its largest event time. */
  readonly delayMs: number | null;
  /** With repartitioning: the stream its rows go through, and the column that picks their partition. */
  readonly repartition: { readonly stream: string; readonly column: string } | null;
  /** Its declared columns (what a member's insert publishes). */
  readonly fields: readonly { readonly name: string; readonly type: SqlType }[];
  /** The column its `key` option names (the publisher partitions by it), or null. */
  readonly key: string | null;
}

/** What a task's script depends on at run time. */
export interface ScriptContext {
  /** The group's incarnation (message ids of a group deleted and run again never repeat). */
  readonly incarnation: string;
  /** The group's NATS servers: its repartition streams live there. */
  readonly servers: string;
}

export interface GroupJob {
  readonly sources: readonly GroupSource[];
  /** The partition count every source shares. */
  readonly partitions: number;
  /** Partitions of the repartition streams (the stateful stage's tasks); 0: no repartitioning. */
  readonly repartitions: number;
  /** Every task: the source partitions, then the repartition partitions. */
  readonly tasks: readonly TaskRef[];
  /** The materialized views, by name as declared (a group query reads them). */
  readonly views: readonly string[];
  /** How often each partition's pipeline checkpoints and uploads a snapshot (ms). */
  readonly checkpointMs: number;
  /** The files' texts for a task, with the folder relative paths resolve against. */
  scripts(t: TaskRef, ctx: ScriptContext): { sql: string; baseDir: string }[];
}

/** The job's source of that name (names compare case-insensitively, as SQL's do). */
export function sourceNamed(job: GroupJob, name: string): GroupSource | undefined {
  return job.sources.find((s) => s.name.toLowerCase() === name.toLowerCase());
}

/** Default snapshot interval of a group job (`SET checkpoint_interval` overrides it). */
const DEFAULT_CHECKPOINT_MS = 1000;

function quote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

interface Edit {
  readonly start: number;
  readonly end: number;
  /** The replacement for a task, or null to leave the text alone for it. */
  readonly text: (t: TaskRef, ctx: ScriptContext) => string | null;
}

/** A CREATE SOURCE's options, kept to redirect it to its repartition stream. */
interface SourceText {
  readonly file: number;
  readonly start: number;
  readonly end: number;
  readonly options: readonly { key: string; text: string }[];
}

/** A source as the check found it, before the repartition columns are chosen. */
interface CheckedSource extends Omit<GroupSource, 'repartition' | 'key'> {
  readonly columns: readonly string[];
  /** The index of its `key` column, or null without one. */
  readonly declared: number | null;
  /** Its `repartitions` option, or null. */
  readonly repartitions: number | null;
  readonly text: SourceText;
}

/** Options a source's repartition-stage rewrite sets itself. */
const REDIRECTED = new Set(['servers', 'stream', 'subject', 'key', 'consumer', 'partitions', 'repartitions', 'repartition']);

function refuseAt(message: string, span: Span): SluiceError {
  return new SluiceError('UNSUPPORTED', message, { span });
}

/** Checks the job's files for a group and prepares the per-partition rewrite. */
export async function planGroupJob(files: readonly string[], names: GroupNames): Promise<GroupJob> {
  const texts = files.map((f) => ({ sql: readScript(f), baseDir: dirname(resolve(f)) }));
  const edits: Edit[][] = texts.map(() => []);
  /** Per file, the statements the source stage of a repartitioned job keeps (sources, SET). */
  const upstream: Span[][] = texts.map(() => []);
  const sources: CheckedSource[] = [];
  const views: ViewPlan[] = [];
  const splitViews = new Set<string>();
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
              const reparts = def.options['repartitions'];
              const opts = (st as Extract<Statement, { kind: 'CreateSource' }>).options;
              const first = opts[0]!.span.start;
              const last = opts[opts.length - 1]!.span.end;
              sources.push({
                name: def.name,
                stream: String(def.options['stream']),
                servers: String(def.options['servers'] ?? 'nats://127.0.0.1:4222'),
                subjectPrefix: subject.slice(0, -2),
                delayMs: def.watermark?.delayMs ?? null,
                columns: def.columns.map((c) => c.name),
                fields: def.columns.map((c) => ({ name: c.name, type: c.type })),
                declared: k < 0 ? null : k,
                repartitions: typeof reparts === 'number' ? reparts : null,
                text: { file: fi, start: first, end: last, options: opts.map((o) => ({ key: o.key.toLowerCase(), text: file.sql.slice(o.span.start, o.span.end) })) },
              });
              upstream[fi]!.push(span);
              const subj = opts.find((o) => o.key.toLowerCase() === 'subject')!;
              const prefix = subject.slice(0, -2);
              edits[fi]!.push({ start: subj.span.start, end: subj.span.end, text: (t) => (t.stage === 'source' ? `subject = ${quote(`${prefix}.${t.index}`)}` : null) });
              edits[fi]!.push({ start: last, end: last, text: (t) => (t.stage === 'source' ? `, consumer = ${quote(partitionConsumer(names, def.name, t.index))}` : null) });
              return;
            }
            case 'CreateView': {
              if (!b.def.materialized) return;
              views.push({ name: b.def.name, plan: b.plan, span });
              splitViews.add(b.def.name);
              return;
            }
            case 'CreateSink': {
              if (!sources.some((x) => x.name === b.def.from) && !splitViews.has(b.def.from)) {
                throw refuseAt(`sink '${b.def.name}' reads '${b.def.from}', which is not a materialized view or source split by partition`, span);
              }
              const opts = (st as Extract<Statement, { kind: 'CreateSink' }>).options;
              const last = opts[opts.length - 1]!.span.end;
              const sink = b.def.name;
              // Tasks of the repartition stage number their positions apart from the source stage's.
              const part = (t: TaskRef) => `${t.stage === 'source' ? '' : 'r'}${t.index}`;
              if (b.def.connector === 'nats') {
                edits[fi]!.push({ start: last, end: last, text: (t, c) => `, msg_id_prefix = ${quote(`${names.group}.${c.incarnation}.${sink}.${part(t)}`)}` });
              } else if (b.def.connector === 'postgres') {
                edits[fi]!.push({ start: last, end: last, text: (t) => `, partition = ${quote(part(t))}` });
              } else if (b.def.connector !== 'blackhole') {
                throw refuseAt(`sink '${sink}' writes connector '${b.def.connector}': a group's sinks are nats, postgres or blackhole, which every member can write exactly once`, span);
              }
              return;
            }
            case 'Set':
              upstream[fi]!.push(span);
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
  const by = chooseRepartition(
    views,
    sources.map((s) => ({ name: s.name, columns: s.columns.length, declared: s.declared })),
  );
  const repartitions = by === null ? 0 : repartitionCount(sources, count);
  const groupSources: GroupSource[] = sources.map((s) => ({
    name: s.name,
    stream: s.stream,
    servers: s.servers,
    subjectPrefix: s.subjectPrefix,
    delayMs: s.delayMs,
    fields: s.fields,
    key: s.declared === null ? null : s.columns[s.declared]!,
    repartition: by === null ? null : { stream: repartitionStream(names, s.name), column: s.columns[by.get(s.name)!]! },
  }));
  if (by !== null) {
    for (const [i, s] of sources.entries()) {
      const r = groupSources[i]!.repartition!;
      const kept = s.text.options.filter((o) => !REDIRECTED.has(o.key)).map((o) => o.text);
      edits[s.text.file]!.push({
        start: s.text.start,
        end: s.text.end,
        text: (t, c) =>
          t.stage === 'source'
            ? null
            : [
                ...kept,
                `servers = ${quote(c.servers)}`,
                `stream = ${quote(r.stream)}`,
                `subject = ${quote(`${r.stream}.${t.index}.*`)}`,
                `partitions = ${count}`,
                `key = ${quote(r.column)}`,
                `consumer = ${quote(repartitionConsumer(names, s.name, t.index))}`,
                `repartition = true`,
              ].join(', '),
      });
    }
  }
  const tasks: TaskRef[] = [];
  for (let p = 0; p < count; p++) tasks.push({ stage: 'source', index: p });
  for (let q = 0; q < repartitions; q++) tasks.push({ stage: 'repartition', index: q });
  return {
    sources: groupSources,
    partitions: count,
    repartitions,
    tasks,
    views: views.map((v) => v.name),
    checkpointMs,
    scripts: (t, c) => {
      const out = texts.map((f, i) => ({ sql: applyEdits(f.sql, edits[i]!, t, c, by !== null && t.stage === 'source' ? upstream[i]! : null), baseDir: f.baseDir }));
      if (by !== null && t.stage === 'source') out[out.length - 1]!.sql += repartitionSinks(groupSources, names, t.index, repartitions, c);
      return out;
    },
  };
}

/** The repartition partition count: the sources' `repartitions` option if any (all alike), else their partition count. */
function repartitionCount(sources: readonly CheckedSource[], partitions: number): number {
  const set = sources.filter((s) => s.repartitions !== null);
  const n = set[0]?.repartitions ?? partitions;
  const other = set.find((s) => s.repartitions !== n);
  if (other !== undefined) {
    throw new SluiceError('UNSUPPORTED', `source '${other.name}' asks for ${other.repartitions} repartitions and source '${set[0]!.name}' for ${n}: the sources of a group job are repartitioned alike, so that they stay co-partitioned`);
  }
  return n;
}

/**
 * A file's text for a task: the edits applied, and with `keep` only the statements it
 * lists (the source stage of a repartitioned job), each ended by a semicolon.
 */
function applyEdits(sql: string, edits: readonly Edit[], t: TaskRef, c: ScriptContext, keep: readonly Span[] | null): string {
  const rewrite = (from: number, to: number) => {
    let text = sql.slice(from, to);
    for (const e of [...edits].sort((a, b) => b.start - a.start)) {
      if (e.start < from || e.end > to) continue;
      const r = e.text(t, c);
      if (r !== null) text = text.slice(0, e.start - from) + r + text.slice(e.end - from);
    }
    return text;
  };
  if (keep === null) return rewrite(0, sql.length);
  return keep.map((s) => `${rewrite(s.start, s.end)};\n`).join('');
}

/** The source stage's sinks of a repartitioned job: each source's rows to its repartition stream. */
function repartitionSinks(sources: readonly GroupSource[], names: GroupNames, p: number, repartitions: number, c: ScriptContext): string {
  return sources
    .map((s) => {
      const r = s.repartition!;
      const opts = [
        `connector = 'nats'`,
        `servers = ${quote(c.servers)}`,
        `stream = ${quote(r.stream)}`,
        `subject = ${quote(r.stream)}`,
        `partitions = ${repartitions}`,
        `key = ${quote(r.column)}`,
        `subject_suffix = ${quote(String(p))}`,
        `msg_id_prefix = ${quote(`${names.group}.${c.incarnation}.repart.${s.name}.${p}`)}`,
        // Rows go on as they are read, not at checkpoint pace: a replay republishes them under the same ids.
        `publish = 'change'`,
      ];
      return `\nCREATE SINK ${quoteIdent(`${s.name}__repartition`)} FROM ${quoteIdent(s.name)} WITH (${opts.join(', ')});`;
    })
    .join('');
}

function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}


