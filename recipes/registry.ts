import { z } from 'zod';
import { PilotfishError } from '../common/errors.js';
import { directoryRecipeSchema } from './directory/config.js';
import { mysqlRecipeSchema } from './mysql/config.js';
import type { RecipeModule } from './recipe.js';

/**
 * Every recipe pilotfish ships, by name: its `recipe.<name>` configuration schema and a loader
 * that imports its code on first use. The supervisor and the CLI know recipes only through this
 * file and the `RecipeModule` contract; a recipe's classes are never imported elsewhere.
 *
 * Adding a recipe: a folder `recipes/<name>/` with `config.ts` (the schema) and `index.ts`
 * (exporting a `RecipeModule`), and one entry here.
 */
const entries = {
  mysql: { schema: mysqlRecipeSchema, load: async () => (await import('./mysql/index.js')).mysqlRecipe as RecipeModule },
  directory: { schema: directoryRecipeSchema, load: async () => (await import('./directory/index.js')).directoryRecipe as RecipeModule },
} as const;

export type RecipeName = keyof typeof entries;
export const recipeNames = Object.keys(entries) as RecipeName[];

/** `recipe:` in `pilotfish.yaml`: exactly one section, named after the recipe this member runs. */
export const recipeConfigSchema = z
  .strictObject({ mysql: entries.mysql.schema.optional(), directory: entries.directory.schema.optional() })
  .refine((sections) => Object.values(sections).filter((v) => v !== undefined).length <= 1, {
    message: `configure one recipe per member (one of ${recipeNames.join(', ')})`,
  });

export type RecipeConfigs = z.output<typeof recipeConfigSchema>;

/** The recipe a configuration names and its section; `undefined` when it names none. */
export function configuredRecipe(configs: RecipeConfigs | undefined): { name: RecipeName; config: unknown } | undefined {
  for (const name of recipeNames) {
    const config = configs?.[name];
    if (config !== undefined) return { name, config };
  }
  return undefined;
}

/** Loads a recipe's code by name. Throws CONFIG_INVALID naming the recipes that exist. */
export async function loadRecipe(name: string): Promise<RecipeModule> {
  const entry = (entries as Record<string, (typeof entries)[RecipeName] | undefined>)[name];
  if (!entry) throw new PilotfishError('CONFIG_INVALID', `recipe: ${name} is not a recipe pilotfish knows; use one of ${recipeNames.join(', ')}`);
  return entry.load();
}

/**
 * The recipe a cluster runs, for tools that read the cluster rather than run a member: the
 * configuration's section when it has one, else the name the members publish. `undefined` when
 * neither says.
 */
export function clusterRecipe(
  configs: RecipeConfigs | undefined,
  members: readonly { recipe?: string }[],
): { name: RecipeName; config: unknown } | undefined {
  const configured = configuredRecipe(configs);
  if (configured) return configured;
  const published = members.map((m) => m.recipe).find((name): name is RecipeName => (recipeNames as string[]).includes(name ?? ''));
  return published ? { name: published, config: undefined } : undefined;
}
