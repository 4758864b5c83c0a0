/** The image a service runs: its `image:`, else for a service that builds, `<project>-<service>` (docker compose's name). */
export function serviceImageName(project: string, service: string, keys: { build?: unknown; image?: unknown }): string | undefined {
  if (typeof keys.image === 'string' && keys.image !== '') return keys.image;
  return keys.build !== undefined && keys.build !== null ? `${project}-${service}` : undefined;
}
