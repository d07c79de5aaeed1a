// The few GitHub REST calls the CI scripts make, typed, over fetch. In a workflow GH_TOKEN (or
// GITHUB_TOKEN) authenticates, GITHUB_REPOSITORY names the repository and GITHUB_API_URL the
// API (GitHub Enterprise Server sets its own).

export interface IssueComment {
  id: number;
  body: string;
}

/** GitHub refused a call: the status and GitHub's own message, never the token. */
export class GitHubApiError extends Error {
  override readonly name = "GitHubApiError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    detail: string,
  ) {
    super(`GitHub ${method} ${path}: HTTP ${status}${detail ? `: ${detail}` : ""}`);
  }
}

export interface GitHubOptions {
  token: string;
  /** `owner/name`. */
  repository: string;
  /** Default: https://api.github.com. */
  apiUrl?: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
}

/** The next page's URL from a `Link` header, if there is one. */
function nextPage(link: string | null): string | undefined {
  return link?.match(/<([^>]+)>;\s*rel="next"/)?.[1];
}

export class GitHubClient {
  private readonly apiUrl: string;

  constructor(private readonly options: GitHubOptions) {
    if (!/^[A-Za-z0-9-]+\/(?!\.\.?$)[\w.-]+$/.test(options.repository)) {
      throw new Error(`the repository must read owner/name, got "${options.repository}"`);
    }
    this.apiUrl = (options.apiUrl ?? "https://api.github.com").replace(/\/+$/, "");
  }

  /** From the workflow's environment; a missing variable is named. */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): GitHubClient {
    const token = env.GH_TOKEN || env.GITHUB_TOKEN;
    if (!token) throw new Error("set GH_TOKEN (or GITHUB_TOKEN) to a token that may write comments");
    if (!env.GITHUB_REPOSITORY) throw new Error("set GITHUB_REPOSITORY to owner/name");
    return new GitHubClient({ token, repository: env.GITHUB_REPOSITORY, apiUrl: env.GITHUB_API_URL });
  }

  /** Every comment on an issue or pull request, all pages. */
  async listIssueComments(issue: number): Promise<IssueComment[]> {
    const comments: IssueComment[] = [];
    let url: string | undefined = this.url(`/issues/${issue}/comments?per_page=100`);
    while (url) {
      const response = await this.call("GET", url);
      comments.push(...((await response.json()) as IssueComment[]));
      url = nextPage(response.headers.get("link"));
    }
    return comments;
  }

  async createIssueComment(issue: number, body: string): Promise<IssueComment> {
    return (
      await this.call("POST", this.url(`/issues/${issue}/comments`), { body })
    ).json() as Promise<IssueComment>;
  }

  async updateIssueComment(id: number, body: string): Promise<IssueComment> {
    return (
      await this.call("PATCH", this.url(`/issues/comments/${id}`), { body })
    ).json() as Promise<IssueComment>;
  }

  private url(path: string): string {
    return `${this.apiUrl}/repos/${this.options.repository}${path}`;
  }

  private async call(method: string, url: string, json?: unknown): Promise<Response> {
    const response = await fetch(url, {
      method,
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${this.options.token}`,
        "x-github-api-version": "2022-11-28",
        "user-agent": "shelly-fleet-ci",
        ...(json !== undefined && { "content-type": "application/json" }),
      },
      body: json === undefined ? undefined : JSON.stringify(json),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    });
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      let detail = text.slice(0, 200);
      try {
        detail = String((JSON.parse(text) as { message?: unknown }).message ?? detail);
      } catch {
        // Not JSON: the start of the text says enough.
      }
      throw new GitHubApiError(method, new URL(url).pathname, response.status, detail);
    }
    return response;
  }
}

/**
 * Posts `body` on the issue, or edits our earlier comment (the first whose body starts with
 * `marker`) so that each run updates one comment instead of adding another.
 */
export async function upsertMarkedComment(
  client: GitHubClient,
  issue: number,
  marker: string,
  body: string,
): Promise<{ action: "created" | "updated"; id: number }> {
  const existing = (await client.listIssueComments(issue)).find((c) => c.body?.startsWith(marker));
  if (existing) return { action: "updated", id: (await client.updateIssueComment(existing.id, body)).id };
  return { action: "created", id: (await client.createIssueComment(issue, body)).id };
}
