// Tags: free labels on devices and profiles, for filters (`--tag`), profiles and aliases by tag.

/** A site's rule: every device carrying `tag` gets these profiles and joins these aliases. */
export interface TagRule {
  tag: string;
  profiles: string[];
  aliases: string[];
}

/**
 * Whether a device passes a `--tag` filter: it carries at least one of the wanted tags.
 * No wanted tags: every device passes.
 */
export function matchesTags(device: { tags: readonly string[] }, wanted: readonly string[]): boolean {
  return wanted.length === 0 || wanted.some((tag) => device.tags.includes(tag));
}

/** Each tag once, sorted: the order tags are written in means nothing. */
export function tagSet(...lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat())].sort();
}
