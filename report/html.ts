// Escaping and the page frame shared by every page of the report.

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text or an attribute value, safe inside HTML and SVG: every name and value of the files passes here. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** A tagged template that escapes every interpolated value unless it is already `Html`. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = string | number | undefined | null | false | Html | readonly Part[];

function render(part: Part): string {
  if (part === undefined || part === null || part === false) return "";
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join("");
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  return new Html(
    strings.reduce((out, s, i) => out + s + (i < parts.length ? render(parts[i] as Part) : ""), ""),
  );
}

/** Markup made elsewhere and known to be safe (escaped SVG). */
export const raw = (text: string): Html => new Html(text);

export interface PageOptions {
  title: string;
  /** "" for pages at the report's root, "../" for device pages. */
  base: string;
  current?: "overview" | "topology" | "drift";
  generatedAt: string;
  body: Html;
}

/** A whole page: header with navigation, main, footer; the stylesheet and script are local files. */
export function page(options: PageOptions): string {
  const { base, current } = options;
  const link = (target: NonNullable<PageOptions["current"]>, file: string, label: string) =>
    html`<li><a href="${base}${file}"${raw(current === target ? ' aria-current="page"' : "")}>${label}</a></li>`;
  return `<!doctype html>\n${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${options.title} · shelly-fleet report</title>
<link rel="stylesheet" href="${base}assets/report.css">
<script src="${base}assets/report.js" defer></script>
</head>
<body>
<header class="site-header">
<p class="brand"><a href="${base}index.html">shelly-fleet report</a></p>
<nav aria-label="Report"><ul>
${link("overview", "index.html", "Overview")}
${link("topology", "topology.html", "Topology")}
${link("drift", "drift.html", "Drift")}
</ul></nav>
</header>
<main id="main">
${options.body}
</main>
<footer><p>Generated <time datetime="${options.generatedAt}">${options.generatedAt.replace("T", " ").slice(0, 19)} UTC</time> by <code>shelly-fleet report</code>.</p></footer>
</body>
</html>
`}`;
}
