/**
 * The grammar of sluice's SQL dialect (SPEC section 2) as one Chevrotain `CstParser`,
 * built once and reused for every parse. The grammar is free of actions: `visitor.ts`
 * turns its concrete syntax tree into the AST of `ast.ts`.
 *
 * Operator precedence, loosest first: OR, AND, NOT, comparison (= <> < … IS BETWEEN IN
 * LIKE), `||`, + -, * / %, unary + -, `::`, primary.
 */
import type { ILookaheadStrategy, IOrAlt, IToken, TokenType } from 'chevrotain';
import { CstParser, EOF, LLkLookaheadStrategy } from './chevrotain.js';
import * as T from './lexer.js';
import { errorMessageProvider } from './syntax-errors.js';

const STATEMENT_AFTER_PARENS = new Set<TokenType>([T.Select, T.With]);
const MAX_LOOKAHEAD = 3;

/**
 * Chevrotain's LL(k) lookahead, each decision's function built the first time the parser
 * reaches it rather than all at construction (~60 ms at every start, most of it for rules a
 * given script never uses). The functions are the ones the eager build makes, from the same
 * finished grammar, so parsing is unchanged.
 */
class LazyLookahead implements ILookaheadStrategy {
  private readonly eager: ILookaheadStrategy;

  constructor(maxLookahead: number) {
    this.eager = new LLkLookaheadStrategy({ maxLookahead });
  }

  validate(options: Parameters<ILookaheadStrategy['validate']>[0]): ReturnType<ILookaheadStrategy['validate']> {
    return this.eager.validate(options);
  }

  initialize(options: Parameters<NonNullable<ILookaheadStrategy['initialize']>>[0]): void {
    this.eager.initialize?.(options);
  }

  buildLookaheadForAlternation(options: Parameters<ILookaheadStrategy['buildLookaheadForAlternation']>[0]): (orAlts?: IOrAlt<unknown>[]) => number | undefined {
    const eager = this.eager;
    let built: ((orAlts?: IOrAlt<unknown>[]) => number | undefined) | undefined;
    return function (this: unknown, orAlts?: IOrAlt<unknown>[]) {
      return (built ??= eager.buildLookaheadForAlternation(options)).call(this, orAlts);
    };
  }

  buildLookaheadForOptional(options: Parameters<ILookaheadStrategy['buildLookaheadForOptional']>[0]): () => boolean {
    const eager = this.eager;
    let built: (() => boolean) | undefined;
    return function (this: unknown) {
      return (built ??= eager.buildLookaheadForOptional(options)).call(this);
    };
  }
}

export class SqlParser extends CstParser {
  /**
   * `validate` runs Chevrotain's grammar checks (ambiguities, left recursion); they cost
   * ~100 ms, so the shared instance skips them and a test builds a validated one. The
   * validated one also builds every lookahead function at once, as Chevrotain does by
   * default (the shared one builds each when first needed: see LazyLookahead).
   */
  constructor(options: { readonly validate: boolean }) {
    super(T.allTokens, {
      recoveryEnabled: false,
      maxLookahead: MAX_LOOKAHEAD,
      nodeLocationTracking: 'full',
      errorMessageProvider,
      skipValidations: !options.validate,
      ...(options.validate ? {} : { lookaheadStrategy: new LazyLookahead(MAX_LOOKAHEAD) }),
    });
    this.performSelfAnalysis();
  }

  /** True when the next tokens are `(`… `(` followed by SELECT or WITH: a subquery. */
  private queryAhead(): boolean {
    let i = 1;
    while (this.LA(i).tokenType === T.LParen) i++;
    return i > 1 && STATEMENT_AFTER_PARENS.has(this.LA(i).tokenType);
  }

  /**
   * False at `OFFSET` followed by a number, `?`, `(`, `+` or `-`: the OFFSET clause
   * (`FROM t OFFSET 5`), never an alias named offset (which a number cannot follow); and at
   * `WINDOW name AS (`, the WINDOW clause.
   */
  private aliasAhead(): boolean {
    const first = this.LA(1).tokenType;
    // `WINDOW w AS (`: the WINDOW clause.
    if (first === T.Window) return !(this.LA(3).tokenType === T.As && this.LA(4).tokenType === T.LParen);
    if (first !== T.Offset) return true;
    const next = this.LA(2).tokenType;
    return next !== T.NumberLiteral && next !== T.Question && next !== T.LParen && next !== T.Plus && next !== T.Minus;
  }

  /** True at `(SELECT` or `(WITH`: a scalar subquery (`((SELECT …) + 1)` stays a parenthesized expression). */
  private subqueryAhead(): boolean {
    return this.LA(1).tokenType === T.LParen && STATEMENT_AFTER_PARENS.has(this.LA(2).tokenType);
  }

  /** True at `EXISTS (SELECT`: the predicate, not a call of a function named exists. */
  private existsAhead(): boolean {
    if (this.LA(1).tokenType !== T.Exists) return false;
    let i = 2;
    while (this.LA(i).tokenType === T.LParen) i++;
    return i > 2 && STATEMENT_AFTER_PARENS.has(this.LA(i).tokenType);
  }

  /** True when the token just consumed is a bare number or a string holding one (`'10'`). */
  /**
   * Whether the input is `POSITION ( … IN …`: IN at the top nesting level of the parentheses
   * tells the special form from a call `position(a, b)` (a one-argument call
   * `position(x IN (…))` could never be typed, so the special form takes that too).
   */
  private isPositionIn(): boolean {
    if (this.LA(1).tokenType !== T.Position || this.LA(2).tokenType !== T.LParen) return false;
    let depth = 0;
    for (let k = 3; ; k++) {
      const t: IToken = this.LA(k);
      if (t.tokenType === T.LParen) depth++;
      else if (t.tokenType === T.RParen) {
        if (depth-- === 0) return false;
      } else if (depth === 0 && t.tokenType === T.In) return true;
      else if (t.tokenType === T.Semicolon || t.tokenType === EOF) return false;
    }
  }

  private needsIntervalUnit(): boolean {
    const prev: IToken = this.LA(0);
    if (prev.tokenType === T.NumberLiteral) return true;
    return /^'\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*'$/.test(prev.image);
  }

  // -------------------------------------------------------------------------------------
  // Scripts and statements
  // -------------------------------------------------------------------------------------

  public script = this.RULE('script', () => {
    this.OPTION(() => this.SUBRULE(this.statement));
    this.MANY(() => {
      this.CONSUME(T.Semicolon);
      this.OPTION2(() => this.SUBRULE2(this.statement));
    });
    this.CONSUME(EOF);
  });

  /** One expression and nothing else (for `parseExpression`). */
  public expressionOnly = this.RULE('expressionOnly', () => {
    this.SUBRULE(this.expression);
    this.CONSUME(EOF);
  });

