/** One schema change. Each domain keeps its own list (its `migrations.ts`); db/migrations.ts concatenates them. */
export interface Migration {
  /** Unique, stable, e.g. 'recording/001-initial'. */
  name: string;
  sql: string;
}
