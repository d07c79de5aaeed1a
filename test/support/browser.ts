// Headless Chromium driven over the Chrome DevTools Protocol, with the `ws` package we already
// depend on: no browser-automation library. Debian's `chromium`, installed when missing by
// scripts/install-chromium.sh. The browser may reach nothing but loopback: its resolver maps every
// host name to nothing, its proxy is a closed loopback port, and its background services are off.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import WebSocket from "ws";
import { REPO_ROOT } from "./cli";

/** The browser's path; throws with the install script's own reason when it cannot be had. */
export function ensureChromium(): string {
  try {
    return execFileSync("bash", [path.join(REPO_ROOT, "scripts", "install-chromium.sh")], {
      encoding: "utf8",
      timeout: 600_000,
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  } catch (err) {
    const out = String((err as { stdout?: string }).stdout ?? "").trim();
    throw new Error(`headless Chromium is not available: ${out || (err as Error).message}`);
  }
}

const ISOLATION_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-default-apps",
  "--disable-domain-reliability",
  "--disable-sync",
  "--disable-extensions",
  "--metrics-recording-only",
  "--hide-scrollbars",
  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
  "--proxy-server=127.0.0.1:9",
  "--allow-file-access-from-files",
];

interface Pending {
  resolve(value: Record<string, unknown>): void;
  reject(error: Error): void;
}

export interface PageEvents {
  /** Console errors, uncaught exceptions and browser log errors (a resource that failed to load). */
  errors: string[];
  /** Every URL the page asked for. */
  requests: string[];
}

/** One browser with one tab. */
export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly waiters: { method: string; resolve: () => void }[] = [];
  private sessionId = "";
  readonly events: PageEvents = { errors: [], requests: [] };

  private constructor(
    private readonly process: ChildProcess,
    private readonly socket: WebSocket,
    private readonly profile: string,
  ) {
    socket.on("message", (data) => this.receive(JSON.parse(String(data))));
  }

  static async launch(executable: string): Promise<Browser> {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "shelly-fleet-chromium-"));
    const child = spawn(
      executable,
      [...ISOLATION_FLAGS, "--remote-debugging-port=0", `--user-data-dir=${profile}`, "about:blank"],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr = (stderr + String(chunk)).slice(-4000);
    });
    const portFile = path.join(profile, "DevToolsActivePort");
    const deadline = Date.now() + 30_000;
    while (!fs.existsSync(portFile) || fs.readFileSync(portFile, "utf8").split("\n").length < 2) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(
          `chromium did not start (exit ${child.exitCode}): ${stderr.trim().split("\n").pop()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const [port, wsPath] = fs.readFileSync(portFile, "utf8").trim().split("\n");
    const socket = new WebSocket(`ws://127.0.0.1:${port}${wsPath}`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    const browser = new Browser(child, socket, profile);
    const { targetId } = await browser.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await browser.send("Target.attachToTarget", { targetId, flatten: true });
    browser.sessionId = sessionId as string;
    for (const domain of ["Page", "Runtime", "Log", "Network"]) await browser.command(`${domain}.enable`);
    return browser;
  }

  private receive(message: {
    id?: number;
    result?: Record<string, unknown>;
    error?: { message: string };
    method?: string;
    params?: Record<string, unknown>;
  }): void {
    if (message.id !== undefined) {
      const pending = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) pending?.reject(new Error(`CDP: ${message.error.message}`));
      else pending?.resolve(message.result ?? {});
      return;
    }
    const params: Record<string, unknown> = message.params ?? {};
    switch (message.method) {
      case "Runtime.consoleAPICalled":
        if (params.type === "error" || params.type === "assert")
          this.events.errors.push(`console.${params.type}: ${JSON.stringify(params.args)}`);
        break;
      case "Runtime.exceptionThrown":
        this.events.errors.push(`exception: ${JSON.stringify(params.exceptionDetails)}`);
        break;
      case "Log.entryAdded": {
        const entry = params.entry as { level: string; text: string; url?: string };
        if (entry.level === "error") this.events.errors.push(`log: ${entry.text} ${entry.url ?? ""}`);
        break;
      }
      case "Network.requestWillBeSent":
        this.events.requests.push((params.request as { url: string }).url);
        break;
    }
    for (const [i, waiter] of this.waiters.entries()) {
      if (waiter.method === message.method) {
        this.waiters.splice(i, 1);
        waiter.resolve();
        break;
      }
    }
  }

  private send(method: string, params: object = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params, ...(sessionId && { sessionId }) }));
    });
  }

  /** A command to the tab. */
  command(method: string, params: object = {}): Promise<Record<string, unknown>> {
    return this.send(method, params, this.sessionId);
  }

  /** Sets the viewport: a phone (touch, mobile) below 500 px wide. */
  async viewport(width: number, height: number): Promise<void> {
    await this.command("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: width < 500,
    });
  }

  /** Opens a URL and waits for its load event. */
  async open(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) =>
      this.waiters.push({ method: "Page.loadEventFired", resolve }),
    );
    const result = await this.command("Page.navigate", { url });
    if (result.errorText) throw new Error(`cannot open ${url}: ${result.errorText}`);
    await loaded;
  }

  /** The value of a JavaScript expression in the page. */
  async evaluate<T>(expression: string): Promise<T> {
    const result = await this.command("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (result.exceptionDetails)
      throw new Error(`evaluate ${expression}: ${JSON.stringify(result.exceptionDetails)}`);
    return (result.result as { value: T }).value;
  }

  /** A PNG of the viewport. */
  async screenshot(file: string): Promise<void> {
    const { data } = await this.command("Page.captureScreenshot", { format: "png" });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.from(data as string, "base64"));
  }

  async close(): Promise<void> {
    this.socket.close();
    const exited = new Promise((resolve) => this.process.once("exit", resolve));
    this.process.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (this.process.exitCode === null) this.process.kill("SIGKILL");
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}
