import type { Tags } from 'yaml';

/**
 * `mode: 0440` is octal in the Go YAML readers compose files and CDI specs were written for (YAML 1.1 rules:
 * docker compose's, CDI's); YAML 1.2 would read 440. Give it before the core tags (`customTags: (t) => [LEGACY_OCTAL, ...t]`).
 */
export const LEGACY_OCTAL = {
  identify: (v: unknown) => typeof v === 'number',
  default: true,
  tag: 'tag:yaml.org,2002:int',
  format: 'OCT',
  test: /^0[0-7]+$/,
  resolve: (s: string) => parseInt(s, 8),
} as unknown as Tags[number];
