// The CI scripts' GitHub REST client and the preview comment's upsert, against GitHub's API as
// nock answers it (GitHub is a third party: no simulator of ours stands in for it).
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { PREVIEW_COMMENT_MARKER } from "../../review/render";
import { GitHubApiError, GitHubClient, upsertMarkedComment } from "../../scripts/ci/github";

const API = "https://api.github.com";
const COMMENTS = "/repos/octo/fleet/issues/12/comments";
const client = new GitHubClient({ token: "t0ken", repository: "octo/fleet" });
const body = `${PREVIEW_COMMENT_MARKER}\n### shelly-fleet preview\n`;

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending, "GitHub calls the test expected and the client did not make").toEqual([]);
});
afterAll(() => nock.enableNetConnect());

describe("upsertMarkedComment", () => {
  test("updates our earlier comment, found by its marker on any page", async () => {
    const authorized = nock(API, {
      reqheaders: { authorization: "Bearer t0ken", accept: "application/vnd.github+json" },
    });
    authorized
      .get(COMMENTS)
      .query({ per_page: "100" })
      .reply(200, [{ id: 1, body: "LGTM" }], {
        link: `<${API}${COMMENTS}?per_page=100&page=2>; rel="next", <${API}${COMMENTS}?per_page=100&page=2>; rel="last"`,
      });
    authorized
      .get(COMMENTS)
      .query({ per_page: "100", page: "2" })
      .reply(200, [
        { id: 4242, body: `${PREVIEW_COMMENT_MARKER}\nold` },
        { id: 4343, body: `${PREVIEW_COMMENT_MARKER}\nolder duplicate` },
      ]);
    authorized.patch("/repos/octo/fleet/issues/comments/4242", { body }).reply(200, { id: 4242, body });
    expect(await upsertMarkedComment(client, 12, PREVIEW_COMMENT_MARKER, body)).toEqual({
      action: "updated",
      id: 4242,
    });
  });

  test("creates one when there is none", async () => {
    nock(API)
      .get(COMMENTS)
      .query(true)
      .reply(200, [{ id: 1, body: "a review, not ours" }]);
    nock(API)
      .post(COMMENTS, { body })
      .matchHeader("content-type", "application/json")
      .reply(201, { id: 77, body });
    expect(await upsertMarkedComment(client, 12, PREVIEW_COMMENT_MARKER, body)).toEqual({
      action: "created",
      id: 77,
    });
  });

  test("a refusal names the call, the status and GitHub's message, never the token", async () => {
    nock(API)
      .get(COMMENTS)
      .query(true)
      .reply(403, { message: "Resource not accessible by integration", documentation_url: "https://docs" });
    const error = await upsertMarkedComment(client, 12, PREVIEW_COMMENT_MARKER, body).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GitHubApiError);
    expect((error as Error).message).toBe(
      `GitHub GET ${COMMENTS}: HTTP 403: Resource not accessible by integration`,
    );
    expect((error as Error).message).not.toContain("t0ken");
  });

  test("a write that fails is not retried", async () => {
    nock(API).get(COMMENTS).query(true).reply(200, []);
    nock(API).post(COMMENTS).reply(502, "Bad gateway");
    await expect(upsertMarkedComment(client, 12, PREVIEW_COMMENT_MARKER, body)).rejects.toThrow(
      `GitHub POST ${COMMENTS}: HTTP 502: Bad gateway`,
    );
  });
});

describe("GitHubClient", () => {
  test("GitHub Enterprise Server: the API URL from the environment", async () => {
    const enterprise = GitHubClient.fromEnvironment({
      GH_TOKEN: "t0ken",
      GITHUB_REPOSITORY: "octo/fleet",
      GITHUB_API_URL: "https://ghe.example/api/v3",
    });
    nock("https://ghe.example").get(`/api/v3${COMMENTS}`).query(true).reply(200, []);
    expect(await enterprise.listIssueComments(12)).toEqual([]);
  });

  test("a missing token or repository is named", () => {
    expect(() => GitHubClient.fromEnvironment({ GITHUB_REPOSITORY: "octo/fleet" })).toThrow(/GH_TOKEN/);
    expect(() => GitHubClient.fromEnvironment({ GITHUB_TOKEN: "t" })).toThrow(/GITHUB_REPOSITORY/);
    for (const repository of ["../etc", "octo/..", "octo"]) {
      expect(() => new GitHubClient({ token: "t", repository })).toThrow(/owner\/name/);
    }
    expect(new GitHubClient({ token: "t", repository: "octo/.github" })).toBeInstanceOf(GitHubClient);
  });
});
