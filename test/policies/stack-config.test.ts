// The policy pack keeps the stack config the engine sends in ConfigureStack: a real gRPC server
// and client on loopback, with the analyzer service as @pulumi/policy registers it.
import * as grpc from "@grpc/grpc-js";
import * as analyzerrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import { afterAll, expect, test } from "vitest";
import { keepStackConfig, stackConfig } from "../../policies/stack-config";

const servers: grpc.Server[] = [];
afterAll(() => {
  for (const server of servers) server.forceShutdown();
});

test("the config of a ConfigureStack call reaches stackConfig; the pack's own handler still runs", async () => {
  keepStackConfig();
  let handled = 0;
  const server = new grpc.Server();
  servers.push(server);
  server.addService(analyzerrpc.AnalyzerService as unknown as grpc.ServiceDefinition, {
    configureStack: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
      handled++;
      callback(null, new analyzerproto.AnalyzerStackConfigureResponse());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  const client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const request = new analyzerproto.AnalyzerStackConfigureRequest();
  request.setStack("rules");
  request.getConfigMap().set("shelly-fleet:secret.wifi-short", "k3y#9");
  request.getConfigMap().set("shelly-fleet:root", "/srv/fleet");

  expect(stackConfig("shelly-fleet:root")).toBeUndefined();
  await new Promise<void>((resolve, reject) =>
    client.configureStack(request, (err: unknown) => (err ? reject(err) : resolve())),
  );
  client.close();
  expect(handled).toBe(1);
  expect(stackConfig("shelly-fleet:secret.wifi-short")).toBe("k3y#9");
  expect(stackConfig("shelly-fleet:root")).toBe("/srv/fleet");
});