  public statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.queryStatement) },
      { ALT: () => this.SUBRULE(this.createStatement) },
      { ALT: () => this.SUBRULE(this.insertStatement) },
      { ALT: () => this.SUBRULE(this.subscribeStatement) },
      { ALT: () => this.SUBRULE(this.dropStatement) },
      { ALT: () => this.SUBRULE(this.alterStatement) },
      { ALT: () => this.SUBRULE(this.showStatement) },
      { ALT: () => this.SUBRULE(this.describeStatement) },
      { ALT: () => this.SUBRULE(this.explainStatement) },
      { ALT: () => this.SUBRULE(this.checkpointStatement) },
      { ALT: () => this.SUBRULE(this.setStatement) },
      { ALT: () => this.SUBRULE(this.rebuildStatement) },
      { ALT: () => this.SUBRULE(this.updateStatement) },
      { ALT: () => this.SUBRULE(this.deleteStatement) },
    ]);
  });

  public queryStatement = this.RULE('queryStatement', () => {
    this.SUBRULE(this.query);
  });

  /** `CREATE [OR REPLACE]` followed by a SOURCE, [MATERIALIZED] VIEW or SINK body. */
  public createStatement = this.RULE('createStatement', () => {
    this.CONSUME(T.Create);
    this.OPTION(() => this.SUBRULE(this.orReplace));
    this.OR([
      { ALT: () => this.SUBRULE(this.createSourceBody) },
      { ALT: () => this.SUBRULE(this.createViewBody) },
      { ALT: () => this.SUBRULE(this.createSinkBody) },
    ]);
  });

  public orReplace = this.RULE('orReplace', () => {
    this.CONSUME(T.Or);
    this.CONSUME(T.Replace);
  });

  public ifNotExists = this.RULE('ifNotExists', () => {
    this.CONSUME(T.If);
    this.CONSUME(T.Not);
    this.CONSUME(T.Exists);
  });

  public ifExists = this.RULE('ifExists', () => {
    this.CONSUME(T.If);
    this.CONSUME(T.Exists);
  });

  public createSourceBody = this.RULE('createSourceBody', () => {
    this.CONSUME(T.Source);
    this.OPTION(() => this.SUBRULE(this.ifNotExists));
    this.SUBRULE(this.identifier);
    this.SUBRULE(this.sourceElementList);
    this.OPTION2(() => this.SUBRULE(this.withOptions));
  });

  public sourceElementList = this.RULE('sourceElementList', () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.sourceElement);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.sourceElement);
    });
    this.CONSUME(T.RParen);
  });

  public sourceElement = this.RULE('sourceElement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.watermarkDef) },
      { ALT: () => this.SUBRULE(this.columnDef) },
    ]);
  });

  public watermarkDef = this.RULE('watermarkDef', () => {
    this.CONSUME(T.Watermark);
    this.CONSUME(T.For);
    this.SUBRULE(this.identifier);
    this.CONSUME(T.As);
    this.SUBRULE(this.expression);
  });

  public columnDef = this.RULE('columnDef', () => {
    this.SUBRULE(this.identifier);
    this.SUBRULE(this.typeName);
  });

  /** `WITH (key = value, …)`. */
  public withOptions = this.RULE('withOptions', () => {
    this.CONSUME(T.With);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.optionItem);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.optionItem);
    });
    this.CONSUME(T.RParen);
  });

  public optionItem = this.RULE('optionItem', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: 'quotedKey' }) },
      {
        ALT: () => {
          this.SUBRULE(this.optionKeyPart);
          this.MANY(() => {
            this.CONSUME(T.Dot);
            this.SUBRULE2(this.optionKeyPart);
          });
        },
      },
    ]);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.literalValue);
  });

  /** An option key word: any name or keyword (`table = 'bid'`, `format = 'jsonl'`). */
  public optionKeyPart = this.RULE('optionKeyPart', () => {
    this.OR([{ ALT: () => this.SUBRULE(this.identifier) }, { ALT: () => this.CONSUME(T.Reserved) }]);
  });

  /** A WITH option or SET value: a string, a signed number, TRUE or FALSE. */
  public literalValue = this.RULE('literalValue', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral) },
      {
        ALT: () => {
          this.OPTION(() =>
            this.OR2([
              { ALT: () => this.CONSUME(T.Minus, { LABEL: 'sign' }) },
              { ALT: () => this.CONSUME(T.Plus, { LABEL: 'sign' }) },
            ]),
          );
          this.CONSUME(T.NumberLiteral);
        },
      },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
    ]);
  });

  public createViewBody = this.RULE('createViewBody', () => {
    this.OPTION(() => this.CONSUME(T.Materialized));
    this.CONSUME(T.View);
    this.OPTION2(() => this.SUBRULE(this.ifNotExists));
    this.SUBRULE(this.identifier);
    this.OPTION3(() => this.SUBRULE(this.withOptions));
    this.CONSUME(T.As);
    this.SUBRULE(this.query);
  });

  public createSinkBody = this.RULE('createSinkBody', () => {
    this.CONSUME(T.Sink);
    this.OPTION(() => this.SUBRULE(this.ifNotExists));
    this.SUBRULE(this.identifier, { LABEL: 'name' });
    this.CONSUME(T.From);
    this.SUBRULE2(this.identifier, { LABEL: 'from' });
    this.SUBRULE(this.withOptions);
  });

  public insertStatement = this.RULE('insertStatement', () => {
    this.CONSUME(T.Insert);
    this.CONSUME(T.Into);
    this.SUBRULE(this.identifier);
    this.OPTION(() => this.SUBRULE(this.identList));
    this.OPTION2(() => this.SUBRULE(this.expectedVersion));
    this.CONSUME(T.Values);
    this.SUBRULE(this.valuesRow);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.valuesRow);
    });
  });

  /** `EXPECTED VERSION n`: the optimistic-concurrency check of an INSERT into a keyed source. */
  public expectedVersion = this.RULE('expectedVersion', () => {
    this.CONSUME(T.Expected);
    this.CONSUME(T.Version);
    this.CONSUME(T.NumberLiteral);
  });

  public valuesRow = this.RULE('valuesRow', () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.expression);
    });
    this.CONSUME(T.RParen);
  });

  /** `(a, b, …)`: a parenthesized list of column names. */
  public identList = this.RULE('identList', () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.identifier);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.identifier);
    });
    this.CONSUME(T.RParen);
  });

  public subscribeStatement = this.RULE('subscribeStatement', () => {
    this.CONSUME(T.Subscribe);
    this.SUBRULE(this.identifier);
  });

  public dropStatement = this.RULE('dropStatement', () => {
    this.CONSUME(T.Drop);
    this.OR([
      { ALT: () => this.CONSUME(T.Source) },
      { ALT: () => this.CONSUME(T.View) },
      {
        ALT: () => {
          this.CONSUME(T.Materialized);
          this.CONSUME2(T.View);
        },
      },
      { ALT: () => this.CONSUME(T.Sink) },
    ]);
    this.OPTION(() => this.SUBRULE(this.ifExists));
    this.SUBRULE(this.identifier);
  });

  /** `ALTER SOURCE s` then `ADD [COLUMN] c TYPE [DEFAULT e]`, `RENAME [COLUMN] a TO b`, `DROP [COLUMN] a` or `ALTER [COLUMN] a TYPE t`. */
  public alterStatement = this.RULE('alterStatement', () => {
    this.CONSUME(T.Alter);
    this.CONSUME(T.Source);
    this.SUBRULE(this.identifier, { LABEL: 'source' });
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Add);
          this.OPTION(() => this.CONSUME(T.Column));
          this.SUBRULE(this.columnDef);
          this.OPTION2(() => {
            this.CONSUME(T.Default);
            this.SUBRULE(this.expression);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Rename);
          this.OPTION3(() => this.CONSUME2(T.Column));
          this.SUBRULE2(this.identifier, { LABEL: 'target' });
          this.CONSUME(T.To);
          this.SUBRULE3(this.identifier, { LABEL: 'newName' });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Drop);
          this.OPTION4(() => this.CONSUME3(T.Column));
          this.SUBRULE4(this.identifier, { LABEL: 'target' });
        },
      },
      {
        ALT: () => {
          this.CONSUME2(T.Alter);
          this.OPTION5(() => this.CONSUME4(T.Column));
          this.SUBRULE5(this.identifier, { LABEL: 'target' });
          this.CONSUME(T.Type);
          this.SUBRULE(this.typeName);
        },
      },
    ]);
  });

  public showStatement = this.RULE('showStatement', () => {
    this.CONSUME(T.Show);
    this.OR([
      { ALT: () => this.CONSUME(T.Sources) },
      { ALT: () => this.CONSUME(T.Views) },
      {
        ALT: () => {
          this.CONSUME(T.Materialized);
          this.CONSUME2(T.Views);
        },
      },
      { ALT: () => this.CONSUME(T.Sinks) },
      { ALT: () => this.SUBRULE(this.identifier), IGNORE_AMBIGUITIES: true },
    ]);
  });

  public describeStatement = this.RULE('describeStatement', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Describe) }, { ALT: () => this.CONSUME(T.Desc) }]);
    this.SUBRULE(this.identifier);
  });

  public explainStatement = this.RULE('explainStatement', () => {
    this.CONSUME(T.Explain);
    this.OR([
      { ALT: () => this.SUBRULE(this.queryStatement) },
      {
        ALT: () => {
          this.CONSUME(T.Create);
          this.OPTION(() => this.SUBRULE(this.orReplace));
          this.SUBRULE(this.createViewBody);
        },
      },
    ]);
  });

  public checkpointStatement = this.RULE('checkpointStatement', () => {
    this.CONSUME(T.Checkpoint);
  });

  public setStatement = this.RULE('setStatement', () => {
    this.CONSUME(T.SetKeyword);
    this.SUBRULE(this.identifier, { LABEL: 'name' });
    this.OR([{ ALT: () => this.CONSUME(T.Equals) }, { ALT: () => this.CONSUME(T.To) }]);
    this.OR2([
      { ALT: () => this.SUBRULE(this.literalValue) },
      { ALT: () => this.SUBRULE2(this.identifier, { LABEL: 'word' }) },
      { ALT: () => this.CONSUME(T.On) },
    ]);
  });

  public rebuildStatement = this.RULE('rebuildStatement', () => {
    this.CONSUME(T.Rebuild);
    this.CONSUME(T.Materialized);
    this.CONSUME(T.View);
    this.SUBRULE(this.identifier);
  });

  /** `UPDATE t …`: the rest of the statement is consumed unchecked (the engine rejects it). */
  public updateStatement = this.RULE('updateStatement', () => {
    this.CONSUME(T.Update);
    this.SUBRULE(this.identifier);
    this.MANY(() => this.CONSUME(T.AnyToken));
  });

  /** `DELETE FROM t …`: the rest of the statement is consumed unchecked (the engine rejects it). */
  public deleteStatement = this.RULE('deleteStatement', () => {
    this.CONSUME(T.Delete);
    this.CONSUME(T.From);
    this.SUBRULE(this.identifier);
    this.MANY(() => this.CONSUME(T.AnyToken));
  });

  // -------------------------------------------------------------------------------------
  // Queries
  // -------------------------------------------------------------------------------------

  /** `[WITH …] set-expression [ORDER BY …] [LIMIT n] [OFFSET m] [EMIT …]`. */
  public query = this.RULE('query', () => {
    this.OPTION(() => this.SUBRULE(this.withClause));
    this.SUBRULE(this.setExpression);
    this.OPTION2(() => this.SUBRULE(this.orderByClause));
    this.OPTION3(() => this.SUBRULE(this.limitClause));
    this.OPTION4(() => this.SUBRULE(this.emitClause));
  });

  public withClause = this.RULE('withClause', () => {
    this.CONSUME(T.With);
    this.SUBRULE(this.cte);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.cte);
    });
  });

  public cte = this.RULE('cte', () => {
    this.SUBRULE(this.identifier);
    this.OPTION(() => this.SUBRULE(this.identList));
    this.CONSUME(T.As);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.query);
    this.CONSUME(T.RParen);
  });

  public setExpression = this.RULE('setExpression', () => {
    this.SUBRULE(this.setOperand);
    this.MANY(() => {
      this.SUBRULE(this.unionOperator);
      this.SUBRULE2(this.setOperand);
    });
  });

  public unionOperator = this.RULE('unionOperator', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Union) }, { ALT: () => this.CONSUME(T.Intersect) }, { ALT: () => this.CONSUME(T.Except) }]);
    this.OPTION(() => this.OR2([{ ALT: () => this.CONSUME(T.All) }, { ALT: () => this.CONSUME(T.Distinct) }]));
  });

  public setOperand = this.RULE('setOperand', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.selectBlock) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.query);
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  public orderByClause = this.RULE('orderByClause', () => {
    this.CONSUME(T.Order);
    this.CONSUME(T.By);
    this.SUBRULE(this.orderItem);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.orderItem);
    });
  });

  public orderItem = this.RULE('orderItem', () => {
    this.SUBRULE(this.expression);
    this.OPTION(() => this.OR([{ ALT: () => this.CONSUME(T.Asc) }, { ALT: () => this.CONSUME(T.Desc) }]));
    this.OPTION2(() => {
      this.CONSUME(T.Nulls);
      this.OR2([{ ALT: () => this.CONSUME(T.First) }, { ALT: () => this.CONSUME(T.Last) }]);
    });
  });

  /** `LIMIT n [OFFSET m]` or `OFFSET m [LIMIT n]` (as DuckDB and PostgreSQL take both). */
  public limitClause = this.RULE('limitClause', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Limit);
          this.SUBRULE(this.expression, { LABEL: 'limit' });
          this.OPTION(() => {
            this.CONSUME(T.Offset);
            this.SUBRULE2(this.expression, { LABEL: 'offset' });
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME2(T.Offset);
          this.SUBRULE3(this.expression, { LABEL: 'offset' });
          this.OPTION2(() => {
            this.CONSUME2(T.Limit);
            this.SUBRULE4(this.expression, { LABEL: 'limit' });
          });
        },
      },
    ]);
  });

  public emitClause = this.RULE('emitClause', () => {
    this.CONSUME(T.Emit);
    this.OR([
      { ALT: () => this.CONSUME(T.Changes) },
      {
        ALT: () => {
          this.CONSUME(T.On);
          this.CONSUME(T.Window);
          this.CONSUME(T.Close);
        },
      },
    ]);
  });

  public selectBlock = this.RULE('selectBlock', () => {
    this.CONSUME(T.Select);
    this.OPTION(() => this.OR([{ ALT: () => this.CONSUME(T.Distinct) }, { ALT: () => this.CONSUME(T.All) }]));
    this.SUBRULE(this.selectList);
    this.OPTION2(() => this.SUBRULE(this.fromClause));
    this.OPTION3(() => this.SUBRULE(this.whereClause));
    this.OPTION4(() => this.SUBRULE(this.groupByClause));
    this.OPTION5(() => this.SUBRULE(this.havingClause));
    this.OPTION6(() => this.SUBRULE(this.windowClause));
  });

  /** `WINDOW w AS (…) [, w2 AS (…)]`: named windows for the SELECT's OVER clauses. */
  public windowClause = this.RULE('windowClause', () => {
    this.CONSUME(T.Window);
    this.SUBRULE(this.windowDefinition);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.windowDefinition);
    });
  });

  public windowDefinition = this.RULE('windowDefinition', () => {
    this.SUBRULE(this.identifier);
    this.CONSUME(T.As);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.windowBody);
    this.CONSUME(T.RParen);
  });

  public selectList = this.RULE('selectList', () => {
    this.SUBRULE(this.selectItem);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.selectItem);
    });
  });

  public selectItem = this.RULE('selectItem', () => {
    // One token of lookahead and a gate for `t.*`: computing three tokens of lookahead over
    // every expression form cost ~20 ms at each start.
    this.OR({
      MAX_LOOKAHEAD: 1,
      DEF: [
        { ALT: () => this.CONSUME(T.Star) },
        {
          GATE: () => this.LA(2).tokenType === T.Dot && this.LA(3).tokenType === T.Star,
          ALT: () => {
            this.SUBRULE(this.identifier);
            this.CONSUME(T.Dot);
            this.CONSUME2(T.Star);
          },
          IGNORE_AMBIGUITIES: true,
        },
        {
          ALT: () => {
            this.SUBRULE(this.expression);
            this.OPTION({ GATE: () => this.aliasAhead(), DEF: () => this.SUBRULE(this.alias) });
          },
          IGNORE_AMBIGUITIES: true,
        },
      ],
    });
  });

  /** `[AS] name`. */
  public alias = this.RULE('alias', () => {
    this.OPTION(() => this.CONSUME(T.As));
    this.SUBRULE(this.identifier);
  });

  public fromClause = this.RULE('fromClause', () => {
    this.CONSUME(T.From);
    this.SUBRULE(this.fromList);
  });

  public whereClause = this.RULE('whereClause', () => {
    this.CONSUME(T.Where);
    this.SUBRULE(this.expression);
  });

  public groupByClause = this.RULE('groupByClause', () => {
    this.CONSUME(T.Group);
    this.CONSUME(T.By);
    this.SUBRULE(this.expression);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.expression);
    });
  });

  public havingClause = this.RULE('havingClause', () => {
    this.CONSUME(T.Having);
    this.SUBRULE(this.expression);
  });

  /** `item, item, …`: a comma is a CROSS join and binds looser than JOIN. */
  public fromList = this.RULE('fromList', () => {
    this.SUBRULE(this.joinedTable);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.joinedTable);
    });
  });

  public joinedTable = this.RULE('joinedTable', () => {
    this.SUBRULE(this.fromPrimary);
    this.MANY(() => this.SUBRULE(this.joinPart));
  });

  public joinPart = this.RULE('joinPart', () => {
    this.OPTION(() =>
      this.OR([
        { ALT: () => this.CONSUME(T.Inner) },
        {
          ALT: () => {
            this.CONSUME(T.Left);
            this.OPTION2(() => this.CONSUME(T.Outer));
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Right);
            this.OPTION3(() => this.CONSUME2(T.Outer));
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Full);
            this.OPTION4(() => this.CONSUME3(T.Outer));
          },
        },
        { ALT: () => this.CONSUME(T.Cross) },
      ]),
    );
    this.CONSUME(T.Join);
    this.SUBRULE(this.fromPrimary);
    this.OPTION5(() =>
      this.OR2([
        {
          ALT: () => {
            this.CONSUME(T.On);
            this.SUBRULE(this.expression);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Using);
            this.SUBRULE(this.identList);
          },
        },
      ]),
    );
  });

  public fromPrimary = this.RULE('fromPrimary', () => {
    this.OR({ MAX_LOOKAHEAD: 2, DEF: [
      {
        // TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), …)) [AS] alias
        ALT: () => {
          this.CONSUME(T.Table);
          this.CONSUME(T.LParen);
          this.SUBRULE(this.windowTvf);
          this.CONSUME(T.RParen);
          this.OPTION({ GATE: () => this.aliasAhead(), DEF: () => this.SUBRULE(this.alias) });
        },
      },
      {
        // TUMBLE(t, ts, …) [AS] alias
        ALT: () => {
          this.SUBRULE2(this.windowTvf);
          this.OPTION2({ GATE: () => this.aliasAhead(), DEF: () => this.SUBRULE2(this.alias) });
        },
        IGNORE_AMBIGUITIES: true,
      },
      { ALT: () => this.SUBRULE(this.changesRef), IGNORE_AMBIGUITIES: true },
      { GATE: () => this.queryAhead(), ALT: () => this.SUBRULE(this.subqueryRef), IGNORE_AMBIGUITIES: true },
      {
        ALT: () => {
          this.CONSUME2(T.LParen);
          this.SUBRULE(this.fromList);
          this.CONSUME2(T.RParen);
        },
        IGNORE_AMBIGUITIES: true,
      },
      {
        GATE: () => this.LA(2).tokenType === T.MatchRecognize,
        ALT: () => this.SUBRULE(this.matchRecognizeRef),
        IGNORE_AMBIGUITIES: true,
      },
      { ALT: () => this.SUBRULE(this.tableRef), IGNORE_AMBIGUITIES: true },
    ] });
  });

  /**
   * `input MATCH_RECOGNIZE (PARTITION BY … ORDER BY … MEASURES … rows-per-match AFTER MATCH
   * SKIP … PATTERN (…) [WITHIN interval] DEFINE …) [[AS] alias]`. The grammar takes the
   * standard's forms so that the binder can refuse the ones outside Flink's subset by name.
   */
  public matchRecognizeRef = this.RULE('matchRecognizeRef', () => {
    this.SUBRULE(this.identifier, { LABEL: 'input' });
    this.CONSUME(T.MatchRecognize);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.CONSUME(T.Partition);
      this.CONSUME(T.By);
      this.SUBRULE(this.columnRef, { LABEL: 'partitionBy' });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.columnRef, { LABEL: 'partitionBy' });
      });
    });
    this.OPTION2(() => {
      this.CONSUME(T.Order);
      this.CONSUME2(T.By);
      this.SUBRULE(this.orderItem);
      this.MANY2(() => {
        this.CONSUME2(T.Comma);
        this.SUBRULE2(this.orderItem);
      });
    });
    this.OPTION3(() => {
      this.CONSUME(T.Measures);
      this.SUBRULE(this.measureItem);
      this.MANY3(() => {
        this.CONSUME3(T.Comma);
        this.SUBRULE2(this.measureItem);
      });
    });
    this.OPTION4(() => this.SUBRULE(this.rowsPerMatch));
    this.OPTION5(() => this.SUBRULE(this.afterMatchSkip));
    this.CONSUME(T.Pattern);
    this.CONSUME2(T.LParen);
    this.SUBRULE(this.rowPattern);
    this.CONSUME(T.RParen);
    this.OPTION6(() => {
      this.CONSUME(T.Within);
      this.SUBRULE(this.intervalLiteral);
    });
    this.CONSUME(T.Define);
    this.SUBRULE(this.defineItem);
    this.MANY4(() => {
      this.CONSUME4(T.Comma);
      this.SUBRULE2(this.defineItem);
    });
    this.CONSUME2(T.RParen);
    this.OPTION7({ GATE: () => this.aliasAhead(), DEF: () => this.SUBRULE(this.alias) });
  });

  /** `expr AS name` in MEASURES. */
  public measureItem = this.RULE('measureItem', () => {
    this.SUBRULE(this.expression);
    this.CONSUME(T.As);
    this.SUBRULE(this.identifier);
  });

  /** `var AS condition` in DEFINE. */
  public defineItem = this.RULE('defineItem', () => {
    this.SUBRULE(this.identifier);
    this.CONSUME(T.As);
    this.SUBRULE(this.expression);
  });

  /** `ONE ROW PER MATCH` or `ALL ROWS PER MATCH`. */
  public rowsPerMatch = this.RULE('rowsPerMatch', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.One);
          this.CONSUME(T.Row);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.All);
          this.CONSUME(T.Rows);
        },
      },
    ]);
    this.CONSUME(T.Per);
    this.CONSUME(T.Match);
  });

  /** `AFTER MATCH SKIP PAST LAST ROW | TO NEXT ROW | TO FIRST var | TO LAST var`. */
  public afterMatchSkip = this.RULE('afterMatchSkip', () => {
    this.CONSUME(T.After);
    this.CONSUME(T.Match);
    this.CONSUME(T.Skip);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Past);
          this.CONSUME(T.Last);
          this.CONSUME(T.Row);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.To);
          this.OR2([
            {
              ALT: () => {
                this.CONSUME(T.Next);
                this.CONSUME2(T.Row);
              },
            },
            {
              ALT: () => {
                this.CONSUME(T.First, { LABEL: 'toFirst' });
                this.SUBRULE(this.identifier, { LABEL: 'variable' });
              },
            },
            {
              ALT: () => {
                this.CONSUME2(T.Last, { LABEL: 'toLast' });
                this.SUBRULE2(this.identifier, { LABEL: 'variable' });
              },
            },
          ]);
        },
      },
    ]);
  });

  /** A row pattern: alternatives separated by `|`. */
  public rowPattern = this.RULE('rowPattern', () => {
    this.SUBRULE(this.patternSequence);
    this.MANY(() => {
      this.CONSUME(T.Pipe);
      this.SUBRULE2(this.patternSequence);
    });
  });

  public patternSequence = this.RULE('patternSequence', () => {
    this.AT_LEAST_ONE(() => this.SUBRULE(this.patternFactor));
  });

  public patternFactor = this.RULE('patternFactor', () => {
    this.SUBRULE(this.patternPrimary);
    // `{-` starts an exclusion (the next factor), not a `{n,m}` quantifier.
    this.OPTION({
      GATE: () => this.LA(1).tokenType !== T.LBrace || this.LA(2).tokenType !== T.Minus,
      DEF: () => this.SUBRULE(this.patternQuantifier),
    });
  });

  /** A variable, `(pattern)`, `PERMUTE(…)`, an exclusion `{- … -}` or an anchor `^` `$`. */
  public patternPrimary = this.RULE('patternPrimary', () => {
    this.OR([
      {
        GATE: () => this.LA(1).image.toUpperCase() === 'PERMUTE' && this.LA(2).tokenType === T.LParen,
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: 'permute' });
          this.CONSUME(T.LParen);
          this.SUBRULE(this.rowPattern, { LABEL: 'permuted' });
          this.MANY(() => {
            this.CONSUME(T.Comma);
            this.SUBRULE2(this.rowPattern, { LABEL: 'permuted' });
          });
          this.CONSUME(T.RParen);
        },
        IGNORE_AMBIGUITIES: true,
      },
      { ALT: () => this.SUBRULE(this.identifier), IGNORE_AMBIGUITIES: true },
      {
        ALT: () => {
          this.CONSUME2(T.LParen, { LABEL: 'group' });
          this.OPTION(() => this.SUBRULE3(this.rowPattern, { LABEL: 'grouped' }));
          this.CONSUME2(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBrace, { LABEL: 'exclusion' });
          this.CONSUME(T.Minus);
          this.SUBRULE4(this.rowPattern, { LABEL: 'excluded' });
          this.CONSUME2(T.Minus);
          this.CONSUME(T.RBrace);
        },
      },
      { ALT: () => this.CONSUME(T.Caret, { LABEL: 'anchor' }) },
      { ALT: () => this.CONSUME(T.Dollar, { LABEL: 'anchor' }) },
    ]);
  });

  /** `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, `{,m}`, each optionally followed by `?` (reluctant). */
  public patternQuantifier = this.RULE('patternQuantifier', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Star, { LABEL: 'op' }) },
      { ALT: () => this.CONSUME(T.Plus, { LABEL: 'op' }) },
      { ALT: () => this.CONSUME(T.Question, { LABEL: 'op' }) },
      {
        ALT: () => {
          this.CONSUME(T.LBrace);
          this.OPTION(() => this.CONSUME(T.NumberLiteral, { LABEL: 'min' }));
          this.OPTION2(() => {
            this.CONSUME(T.Comma);
            this.OPTION3(() => this.CONSUME2(T.NumberLiteral, { LABEL: 'max' }));
          });
          this.CONSUME(T.RBrace);
        },
      },
    ]);
    this.OPTION4(() => this.CONSUME2(T.Question, { LABEL: 'reluctant' }));
  });

  /** `name [AS OF …] [FOR SYSTEM_TIME AS OF …] [[AS] alias] [AS OF …]`. */
  public tableRef = this.RULE('tableRef', () => {
    this.SUBRULE(this.identifier);
    this.OPTION(() => this.SUBRULE(this.asOf));
    this.OPTION4(() => this.SUBRULE(this.systemTimeAsOf));
    this.OPTION2({ GATE: () => this.aliasAhead(), DEF: () => this.SUBRULE(this.alias) });
    this.OPTION3(() => this.SUBRULE2(this.asOf));
  });

  /** `FOR SYSTEM_TIME AS OF left.ts` (a temporal join's right side, Flink's spelling). */
  public systemTimeAsOf = this.RULE('systemTimeAsOf', () => {
    this.CONSUME(T.For);
    this.CONSUME(T.SystemTime);
    this.CONSUME(T.As);
    this.CONSUME(T.Of);
    this.SUBRULE(this.primaryExpression);
  });

  public asOf = this.RULE('asOf', () => {
    this.CONSUME(T.As);
    this.CONSUME(T.Of);
    this.OR([{ ALT: () => this.CONSUME(T.TimestampType) }, { ALT: () => this.CONSUME(T.Offset) }]);
    this.SUBRULE(this.primaryExpression);
  });

  public subqueryRef = this.RULE('subqueryRef', () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.query);
    this.CONSUME(T.RParen);
    this.OPTION({ GATE: () => this.aliasAhead(), DEF: () => this.SUBRULE(this.alias) });
  });

  public changesRef = this.RULE('changesRef', () => {
    this.CONSUME(T.Changes);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.identifier);
    this.CONSUME(T.RParen);
    this.OPTION({ GATE: () => this.aliasAhead(), DEF: () => this.SUBRULE(this.alias) });
  });

  /** `TUMBLE|HOP|SESSION|CUMULATE(input [PARTITION BY …], args…)` in either spelling. */
  public windowTvf = this.RULE('windowTvf', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Tumble, { LABEL: 'fn' }) },
      { ALT: () => this.CONSUME(T.Hop, { LABEL: 'fn' }) },
      { ALT: () => this.CONSUME(T.Session, { LABEL: 'fn' }) },
      { ALT: () => this.CONSUME(T.Cumulate, { LABEL: 'fn' }) },
    ]);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.tvfInput);
    this.OPTION(() => {
      this.CONSUME(T.Partition);
      this.CONSUME(T.By);
      this.SUBRULE(this.tvfArg, { LABEL: 'partitionArg' });
    });
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.tvfArg);
    });
    this.CONSUME(T.RParen);
  });

  /** The table argument of a window TVF: `[TABLE] name` or `[TABLE] (query)`. */
  public tvfInput = this.RULE('tvfInput', () => {
    this.OPTION(() => this.CONSUME(T.Table));
    this.OR([
      { ALT: () => this.SUBRULE(this.identifier) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.query);
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  public tvfArg = this.RULE('tvfArg', () => {
    this.OR({ MAX_LOOKAHEAD: 2, DEF: [
      {
        ALT: () => {
          this.CONSUME(T.Descriptor);
          this.CONSUME(T.LParen);
          this.SUBRULE(this.columnRef);
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.expression), IGNORE_AMBIGUITIES: true },
    ] });
  });

  // -------------------------------------------------------------------------------------
  // Expressions
  // -------------------------------------------------------------------------------------

  public expression = this.RULE('expression', () => {
    this.SUBRULE(this.orExpression);
  });

  public orExpression = this.RULE('orExpression', () => {
    this.SUBRULE(this.andExpression, { LABEL: 'operand' });
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpression, { LABEL: 'operand' });
    });
  });

  public andExpression = this.RULE('andExpression', () => {
    this.SUBRULE(this.notExpression, { LABEL: 'operand' });
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpression, { LABEL: 'operand' });
    });
  });

  public notExpression = this.RULE('notExpression', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE(this.notExpression);
        },
      },
      { ALT: () => this.SUBRULE(this.comparisonExpression) },
    ]);
  });

  public comparisonExpression = this.RULE('comparisonExpression', () => {
    this.SUBRULE(this.concatExpression);
    this.MANY(() => this.SUBRULE(this.comparisonTail));
  });

  /** What may follow the left operand at the comparison level. */
  public comparisonTail = this.RULE('comparisonTail', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(T.Equals, { LABEL: 'op' }) },
            { ALT: () => this.CONSUME(T.NotEquals, { LABEL: 'op' }) },
            { ALT: () => this.CONSUME(T.Less, { LABEL: 'op' }) },
            { ALT: () => this.CONSUME(T.LessEquals, { LABEL: 'op' }) },
            { ALT: () => this.CONSUME(T.Greater, { LABEL: 'op' }) },
            { ALT: () => this.CONSUME(T.GreaterEquals, { LABEL: 'op' }) },
          ]);
          this.SUBRULE(this.concatExpression, { LABEL: 'right' });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Is);
          this.OPTION(() => this.CONSUME(T.Not));
          this.CONSUME(T.Null);
        },
      },
      {
        ALT: () => {
          this.OPTION2(() => this.CONSUME2(T.Not));
          this.OR3([
            {
              ALT: () => {
                this.CONSUME(T.Between);
                this.SUBRULE2(this.concatExpression, { LABEL: 'low' });
                this.CONSUME(T.And);
                this.SUBRULE3(this.concatExpression, { LABEL: 'high' });
              },
            },
            {
              ALT: () => {
                this.CONSUME(T.In);
                this.OR4([
                  { GATE: () => this.queryAhead(), ALT: () => this.SUBRULE(this.subqueryExpression, { LABEL: 'subquery' }) },
                  {
                    ALT: () => {
                      this.CONSUME(T.LParen);
                      this.SUBRULE(this.expression, { LABEL: 'list' });
                      this.MANY(() => {
                        this.CONSUME(T.Comma);
                        this.SUBRULE2(this.expression, { LABEL: 'list' });
                      });
                      this.CONSUME(T.RParen);
                    },
                  },
                ]);
              },
            },
            {
              ALT: () => {
                this.CONSUME(T.Like);
                this.SUBRULE4(this.concatExpression, { LABEL: 'pattern' });
              },
            },
            {
              ALT: () => {
                this.CONSUME(T.Similar);
                this.CONSUME(T.To);
                this.SUBRULE5(this.concatExpression, { LABEL: 'pattern' });
              },
            },
          ]);
        },
      },
    ]);
  });

  /** `||` and the JSON operators `->`, `->>`: one level, left to right, as in DuckDB. */
  public concatExpression = this.RULE('concatExpression', () => {
    this.SUBRULE(this.additiveExpression, { LABEL: 'operand' });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Concat, { LABEL: 'op' }) },
        { ALT: () => this.CONSUME(T.LongArrow, { LABEL: 'op' }) },
        { ALT: () => this.CONSUME(T.Arrow, { LABEL: 'op' }) },
      ]);
      this.SUBRULE2(this.additiveExpression, { LABEL: 'operand' });
    });
  });

  public additiveExpression = this.RULE('additiveExpression', () => {
    this.SUBRULE(this.multiplicativeExpression, { LABEL: 'operand' });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Plus, { LABEL: 'op' }) },
        { ALT: () => this.CONSUME(T.Minus, { LABEL: 'op' }) },
      ]);
      this.SUBRULE2(this.multiplicativeExpression, { LABEL: 'operand' });
    });
  });

  public multiplicativeExpression = this.RULE('multiplicativeExpression', () => {
    this.SUBRULE(this.unaryExpression, { LABEL: 'operand' });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Star, { LABEL: 'op' }) },
        { ALT: () => this.CONSUME(T.Slash, { LABEL: 'op' }) },
        { ALT: () => this.CONSUME(T.Percent, { LABEL: 'op' }) },
      ]);
      this.SUBRULE2(this.unaryExpression, { LABEL: 'operand' });
    });
  });

  public unaryExpression = this.RULE('unaryExpression', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(T.Plus, { LABEL: 'op' }) },
            { ALT: () => this.CONSUME(T.Minus, { LABEL: 'op' }) },
          ]);
          this.SUBRULE(this.unaryExpression);
        },
      },
      { ALT: () => this.SUBRULE(this.castExpression) },
    ]);
  });

  /** `primary ::type ::type …`. */
  public castExpression = this.RULE('castExpression', () => {
    this.SUBRULE(this.primaryExpression);
    this.MANY(() => {
      this.CONSUME(T.DoubleColon);
      this.SUBRULE(this.typeName);
    });
  });

  public primaryExpression = this.RULE('primaryExpression', () => {
    this.OR({ MAX_LOOKAHEAD: 2, DEF: [
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Null) },
      { ALT: () => this.CONSUME(T.Question) },
      { ALT: () => this.SUBRULE(this.intervalLiteral) },
      { ALT: () => this.SUBRULE(this.typedLiteral) },
      { ALT: () => this.SUBRULE(this.caseExpression) },
      { ALT: () => this.SUBRULE(this.castCall) },
      { ALT: () => this.SUBRULE(this.extractCall), IGNORE_AMBIGUITIES: true },
      { GATE: () => this.isPositionIn(), ALT: () => this.SUBRULE(this.positionCall), IGNORE_AMBIGUITIES: true },
      { GATE: () => this.existsAhead(), ALT: () => this.SUBRULE(this.existsExpression), IGNORE_AMBIGUITIES: true },
      { GATE: () => this.subqueryAhead(), ALT: () => this.SUBRULE(this.subqueryExpression), IGNORE_AMBIGUITIES: true },
      { ALT: () => this.SUBRULE(this.parenExpression) },
      { ALT: () => this.SUBRULE(this.functionCall), IGNORE_AMBIGUITIES: true },
      { ALT: () => this.SUBRULE(this.columnRef), IGNORE_AMBIGUITIES: true },
    ] });
  });

  /** `INTERVAL '10' SECOND`, `INTERVAL '10 seconds'` (the unit is checked by the visitor). */
  public intervalLiteral = this.RULE('intervalLiteral', () => {
    this.CONSUME(T.Interval);
    this.OR([{ ALT: () => this.CONSUME(T.StringLiteral) }, { ALT: () => this.CONSUME(T.NumberLiteral) }]);
    this.OPTION({
      GATE: () => this.needsIntervalUnit(),
      DEF: () =>
        this.OR2([
          { ALT: () => this.CONSUME(T.Identifier, { LABEL: 'unit' }) },
          { ALT: () => this.CONSUME(T.NonReserved, { LABEL: 'unit' }) },
        ]),
    });
  });

  /** `TIMESTAMP '…'` or `DATE '…'`. */
  public typedLiteral = this.RULE('typedLiteral', () => {
    this.OR([{ ALT: () => this.CONSUME(T.TimestampType) }, { ALT: () => this.CONSUME(T.DateType) }]);
    this.CONSUME(T.StringLiteral);
  });

  public caseExpression = this.RULE('caseExpression', () => {
    this.CONSUME(T.Case);
    this.OPTION(() => this.SUBRULE(this.expression, { LABEL: 'operand' }));
    this.AT_LEAST_ONE(() => {
      this.CONSUME(T.When);
      this.SUBRULE2(this.expression, { LABEL: 'when' });
      this.CONSUME(T.Then);
      this.SUBRULE3(this.expression, { LABEL: 'then' });
    });
    this.OPTION2(() => {
      this.CONSUME(T.Else);
      this.SUBRULE4(this.expression, { LABEL: 'else' });
    });
    this.CONSUME(T.End);
  });

  public castCall = this.RULE('castCall', () => {
    this.CONSUME(T.Cast);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.As);
    this.SUBRULE(this.typeName);
    this.CONSUME(T.RParen);
  });

  public extractCall = this.RULE('extractCall', () => {
    this.CONSUME(T.Extract);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.identifier, { LABEL: 'field' });
    this.CONSUME(T.From);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
  });

  /** `POSITION(needle IN haystack)`; `POSITION(a, b)` is an ordinary call. */
  public positionCall = this.RULE('positionCall', () => {
    this.CONSUME(T.Position, { LABEL: 'name' });
    this.CONSUME(T.LParen);
    this.SUBRULE(this.concatExpression, { LABEL: 'needle' });
    this.CONSUME(T.In);
    this.SUBRULE2(this.concatExpression, { LABEL: 'haystack' });
    this.CONSUME(T.RParen);
  });

  /** `(query)`: a scalar subquery, or the right side of IN. */
  public subqueryExpression = this.RULE('subqueryExpression', () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.query);
    this.CONSUME(T.RParen);
  });

  /** `EXISTS (query)`. */
  public existsExpression = this.RULE('existsExpression', () => {
    this.CONSUME(T.Exists);
    this.SUBRULE(this.subqueryExpression);
  });

  public parenExpression = this.RULE('parenExpression', () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
  });

  /** `f(args) [OVER (…)]`, `COUNT(*)`, `COUNT(DISTINCT x)`. */
  public functionCall = this.RULE('functionCall', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.identifier, { LABEL: 'name' }) },
      { ALT: () => this.CONSUME(T.Left, { LABEL: 'keywordName' }) },
      { ALT: () => this.CONSUME(T.Right, { LABEL: 'keywordName' }) },
    ]);
    this.CONSUME(T.LParen);
    this.OPTION(() =>
      this.OR2({ MAX_LOOKAHEAD: 1, DEF: [
        { ALT: () => this.CONSUME(T.Star) },
        {
          // `COUNT(v.*)`: the rows of one pattern variable (MATCH_RECOGNIZE).
          GATE: () => this.LA(2).tokenType === T.Dot && this.LA(3).tokenType === T.Star,
          ALT: () => {
            this.SUBRULE2(this.identifier, { LABEL: 'starQualifier' });
            this.CONSUME(T.Dot);
            this.CONSUME2(T.Star);
          },
          IGNORE_AMBIGUITIES: true,
        },
        {
          ALT: () => {
            this.OPTION2(() =>
              this.OR3([{ ALT: () => this.CONSUME(T.Distinct) }, { ALT: () => this.CONSUME(T.All) }]),
            );
            this.SUBRULE(this.expression, { LABEL: 'arg' });
            this.MANY(() => {
              this.CONSUME(T.Comma);
              this.SUBRULE2(this.expression, { LABEL: 'arg' });
            });
            // DuckDB's place for it: `LAG(x IGNORE NULLS)`.
            this.OPTION5(() => this.SUBRULE(this.nullTreatment));
          },
          IGNORE_AMBIGUITIES: true,
        },
      ] }),
    );
    this.CONSUME(T.RParen);
    // The standard's place: `LAG(x) IGNORE NULLS OVER …` (only before NULLS, so `ignore` stays an alias).
    this.OPTION6({
      GATE: () => this.LA(2).tokenType === T.Nulls,
      DEF: () => this.SUBRULE2(this.nullTreatment),
    });
    // FILTER is not reserved (`COUNT(*) filter` names a column): only `FILTER (` starts the clause.
    this.OPTION4({
      GATE: () => this.LA(2).tokenType === T.LParen,
      DEF: () => {
        this.CONSUME(T.Filter);
        this.CONSUME2(T.LParen);
        this.CONSUME(T.Where);
        this.SUBRULE3(this.expression, { LABEL: 'filter' });
        this.CONSUME2(T.RParen);
      },
    });
    this.OPTION3(() => this.SUBRULE(this.overClause));
  });

  /** `IGNORE NULLS` or `RESPECT NULLS` (the default). */
  public nullTreatment = this.RULE('nullTreatment', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Ignore) }, { ALT: () => this.CONSUME(T.Respect) }]);
    this.CONSUME(T.Nulls);
  });

  /** `OVER (…)` or `OVER w` (a window of the WINDOW clause). */
  public overClause = this.RULE('overClause', () => {
    this.CONSUME(T.Over);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.windowBody);
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.identifier) },
    ]);
  });

  /** `[w] [PARTITION BY …] [ORDER BY …] [frame]`: `w` names a window the rest refines. */
  public windowBody = this.RULE('windowBody', () => {
    // A name that is not the start of a clause (ROWS and RANGE begin a frame).
    this.OPTION4({
      GATE: () => this.LA(1).tokenType !== T.Rows && this.LA(1).tokenType !== T.Range,
      DEF: () => this.SUBRULE(this.identifier, { LABEL: 'base' }),
    });
    this.OPTION(() => {
      this.CONSUME(T.Partition);
      this.CONSUME(T.By);
      this.SUBRULE(this.expression, { LABEL: 'partitionBy' });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.expression, { LABEL: 'partitionBy' });
      });
    });
    this.OPTION2(() => {
      this.CONSUME(T.Order);
      this.CONSUME2(T.By);
      this.SUBRULE(this.orderItem);
      this.MANY2(() => {
        this.CONSUME2(T.Comma);
        this.SUBRULE2(this.orderItem);
      });
    });
    this.OPTION3(() => this.SUBRULE(this.frameClause));
  });

  public frameClause = this.RULE('frameClause', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Rows) }, { ALT: () => this.CONSUME(T.Range) }]);
    this.OR2([
      {
        ALT: () => {
          this.CONSUME(T.Between);
          this.SUBRULE(this.frameBound, { LABEL: 'start' });
          this.CONSUME(T.And);
          this.SUBRULE2(this.frameBound, { LABEL: 'end' });
        },
      },
      { ALT: () => this.SUBRULE3(this.frameBound, { LABEL: 'start' }) },
    ]);
  });

  public frameBound = this.RULE('frameBound', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Unbounded);
          this.OR2([{ ALT: () => this.CONSUME(T.Preceding) }, { ALT: () => this.CONSUME(T.Following) }]);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Current);
          this.CONSUME(T.Row);
        },
      },
      {
        ALT: () => {
          this.SUBRULE(this.additiveExpression);
          this.OR3([
            { ALT: () => this.CONSUME2(T.Preceding) },
            { ALT: () => this.CONSUME2(T.Following) },
          ]);
        },
        IGNORE_AMBIGUITIES: true,
      },
    ]);
  });

  public columnRef = this.RULE('columnRef', () => {
    this.SUBRULE(this.identifier);
    this.OPTION(() => {
      this.CONSUME(T.Dot);
      this.SUBRULE2(this.identifier);
    });
  });

  // -------------------------------------------------------------------------------------
  // Names and types
  // -------------------------------------------------------------------------------------

  /** A name: a plain or double-quoted identifier, or a non-reserved keyword. */
  public identifier = this.RULE('identifier', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.CONSUME(T.QuotedIdentifier) },
      { ALT: () => this.CONSUME(T.NonReserved) },
    ]);
  });

  public typeName = this.RULE('typeName', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.BooleanType) },
      { ALT: () => this.CONSUME(T.IntType) },
      { ALT: () => this.CONSUME(T.BigintType) },
      {
        ALT: () => {
          this.CONSUME(T.DoubleType);
          this.OPTION(() => this.CONSUME(T.Precision));
        },
      },
      { ALT: () => this.CONSUME(T.FloatType) },
      {
        ALT: () => {
          this.CONSUME(T.DecimalType);
          this.OPTION2(() => this.SUBRULE(this.typeParams));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.VarcharType);
          this.OPTION3(() => this.SUBRULE2(this.typeParams));
        },
      },
      { ALT: () => this.CONSUME(T.TextType) },
      {
        ALT: () => {
          this.CONSUME(T.TimestampType);
          this.OPTION4(() => this.SUBRULE3(this.typeParams));
        },
      },
      { ALT: () => this.CONSUME(T.DateType) },
      { ALT: () => this.CONSUME(T.Interval) },
    ]);
  });

  /** `(n)` or `(p, s)` after DECIMAL, VARCHAR or TIMESTAMP. */
  public typeParams = this.RULE('typeParams', () => {
    this.CONSUME(T.LParen);
    this.CONSUME(T.NumberLiteral);
    this.OPTION(() => {
      this.CONSUME(T.Comma);
      this.CONSUME2(T.NumberLiteral);
    });
    this.CONSUME(T.RParen);
  });
}

/** The one parser instance, reused for every parse. */
export const parser = new SqlParser({ validate: false });
